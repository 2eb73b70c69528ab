// Package cthreadlocal defines an Analyzer that reports C thread-local
// results read after the goroutine may have moved to another OS thread.
// See checks.Lookup("cthreadlocal") for the documentation.
//
// Which C functions return thread-local memory comes from csrc's
// ReturnsThreadLocal summary of the C body (or the knowledge base). Each
// function body is analysed over its control-flow graph (go/cfg), in
// evaluation order within statements. The state is: whether
// runtime.LockOSThread is in effect on every path (must); the cgo calls with
// no scheduling point since (may); the cgo calls followed by a scheduling
// point while the thread was not locked (may); and, per local variable
// holding a thread-local result, whether it is fresh or exposed (may).
// Scheduling points are channel operations (send, receive, select, range over
// a channel), calls of Go functions, methods and closures (a call's prologue
// is where the runtime preempts), and cgo calls (a call that blocked may return
// on a thread without a P and resume on another).
package cthreadlocal

import (
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"

	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/csrc"
)

var check = checks.Lookup("cthreadlocal")

// Analyzer reports thread-local C results read after a scheduling point.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
}

type checker struct {
	pass *analysis.Pass
	v    *cgoview.View
	c    *csrc.Model
	// lockedEntry holds the package's functions that are only ever called
	// with the OS thread locked.
	lockedEntry map[types.Object]bool
	// getters holds the package's functions that read C thread-local state
	// before any scheduling point of their own: calling one is like calling
	// the C getter.
	getters  map[types.Object]*tlCall
	reported map[token.Pos]bool
	// collecting is set while call sites' lock states are being gathered.
	collecting bool
	sites      map[types.Object][]bool // function → lock state at each call site
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	if v == nil || v.Pkg == nil {
		return nil, nil
	}
	k := &checker{pass: pass, v: v, c: v.C, lockedEntry: map[types.Object]bool{}, getters: map[types.Object]*tlCall{}, reported: map[token.Pos]bool{}}
	decls := cgoview.FuncDecls(v.Files)
	if !k.usesThreadLocal(decls) {
		return nil, nil
	}
	k.findGetters(decls)
	k.findLockedEntries(decls)
	for _, fd := range decls {
		k.analyse(fd.Body, k.lockedEntry[v.Info.Defs[fd.Name]])
	}
	return nil, nil
}

// tlCall is a call whose result points into C thread-local storage.
type tlCall struct {
	name  string // "C.lib_last_error", or a Go function's name
	ev    string // the C evidence
	state bool   // a getter of state left by earlier calls (no value arguments)
}

// usesThreadLocal reports whether the package calls any C function that
// returns thread-local memory (most packages do not: skip them cheaply).
func (k *checker) usesThreadLocal(decls []*ast.FuncDecl) bool {
	found := false
	for _, fd := range decls {
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && k.cThreadLocal(call) != nil {
				found = true
			}
			return !found
		})
	}
	return found
}

// cThreadLocal returns the thread-local facts of a C call, or nil.
func (k *checker) cThreadLocal(call *ast.CallExpr) *tlCall {
	if !k.isCgoCall(call) {
		return nil
	}
	name, _ := k.v.CCall(call)
	ev := ""
	if k.c != nil {
		if f := k.c.Func(name); f != nil && f.ReturnsThreadLocal != nil {
			ev = f.ReturnsThreadLocal.From(filepath.Dir(k.pass.Fset.Position(call.Pos()).Filename))
		}
	}
	if ev == "" && k.v.DB.ThreadLocalResult(name) {
		ev = name + " returns a pointer into thread-local storage (knowledge base)"
	}
	if ev == "" {
		return nil
	}
	return &tlCall{name: "C." + name, ev: ev, state: k.pointerArgsOnly(call)}
}

// pointerArgsOnly reports a call whose arguments are all pointers (or none):
// a thread-local getter that takes no value to compute its result from
// returns state that earlier calls left (dlerror(), git_error_last()), unlike
// strerror(errnum).
func (k *checker) pointerArgsOnly(call *ast.CallExpr) bool {
	for _, a := range call.Args {
		t := k.v.Info.TypeOf(a)
		if t == nil {
			return false
		}
		switch u := t.Underlying().(type) {
		case *types.Pointer:
		case *types.Basic:
			if u.Kind() != types.UnsafePointer && u.Kind() != types.UntypedNil {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// findGetters finds Go functions whose first scheduling-relevant event is a
// call of a state getter: their callers read the state.
func (k *checker) findGetters(decls []*ast.FuncDecl) {
	for range 4 {
		changed := false
		for _, fd := range decls {
			obj := k.v.Info.Defs[fd.Name]
			if obj == nil || k.getters[obj] != nil {
				continue
			}
			if g := k.firstGetter(fd.Body); g != nil {
				k.getters[obj] = g
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

// firstGetter returns the state getter that body calls before any cgo call,
// Go call or channel operation in source order, on its straight-line start.
func (k *checker) firstGetter(body *ast.BlockStmt) *tlCall {
	var out *tlCall
	stop := false
	for _, st := range body.List {
		walk(st, func(n ast.Node) bool {
			switch n.(type) {
			case *ast.FuncLit, *ast.GoStmt, *ast.DeferStmt:
				return false
			}
			return !stop
		}, func(n ast.Node, _ []ast.Node) {
			if stop {
				return
			}
			switch n := n.(type) {
			case *ast.SendStmt, *ast.SelectStmt:
				stop = true
			case *ast.UnaryExpr:
				if n.Op == token.ARROW {
					stop = true
				}
			case *ast.CallExpr:
				if tl := k.getterCall(n); tl != nil && tl.state {
					out, stop = &tlCall{name: tl.name, ev: tl.ev, state: true}, true
				} else if k.schedCall(n) || k.isCgoCall(n) {
					stop = true
				}
			}
		})
		if stop {
			break
		}
		switch st.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt, *ast.BlockStmt, *ast.LabeledStmt, *ast.ReturnStmt:
			return out // control flow: keep it simple
		}
	}
	return out
}

// getterCall returns the thread-local facts of a C call or of a call of a
// package function that reads thread-local state first.
func (k *checker) getterCall(call *ast.CallExpr) *tlCall {
	if tl := k.cThreadLocal(call); tl != nil {
		return tl
	}
	if fn := k.v.StaticCallee(call); fn != nil {
		if g := k.getters[fn]; g != nil {
			return &tlCall{name: fn.Name(), ev: "it calls " + g.name + ", which " + g.ev, state: true}
		}
	}
	return nil
}

// findLockedEntries finds the functions only ever called with the thread
// locked: main.main when an init function locks it, and unexported
// functions whose every use is a call made while locked (to a fixed point).
func (k *checker) findLockedEntries(decls []*ast.FuncDecl) {
	if k.v.Pkg.Name() == "main" {
		for _, fd := range decls {
			if fd.Recv == nil && fd.Name.Name == "init" && k.locksAtTop(fd.Body) {
				if m := k.v.Pkg.Scope().Lookup("main"); m != nil {
					k.lockedEntry[m] = true
				}
			}
		}
	}
	// Functions used other than by a direct call cannot be judged.
	escapes := k.v.EscapingFuncs()
	for range 6 {
		k.sites = map[types.Object][]bool{}
		k.collecting = true
		for _, fd := range decls {
			k.analyse(fd.Body, k.lockedEntry[k.v.Info.Defs[fd.Name]])
		}
		k.collecting = false
		changed := false
		for _, fd := range decls {
			obj := k.v.Info.Defs[fd.Name]
			if obj == nil || k.lockedEntry[obj] || escapes[obj] || obj.Exported() || fd.Name.Name == "main" || fd.Name.Name == "init" {
				continue
			}
			sites := k.sites[obj]
			all := len(sites) > 0
			for _, locked := range sites {
				all = all && locked
			}
			if all {
				k.lockedEntry[obj] = true
				changed = true
			}
		}
		if !changed {
			break
		}
	}
}

// locksAtTop reports a body whose top level calls runtime.LockOSThread and
// never UnlockOSThread.
func (k *checker) locksAtTop(body *ast.BlockStmt) bool {
	locks := false
	for _, st := range body.List {
		if es, ok := st.(*ast.ExprStmt); ok {
			if call, ok := es.X.(*ast.CallExpr); ok && k.runtimeCall(call) == "LockOSThread" {
				locks = true
			}
		}
	}
	unlocks := false
	ast.Inspect(body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok && k.runtimeCall(call) == "UnlockOSThread" {
			unlocks = true
		}
		return true
	})
	return locks && !unlocks
}

// runtimeCall returns f for a call runtime.f(...).
func (k *checker) runtimeCall(call *ast.CallExpr) string {
	fn := k.v.StaticCallee(call)
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "runtime" {
		return ""
	}
	return fn.Name()
}

// pseudo are cgo's Go-side helpers: they copy, they do not call C code
// that could touch thread-local state, and they are where results are read.
var pseudo = map[string]bool{"GoString": true, "GoStringN": true, "GoBytes": true, "CString": true, "CBytes": true}

// isCgoCall reports a call of a C function (not a conversion C.int(x), not
// one of cgo's helpers).
func (k *checker) isCgoCall(call *ast.CallExpr) bool {
	name, ok := k.v.CCall(call)
	if !ok || pseudo[name] {
		return false
	}
	tv, ok := k.v.Info.Types[call.Fun]
	return !ok || !tv.IsType()
}

// schedCall reports a call of Go code: a function, method or closure, but
// not a builtin, a conversion, unsafe, cgo's helpers, a C function, or
// runtime.LockOSThread/UnlockOSThread.
func (k *checker) schedCall(call *ast.CallExpr) bool {
	if _, ok := k.v.CCall(call); ok {
		return false
	}
	if tv, ok := k.v.Info.Types[call.Fun]; ok && tv.IsType() {
		return false
	}
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		if _, ok := k.v.Info.Uses[fun].(*types.Builtin); ok {
			return false
		}
	case *ast.SelectorExpr:
		if _, ok := k.v.Info.Uses[fun.Sel].(*types.Builtin); ok {
			return false // unsafe.Pointer arithmetic helpers
		}
	}
	switch k.runtimeCall(call) {
	case "LockOSThread", "UnlockOSThread", "KeepAlive":
		return false
	}
	return true
}

// walk visits n's subtree in evaluation order: visit is called on each node
// after its children, with the node's ancestors within n. enter is called
// before a node's children; when it returns false the node and its subtree
// are skipped.
func walk(n ast.Node, enter func(ast.Node) bool, visit func(n ast.Node, parents []ast.Node)) {
	var stack []ast.Node
	var rec func(ast.Node)
	rec = func(n ast.Node) {
		if !enter(n) {
			return
		}
		stack = append(stack, n)
		ast.Inspect(n, func(c ast.Node) bool {
			if c == n {
				return true
			}
			if c != nil {
				rec(c)
			}
			return false
		})
		stack = stack[:len(stack)-1]
		visit(n, stack)
	}
	rec(n)
}
