// Package nestedgopointer defines an Analyzer that reports Go memory holding
// unpinned Go pointers passed to C. See checks.Lookup("nestedgopointer").
//
// For each argument of a C call that points to Go memory of this function —
// &x, &x.f, &a[i] of a local variable x or array a, a local pointer from
// new(T) or &T{...}, the backing array of a local slice, an inline &T{...},
// through any conversions — the analysis collects what the function stored
// into that memory before the call (the composite literal that initialised
// it, then assignments x.f = v, p.f = v, a[i] = v, in source order; for a
// field the last store wins, for elements any store counts) and reports a
// stored value that is certainly a pointer to the Go heap: the address of a
// local variable or composite literal, new, make, a slice or string built in
// Go, an element of a slice parameter. Values whose origin is unknown
// (pointer parameters, function results, globals, C memory) are never
// reported, nor are values pinned by a local runtime.Pinner before the call.
package nestedgopointer

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/checks"
)

var check = checks.Lookup("nestedgopointer")

// Analyzer reports Go pointers to unpinned Go pointers passed to C.
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
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	if v == nil || v.Pkg == nil {
		return nil, nil
	}
	c := &checker{pass: pass, v: v}
	for _, f := range v.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				c.function(fd.Body, fd.Type)
			}
		}
	}
	return nil, nil
}

// fn is what one function body stores and pins.
type fn struct {
	c      *checker
	body   *ast.BlockStmt
	params map[*types.Var]bool
	stores []store
	pins   []pin
	// foreignPinner: a Pinner we do not follow (a parameter, a field) is in
	// use, so the caller may have pinned what we see: stay silent.
	foreignPinner bool
	inits         map[*types.Var]ast.Expr // single initialiser of each local
	assigned      map[*types.Var]int      // how many times each local is assigned
}

// store is "root.path = value" or an element of root's initialiser.
type store struct {
	root  *types.Var
	path  []string // field names, "[]" for an element
	value ast.Expr
	pos   token.Pos
	slot  types.Type // static type of the stored-to location
}

type pin struct {
	pinner *types.Var
	root   types.Object
	pos    token.Pos
	unpins []token.Pos
}

func (c *checker) function(body *ast.BlockStmt, ft *ast.FuncType) {
	f := &fn{c: c, body: body, params: map[*types.Var]bool{}, inits: map[*types.Var]ast.Expr{}, assigned: map[*types.Var]int{}}
	if ft.Params != nil {
		for _, field := range ft.Params.List {
			for _, id := range field.Names {
				if v, ok := c.v.Info.Defs[id].(*types.Var); ok {
					f.params[v] = true
					if c.isPinner(v.Type()) {
						f.foreignPinner = true // the caller pins
					}
				}
			}
		}
	}
	f.collect()
	if f.foreignPinner { // set by collect too
		return
	}
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		name, ok := c.v.CCall(call)
		if !ok {
			return true
		}
		for _, arg := range call.Args {
			f.checkArg(call, name, arg, arg, 0)
		}
		return true
	})
}

func (c *checker) isPinner(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "runtime" && n.Obj().Name() == "Pinner"
}

// local returns the variable e names when it is declared in this body.
func (f *fn) local(e ast.Expr) *types.Var {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return nil
	}
	v, ok := f.c.v.Info.ObjectOf(id).(*types.Var)
	if !ok || v.IsField() {
		return nil
	}
	if f.params[v] || f.body.Pos() <= v.Pos() && v.Pos() < f.body.End() {
		return v
	}
	return nil
}

// collect records the stores, initialisers and pins of the body.
func (f *fn) collect() {
	info := f.c.v.Info
	ast.Inspect(f.body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if v := f.local(l); v != nil {
					f.assigned[v]++
					if len(n.Lhs) == len(n.Rhs) {
						f.inits[v] = n.Rhs[i]
						f.literalStores(v, nil, n.Rhs[i])
					} else {
						f.assigned[v]++ // from a multi-value call: unknown
					}
					continue
				}
				if len(n.Lhs) != len(n.Rhs) {
					continue
				}
				if root, path, ok := f.lvalue(l); ok {
					f.stores = append(f.stores, store{root: root, path: path, value: n.Rhs[i], pos: n.Pos(), slot: info.TypeOf(l)})
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				v, ok := info.Defs[id].(*types.Var)
				if !ok {
					continue
				}
				if i < len(n.Values) && len(n.Names) == len(n.Values) {
					f.assigned[v]++
					f.inits[v] = n.Values[i]
					f.literalStores(v, nil, n.Values[i])
				}
			}
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{n.Key, n.Value} {
				if v := f.local(e); v != nil {
					f.assigned[v] += 2 // unknown values
				}
			}
		case *ast.CallExpr:
			sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr)
			if !ok || !f.c.isPinner(info.TypeOf(sel.X)) {
				return true
			}
			pv := f.local(sel.X)
			if pv == nil || f.params[pv] {
				f.foreignPinner = true
				return true
			}
			switch sel.Sel.Name {
			case "Pin":
				if len(n.Args) == 1 {
					f.pins = append(f.pins, pin{pinner: pv, root: f.rootOf(n.Args[0]), pos: n.Pos()})
				}
			case "Unpin":
				for i := range f.pins {
					if f.pins[i].pinner == pv {
						f.pins[i].unpins = append(f.pins[i].unpins, n.Pos())
					}
				}
			}
		case *ast.Ident:
			// A Pinner field or parameter that we do not follow.
			if v, ok := info.Uses[n].(*types.Var); ok && f.c.isPinner(v.Type()) && (v.IsField() || f.params[v] || f.local(n) == nil) {
				f.foreignPinner = true
			}
		}
		return true
	})
	sort.SliceStable(f.stores, func(i, j int) bool { return f.stores[i].pos < f.stores[j].pos })
}

// literalStores records the elements of a composite literal (also &T{...})
// initialising v, with their paths.
func (f *fn) literalStores(v *types.Var, path []string, e ast.Expr) {
	e = ast.Unparen(e)
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = ast.Unparen(u.X)
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return
	}
	t := f.c.v.Info.TypeOf(lit)
	if t == nil {
		return
	}
	switch u := t.Underlying().(type) {
	case *types.Struct:
		for i, el := range lit.Elts {
			var name string
			val := el
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				id, ok := kv.Key.(*ast.Ident)
				if !ok {
					continue
				}
				name, val = id.Name, kv.Value
			} else if i < u.NumFields() {
				name = u.Field(i).Name()
			}
			fv := fieldByName(u, name)
			if fv == nil {
				continue
			}
			p := append(append([]string(nil), path...), name)
			f.stores = append(f.stores, store{root: v, path: p, value: val, pos: el.Pos(), slot: fv.Type()})
			f.literalStores(v, p, val)
		}
	case *types.Array, *types.Slice:
		var elem types.Type
		if a, ok := u.(*types.Array); ok {
			elem = a.Elem()
		} else {
			elem = u.(*types.Slice).Elem()
		}
		for _, el := range lit.Elts {
			val := el
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				val = kv.Value
			}
			p := append(append([]string(nil), path...), "[]")
			f.stores = append(f.stores, store{root: v, path: p, value: val, pos: el.Pos(), slot: elem})
			f.literalStores(v, p, val)
		}
	}
}

func fieldByName(st *types.Struct, name string) *types.Var {
	for i := range st.NumFields() {
		if st.Field(i).Name() == name {
			return st.Field(i)
		}
	}
	return nil
}

// lvalue splits x.f.g, p.f, a[i].f, (*p).f into the local root and path.
func (f *fn) lvalue(e ast.Expr) (*types.Var, []string, bool) {
	var path []string
	for {
		switch x := ast.Unparen(e).(type) {
		case *ast.SelectorExpr:
			if s := f.c.v.Info.Selections[x]; s == nil || s.Kind() != types.FieldVal {
				return nil, nil, false
			}
			path = append([]string{x.Sel.Name}, path...)
			e = x.X
		case *ast.IndexExpr:
			if _, isMap := f.c.v.Info.TypeOf(x.X).Underlying().(*types.Map); isMap {
				return nil, nil, false
			}
			path = append([]string{"[]"}, path...)
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.Ident:
			v := f.local(x)
			if v == nil {
				return nil, nil, false
			}
			return v, path, true
		default:
			return nil, nil, false
		}
	}
}

// stripConv removes parentheses and conversions to pointer types:
// (*C.uchar)(unsafe.Pointer(&b[0])) is &b[0]. A conversion to an integer
// (uintptr) ends the pointer: it is not followed.
func (f *fn) stripConv(e ast.Expr) ast.Expr {
	for {
		e = ast.Unparen(e)
		call, ok := e.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return e
		}
		tv, ok := f.c.v.Info.Types[call.Fun]
		if !ok || !tv.IsType() || !pointerLike(tv.Type) {
			return e
		}
		e = call.Args[0]
	}
}

func pointerLike(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		return true
	case *types.Basic:
		return u.Kind() == types.UnsafePointer
	}
	return false
}

// mayHoldGoPointer reports whether a location of type t can hold a Go
// pointer that cgocheck looks at.
func mayHoldGoPointer(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Pointer, *types.Slice, *types.Map, *types.Chan, *types.Interface, *types.Signature:
		return true
	case *types.Basic:
		return u.Kind() == types.UnsafePointer || u.Info()&types.IsString != 0
	}
	return false
}

// unsafeCall returns name for a call unsafe.name(...).
func (f *fn) unsafeCall(call *ast.CallExpr) string {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	if pn, ok := f.c.v.Info.Uses[id].(*types.PkgName); ok && pn.Imported() == types.Unsafe {
		return sel.Sel.Name
	}
	return ""
}

func (f *fn) builtin(call *ast.CallExpr) string {
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
		if b, ok := f.c.v.Info.Uses[id].(*types.Builtin); ok {
			return b.Name()
		}
	}
	return ""
}

// once returns the only initialiser of a local assigned exactly once.
func (f *fn) once(v *types.Var) ast.Expr {
	if f.assigned[v] != 1 {
		return nil
	}
	return f.inits[v]
}

// goMemory reports whether the local v is (or points to) memory of this
// function's Go heap: a struct or array variable, or a pointer or slice
// initialised once from new, make, &T{...}, a composite literal or &x.
func (f *fn) goMemory(v *types.Var) bool {
	switch v.Type().Underlying().(type) {
	case *types.Struct, *types.Array:
		return true
	case *types.Pointer, *types.Slice:
		init := f.once(v)
		if init == nil {
			return false
		}
		switch x := ast.Unparen(init).(type) {
		case *ast.CompositeLit:
			return true
		case *ast.UnaryExpr:
			if x.Op != token.AND {
				return false
			}
			if _, ok := ast.Unparen(x.X).(*ast.CompositeLit); ok {
				return true
			}
			root, _, ok := f.lvalue(x.X)
			return ok && f.goMemory(root)
		case *ast.CallExpr:
			b := f.builtin(x)
			return b == "new" || b == "make"
		}
	}
	return false
}

// checkArg reports arg when it points to Go memory holding an unpinned Go pointer.
// at is the argument as written, arg what it evaluates (the initialiser of
// an unsafe.Pointer variable passed).
func (f *fn) checkArg(call *ast.CallExpr, cfn string, at, arg ast.Expr, depth int) {
	e := f.stripConv(arg)
	roots := map[*types.Var]bool{}
	var prefix []string
	var inline *ast.CompositeLit
	switch x := e.(type) {
	case *ast.UnaryExpr:
		if x.Op != token.AND {
			return
		}
		if lit, ok := ast.Unparen(x.X).(*ast.CompositeLit); ok {
			inline = lit
			break
		}
		root, path, ok := f.lvalue(x.X)
		if !ok || !f.goMemory(root) {
			return
		}
		// The address of an element stands for the whole array (cmd/cgo).
		for len(path) > 0 && path[len(path)-1] == "[]" {
			path = path[:len(path)-1]
		}
		roots[root], prefix = true, path
	case *ast.Ident:
		v := f.local(x)
		if v != nil && pointerLike(v.Type()) && !f.goMemory(v) {
			// p := unsafe.Pointer(&g); C.f(p)
			if init := f.once(v); init != nil && depth < 4 {
				f.checkArg(call, cfn, at, init, depth+1)
			}
			return
		}
		if v == nil || !f.goMemory(v) {
			return
		}
		if _, ok := v.Type().Underlying().(*types.Pointer); !ok {
			return // a slice passed by value: go vet's cgocall covers it
		}
		roots[v] = true
	case *ast.CallExpr:
		if f.unsafeCall(x) != "SliceData" || len(x.Args) != 1 {
			return
		}
		v := f.local(x.Args[0])
		if v == nil || !f.goMemory(v) {
			return
		}
		roots[v] = true
	default:
		return
	}
	// A pointer initialised with &x writes x: p.f = v is x.f = v.
	for v := range roots {
		if init := f.once(v); init != nil {
			if u, ok := ast.Unparen(init).(*ast.UnaryExpr); ok && u.Op == token.AND {
				if r, path, ok := f.lvalue(u.X); ok && len(path) == 0 {
					roots[r] = true
				}
			}
		}
	}
	for pv, n := range f.assigned {
		if n != 1 {
			continue
		}
		if u, ok := ast.Unparen(f.inits[pv]).(*ast.UnaryExpr); ok && u.Op == token.AND {
			if r, path, ok := f.lvalue(u.X); ok && len(path) == 0 && roots[r] {
				roots[pv] = true
			}
		}
	}
	var stores []store
	if inline != nil {
		tmp := types.NewVar(token.NoPos, nil, "", f.c.v.Info.TypeOf(inline))
		saved := f.stores
		f.stores = nil
		f.literalStores(tmp, nil, inline)
		stores, f.stores = f.stores, saved
		roots[tmp] = true
	} else {
		stores = f.stores
	}
	// The last store to each field before the call; any store to elements.
	last := map[string]store{}
	var elems []store
	for _, s := range stores {
		if !roots[s.root] || (inline == nil && s.pos >= call.Pos()) || !hasPrefix(s.path, prefix) {
			continue
		}
		if containsElem(s.path) {
			elems = append(elems, s)
		} else {
			last[strings.Join(s.path, ".")] = s
		}
	}
	cands := elems
	for _, s := range last {
		cands = append(cands, s)
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].pos < cands[j].pos })
	for _, s := range cands {
		if !mayHoldGoPointer(s.slot) {
			continue
		}
		desc, pinExpr := f.goPointer(s.value, s.slot, 0)
		if desc == "" || f.pinned(s.value, call.Pos()) {
			continue
		}
		f.report(cfn, at, s, desc, pinExpr)
		return
	}
}

func hasPrefix(path, prefix []string) bool {
	if len(path) < len(prefix) {
		return false
	}
	for i := range prefix {
		if path[i] != prefix[i] {
			return false
		}
	}
	return true
}

func containsElem(path []string) bool {
	for _, p := range path {
		if p == "[]" {
			return true
		}
	}
	return false
}

// goSlice reports whether the slice variable v holds Go memory: a slice
// parameter (callers pass Go slices; a view of C memory made with
// unsafe.Slice is the rare exception) or a local made in Go.
func (f *fn) goSlice(v *types.Var) bool {
	if _, ok := v.Type().Underlying().(*types.Slice); !ok {
		return false
	}
	if f.params[v] {
		return true
	}
	init := f.once(v)
	if init == nil {
		return false
	}
	switch x := ast.Unparen(init).(type) {
	case *ast.CompositeLit:
		return len(x.Elts) > 0
	case *ast.CallExpr:
		if b := f.builtin(x); b == "make" || b == "append" {
			return true
		}
		if tv, ok := f.c.v.Info.Types[x.Fun]; ok && tv.IsType() && len(x.Args) == 1 {
			// []byte(s), also of a constant: a fresh copy made in Go.
			if b, ok := f.c.v.Info.TypeOf(x.Args[0]).Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 {
				return true
			}
		}
		if name, ok := f.c.v.CCall(x); ok && name == "GoBytes" {
			return true
		}
	}
	return false
}

// heapString describes a string expression built in the Go heap, "" if
// not known to be (constants and os.Args live elsewhere; cgocheck ignores them).
func (f *fn) heapString(e ast.Expr, depth int) string {
	e = ast.Unparen(e)
	tv := f.c.v.Info.Types[e]
	if tv.Value != nil || depth > 4 {
		return ""
	}
	switch x := e.(type) {
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			return "a string built by concatenation"
		}
	case *ast.CallExpr:
		if name, ok := f.c.v.CCall(x); ok && (name == "GoString" || name == "GoStringN") {
			return "a Go string made by C." + name
		}
		if tfun, ok := f.c.v.Info.Types[x.Fun]; ok && tfun.IsType() && len(x.Args) == 1 {
			if _, ok := f.c.v.Info.TypeOf(x.Args[0]).Underlying().(*types.Slice); ok {
				return "a string converted from a slice"
			}
		}
		if sel, ok := ast.Unparen(x.Fun).(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				if pn, ok := f.c.v.Info.Uses[id].(*types.PkgName); ok && pn.Imported().Path() == "fmt" && strings.HasPrefix(sel.Sel.Name, "Sprint") {
					return "a string made by fmt." + sel.Sel.Name
				}
			}
		}
	case *ast.Ident:
		if v := f.local(x); v != nil && !f.params[v] {
			if init := f.once(v); init != nil {
				return f.heapString(init, depth+1)
			}
		}
	}
	return ""
}

// goPointer describes value when it is certainly a pointer into the Go
// heap, and returns what to pin to make it legal ("" when it cannot be
// pinned, like a map).
func (f *fn) goPointer(value ast.Expr, slot types.Type, depth int) (desc, pinExpr string) {
	if depth > 4 {
		return "", ""
	}
	if b, ok := slot.Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 {
		if d := f.heapString(value, depth); d != "" {
			return d, "unsafe.StringData(" + types.ExprString(value) + ")"
		}
		return "", ""
	}
	e := f.stripConv(value)
	if tv := f.c.v.Info.Types[e]; tv.Value != nil || tv.IsNil() {
		return "", ""
	}
	switch x := e.(type) {
	case *ast.UnaryExpr:
		if x.Op != token.AND {
			return "", ""
		}
		if _, ok := ast.Unparen(x.X).(*ast.CompositeLit); ok {
			return "the address of a composite literal", ""
		}
		root, path, ok := f.lvalue(x.X)
		if !ok {
			return "", ""
		}
		expr := types.ExprString(x)
		switch root.Type().Underlying().(type) {
		case *types.Slice:
			if len(path) > 0 && path[0] == "[]" && f.goSlice(root) {
				return fmt.Sprintf("%s, an element of the Go slice %s", expr, root.Name()), expr
			}
		case *types.Pointer:
			if f.goMemory(root) {
				return fmt.Sprintf("%s, inside memory allocated in Go", expr), expr
			}
		default:
			return fmt.Sprintf("%s, the address of Go variable %s", expr, root.Name()), expr
		}
	case *ast.CallExpr:
		switch f.builtin(x) {
		case "new":
			return "new(...), a Go allocation", ""
		case "make":
			if _, ok := f.c.v.Info.TypeOf(x).Underlying().(*types.Slice); ok {
				return "a slice made in Go", ""
			}
			return "a " + types.TypeString(f.c.v.Info.TypeOf(x), types.RelativeTo(f.c.v.Pkg)) + " made in Go (it cannot be pinned: pass a cgo.Handle instead)", ""
		}
		if f.unsafeCall(x) == "SliceData" && len(x.Args) == 1 {
			if v := f.local(x.Args[0]); v != nil && f.goSlice(v) {
				return types.ExprString(x) + ", the data of a Go slice", types.ExprString(x)
			}
		}
	case *ast.CompositeLit:
		switch f.c.v.Info.TypeOf(x).Underlying().(type) {
		case *types.Slice:
			if len(x.Elts) > 0 {
				return "a slice literal, allocated in Go", ""
			}
		case *types.Map:
			return "a map literal (it cannot be pinned: pass a cgo.Handle instead)", ""
		}
	case *ast.Ident:
		v := f.local(x)
		if v == nil {
			return "", ""
		}
		if _, ok := v.Type().Underlying().(*types.Slice); ok && f.goSlice(v) {
			return fmt.Sprintf("the Go slice %s", v.Name()), "unsafe.SliceData(" + v.Name() + ")"
		}
		if f.params[v] {
			return "", ""
		}
		if init := f.once(v); init != nil {
			if d, p := f.goPointer(init, slot, depth+1); d != "" {
				if p == "" && pointerLike(v.Type()) {
					p = v.Name()
				}
				return fmt.Sprintf("%s (%s)", v.Name(), d), p
			}
		}
	}
	return "", ""
}

// rootOf returns the variable whose memory e points into.
func (f *fn) rootOf(e ast.Expr) types.Object {
	for {
		e = f.stripConv(e)
		switch x := e.(type) {
		case *ast.UnaryExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.SelectorExpr:
			if s := f.c.v.Info.Selections[x]; s == nil || s.Kind() != types.FieldVal {
				return nil
			}
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.CallExpr:
			if n := f.unsafeCall(x); (n == "SliceData" || n == "StringData") && len(x.Args) == 1 {
				e = x.Args[0]
				continue
			}
			return nil
		case *ast.Ident:
			return f.c.v.Info.ObjectOf(x)
		default:
			return nil
		}
	}
}

// pinned reports whether a local Pinner pinned the object value points
// into before pos, with no Unpin between.
func (f *fn) pinned(value ast.Expr, pos token.Pos) bool {
	root := f.rootOf(value)
	if root == nil {
		return false
	}
	for _, p := range f.pins {
		if p.root != root || p.pos >= pos {
			continue
		}
		undone := false
		for _, u := range p.unpins {
			if p.pos < u && u < pos {
				undone = true
			}
		}
		if !undone {
			return true
		}
	}
	return false
}

func (f *fn) report(cfn string, arg ast.Expr, s store, desc, pinExpr string) {
	where := s.root.Name()
	if where == "" {
		where = "the composite literal"
	}
	field := where
	for _, p := range s.path {
		if p == "[]" {
			field += "[i]"
		} else {
			field += "." + p
		}
	}
	fix := "build the struct and what it points to in C memory (C.malloc, C.CBytes) and free them after the call"
	if pinExpr != "" {
		fix = fmt.Sprintf("pin it for the call (var pin runtime.Pinner; pin.Pin(%s); defer pin.Unpin()), or %s", pinExpr, fix)
	}
	msg := fmt.Sprintf("%s passed to C.%s points to Go memory that holds an unpinned Go pointer: %s is set to %s at line %d. cgocheck panics at this call (\"argument of cgo function has Go pointer to unpinned Go pointer\"), and go vet does not see it (cmd/cgo: \"Go code may pass a Go pointer to C provided the Go memory to which it points does not contain any unpinned Go pointers\"). Fix: %s",
		types.ExprString(arg), cfn, field, desc, f.c.v.Fset.Position(s.pos).Line, fix)
	f.c.v.Report(f.c.pass, analysis.Diagnostic{Pos: arg.Pos(), End: arg.End(), Message: msg,
		Related: []analysis.RelatedInformation{{Pos: s.pos, Message: "the Go pointer is stored here"}}})
}
