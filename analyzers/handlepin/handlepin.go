// Package handlepin defines an Analyzer that checks the life cycle of
// runtime/cgo.Handle values and runtime.Pinner pins.
// See checks.Lookup("handlepin") for the documentation.
//
// Each function body (function literals separately) is analysed over its
// control-flow graph (go/cfg). Tracked are local variables assigned from
// cgo.NewHandle (with the local variables that hold the same handle through
// conversions, ctx := C.uintptr_t(h)) and local runtime.Pinner variables.
// Their state is a set of {none, live/pinned, deleted/unpinned, deferred,
// escaped}, joined by union. Escaping means someone else may release it: the
// value is returned, stored anywhere but a local variable, sent, captured by
// a closure, passed to a Go function, or passed to a C function that keeps
// that parameter (csrc) or that we know nothing of. Paths that end in panic,
// os.Exit or log.Fatal are not exits, nor are main.main's returns.
package handlepin

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/cfg"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/csrc"
)

var check = checks.Lookup("handlepin")

// Analyzer reports handles never or twice deleted and pins never unpinned.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
}

type checker struct {
	pass  *analysis.Pass
	v     *cgoview.View
	model *csrc.Model // the C side, the package's .c files included (View.C)
	// callbackDeletes is set when the package deletes a handle rebuilt from
	// an integer (cgo.Handle(x).Delete()): a Go callback that C calls may
	// then delete the handles passed to C, and passing one is a hand-over.
	callbackDeletes bool
	reported        map[token.Pos]bool
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	if v == nil || v.Pkg == nil {
		return nil, nil
	}
	model := v.C
	c := &checker{pass: pass, v: v, model: model, reported: map[token.Pos]bool{}}
	c.findCallbackDeletes()
	for _, f := range v.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			isMain := v.Pkg.Name() == "main" && fd.Recv == nil && fd.Name.Name == "main"
			c.analyse(fd.Body, isMain)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if lit, ok := n.(*ast.FuncLit); ok {
					c.analyse(lit.Body, false)
				}
				return true
			})
		}
	}
	return nil, nil
}

// findCallbackDeletes looks for Delete calls on handles that do not come
// from cgo.NewHandle in the same function.
func (c *checker) findCallbackDeletes() {
	for _, f := range c.v.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || c.handleMethod(call) != "Delete" {
				return true
			}
			sel := ast.Unparen(call.Fun).(*ast.SelectorExpr)
			x := ast.Unparen(sel.X)
			if conv, ok := x.(*ast.CallExpr); ok && c.isConversion(conv) {
				c.callbackDeletes = true // cgo.Handle(x).Delete()
			}
			if id, ok := x.(*ast.Ident); ok {
				if v, ok := c.v.Info.Uses[id].(*types.Var); ok && !c.assignedFromNewHandle(f, v) {
					c.callbackDeletes = true // h := cgo.Handle(x); ...; h.Delete()
				}
			}
			return true
		})
	}
}

func (c *checker) assignedFromNewHandle(f *ast.File, v *types.Var) bool {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok && c.v.Info.ObjectOf(id) == v && len(n.Lhs) == len(n.Rhs) && c.isNewHandle(n.Rhs[i]) {
					found = true
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				if c.v.Info.Defs[id] == v && i < len(n.Values) && c.isNewHandle(n.Values[i]) {
					found = true
				}
			}
		}
		return !found
	})
	return found
}

func isNamed(t types.Type, path, name string) bool {
	if t == nil {
		return false
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path && n.Obj().Name() == name
}

func (c *checker) isHandleType(t types.Type) bool { return isNamed(t, "runtime/cgo", "Handle") }
func (c *checker) isPinnerType(t types.Type) bool { return isNamed(t, "runtime", "Pinner") }

// isNewHandle reports whether e is a call of cgo.NewHandle.
func (c *checker) isNewHandle(e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	fn := c.callee(call)
	return fn != nil && fn.Name() == "NewHandle" && fn.Pkg() != nil && fn.Pkg().Path() == "runtime/cgo"
}

func (c *checker) callee(call *ast.CallExpr) *types.Func {
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		fn, _ := c.v.Info.Uses[fun].(*types.Func)
		return fn
	case *ast.SelectorExpr:
		fn, _ := c.v.Info.Uses[fun.Sel].(*types.Func)
		return fn
	}
	return nil
}

// handleMethod returns m for a call h.m() on a cgo.Handle.
func (c *checker) handleMethod(call *ast.CallExpr) string {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || !c.isHandleType(c.v.Info.TypeOf(sel.X)) {
		return ""
	}
	return sel.Sel.Name
}

func (c *checker) isConversion(call *ast.CallExpr) bool {
	tv, ok := c.v.Info.Types[call.Fun]
	return ok && tv.IsType() && len(call.Args) == 1
}

// noReturn reports calls after which the function does not go on.
func (c *checker) noReturn(call *ast.CallExpr) bool {
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
		if b, ok := c.v.Info.Uses[id].(*types.Builtin); ok && b.Name() == "panic" {
			return true
		}
	}
	fn := c.callee(call)
	if fn == nil || fn.Pkg() == nil {
		return false
	}
	switch fn.Pkg().Path() + "." + fn.Name() {
	case "os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf", "log.Panicln", "runtime.Goexit":
		return true
	}
	return false
}

// cKeeps reports whether passing an argument to C.fn at index i hands it
// over: the C body keeps it, or we cannot tell (no body, a partial summary).
func (c *checker) cKeeps(fn string, i int) (keeps bool, why string) {
	if c.model == nil {
		return true, ""
	}
	f := c.model.Func(fn)
	if f == nil || !f.Defined || f.Partial != "" {
		return true, ""
	}
	if ev := f.StoresParam[i]; ev != nil {
		return true, ev.String()
	}
	return false, ""
}

func (c *checker) report(d analysis.Diagnostic) {
	if c.reported[d.Pos] {
		return
	}
	c.reported[d.Pos] = true
	c.v.Report(c.pass, d)
}

func (c *checker) line(p token.Pos) int { return c.v.Fset.Position(p).Line }

// analyse runs the data-flow over one function body.
func (c *checker) analyse(body *ast.BlockStmt, isMain bool) {
	fa := newFuncAnalysis(c, body)
	fa.inlineHandles()
	fa.pinArgs()
	if len(fa.objs) == 0 {
		return
	}
	fa.isMain = isMain
	fa.g = cfg.New(body, func(call *ast.CallExpr) bool { return !c.noReturn(call) })
	fa.solve()
}

// unsafePointer reports whether t is unsafe.Pointer.
func unsafePointer(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Kind() == types.UnsafePointer
}

// describe renders an expression for messages.
func describe(e ast.Expr) string { return types.ExprString(e) }
