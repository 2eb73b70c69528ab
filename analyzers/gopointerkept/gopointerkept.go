// Package gopointerkept defines an Analyzer that reports Go pointers passed to
// C functions whose C body keeps them after the call returns.
// See checks.Lookup("gopointerkept") for the documentation.
//
// What C keeps comes from csrc's StoresParam summaries of the C bodies. On the
// Go side each argument is classified, flow-insensitively per function, as a
// pointer to Go memory or not: a local variable is Go memory only when every
// value ever assigned to it is, so a variable that may hold C memory or
// something unknown is never reported. A Go function whose parameter flows
// straight to a keeping C argument keeps that parameter too (a KeepsParam
// fact, also across packages); the report is then made at its callers, where
// the memory passed is known.
package gopointerkept

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/csrc"
)

var check = checks.Lookup("gopointerkept")

// Analyzer reports Go pointers kept by C.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
	FactTypes:        []analysis.Fact{(*KeepsParam)(nil)},
}

// KeepsParam is a fact on a Go function that passes some of its pointer
// parameters on to C code that keeps them: parameter index → why.
type KeepsParam struct{ Params map[int]string }

// AFact marks KeepsParam as an analysis fact.
func (*KeepsParam) AFact() {}

func (f *KeepsParam) String() string {
	var ks []int
	for k := range f.Params {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return fmt.Sprintf("keeps%v", ks)
}

type analyzer struct {
	pass  *analysis.Pass
	v     *cgoview.View // nil for a package without cgo until a report needs it
	c     *csrc.Model   // the C side, .c files included
	info  *types.Info
	files []*ast.File
	pkg   *types.Package
	keeps map[types.Object]map[int]string // the package's own functions
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	var c *csrc.Model
	if v != nil {
		c = v.C
	}
	a := &analyzer{pass: pass, v: v, c: c, keeps: map[types.Object]map[int]string{}}
	if v != nil {
		if v.Pkg == nil {
			return nil, nil
		}
		a.info, a.files, a.pkg = v.Info, v.Files, v.Pkg
	} else {
		// Without cgo there are no C calls, but calls of other packages'
		// functions that keep their parameters.
		if !importsKeeper(pass) {
			return nil, nil
		}
		a.info, a.files, a.pkg = pass.TypesInfo, pass.Files, pass.Pkg
	}
	decls := cgoview.FuncDecls(a.files)
	// Facts of the package's own functions, to a fixed point (they only grow).
	for range 8 {
		changed := false
		for _, fd := range decls {
			if a.funcEnv(fd).summarise() {
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for _, fd := range decls {
		obj := a.info.Defs[fd.Name]
		if ps := a.keeps[obj]; len(ps) > 0 {
			if v != nil {
				obj = v.CookedObject(obj)
			}
			if obj != nil {
				pass.ExportObjectFact(obj, &KeepsParam{Params: ps})
			}
		}
	}
	for _, fd := range decls {
		a.funcEnv(fd).report()
	}
	return nil, nil
}

// importsKeeper reports whether a package without cgo imports, directly, a
// package that exported a KeepsParam fact.
func importsKeeper(pass *analysis.Pass) bool {
	for _, f := range pass.AllObjectFacts() {
		if _, ok := f.Fact.(*KeepsParam); ok && f.Object.Pkg() != pass.Pkg {
			return true
		}
	}
	return false
}

// keptArg describes one argument that a callee keeps.
type keptArg struct {
	call   *ast.CallExpr
	arg    ast.Expr
	index  int
	callee string // "C.submit" or "pkg.Register"
	why    string // evidence that it keeps it
}

// keptArgs returns the arguments of call that its callee keeps.
func (a *analyzer) keptArgs(call *ast.CallExpr) []keptArg {
	var out []keptArg
	if a.v != nil {
		if name, ok := a.v.CCall(call); ok {
			if a.c == nil {
				return nil
			}
			f := a.c.Func(name)
			if f == nil {
				return nil
			}
			for i, arg := range call.Args {
				if ev := f.StoresParam[i]; ev != nil && !deepRelativeStore(f, i, ev) {
					why := "C: " + ev.From(filepath.Dir(a.pass.Fset.Position(call.Pos()).Filename))
					out = append(out, keptArg{call, arg, i, "C." + name, why})
				}
			}
			return out
		}
	}
	fn := a.goCallee(call)
	if fn == nil {
		return nil
	}
	ps, ok := a.keeps[fn]
	if !ok && fn.Pkg() != a.pkg {
		var f KeepsParam
		if a.pass.ImportObjectFact(fn, &f) {
			ps = f.Params
		}
	}
	for i, arg := range call.Args {
		if why, ok := ps[i]; ok {
			out = append(out, keptArg{call, arg, i, a.funcName(fn), why})
		}
	}
	return out
}

func (a *analyzer) funcName(fn *types.Func) string {
	if sig, ok := fn.Type().(*types.Signature); ok && sig.Recv() != nil {
		rt := sig.Recv().Type()
		if p, ok := rt.(*types.Pointer); ok {
			rt = p.Elem()
		}
		if n, ok := rt.(*types.Named); ok {
			if fn.Pkg() != nil && fn.Pkg() != a.pkg {
				return fn.Pkg().Name() + "." + n.Obj().Name() + "." + fn.Name()
			}
			return n.Obj().Name() + "." + fn.Name()
		}
	}
	if fn.Pkg() != nil && fn.Pkg() != a.pkg {
		return fn.Pkg().Name() + "." + fn.Name()
	}
	return fn.Name()
}

// goCallee returns the Go function or method a call statically invokes.
func (a *analyzer) goCallee(call *ast.CallExpr) *types.Func {
	var id *ast.Ident
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	case *ast.IndexExpr: // generic instantiation f[T]
		if x, ok := fun.X.(*ast.Ident); ok {
			id = x
		}
	default:
		return nil
	}
	fn, _ := a.info.Uses[id].(*types.Func)
	if fn == nil {
		return nil
	}
	return fn.Origin()
}

func (a *analyzer) cName(e ast.Expr) (string, bool) {
	if a.v == nil {
		return "", false
	}
	return a.v.CName(e)
}

// funcEnv is one function declaration, its literals included: what its local
// variables are assigned, and what it pins.
type funcEnv struct {
	a       *analyzer
	fd      *ast.FuncDecl
	assigns map[*types.Var][]ast.Expr
	unknown map[*types.Var]bool // assigned something we cannot see (tuple, range, &v handed out)
	pins    []pinEvent
	unpins  []pinEvent
}

type pinEvent struct {
	pinner string // the Pinner expression, e.g. "p" or "s.pin"
	roots  []types.Object
	pos    token.Pos
	defer_ bool
}

func (a *analyzer) funcEnv(fd *ast.FuncDecl) *funcEnv {
	fe := &funcEnv{a: a, fd: fd, assigns: map[*types.Var][]ast.Expr{}, unknown: map[*types.Var]bool{}}
	info := a.info
	local := func(e ast.Expr) *types.Var {
		id, ok := ast.Unparen(e).(*ast.Ident)
		if !ok {
			return nil
		}
		v, _ := info.ObjectOf(id).(*types.Var)
		if v == nil || v.Kind() == types.PackageVar || v.IsField() {
			return nil
		}
		return v
	}
	var stack []ast.Node
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		switch n := n.(type) {
		case *ast.AssignStmt:
			if len(n.Lhs) == len(n.Rhs) && (n.Tok == token.ASSIGN || n.Tok == token.DEFINE) {
				for i, l := range n.Lhs {
					if v := local(l); v != nil {
						fe.assigns[v] = append(fe.assigns[v], n.Rhs[i])
					}
				}
			} else {
				for _, l := range n.Lhs {
					if v := local(l); v != nil {
						if n.Tok == token.ADD_ASSIGN && len(n.Lhs) == 1 {
							fe.assigns[v] = append(fe.assigns[v], &ast.BinaryExpr{X: l, Op: token.ADD, Y: n.Rhs[0]})
							continue
						}
						fe.unknown[v] = true
					}
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				v, _ := info.Defs[id].(*types.Var)
				if v == nil {
					continue
				}
				if len(n.Values) == len(n.Names) {
					fe.assigns[v] = append(fe.assigns[v], n.Values[i])
				} else if len(n.Values) > 0 {
					fe.unknown[v] = true
				}
			}
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{n.Key, n.Value} {
				if v := local(e); v != nil {
					fe.unknown[v] = true
				}
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				if v := local(n.X); v != nil {
					fe.unknown[v] = true // &v handed out: someone may store into v
				}
			}
		case *ast.CallExpr:
			fe.pinCall(n, len(stack) >= 2 && isDeferOf(stack[len(stack)-2], n))
		}
		return true
	})
	return fe
}

func isDeferOf(n ast.Node, call *ast.CallExpr) bool {
	d, ok := n.(*ast.DeferStmt)
	return ok && d.Call == call
}

// pinCall records p.Pin(x) and p.Unpin() calls on runtime.Pinner values.
func (fe *funcEnv) pinCall(call *ast.CallExpr, deferred bool) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return
	}
	fn, _ := fe.a.info.Uses[sel.Sel].(*types.Func)
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "runtime" {
		return
	}
	recv := fn.Type().(*types.Signature).Recv()
	if recv == nil || !isNamed(recv.Type(), "runtime", "Pinner") {
		return
	}
	key := types.ExprString(sel.X)
	switch fn.Name() {
	case "Pin":
		if len(call.Args) == 1 {
			fe.pins = append(fe.pins, pinEvent{pinner: key, roots: fe.roots(call.Args[0], 0), pos: call.Pos(), defer_: deferred})
		}
	case "Unpin":
		fe.unpins = append(fe.unpins, pinEvent{pinner: key, pos: call.Pos(), defer_: deferred})
	}
}

func isNamed(t types.Type, path, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path && n.Obj().Name() == name
}

// summarise computes the KeepsParam of fd and reports whether it grew.
func (fe *funcEnv) summarise() bool {
	a := fe.a
	obj := a.info.Defs[fe.fd.Name]
	if obj == nil {
		return false
	}
	changed := false
	ast.Inspect(fe.fd.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		for _, k := range a.keptArgs(call) {
			p, ok := fe.paramOf(k.arg)
			if !ok {
				continue
			}
			if a.keeps[obj] == nil {
				a.keeps[obj] = map[int]string{}
			}
			if _, seen := a.keeps[obj][p]; !seen {
				a.keeps[obj][p] = fmt.Sprintf("Go: %s passes it to %s; %s", a.funcName(obj.(*types.Func)), k.callee, k.why)
				changed = true
			}
		}
		return true
	})
	return changed
}

// paramOf reports whether e is (through conversions, &p[0], unsafe.SliceData
// and unsafe.Pointer) the value of a pointer or slice parameter of fd that
// the function never reassigns, and returns its index.
func (fe *funcEnv) paramOf(e ast.Expr) (int, bool) {
	for {
		e = ast.Unparen(e)
		switch x := e.(type) {
		case *ast.CallExpr:
			if fe.isConversion(x) && pointerLike(fe.a.info.TypeOf(x)) {
				e = x.Args[0]
				continue
			}
			if fe.isUnsafe(x, "SliceData") || fe.isUnsafe(x, "StringData") {
				e = x.Args[0]
				continue
			}
			return 0, false
		case *ast.UnaryExpr:
			if x.Op != token.AND {
				return 0, false
			}
			ix, ok := ast.Unparen(x.X).(*ast.IndexExpr)
			if !ok {
				return 0, false
			}
			if _, ok := under(fe.a.info.TypeOf(ix.X)).(*types.Slice); !ok {
				return 0, false
			}
			e = ix.X
			continue
		case *ast.Ident:
			v, _ := fe.a.info.Uses[x].(*types.Var)
			if v == nil || v.Kind() != types.ParamVar || len(fe.assigns[v]) > 0 || fe.unknown[v] {
				return 0, false
			}
			params := fe.fd.Type.Params
			if params == nil {
				return 0, false
			}
			i := 0
			for _, f := range params.List {
				for _, n := range f.Names {
					if fe.a.info.Defs[n] == v {
						return i, true
					}
					i++
				}
				if len(f.Names) == 0 {
					i++
				}
			}
			return 0, false
		default:
			return 0, false
		}
	}
}

// pointerLike reports pointers, unsafe.Pointer and slices.
func pointerLike(t types.Type) bool {
	if t == nil {
		return false
	}
	switch u := t.Underlying().(type) {
	case *types.Pointer, *types.Slice:
		return true
	case *types.Basic:
		return u.Kind() == types.UnsafePointer
	}
	return false
}

func (fe *funcEnv) isConversion(call *ast.CallExpr) bool {
	tv, ok := fe.a.info.Types[call.Fun]
	return ok && tv.IsType() && len(call.Args) == 1
}

// isUnsafe reports a call unsafe.name(...).
func (fe *funcEnv) isUnsafe(call *ast.CallExpr, name string) bool {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return false
	}
	pn, ok := fe.a.info.Uses[id].(*types.PkgName)
	return ok && pn.Imported().Path() == "unsafe" && len(call.Args) >= 1
}

func (fe *funcEnv) isBuiltin(call *ast.CallExpr, name string) bool {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	b, ok := fe.a.info.Uses[id].(*types.Builtin)
	return ok && b.Name() == name
}

// goMem is the verdict on an expression: a pointer to (or the data of) Go
// memory, with the variables it is rooted at and a description.
type goMem struct {
	ok    bool
	roots []types.Object
	what  string    // e.g. "b, a Go slice (make)"
	from  token.Pos // where the Go memory is made, when known
}

var no = goMem{}

const maxDepth = 12

// ptr classifies a pointer-valued expression (pointer, unsafe.Pointer).
func (fe *funcEnv) ptr(e ast.Expr, depth int) goMem {
	if depth > maxDepth {
		return no
	}
	info := fe.a.info
	e = ast.Unparen(e)
	switch x := e.(type) {
	case *ast.CallExpr:
		if fe.isConversion(x) {
			if !pointerLike(info.TypeOf(x)) {
				return no
			}
			at := info.TypeOf(x.Args[0])
			if at == nil || !pointerLike(at) {
				return no // from uintptr: an integer such as a handle
			}
			if _, ok := at.Underlying().(*types.Slice); ok {
				return no
			}
			return fe.ptr(x.Args[0], depth+1)
		}
		switch {
		case fe.isBuiltin(x, "new"):
			return goMem{ok: true, what: "an object made by new(" + types.ExprString(x.Args[0]) + ")", from: x.Pos()}
		case fe.isUnsafe(x, "SliceData"):
			return fe.slice(x.Args[0], depth+1)
		case fe.isUnsafe(x, "StringData"):
			return fe.str(x.Args[0], depth+1)
		case fe.isUnsafe(x, "Add"):
			return fe.ptr(x.Args[0], depth+1)
		}
		return no // a call's result: C memory, or a Go function's we do not follow
	case *ast.UnaryExpr:
		if x.Op == token.AND {
			return fe.addr(x.X, depth+1)
		}
	case *ast.Ident:
		v, _ := info.Uses[x].(*types.Var)
		if v == nil {
			return no
		}
		switch v.Kind() {
		case types.PackageVar:
			return no
		case types.ParamVar, types.RecvVar:
			if len(fe.assigns[v]) > 0 || fe.unknown[v] {
				return no
			}
			if goPointee(v.Type()) {
				return goMem{ok: true, roots: []types.Object{v}, what: fmt.Sprintf("what %s points to (a %s)", v.Name(), types.TypeString(v.Type(), types.RelativeTo(v.Pkg())))}
			}
			return no
		}
		return fe.viaVar(v, depth, fe.ptr)
	}
	return no
}

// goPointee reports a pointer type *T whose T is a Go type, not a cgo one.
func goPointee(t types.Type) bool {
	p, ok := t.Underlying().(*types.Pointer)
	if !ok {
		return false
	}
	return goType(p.Elem())
}

// goType reports a type that is not cgo's (C.x) nor unsafe.Pointer.
func goType(t types.Type) bool {
	switch u := types.Unalias(t).(type) {
	case *types.Named:
		if pkg := u.Obj().Pkg(); pkg != nil && pkg.Path() == "C" || strings.HasPrefix(u.Obj().Name(), "_Ctype_") {
			return false
		}
		return true
	case *types.Basic:
		return u.Kind() != types.UnsafePointer && u.Kind() != types.Invalid
	case *types.Array:
		return goType(u.Elem())
	}
	return true
}

// viaVar classifies a local variable by everything assigned to it: Go
// memory only when every assignment is.
func (fe *funcEnv) viaVar(v *types.Var, depth int, classify func(ast.Expr, int) goMem) goMem {
	if fe.unknown[v] {
		return no
	}
	as := fe.assigns[v]
	if len(as) == 0 {
		return no
	}
	res := goMem{ok: true, roots: []types.Object{v}}
	for _, rhs := range as {
		if id, ok := ast.Unparen(rhs).(*ast.Ident); ok && id.Name == "nil" {
			continue // nil points to nothing
		}
		m := classify(rhs, depth+1)
		if !m.ok {
			return no
		}
		res.roots = append(res.roots, m.roots...)
		if res.what == "" {
			res.what, res.from = m.what, m.from
		}
	}
	if res.what == "" {
		return no
	}
	return res
}

// addr classifies &x.
func (fe *funcEnv) addr(x ast.Expr, depth int) goMem {
	if depth > maxDepth {
		return no
	}
	info := fe.a.info
	x = ast.Unparen(x)
	if _, ok := fe.a.cName(x); ok {
		return no // &C.var: C memory
	}
	switch x := x.(type) {
	case *ast.Ident:
		v, _ := info.Uses[x].(*types.Var)
		if v == nil || v.Kind() == types.PackageVar {
			return no // a package-level variable is never freed
		}
		if isNamed(v.Type(), "runtime/cgo", "Handle") {
			return no // &h of a handle: handlepin's report
		}
		return goMem{ok: true, roots: []types.Object{v}, what: "variable " + v.Name()}
	case *ast.CompositeLit:
		return goMem{ok: true, what: "a composite literal " + types.ExprString(x.Type) + "{...}", from: x.Pos()}
	case *ast.SelectorExpr:
		sel := info.Selections[x]
		if sel == nil || sel.Kind() != types.FieldVal {
			return no
		}
		if _, ok := under(info.TypeOf(x.X)).(*types.Pointer); ok {
			if len(sel.Index()) > 1 {
				return no // through embedded fields: keep it simple
			}
			return fe.field(fe.ptr(x.X, depth+1), x)
		}
		if sel.Indirect() {
			return no // an embedded pointer on the way
		}
		return fe.field(fe.addr(x.X, depth+1), x)
	case *ast.IndexExpr:
		switch t := under(info.TypeOf(x.X)).(type) {
		case *types.Array:
			return fe.addr(x.X, depth+1)
		case *types.Pointer:
			if _, ok := t.Elem().Underlying().(*types.Array); ok {
				return fe.ptr(x.X, depth+1)
			}
		case *types.Slice:
			return fe.slice(x.X, depth+1)
		}
	case *ast.StarExpr:
		return fe.ptr(x.X, depth+1)
	}
	return no
}

func (fe *funcEnv) field(m goMem, x *ast.SelectorExpr) goMem {
	if !m.ok {
		return no
	}
	m.what = "field " + x.Sel.Name + " of " + m.what
	return m
}

// slice classifies the backing array of a slice expression.
func (fe *funcEnv) slice(e ast.Expr, depth int) goMem {
	if depth > maxDepth {
		return no
	}
	info := fe.a.info
	e = ast.Unparen(e)
	switch x := e.(type) {
	case *ast.CompositeLit:
		return goMem{ok: true, what: "a slice literal", from: x.Pos()}
	case *ast.CallExpr:
		switch {
		case fe.isBuiltin(x, "make"):
			return goMem{ok: true, what: "memory made by make", from: x.Pos()}
		case fe.isBuiltin(x, "append"):
			return fe.slice(x.Args[0], depth+1)
		case fe.isUnsafe(x, "Slice"):
			return fe.ptr(x.Args[0], depth+1)
		case fe.isConversion(x):
			at := info.TypeOf(x.Args[0])
			if at == nil {
				return no
			}
			if b, ok := at.Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 {
				return goMem{ok: true, what: "a copy of a string", from: x.Pos()}
			}
			if _, ok := at.Underlying().(*types.Slice); ok {
				return fe.slice(x.Args[0], depth+1)
			}
		}
		return no
	case *ast.SliceExpr:
		switch t := under(info.TypeOf(x.X)).(type) {
		case *types.Array:
			return fe.addr(x.X, depth+1)
		case *types.Pointer:
			if _, ok := t.Elem().Underlying().(*types.Array); ok {
				return fe.ptr(x.X, depth+1)
			}
		case *types.Slice:
			return fe.slice(x.X, depth+1)
		}
		return no
	case *ast.Ident:
		v, _ := info.Uses[x].(*types.Var)
		if v == nil {
			return no
		}
		switch v.Kind() {
		case types.PackageVar:
			return no
		case types.ParamVar:
			if len(fe.assigns[v]) > 0 || fe.unknown[v] {
				return no
			}
			if s, ok := v.Type().Underlying().(*types.Slice); ok && goType(s.Elem()) {
				return goMem{ok: true, roots: []types.Object{v}, what: "the data of slice parameter " + v.Name()}
			}
			return no
		}
		m := fe.viaVar(v, depth, fe.slice)
		if m.ok {
			m.what = "the data of slice " + v.Name() + ", " + m.what
		}
		return m
	}
	return no
}

// str classifies the bytes of a string expression: Go memory when it is made
// at run time (constants live in read-only static data).
func (fe *funcEnv) str(e ast.Expr, depth int) goMem {
	if depth > maxDepth {
		return no
	}
	info := fe.a.info
	e = ast.Unparen(e)
	if tv, ok := info.Types[e]; ok && tv.Value != nil {
		return no
	}
	switch x := e.(type) {
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			return goMem{ok: true, what: "a string built at run time", from: x.Pos()}
		}
	case *ast.CallExpr:
		if fe.isConversion(x) {
			at := info.TypeOf(x.Args[0])
			if at == nil {
				return no
			}
			if b, ok := at.Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 {
				return fe.str(x.Args[0], depth+1)
			}
			return goMem{ok: true, what: "a string converted at run time", from: x.Pos()}
		}
		if name, ok := fe.a.cName(x.Fun); ok && strings.HasPrefix(name, "GoString") {
			return goMem{ok: true, what: "a Go copy made by C." + name, from: x.Pos()}
		}
		if fn := fe.a.goCallee(x); fn != nil && fn.Pkg() != nil {
			switch fn.Pkg().Path() + "." + fn.Name() {
			case "fmt.Sprintf", "fmt.Sprint", "fmt.Sprintln", "strings.Join", "strings.Repeat":
				return goMem{ok: true, what: "a string made by " + fn.Pkg().Name() + "." + fn.Name(), from: x.Pos()}
			}
		}
	case *ast.Ident:
		v, _ := info.Uses[x].(*types.Var)
		if v == nil || v.Kind() != types.LocalVar {
			return no
		}
		m := fe.viaVar(v, depth, fe.str)
		if m.ok {
			m.what = "the bytes of string " + v.Name() + ", " + m.what
		}
		return m
	}
	return no
}

// arg classifies any argument by its type.
func (fe *funcEnv) arg(e ast.Expr) goMem {
	t := fe.a.info.TypeOf(e)
	if t == nil {
		return no
	}
	switch u := t.Underlying().(type) {
	case *types.Slice:
		return fe.slice(e, 0)
	case *types.Pointer:
		return fe.ptr(e, 0)
	case *types.Basic:
		if u.Kind() == types.UnsafePointer {
			return fe.ptr(e, 0)
		}
	}
	return no
}

// roots returns the variables a pointer expression is rooted at, for
// matching Pin calls: &x, &x.f, &s[i], p, unsafe.Pointer(p), SliceData(s).
func (fe *funcEnv) roots(e ast.Expr, depth int) []types.Object {
	if depth > maxDepth {
		return nil
	}
	info := fe.a.info
	e = ast.Unparen(e)
	switch x := e.(type) {
	case *ast.CallExpr:
		if fe.isConversion(x) || fe.isUnsafe(x, "SliceData") || fe.isUnsafe(x, "StringData") || fe.isUnsafe(x, "Add") {
			return fe.roots(x.Args[0], depth+1)
		}
	case *ast.UnaryExpr:
		return fe.roots(x.X, depth+1)
	case *ast.StarExpr:
		return fe.roots(x.X, depth+1)
	case *ast.SelectorExpr:
		return fe.roots(x.X, depth+1)
	case *ast.IndexExpr:
		return fe.roots(x.X, depth+1)
	case *ast.SliceExpr:
		return fe.roots(x.X, depth+1)
	case *ast.Ident:
		v, _ := info.Uses[x].(*types.Var)
		if v == nil {
			return nil
		}
		out := []types.Object{v}
		if !fe.unknown[v] {
			for _, rhs := range fe.assigns[v] {
				out = append(out, fe.roots(rhs, depth+1)...)
			}
		}
		return out
	}
	return nil
}

// pinned reports whether a Pin of the same object precedes the call on a
// Pinner that is not unpinned between the Pin and the call.
func (fe *funcEnv) pinned(m goMem, call token.Pos) bool {
	for _, p := range fe.pins {
		if p.pos >= call || p.defer_ || !overlap(p.roots, m.roots) {
			continue
		}
		unpinned := false
		for _, u := range fe.unpins {
			if u.pinner == p.pinner && !u.defer_ && p.pos < u.pos && u.pos < call {
				unpinned = true
			}
		}
		if !unpinned {
			return true
		}
	}
	return false
}

func overlap(a, b []types.Object) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// report reports the calls of fd that hand Go memory to a keeping callee.
func (fe *funcEnv) report() {
	ast.Inspect(fe.fd.Body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		for _, k := range fe.a.keptArgs(call) {
			if _, isParam := fe.paramOf(k.arg); isParam {
				continue // the callers are told, through the KeepsParam fact
			}
			m := fe.arg(k.arg)
			if !m.ok || fe.pinned(m, call.Pos()) {
				continue
			}
			fe.a.report(k, m)
		}
		return true
	})
}

func (a *analyzer) report(k keptArg, m goMem) {
	if a.v == nil {
		v, err := cgoview.Build(a.pass.Fset, a.pass.Pkg, a.pass.Files, a.pass.TypesSizes, cgoview.DB)
		if err != nil {
			return
		}
		a.v = v
	}
	what := m.what
	if m.from.IsValid() && a.line(m.from) != a.line(k.arg.Pos()) {
		what += fmt.Sprintf(" (line %d)", a.line(m.from))
	}
	msg := fmt.Sprintf("%s keeps this Go pointer after the call returns: %s points to Go memory, %s. %s. "+
		"Once the call returns nothing keeps that memory alive, so the GC may free and reuse it while C still uses it; "+
		"cmd/cgo: \"C code may not keep a copy of a Go pointer after the call returns, unless the memory it points to is pinned\". "+
		"Give C memory it owns (C.malloc, C.CBytes), pin it with a runtime.Pinner until C lets go, or pass a runtime/cgo.Handle",
		k.callee, types.ExprString(k.arg), what, k.why)
	a.v.Report(a.pass, analysis.Diagnostic{Pos: k.arg.Pos(), End: k.arg.End(), Message: msg})
}

func (a *analyzer) line(p token.Pos) int { return a.pass.Fset.Position(p).Line }

// under returns t's underlying type; nil for a missing type (a package
// analysed with C types unknown).
func under(t types.Type) types.Type {
	if t == nil {
		return nil
	}
	return t.Underlying()
}

// deepRelativeStore reports a store of parameter i into memory reachable from
// another parameter that happens more than one call below the called function.
// Such stores are, in real libraries, mostly bookkeeping inside a context
// object (zstd's window.nextSrc after ZSTD_compress_usingCDict, a cursor)
// that the library resets before it would read them again; csrc cannot tell
// that from a store that matters, so, preferring silence to a false report,
// only direct relative stores (the called function or its direct callee) and
// stores into storage that outlives the call (globals, threads) are reported.
func deepRelativeStore(f *csrc.Func, i int, ev *csrc.Evidence) bool {
	into, ok := f.StoresInto[i]
	return ok && into >= 0 && len(ev.Via) > 2
}
