package structlayout

import (
	"go/ast"
	"go/token"
	"go/types"

	"github.com/cgoguard/cgoguard/cgoview"
)

// funcInfo is what one function body tells about where pointers come from:
// every value assigned to each local variable, flow-insensitively.
type funcInfo struct {
	v       *cgoview.View
	assigns map[*types.Var][]ast.Expr // a nil element: assigned something we cannot see
	slices  []*ast.CallExpr           // unsafe.Slice calls
}

func newFuncInfo(v *cgoview.View, body *ast.BlockStmt) *funcInfo {
	f := &funcInfo{v: v, assigns: map[*types.Var][]ast.Expr{}}
	add := func(id ast.Expr, rhs ast.Expr) {
		ident, ok := ast.Unparen(id).(*ast.Ident)
		if !ok {
			return
		}
		if lv, ok := v.Info.ObjectOf(ident).(*types.Var); ok && !lv.IsField() {
			f.assigns[lv] = append(f.assigns[lv], rhs)
		}
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if len(n.Lhs) == len(n.Rhs) {
					add(l, n.Rhs[i])
				} else {
					add(l, nil)
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				if len(n.Names) == len(n.Values) {
					add(id, n.Values[i])
				} else if len(n.Values) > 0 {
					add(id, nil)
				}
			}
		case *ast.RangeStmt:
			if n.Key != nil {
				add(n.Key, nil)
			}
			if n.Value != nil {
				add(n.Value, nil)
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				add(n.X, nil) // its address escapes: anything may be stored through it
			}
		case *ast.CallExpr:
			if isUnsafeFunc(v.Info, n, "Slice") {
				f.slices = append(f.slices, n)
			}
		}
		return true
	})
	return f
}

// origin is what a pointer is known to point to.
type origin struct {
	ctype types.Type // a cgo struct type: the memory has this C layout
	cmem  bool       // C memory of a type not written in Go (void*, char*)
}

// local returns the variable e names when it is local to the function with
// all its assignments visible (not a parameter, global or captured variable).
func (f *funcInfo) local(e ast.Expr) (*types.Var, bool) {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return nil, false
	}
	lv, ok := f.v.Info.ObjectOf(id).(*types.Var)
	if !ok {
		return nil, false
	}
	rhs, ok := f.assigns[lv]
	return lv, ok && len(rhs) > 0
}

// origin returns where the pointer e points.
func (f *funcInfo) origin(e ast.Expr, depth int) origin {
	if depth > 8 {
		return origin{}
	}
	e = ast.Unparen(e)
	t := f.v.Info.TypeOf(e)
	if t == nil {
		return origin{}
	}
	if p, ok := t.Underlying().(*types.Pointer); ok && isCStruct(p.Elem()) {
		return origin{ctype: p.Elem()}
	}
	switch e := e.(type) {
	case *ast.CallExpr:
		if _, ok := f.v.CCall(e); ok {
			if _, ok := t.Underlying().(*types.Pointer); ok || isUnsafePointer(t) {
				return origin{cmem: true}
			}
			return origin{}
		}
		if tv, ok := f.v.Info.Types[e.Fun]; ok && tv.IsType() && len(e.Args) == 1 {
			return f.origin(e.Args[0], depth+1)
		}
	case *ast.Ident:
		lv, ok := f.local(e)
		if !ok {
			return origin{}
		}
		var out origin
		for i, rhs := range f.assigns[lv] {
			if rhs == nil {
				return origin{}
			}
			o := f.origin(rhs, depth+1)
			if o.ctype == nil && !o.cmem {
				return origin{}
			}
			if i == 0 {
				out = o
			} else if o.cmem != out.cmem || (o.ctype != nil && (out.ctype == nil || !types.Identical(o.ctype, out.ctype))) {
				return origin{}
			}
		}
		return out
	case *ast.SelectorExpr:
		// A pointer field of a C struct: memory C hands out.
		if x := f.v.Info.TypeOf(e.X); x != nil {
			if p, ok := x.Underlying().(*types.Pointer); ok {
				x = p.Elem()
			}
			if isCStruct(x) {
				return origin{cmem: true}
			}
		}
	}
	return origin{}
}

// pointee is the Go struct a Go pointer points to.
type pointee struct {
	typ   types.Type
	array bool // the address of a slice or array element: C may walk it
}

// goPointee returns the type a pointer converted to unsafe.Pointer points to
// when it is a pointer to a Go value: unsafe.Pointer(&g), unsafe.Pointer(gp),
// unsafe.Pointer(&s[0]).
func (f *funcInfo) goPointee(e ast.Expr, depth int) *pointee {
	if depth > 8 {
		return nil
	}
	e = ast.Unparen(e)
	switch x := e.(type) {
	case *ast.CallExpr:
		if tv, ok := f.v.Info.Types[x.Fun]; ok && tv.IsType() && len(x.Args) == 1 && isUnsafePointer(tv.Type) {
			return f.goPointee(x.Args[0], depth+1)
		}
	case *ast.Ident:
		if isUnsafePointer(f.v.Info.TypeOf(x)) {
			lv, ok := f.local(x)
			if !ok {
				return nil
			}
			var out *pointee
			for _, rhs := range f.assigns[lv] {
				if rhs == nil {
					return nil
				}
				p := f.goPointee(rhs, depth+1)
				if p == nil || (out != nil && !types.Identical(p.typ, out.typ)) {
					return nil
				}
				out = p
			}
			return out
		}
	case *ast.UnaryExpr:
		if x.Op == token.AND {
			if ix, ok := ast.Unparen(x.X).(*ast.IndexExpr); ok {
				return &pointee{typ: f.v.Info.TypeOf(ix), array: true}
			}
			return &pointee{typ: f.v.Info.TypeOf(x.X)}
		}
	}
	if p, ok := f.v.Info.TypeOf(e).Underlying().(*types.Pointer); ok {
		return &pointee{typ: p.Elem()}
	}
	return nil
}

func isCStruct(t types.Type) bool {
	if !isCType(t) {
		return false
	}
	_, ok := t.Underlying().(*types.Struct)
	return ok
}
