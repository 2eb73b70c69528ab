package ownership

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// How an expression's value is used.
type use int

const (
	useRead     use = iota // read or lent to a callee for the call
	useBind                // assigned to a local variable: aliasing, no event
	useDiscard             // the value is dropped
	useTransfer            // ownership passes elsewhere
)

// allocInfo describes an allocating call.
type allocInfo struct {
	name, dealloc string
	size          int64
	cbytes        bool
}

// allocation reports whether call returns memory the caller owns.
func (a *pkgAnalysis) allocation(call *ast.CallExpr) *allocInfo {
	v := a.v
	if name, ok := v.CCall(call); ok {
		if al, ok := v.DB.Allocator(name); ok {
			info := &allocInfo{name: "C." + name, dealloc: al.Dealloc, size: -1, cbytes: name == "CBytes"}
			info.size = a.allocSize(name, al.SizeArg, al.CountArg, call)
			return info
		}
		if f := v.C.Func(name); f != nil && f.ReturnsOwned != nil {
			d := f.Dealloc
			if d == "" {
				d = "free"
			}
			return &allocInfo{name: "C." + name, dealloc: d, size: -1}
		}
		return nil
	}
	if fn := a.goCallee(call); fn != nil {
		if sig, ok := fn.Type().(*types.Signature); ok && sig.Results().Len() == 1 {
			if ro := a.calleeReturnsOwned(fn); ro != nil {
				return &allocInfo{name: fn.Name(), dealloc: ro.Dealloc, size: -1}
			}
		}
	}
	return nil
}

func (a *pkgAnalysis) allocSize(name string, sizeArg, countArg int, call *ast.CallExpr) int64 {
	v := a.v
	switch name {
	case "CString":
		if len(call.Args) == 1 {
			if s, ok := v.StringConst(call.Args[0]); ok {
				return int64(len(s)) + 1
			}
		}
		return -1
	case "CBytes":
		if len(call.Args) == 1 {
			if conv, ok := ast.Unparen(call.Args[0]).(*ast.CallExpr); ok && len(conv.Args) == 1 {
				if s, ok := v.StringConst(conv.Args[0]); ok {
					return int64(len(s))
				}
			}
		}
		return -1
	}
	if sizeArg < 0 || sizeArg >= len(call.Args) {
		return -1
	}
	n, ok := v.IntConst(call.Args[sizeArg])
	if !ok {
		return -1
	}
	if countArg >= 0 && countArg < len(call.Args) {
		c, ok := v.IntConst(call.Args[countArg])
		if !ok {
			return -1
		}
		n *= c
	}
	return n
}

// noReturn reports calls after which control never reaches the function's
// exit normally: panic, os.Exit, log.Fatal*, log.Panic*, runtime.Goexit,
// testing's Fatal/FailNow/Skip.
func (a *pkgAnalysis) noReturn(call *ast.CallExpr) bool {
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		if b, ok := a.v.Info.Uses[fun].(*types.Builtin); ok && b.Name() == "panic" {
			return true
		}
	case *ast.SelectorExpr:
		fn, ok := a.v.Info.Uses[fun.Sel].(*types.Func)
		if !ok || fn.Pkg() == nil {
			return false
		}
		switch fn.Pkg().Path() + "." + fn.Name() {
		case "os.Exit", "runtime.Goexit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf", "log.Panicln", "syscall.Exit":
			return true
		}
		if fn.Pkg().Path() == "testing" {
			switch fn.Name() {
			case "Fatal", "Fatalf", "FailNow", "Skip", "Skipf", "SkipNow":
				return true
			}
		}
		if fn.Pkg().Path() == "log" || fn.Pkg().Path() == "log/slog" {
			return false
		}
	}
	return false
}

// node applies one CFG node.
func (fa *funcAnalysis) node(n ast.Node, st state) {
	switch n := n.(type) {
	case *ast.ExprStmt:
		fa.eval(n.X, st, useDiscard)
	case *ast.AssignStmt:
		fa.assign(n.Lhs, n.Rhs, n.Tok, st)
	case *ast.ValueSpec:
		var lhs []ast.Expr
		for _, id := range n.Names {
			lhs = append(lhs, id)
		}
		fa.assign(lhs, n.Values, token.DEFINE, st)
	case *ast.DeclStmt:
		if gd, ok := n.Decl.(*ast.GenDecl); ok {
			for _, s := range gd.Specs {
				if vs, ok := s.(*ast.ValueSpec); ok {
					fa.node(vs, st)
				}
			}
		}
	case *ast.ReturnStmt:
		for _, r := range n.Results {
			if fa.summary && len(n.Results) == 1 {
				for _, id := range fa.refs(r) {
					if b := fa.blocks[id]; b.param < 0 && st[id]&sOwned != 0 && fa.returnsOwned == nil {
						fa.returnsOwned = &ReturnsOwned{Dealloc: b.dealloc, Via: b.alloc}
					}
				}
			}
			fa.eval(r, st, useTransfer)
		}
	case *ast.DeferStmt:
		fa.deferOrGo(n.Call, st, true, fa.loopDefs[n], n.Pos())
	case *ast.GoStmt:
		fa.deferOrGo(n.Call, st, false, nil, n.Pos())
	case *ast.SendStmt:
		fa.eval(n.Chan, st, useRead)
		fa.eval(n.Value, st, useTransfer)
	case *ast.IncDecStmt:
		fa.eval(n.X, st, useRead)
	case *ast.RangeStmt:
		fa.eval(n.X, st, useRead)
	case *ast.LabeledStmt, *ast.BranchStmt, *ast.EmptyStmt:
	case ast.Expr:
		fa.eval(n, st, useRead)
	}
}

func (fa *funcAnalysis) assign(lhs, rhs []ast.Expr, tok token.Token, st state) {
	if len(lhs) != len(rhs) {
		for _, r := range rhs {
			fa.eval(r, st, useRead)
		}
		return
	}
	for i, r := range rhs {
		l := lhs[i]
		if id, ok := ast.Unparen(l).(*ast.Ident); ok && id.Name == "_" {
			fa.eval(r, st, useDiscard)
			continue
		}
		if lv := fa.localVar(l); lv != nil {
			fa.eval(r, st, useBind)
			fa.overwrite(l, lv, r, st)
			continue
		}
		// A store through a pointer, into a field, element or global.
		switch l := ast.Unparen(l).(type) {
		case *ast.SelectorExpr:
			fa.eval(l.X, st, useRead)
		case *ast.IndexExpr:
			fa.eval(l.X, st, useRead)
			keyUse := useRead
			if t := fa.a.v.Info.TypeOf(l.X); t != nil {
				if _, isMap := t.Underlying().(*types.Map); isMap {
					keyUse = useTransfer // a map key can be found, and freed, later
				}
			}
			fa.eval(l.Index, st, keyUse)
		case *ast.StarExpr:
			fa.eval(l.X, st, useRead)
		}
		fa.eval(r, st, useTransfer)
	}
}

// overwrite applies "x = r" to the blocks x pointed to before: when x was
// their only name, they are unreachable now; still owned, that is a leak.
func (fa *funcAnalysis) overwrite(at ast.Expr, x *types.Var, r ast.Expr, st state) {
	keep := fa.refs(r)
	for _, id := range fa.pointsTo[x] {
		if contains(keep, id) || fa.names[id] != 1 {
			continue
		}
		if st[id]&sOwned != 0 && fa.reporting && !fa.summary && !fa.leaked[id] {
			fa.leaked[id] = true
			b := fa.blocks[id]
			fa.find(Finding{Kind: Leak, Pos: at.Pos(), End: r.End(),
				Message: fmt.Sprintf("%s is overwritten while it may still own the block allocated by %s at line %d; free it first", x.Name(), b.alloc, fa.line(b.site.Pos())),
				Related: []analysis.RelatedInformation{{Pos: b.site.Pos(), Message: "allocated here"}}})
		}
		if st[id]&(sOwned|sFreed|sDeferFreed) != 0 && st[id]&sDeferFreed == 0 {
			st[id] = sUnalloc
		}
	}
}

// eval applies the effects of evaluating e, whose value is used as u.
func (fa *funcAnalysis) eval(e ast.Expr, st state, u use) {
	switch e := e.(type) {
	case *ast.ParenExpr:
		fa.eval(e.X, st, u)
	case *ast.Ident:
		fa.useRefs(e, fa.refs(e), st, u)
	case *ast.CallExpr:
		fa.call(e, st, u)
	case *ast.UnaryExpr:
		if e.Op == token.AND {
			if ids := fa.refs(e.X); len(ids) > 0 {
				fa.useRefs(e, ids, st, useTransfer) // address taken: anyone may release it
				return
			}
			if ids := fa.refs(e); len(ids) > 0 {
				fa.useRefs(e, ids, st, u) // &p.f: p's block, used as the context uses it
				return
			}
		}
		fa.eval(e.X, st, useRead)
	case *ast.BinaryExpr:
		if (e.Op == token.EQL || e.Op == token.NEQ) && (isNil(fa.a.v.Info, e.X) || isNil(fa.a.v.Info, e.Y)) {
			return // comparing with nil reads no memory
		}
		fa.eval(e.X, st, useRead)
		fa.eval(e.Y, st, useRead)
	case *ast.StarExpr:
		fa.eval(e.X, st, useRead)
	case *ast.SelectorExpr:
		if _, ok := fa.a.v.CName(e); ok {
			return
		}
		fa.eval(e.X, st, useRead)
	case *ast.IndexExpr:
		fa.eval(e.X, st, useRead)
		fa.eval(e.Index, st, useRead)
	case *ast.SliceExpr:
		fa.eval(e.X, st, useRead)
	case *ast.TypeAssertExpr:
		fa.eval(e.X, st, useRead)
	case *ast.CompositeLit:
		for _, el := range e.Elts {
			fa.eval(el, st, useTransfer)
		}
	case *ast.KeyValueExpr:
		fa.eval(e.Value, st, u)
	case *ast.FuncLit:
		// A closure that captures a block may release it later: transferred.
		fa.captures(e, st, func(ids []int, id *ast.Ident) { fa.useRefs(id, ids, st, useTransfer) })
	}
}

// useRefs applies a use of blocks ids through expression at.
func (fa *funcAnalysis) useRefs(at ast.Node, ids []int, st state, u use) {
	if u == useBind || u == useDiscard {
		return
	}
	for _, id := range ids {
		fa.checkUse(at, id, st)
		if u == useTransfer && st[id]&sOwned != 0 {
			st[id] = st[id]&^sOwned | sTransferred
		}
	}
}

// checkUse reports a use of a block that may already be freed.
func (fa *funcAnalysis) checkUse(at ast.Node, id int, st state) {
	if st[id]&sFreed == 0 {
		return
	}
	b := fa.blocks[id]
	how := fmt.Sprintf("freed at line %d", fa.line(fa.freeSite[id]))
	if p, ok := fa.async[id]; ok {
		how = fmt.Sprintf("freed by the goroutine started at line %d, which may run first", fa.line(p))
	}
	fa.find(Finding{Kind: UseAfterFree, Pos: at.Pos(), End: at.End(),
		Message: fmt.Sprintf("%s is used after it may have been %s; keep the memory alive until its last use, then free it once", nameOf(b), how),
		Related: []analysis.RelatedInformation{{Pos: fa.freeSite[id], Message: "freed here"}, {Pos: b.site.Pos(), Message: "allocated here"}}})
}

func nameOf(b *block) string {
	if b.name != "" {
		return b.name
	}
	return "the result of " + b.alloc
}

// release applies a free of the blocks arg points to.
func (fa *funcAnalysis) release(at ast.Node, arg ast.Expr, st state, deferred, async bool) {
	for _, id := range fa.refs(arg) {
		b := fa.blocks[id]
		prev := fa.freeSite[id]
		switch {
		case st[id]&sFreed != 0:
			fa.find(Finding{Kind: DoubleFree, Pos: at.Pos(), End: at.End(),
				Message: fmt.Sprintf("%s may be freed twice: it was already freed at line %d on some path to here; free it exactly once", nameOf(b), fa.line(prev)),
				Related: []analysis.RelatedInformation{{Pos: prev, Message: "first free"}, {Pos: b.site.Pos(), Message: "allocated here"}}})
		case st[id]&sDeferFreed != 0:
			fa.find(Finding{Kind: DoubleFree, Pos: at.Pos(), End: at.End(),
				Message: fmt.Sprintf("%s is freed here and again by the deferred call at line %d when the function returns; remove one of the frees", nameOf(b), fa.line(prev)),
				Related: []analysis.RelatedInformation{{Pos: prev, Message: "deferred free"}, {Pos: b.site.Pos(), Message: "allocated here"}}})
		}
		if st[id] == sUnalloc {
			continue // freeing nil
		}
		if deferred {
			st[id] = st[id]&^sOwned | sDeferFreed
		} else {
			st[id] = st[id]&^(sOwned|sDeferFreed) | sFreed
		}
		fa.freeSite[id] = at.Pos()
		if async {
			fa.async[id] = at.Pos()
		}
	}
}

// releasedArg reports which argument of call, if any, the callee releases.
func (fa *funcAnalysis) releasedArgs(call *ast.CallExpr) map[int]bool {
	v := fa.a.v
	out := map[int]bool{}
	if name, ok := v.CCall(call); ok {
		if d, ok := v.DB.Deallocator(name); ok {
			out[d.Param] = true
		}
		for _, p := range v.DB.TakesOwnership(name) {
			out[p] = true
		}
		if f := v.C.Func(name); f != nil {
			for p := range f.FreesParam {
				out[p] = true
			}
		}
		return out
	}
	if fn := fa.a.goCallee(call); fn != nil {
		for i := range call.Args {
			if fa.a.calleeFreesParam(fn, i) {
				out[i] = true
			}
		}
	}
	return out
}

func (fa *funcAnalysis) call(call *ast.CallExpr, st state, u use) {
	v := fa.a.v
	if fa.isConversion(call) && len(call.Args) == 1 {
		fa.eval(call.Args[0], st, u)
		return
	}
	if name, ok := fa.unsafeFunc(call); ok {
		if name == "Slice" {
			fa.overRead(call, "unsafe.Slice", st)
		}
		for i, arg := range call.Args {
			if i == 0 && (name == "Add" || name == "Slice") {
				fa.eval(arg, st, u) // the result points into the same block
				continue
			}
			fa.eval(arg, st, useRead)
		}
		return
	}
	if b := fa.siteOf[call]; b != nil {
		for _, arg := range call.Args {
			fa.eval(arg, st, useRead)
		}
		fa.allocate(call, b, st, u)
		return
	}
	cname, isC := v.CCall(call)
	released := fa.releasedArgs(call)
	var stores map[int]bool
	if isC {
		if f := v.C.Func(cname); f != nil {
			stores = map[int]bool{}
			for p := range f.StoresParam {
				stores[p] = true
			}
		}
		switch cname {
		case "GoString", "GoStringN", "GoBytes":
			fa.overRead(call, "C."+cname, st)
		}
	} else if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		fa.eval(sel.X, st, useRead) // method receiver
	}
	fn := fa.a.goCallee(call)
	for i, arg := range call.Args {
		switch {
		case released[i]:
			if len(fa.refs(arg)) == 0 {
				fa.eval(arg, st, useTransfer) // e.g. C.consume(C.CString(s))
				continue
			}
			fa.release(call, arg, st, false, false) // a second release is a double free, not also a use
		case isC && stores[i]:
			fa.eval(arg, st, useTransfer)
		case isC:
			fa.eval(arg, st, useRead)
		case fn != nil && fa.a.calleeBorrows(fn, i):
			fa.eval(arg, st, useRead)
		case fn == nil && isBuiltin(v.Info, call.Fun):
			if i > 0 && builtinName(call.Fun) == "append" {
				fa.eval(arg, st, useTransfer) // stored in the slice
				continue
			}
			fa.eval(arg, st, useRead)
		default:
			// A Go function we know nothing of may keep or release it.
			fa.eval(arg, st, useTransfer)
		}
	}
}

func builtinName(fun ast.Expr) string {
	if id, ok := ast.Unparen(fun).(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

func isBuiltin(info *types.Info, fun ast.Expr) bool {
	id, ok := ast.Unparen(fun).(*ast.Ident)
	if !ok {
		return false
	}
	_, ok = info.Uses[id].(*types.Builtin)
	return ok
}

// allocate applies an allocation whose result is used as u.
func (fa *funcAnalysis) allocate(call *ast.CallExpr, b *block, st state, u use) {
	switch u {
	case useTransfer:
		st[b.id] = sTransferred
		return
	case useBind:
		if fa.reporting && !fa.summary && st[b.id]&sOwned != 0 && b.name != "" && !fa.leaked[b.id] {
			fa.leaked[b.id] = true
			fa.find(Finding{Kind: Leak, Pos: call.Pos(), End: call.End(),
				Message: fmt.Sprintf("%s is allocated again while the block from the previous iteration may still be owned; the earlier block leaks (free %s before reassigning)", b.name, b.name)})
		}
		st[b.id] = sOwned
		return
	}
	// Read or discarded without being bound: nobody can free it.
	if !fa.summary {
		what := "is discarded"
		if u == useRead {
			what = "is used only for this expression"
			if p := fa.parentCall(call); p != "" {
				what = "is passed to " + p + ", which does not take ownership,"
			}
		}
		fa.find(Finding{Kind: Leak, Pos: call.Pos(), End: call.End(),
			Message: fmt.Sprintf("the memory returned by %s %s and never freed; bind it to a variable and %s", b.alloc, what, fa.fixHint(&block{name: "p", dealloc: b.dealloc}))})
	}
	st[b.id] = sTransferred // reported once; don't report again at exit
}

// parentCall names the call whose argument list contains call, if any.
func (fa *funcAnalysis) parentCall(target *ast.CallExpr) string {
	name := ""
	ast.Inspect(fa.body, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok || name != "" {
			return name == ""
		}
		for _, arg := range c.Args {
			if arg == target || wraps(arg, target) && fa.onlyConversions(arg, target) {
				if cn, ok := fa.a.v.CCall(c); ok {
					name = "C." + cn
				} else if fn := fa.a.goCallee(c); fn != nil {
					name = fn.Name()
				}
			}
		}
		return true
	})
	return name
}

func (fa *funcAnalysis) onlyConversions(e ast.Expr, target ast.Node) bool {
	for {
		e = ast.Unparen(e)
		if e == target {
			return true
		}
		c, ok := e.(*ast.CallExpr)
		if !ok || !fa.isConversion(c) || len(c.Args) != 1 {
			return false
		}
		e = c.Args[0]
	}
}

// deferOrGo applies "defer f(args)" or "go f(args)". loop is the body of the
// innermost loop around a defer, nil outside loops.
func (fa *funcAnalysis) deferOrGo(call *ast.CallExpr, st state, deferred bool, loop ast.Node, at token.Pos) {
	if lit, ok := ast.Unparen(call.Fun).(*ast.FuncLit); ok {
		// Releases inside the closure happen later; other captures transfer.
		released := map[int]bool{}
		ast.Inspect(lit.Body, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			for i := range fa.releasedArgs(c) {
				if i < len(c.Args) {
					for _, id := range fa.refs(c.Args[i]) {
						released[id] = true
						fa.release(c, c.Args[i], st, deferred, !deferred)
					}
				}
			}
			return true
		})
		if !deferred {
			fa.captures(lit, st, func(ids []int, id *ast.Ident) {
				for _, x := range ids {
					if !released[x] && st[x]&sOwned != 0 {
						st[x] = st[x]&^sOwned | sTransferred
					}
				}
			})
		}
		for _, arg := range call.Args {
			fa.eval(arg, st, useTransfer)
		}
		return
	}
	released := fa.releasedArgs(call)
	if len(released) == 0 {
		fa.eval(call, st, useDiscard)
		return
	}
	for i, arg := range call.Args {
		if !released[i] {
			fa.eval(arg, st, useRead)
			continue
		}
		if deferred && loop != nil && !fa.keptPastIteration(loop, arg) {
			for _, id := range fa.refs(arg) {
				b := fa.blocks[id]
				fa.find(Finding{Kind: Leak, Pos: at, End: call.End(),
					Message: fmt.Sprintf("deferred free of %s inside a loop: every iteration's block stays allocated until the function returns; free it at the end of the iteration (or move the body into a function)", nameOf(b))})
			}
		}
		fa.release(call, arg, st, deferred, !deferred)
	}
}

// keptPastIteration reports whether the loop body stores a variable of arg
// (the pointer a deferred free releases) into something declared outside the
// loop: cs[i] = p, s = append(s, p), last = p, x.f = p. Then the block must
// outlive the iteration (C is handed cs after the loop), and deferring its
// free to the function's return is the fix, not the bug.
func (fa *funcAnalysis) keptPastIteration(loop ast.Node, arg ast.Expr) bool {
	info := fa.a.v.Info
	vars := map[types.Object]bool{}
	ast.Inspect(arg, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if v, ok := info.Uses[id].(*types.Var); ok {
				vars[v] = true
			}
		}
		return true
	})
	if len(vars) == 0 {
		return false
	}
	outside := func(lhs ast.Expr) bool {
		for {
			switch x := ast.Unparen(lhs).(type) {
			case *ast.IndexExpr:
				lhs = x.X
				continue
			case *ast.SelectorExpr:
				lhs = x.X
				continue
			case *ast.StarExpr:
				lhs = x.X
				continue
			case *ast.Ident:
				obj := info.ObjectOf(x)
				if obj == nil || vars[obj] {
					return false
				}
				return obj.Pos() < loop.Pos() || obj.Pos() >= loop.End()
			}
			return false
		}
	}
	kept := false
	ast.Inspect(loop, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if kept || !ok {
			return !kept
		}
		for i, r := range as.Rhs {
			if !fa.holds(r, vars) {
				continue
			}
			if len(as.Lhs) == len(as.Rhs) {
				kept = outside(as.Lhs[i])
			} else {
				for _, l := range as.Lhs {
					kept = kept || outside(l)
				}
			}
			if kept {
				break
			}
		}
		return !kept
	})
	return kept
}

// holds reports whether the value of e is one of vars, or a slice or composite
// literal that contains one: p, unsafe.Pointer(p), append(s, p), T{p}. A call
// that only reads p (x = C.f(p)) does not hold it.
func (fa *funcAnalysis) holds(e ast.Expr, vars map[types.Object]bool) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return vars[fa.a.v.Info.Uses[e]]
	case *ast.CallExpr:
		if fa.isConversion(e) && len(e.Args) == 1 {
			return fa.holds(e.Args[0], vars)
		}
		if id, ok := ast.Unparen(e.Fun).(*ast.Ident); ok && id.Name == "append" {
			if _, ok := fa.a.v.Info.Uses[id].(*types.Builtin); ok {
				for _, a := range e.Args {
					if fa.holds(a, vars) {
						return true
					}
				}
			}
		}
	case *ast.CompositeLit:
		for _, el := range e.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				el = kv.Value
			}
			if fa.holds(el, vars) {
				return true
			}
		}
	case *ast.UnaryExpr:
		if e.Op == token.AND {
			return fa.holds(e.X, vars)
		}
	}
	return false
}

// captures calls f for each identifier in lit that names a tracked variable.
func (fa *funcAnalysis) captures(lit *ast.FuncLit, st state, f func(ids []int, id *ast.Ident)) {
	ast.Inspect(lit.Body, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if ids := fa.refs(id); len(ids) > 0 {
				f(ids, id)
			}
		}
		return true
	})
}

// overRead checks C.GoStringN(p, n), C.GoBytes(p, n) and unsafe.Slice(p, n)
// against the known size of p's block, and C.GoString on C.CBytes memory.
func (fa *funcAnalysis) overRead(call *ast.CallExpr, what string, st state) {
	if len(call.Args) == 0 {
		return
	}
	v := fa.a.v
	ptr := call.Args[0]
	ids := fa.refs(ptr)
	if what == "C.GoString" {
		for _, id := range ids {
			if b := fa.blocks[id]; b.cbytes {
				fa.find(Finding{Kind: OverRead, Pos: call.Pos(), End: call.End(),
					Message: fmt.Sprintf("C.GoString reads %s up to a NUL byte, but it comes from C.CBytes (line %d), which copies no terminator: the read runs past the block; use C.GoStringN or C.GoBytes with the length", nameOf(b), fa.line(b.site.Pos())),
					Related: []analysis.RelatedInformation{{Pos: b.site.Pos(), Message: "allocated without NUL terminator"}}})
			}
		}
		return
	}
	if len(call.Args) != 2 {
		return
	}
	n, ok := v.IntConst(call.Args[1])
	if !ok {
		fa.uncheckedLength(call, what, ptr)
		return
	}
	elem := int64(1)
	if what == "unsafe.Slice" {
		if t := v.Info.TypeOf(ptr); t != nil {
			if p, ok := t.Underlying().(*types.Pointer); ok {
				elem = fa.a.pass.TypesSizes.Sizeof(p.Elem())
			}
		}
	}
	size, src := int64(-1), ""
	if len(ids) == 1 && fa.isBlockStart(ptr) {
		b := fa.blocks[ids[0]]
		size, src = b.size, fmt.Sprintf("%s allocates %d bytes at line %d", b.alloc, b.size, fa.line(b.site.Pos()))
	} else if sz, ok := fa.arraySize(ptr); ok {
		size, src = sz, fmt.Sprintf("the array holds %d bytes", sz)
	}
	if size >= 0 && n*elem > size {
		fa.find(Finding{Kind: OverRead, Pos: call.Pos(), End: call.End(),
			Message: fmt.Sprintf("%s reads %d bytes but %s: it copies memory past the end; pass at most %d", what, n*elem, src, size/elem)})
	}
}

// isBlockStart reports whether p points at the start of its block (no offset).
func (fa *funcAnalysis) isBlockStart(p ast.Expr) bool {
	switch e := ast.Unparen(p).(type) {
	case *ast.Ident:
		return true
	case *ast.CallExpr:
		if fa.siteOf[e] != nil {
			return true
		}
		if fa.isConversion(e) && len(e.Args) == 1 {
			return fa.isBlockStart(e.Args[0])
		}
	}
	return false
}

// arraySize returns the size in bytes from &a[0] to the end of array a.
func (fa *funcAnalysis) arraySize(p ast.Expr) (int64, bool) {
	for {
		c, ok := ast.Unparen(p).(*ast.CallExpr)
		if !ok || !fa.isConversion(c) || len(c.Args) != 1 {
			break
		}
		p = c.Args[0]
	}
	u, ok := ast.Unparen(p).(*ast.UnaryExpr)
	if !ok || u.Op != token.AND {
		return 0, false
	}
	var arr ast.Expr = u.X
	if ix, ok := ast.Unparen(u.X).(*ast.IndexExpr); ok {
		if k, ok := fa.a.v.IntConst(ix.Index); !ok || k != 0 {
			return 0, false
		}
		arr = ix.X
	}
	t := fa.a.v.Info.TypeOf(arr)
	if t == nil {
		return 0, false
	}
	if _, ok := t.Underlying().(*types.Array); !ok {
		return 0, false
	}
	return fa.a.pass.TypesSizes.Sizeof(t), true
}

// uncheckedLength reports C.GoStringN(&x.arr[0], x.n) and the like: a copy out
// of a fixed-size C array whose length is read from data (a field, an element)
// and never compared with anything in the function before the copy. This is
// the Heartbleed shape: the length is whatever the peer claimed.
func (fa *funcAnalysis) uncheckedLength(call *ast.CallExpr, what string, ptr ast.Expr) {
	if what == "unsafe.Slice" {
		return
	}
	size, ok := fa.arraySize(ptr)
	if !ok || fa.libraryStruct(ptr) {
		return
	}
	n := call.Args[1]
	for {
		c, ok := ast.Unparen(n).(*ast.CallExpr)
		if !ok || !fa.isConversion(c) || len(c.Args) != 1 {
			break
		}
		n = c.Args[0]
	}
	switch ast.Unparen(n).(type) {
	case *ast.SelectorExpr, *ast.IndexExpr, *ast.StarExpr:
	default:
		return // a local, a computation or a call: may well be bounded
	}
	text := types.ExprString(n)
	bounded := false
	ast.Inspect(fa.body, func(x ast.Node) bool {
		if bounded || x == nil || x.Pos() >= call.Pos() {
			return !bounded
		}
		switch x := x.(type) {
		case *ast.BinaryExpr:
			switch x.Op {
			case token.LSS, token.LEQ, token.GTR, token.GEQ:
				if mentions(x.X, text) || mentions(x.Y, text) {
					bounded = true
				}
			}
		case *ast.CallExpr:
			if id, ok := ast.Unparen(x.Fun).(*ast.Ident); ok && id.Name == "min" && mentions(x, text) {
				bounded = true
			}
		}
		return true
	})
	if bounded {
		return
	}
	fa.find(Finding{Kind: OverRead, Pos: call.Pos(), End: call.End(),
		Message: fmt.Sprintf("%s copies %s bytes out of a %d-byte array, and %s is read from data and never checked against the array's size in this function: a larger value copies the memory after the array; clamp it (min(int(%s), %d))", what, text, size, text, text, size)})
}

// libraryStruct reports whether ptr, &x.arr[0] or &x.arr, points into a C
// struct that an included library header defines, not the package's own C
// code. The library fills such a struct, length field and array alike (git2go
// reads libgit2's git_diff_hunk.header with header_len, which libgit2 clamps
// to the array), so its length is the library's promise, trusted like any
// pointer and length it returns; the Heartbleed shape is a struct the package
// itself decodes untrusted data into.
func (fa *funcAnalysis) libraryStruct(ptr ast.Expr) bool {
	for {
		c, ok := ast.Unparen(ptr).(*ast.CallExpr)
		if !ok || !fa.isConversion(c) || len(c.Args) != 1 {
			break
		}
		ptr = c.Args[0]
	}
	u, ok := ast.Unparen(ptr).(*ast.UnaryExpr)
	if !ok {
		return false
	}
	arr := ast.Unparen(u.X)
	if ix, ok := arr.(*ast.IndexExpr); ok {
		arr = ast.Unparen(ix.X)
	}
	sel, ok := arr.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	t := fa.a.v.Info.TypeOf(sel.X)
	if t == nil {
		return false
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	name, ok := strings.CutPrefix(named.Obj().Name(), "_Ctype_")
	return ok && !fa.a.v.DeclaresCType(name)
}

// mentions reports whether e contains an expression that prints as text.
func mentions(e ast.Expr, text string) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if x, ok := n.(ast.Expr); ok && !found && types.ExprString(x) == text {
			found = true
		}
		return !found
	})
	return found
}
