package cgoview

import (
	"go/ast"
	"go/types"
	"strings"
)

// ExportName returns the C name of an //export function, "" otherwise.
func ExportName(fd *ast.FuncDecl) string {
	if fd.Doc == nil || fd.Recv != nil {
		return ""
	}
	for _, c := range fd.Doc.List {
		if rest, ok := strings.CutPrefix(c.Text, "//export "); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

// cgoHelpers are cgo's Go-side helpers: they run no C code of the package.
var cgoHelpers = map[string]bool{"GoString": true, "GoStringN": true, "GoBytes": true, "CString": true, "CBytes": true, "malloc": true, "free": true}

// CFuncCall returns the C function a call of C.f calls: not a conversion
// (C.int(x)), not one of cgo's helpers (C.CString, C.GoString, C.malloc ...).
func (v *View) CFuncCall(call *ast.CallExpr) (string, bool) {
	name, ok := v.CCall(call)
	if !ok || cgoHelpers[name] {
		return "", false
	}
	if tv, ok := v.Info.Types[call.Fun]; ok && tv.IsType() {
		return "", false
	}
	return name, true
}

// StaticCallee returns the function or concrete method a call calls, as
// declared (the generic origin), or nil for a call through a function
// value, an interface method, a builtin, a conversion or a C function.
func (v *View) StaticCallee(call *ast.CallExpr) *types.Func {
	var fn *types.Func
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		fn, _ = v.Info.Uses[fun].(*types.Func)
	case *ast.IndexExpr:
		if id, ok := ast.Unparen(fun.X).(*ast.Ident); ok {
			fn, _ = v.Info.Uses[id].(*types.Func)
		}
	case *ast.SelectorExpr:
		if _, ok := v.CName(fun); ok {
			return nil
		}
		if sel := v.Info.Selections[fun]; sel != nil {
			if sel.Kind() != types.MethodVal || types.IsInterface(sel.Recv()) {
				return nil // a method value's field, or dynamic
			}
			fn, _ = sel.Obj().(*types.Func)
		} else {
			fn, _ = v.Info.Uses[fun.Sel].(*types.Func)
		}
	}
	if fn == nil {
		return nil
	}
	return fn.Origin()
}

// EscapingFuncs returns the package's functions that are used other than
// as the callee of a direct call (assigned, passed, stored, used as a
// method value): their callers cannot all be seen, so an analysis that
// summarises a function by its callers must not judge them.
func (v *View) EscapingFuncs() map[types.Object]bool {
	v.escapesOnce.Do(func() {
		v.escapes = map[types.Object]bool{}
		for _, f := range v.Files {
			var stack []ast.Node
			ast.Inspect(f, func(n ast.Node) bool {
				if n == nil {
					stack = stack[:len(stack)-1]
					return true
				}
				stack = append(stack, n)
				id, ok := n.(*ast.Ident)
				if !ok {
					return true
				}
				fn, ok := v.Info.Uses[id].(*types.Func)
				if !ok || fn.Pkg() != v.Pkg {
					return true
				}
				i := len(stack) - 2
				if i >= 0 {
					if sel, ok := stack[i].(*ast.SelectorExpr); ok && sel.Sel == id {
						i--
					}
				}
				if i < 0 {
					v.escapes[fn] = true
					return true
				}
				if call, ok := stack[i].(*ast.CallExpr); !ok || ast.Unparen(call.Fun) != stack[i+1] {
					v.escapes[fn] = true
				}
				return true
			})
		}
	})
	return v.escapes
}
