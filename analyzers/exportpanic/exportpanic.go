// Package exportpanic defines an Analyzer that reports //export functions
// that may let a panic escape into their C caller.
// See checks.Lookup("exportpanic") for the documentation.
//
// A panic site is an explicit panic(...), a log.Panic* call, a call of a
// must-style helper (Must*, must*) with a non-constant argument, or a call of
// a function of the same package that has an unprotected panic site itself
// (computed to a fixed point). Run-time panics (index out of range, nil
// dereference, failed type assertion) are deliberately not sites: every
// function has them, and reporting them all would bury the real ones. A site
// is protected when every path from the function's entry to it goes through
// a defer of a function that calls recover() and does not panic again.
package exportpanic

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/cfg"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/checks"
)

var check = checks.Lookup("exportpanic")

// Analyzer reports exported Go functions that may panic into C.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
}

// site is an unprotected panic site of a function.
type site struct {
	pos, end token.Pos
	what     string   // e.g. "panic", "log.Panicf", "a call of mustParse, which panics"
	chain    []string // for calls of panicking functions: the callee chain
	root     token.Pos
}

type checker struct {
	pass   *analysis.Pass
	v      *cgoview.View
	panics map[*types.Func]*site // the package's functions with an unprotected panic site
	decls  map[*types.Func]*ast.FuncDecl
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	if v == nil || v.Pkg == nil {
		return nil, nil
	}
	c := &checker{pass: pass, v: v, panics: map[*types.Func]*site{}, decls: map[*types.Func]*ast.FuncDecl{}}
	var exported []*ast.FuncDecl
	for _, f := range v.Files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			if fn, ok := v.Info.Defs[fd.Name].(*types.Func); ok {
				c.decls[fn] = fd
			}
			if cgoview.ExportName(fd) != "" {
				exported = append(exported, fd)
			}
		}
	}
	if len(exported) == 0 {
		return nil, nil
	}
	// Summaries grow monotonically; a chain of n helpers needs n rounds.
	for changed := true; changed; {
		changed = false
		for fn, fd := range c.decls {
			if c.panics[fn] != nil {
				continue
			}
			if s := c.firstUnprotected(fd.Body); s != nil {
				c.panics[fn] = s
				changed = true
			}
		}
	}
	for _, fd := range exported {
		if s := c.firstUnprotected(fd.Body); s != nil {
			c.report(fd, s)
		}
	}
	return nil, nil
}

// firstUnprotected returns the first panic site of body that some path
// reaches without a recovering defer in place.
func (c *checker) firstUnprotected(body *ast.BlockStmt) *site {
	g := cfg.New(body, func(call *ast.CallExpr) bool { return !c.isPanicBuiltin(call) })
	// protected[b]: every path from the entry to the start of b has run a
	// recovering defer statement. A must-analysis: start at true, lower.
	protected := make([]bool, len(g.Blocks))
	for i := range protected {
		protected[i] = true
	}
	if len(g.Blocks) == 0 {
		return nil
	}
	protected[0] = false
	preds := make([][]int, len(g.Blocks))
	for _, b := range g.Blocks {
		for _, s := range b.Succs {
			preds[s.Index] = append(preds[s.Index], int(b.Index))
		}
	}
	out := func(b *cfg.Block) bool {
		if protected[b.Index] {
			return true
		}
		for _, n := range b.Nodes {
			if d, ok := n.(*ast.DeferStmt); ok && c.recovers(d) {
				return true
			}
		}
		return false
	}
	for changed := true; changed; {
		changed = false
		for _, b := range g.Blocks {
			if b.Index == 0 || !protected[b.Index] {
				continue
			}
			for _, p := range preds[b.Index] {
				if !out(g.Blocks[p]) {
					protected[b.Index] = false
					changed = true
					break
				}
			}
		}
	}
	var first *site
	for _, b := range g.Blocks {
		if !b.Live || protected[b.Index] {
			continue
		}
		for _, n := range b.Nodes {
			if d, ok := n.(*ast.DeferStmt); ok && c.recovers(d) {
				break
			}
			if s := c.siteIn(n); s != nil && (first == nil || s.pos < first.pos) {
				first = s
			}
		}
	}
	return first
}

// siteIn returns the first panic site evaluated by the CFG node n (function
// literals count only when called on the spot; deferred and go'd calls run
// elsewhere or later).
func (c *checker) siteIn(n ast.Node) *site {
	var found *site
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.DeferStmt, *ast.GoStmt:
			return false
		case *ast.CallExpr:
			if lit, ok := ast.Unparen(n.Fun).(*ast.FuncLit); ok {
				ast.Inspect(lit.Body, visit)
			}
			found = c.callSite(n)
		}
		return found == nil
	}
	ast.Inspect(n, visit)
	return found
}

// callSite reports whether call is a panic site.
func (c *checker) callSite(call *ast.CallExpr) *site {
	if c.isPanicBuiltin(call) {
		return &site{pos: call.Pos(), end: call.End(), what: "panic", root: call.Pos()}
	}
	fn := c.callee(call)
	if fn == nil {
		return nil
	}
	if pkg := fn.Pkg(); pkg != nil && pkg.Path() == "log" && strings.HasPrefix(fn.Name(), "Panic") {
		return &site{pos: call.Pos(), end: call.End(), what: "log." + fn.Name(), root: call.Pos()}
	}
	if s := c.panics[fn]; s != nil {
		chain := append([]string{fn.Name()}, s.chain...)
		return &site{pos: call.Pos(), end: call.End(), what: fmt.Sprintf("a call of %s, which may panic", fn.Name()), chain: chain, root: s.root}
	}
	if name := fn.Name(); (strings.HasPrefix(name, "Must") || strings.HasPrefix(name, "must")) && c.decls[fn] == nil && !c.constArgs(call) {
		// A must-style helper panics on error by convention; with constant
		// arguments it either always or never fails, which a test shows.
		return &site{pos: call.Pos(), end: call.End(), what: fmt.Sprintf("a call of the must-style %s, which panics on error", qualified(fn)), root: call.Pos()}
	}
	return nil
}

func (c *checker) constArgs(call *ast.CallExpr) bool {
	for _, a := range call.Args {
		if tv, ok := c.v.Info.Types[a]; !ok || tv.Value == nil {
			// template.Must(template.New(...).Parse("...")): a call whose
			// own arguments are constants is as fixed as a constant.
			inner, ok := ast.Unparen(a).(*ast.CallExpr)
			if !ok || !c.constArgs(inner) || !c.constReceiver(inner) {
				return false
			}
		}
	}
	return true
}

// constReceiver reports whether a method call's receiver chain is made of
// calls with constant arguments (template.New("x").Parse(...)).
func (c *checker) constReceiver(call *ast.CallExpr) bool {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return true
	}
	if _, isPkg := c.v.Info.Uses[identOf(sel.X)].(*types.PkgName); isPkg {
		return true
	}
	inner, ok := ast.Unparen(sel.X).(*ast.CallExpr)
	return ok && c.constArgs(inner) && c.constReceiver(inner)
}

func identOf(e ast.Expr) *ast.Ident {
	id, _ := ast.Unparen(e).(*ast.Ident)
	return id
}

func qualified(fn *types.Func) string {
	if sig, ok := fn.Type().(*types.Signature); ok && sig.Recv() != nil {
		return fn.Name()
	}
	if fn.Pkg() != nil {
		return fn.Pkg().Name() + "." + fn.Name()
	}
	return fn.Name()
}

// callee returns the statically called function or method.
func (c *checker) callee(call *ast.CallExpr) *types.Func { return c.v.StaticCallee(call) }

func (c *checker) isPanicBuiltin(call *ast.CallExpr) bool {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	b, ok := c.v.Info.Uses[id].(*types.Builtin)
	return ok && b.Name() == "panic"
}

// recovers reports whether a defer statement runs a function that calls
// recover() directly (recover has no effect elsewhere) and does not panic
// again afterwards.
func (c *checker) recovers(d *ast.DeferStmt) bool {
	var body *ast.BlockStmt
	switch fun := ast.Unparen(d.Call.Fun).(type) {
	case *ast.FuncLit:
		body = fun.Body
	default:
		if fn := c.callee(d.Call); fn != nil {
			if fd := c.decls[fn]; fd != nil {
				body = fd.Body
			}
		}
	}
	if body == nil {
		return false
	}
	calls, repanics := false, false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false // recover in a nested function does not stop the panic
		case *ast.CallExpr:
			if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok {
				if b, ok := c.v.Info.Uses[id].(*types.Builtin); ok && b.Name() == "recover" {
					calls = true
				}
			}
			if c.callSite(n) != nil {
				repanics = true
			}
		}
		return true
	})
	return calls && !repanics
}

func (c *checker) report(fd *ast.FuncDecl, s *site) {
	// A directive at the panic a callee reaches covers every callback that
	// reaches it: an assertion in a shared helper is one decision, not one
	// per callback.
	if len(s.chain) > 0 && s.root.IsValid() && c.v.Ignored(s.root, c.pass.Analyzer.Name) {
		return
	}
	name := fd.Name.Name
	msg := fmt.Sprintf("%s is exported to C and may panic here (%s) with no deferred recover in place: the panic unwinds past the C frames that called %s without running them, so C's cleanup after the callback (unlock, free, error path) is skipped, and if no Go code above recovers, the process dies (runtime/cgocall.go: the g0 and goroutine stacks are unwound in lock step). Defer a function that recovers at the top of %s and returns an error code C can handle",
		name, s.what, name, name)
	d := analysis.Diagnostic{Pos: s.pos, End: s.end, Message: msg}
	if len(s.chain) > 0 && s.root != s.pos {
		d.Related = append(d.Related, analysis.RelatedInformation{Pos: s.root, Message: "the panic, via " + strings.Join(s.chain, " → ")})
	}
	if fix, ok := c.fix(fd); ok {
		d.SuggestedFixes = []analysis.SuggestedFix{fix}
	}
	c.v.Report(c.pass, d)
}

// fix inserts, at the top of fd, a deferred function that recovers, logs the
// panic and turns it into an error result for C: -1 for the first integer
// result (C's usual error convention; adapt it to the API), nil for pointers.
// Unnamed results are named so that the deferred function can set them.
func (c *checker) fix(fd *ast.FuncDecl) (analysis.SuggestedFix, bool) {
	var edits []analysis.TextEdit
	var assigns []string
	if res := fd.Type.Results; res != nil {
		unnamed := len(res.List) > 0 && len(res.List[0].Names) == 0
		i := 0
		for _, field := range res.List {
			names := make([]string, 0, 1)
			if unnamed {
				name := "rc"
				if i > 0 {
					name = fmt.Sprintf("r%d", i)
				}
				if c.taken(fd, name) {
					return analysis.SuggestedFix{}, false
				}
				edits = append(edits, analysis.TextEdit{Pos: field.Type.Pos(), End: field.Type.Pos(), NewText: []byte(name + " ")})
				names = append(names, name)
				i++
			} else {
				for _, id := range field.Names {
					names = append(names, id.Name)
				}
			}
			t := c.v.Info.TypeOf(field.Type)
			for _, name := range names {
				if name == "_" {
					return analysis.SuggestedFix{}, false
				}
				switch u := t.Underlying().(type) {
				case *types.Basic:
					if u.Info()&types.IsInteger != 0 && !hasInt(assigns) {
						assigns = append(assigns, name+" = -1")
					} else if u.Kind() == types.UnsafePointer {
						assigns = append(assigns, name+" = nil")
					}
				case *types.Pointer:
					assigns = append(assigns, name+" = nil")
				}
			}
		}
		if unnamed && !res.Opening.IsValid() {
			edits[0].NewText = []byte("(" + string(edits[0].NewText))
			edits = append(edits, analysis.TextEdit{Pos: res.End(), End: res.End(), NewText: []byte(")")})
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n\t// A panic must not unwind into C: C's frames would be skipped, not run.\n")
	fmt.Fprintf(&b, "\tdefer func() {\n\t\tif r := recover(); r != nil {\n\t\t\tlog.Printf(\"%s: %%v\", r)\n", fd.Name.Name)
	for _, a := range assigns {
		fmt.Fprintf(&b, "\t\t\t%s\n", a)
	}
	b.WriteString("\t\t}\n\t}()")
	edits = append(edits, analysis.TextEdit{Pos: fd.Body.Lbrace + 1, End: fd.Body.Lbrace + 1, NewText: []byte(b.String())})
	if f := c.fileOf(fd); f != nil && !importsLog(f) {
		last := f.Imports[len(f.Imports)-1]
		var end token.Pos = last.End()
		for _, d := range f.Decls {
			if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT && gd.Pos() <= last.Pos() && last.End() <= gd.End() {
				end = gd.End()
			}
		}
		edits = append(edits, analysis.TextEdit{Pos: end, End: end, NewText: []byte("\n\nimport \"log\"")})
	}
	return analysis.SuggestedFix{Message: "recover in " + fd.Name.Name + " and return an error code to C", TextEdits: edits}, true
}

func hasInt(assigns []string) bool {
	for _, a := range assigns {
		if strings.HasSuffix(a, "= -1") {
			return true
		}
	}
	return false
}

// taken reports whether name is already declared in fd's signature or body.
func (c *checker) taken(fd *ast.FuncDecl, name string) bool {
	found := false
	ast.Inspect(fd, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == name {
			if _, def := c.v.Info.Defs[id]; def {
				found = true
			}
		}
		return !found
	})
	return found
}

func (c *checker) fileOf(fd *ast.FuncDecl) *ast.File {
	for _, f := range c.v.Files {
		if f.FileStart <= fd.Pos() && fd.End() <= f.FileEnd {
			return f
		}
	}
	return nil
}

func importsLog(f *ast.File) bool {
	for _, imp := range f.Imports {
		if imp.Path.Value == `"log"` && (imp.Name == nil || imp.Name.Name == "log") {
			return true
		}
	}
	return false
}
