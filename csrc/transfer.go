package csrc

import (
	"fmt"
	"go/token"

	cc "modernc.org/cc/v4"
)

// originKind says where a pointer value comes from.
type originKind uint8

const (
	oNull    originKind = iota // 0 / NULL
	oParam                     // a parameter's value on entry
	oOwned                     // memory the caller of an allocator owns
	oTLS                       // thread-local storage
	oStatic                    // static storage (a global, a static local, a function)
	oString                    // a string literal
	oStack                     // an automatic variable of this call
	oUnknown                   // anything else
)

type origin struct {
	k       originKind
	param   int
	offset  bool        // points inside, not at the start
	ev      *Evidence   // oOwned, oTLS: the fact, Via starting at the analysed function
	dealloc string      // oOwned
	via     []*variable // oOwned: the locals the value went through
}

// analysis is one pass of the transfer function over one body.
type analysis struct {
	m        *Model
	n        *fnNode
	memo     map[*variable][]origin
	busy     map[*variable]bool
	stored   map[*variable]bool // locals stored in non-local memory or handed to a keeping callee
	returned map[*variable]bool // locals returned
}

// transfer recomputes the facts of n from its body and its callees' current
// summaries; it reports whether a fact was added.
func (m *Model) transfer(n *fnNode) bool {
	a := &analysis{m: m, n: n, memo: map[*variable][]origin{}, busy: map[*variable]bool{},
		stored: map[*variable]bool{}, returned: map[*variable]bool{}}
	f := n.fn
	changed := false
	ir := n.ir

	// Calls: blocking, partial callees.
	for _, c := range ir.calls {
		g := a.callee(c)
		if g == nil {
			continue
		}
		if f.MayBlock == nil && g.MayBlock != nil {
			f.MayBlock = a.chain(g, g.MayBlock, c.pos, "calls "+g.Name+", which may block its thread")
			changed = true
		}
		if f.Partial == "" && g.Partial != "" {
			f.Partial = "calls " + g.Name + ", whose summary is incomplete"
			changed = true
		}
	}

	// Locals that leave the call (for stores into the objects they point to).
	for _, r := range ir.returns {
		if v := localOf(r.x); v != nil {
			a.returned[v] = true
		}
	}
	for _, as := range ir.assigns {
		if as.kind != aPlain {
			continue
		}
		if tk, _ := a.target(as.lhs); tk != tLocal && tk != tUnknown {
			if v := localOf(as.rhs); v != nil {
				a.stored[v] = true
			}
		}
	}
	for _, c := range ir.calls {
		g := a.callee(c)
		if g == nil {
			continue
		}
		for j := range g.StoresParam {
			if j < len(c.args) {
				if v := localOf(c.args[j]); v != nil {
					if tk, _ := a.keptWhere(g, j, c); tk != tLocal && tk != tUnknown {
						a.stored[v] = true
					}
				}
			}
		}
	}

	// Stores of parameters.
	for _, as := range ir.assigns {
		if as.kind != aPlain {
			continue
		}
		tk, where := a.target(as.lhs)
		switch tk {
		case tLocal, tUnknown:
			continue
		case tHeap:
			if !a.stored[where.v] && !a.returned[where.v] {
				continue
			}
		}
		o, ok := definite(a.prov(as.rhs))
		if !ok || o.k != oParam || !a.pointerParam(o.param) || tk == tParamMem && where.param == o.param {
			continue
		}
		if f.StoresParam[o.param] == nil {
			setStore(f, o.param, tk, where, &Evidence{Via: []string{f.Name}, Pos: as.pos,
				Note: fmt.Sprintf("stores %s in %s", a.paramName(o.param), where.desc)})
			changed = true
		}
	}
	for _, c := range ir.calls {
		g := a.callee(c)
		if g == nil {
			continue
		}
		for j, ev := range g.StoresParam {
			if j >= len(c.args) {
				continue
			}
			o, ok := definite(a.prov(c.args[j]))
			if !ok || o.k != oParam || !a.pointerParam(o.param) || f.StoresParam[o.param] != nil {
				continue
			}
			if tc, ok := a.m.db.ThreadCreator(g.Name); ok && joined(ir.calls, c, tc.Join) {
				continue // the thread ends before this function returns
			}
			tk, where := a.keptWhere(g, j, c)
			switch {
			case tk == tLocal || tk == tUnknown,
				tk == tHeap && !a.stored[where.v] && !a.returned[where.v],
				tk == tParamMem && where.param == o.param:
				continue
			}
			setStore(f, o.param, tk, where, a.chain(g, ev, c.pos, fmt.Sprintf("passes %s to %s, which keeps it", a.paramName(o.param), g.Name)))
			changed = true
		}
		// Frees of parameters.
		for j, ev := range g.FreesParam {
			if j >= len(c.args) {
				continue
			}
			o, ok := definite(a.prov(c.args[j]))
			if !ok || o.k != oParam || o.offset || f.FreesParam[o.param] != nil {
				continue
			}
			if f.FreesParam == nil {
				f.FreesParam = map[int]*Evidence{}
			}
			f.FreesParam[o.param] = a.chain(g, ev, c.pos, fmt.Sprintf("passes %s to %s, which releases it", a.paramName(o.param), g.Name))
			changed = true
		}
	}

	// Ownership handed over with its destructor: f(ctx, p, n, free) (as in
	// sqlite3_result_text, sqlite3_bind_text, g_object_set_data_full) gives
	// the callee the pointer just before the destructor, and the means to
	// release it, so the caller no longer owns that pointer.
	for _, c := range ir.calls {
		for d, arg := range c.args {
			if arg.k == eAddr && arg.x != nil {
				arg = arg.x
			}
			if arg.k != eFunc || c.callee == arg.name {
				continue
			}
			if _, ok := a.m.db.Deallocator(arg.name); !ok {
				continue
			}
			for j := d - 1; j >= 0; j-- {
				o, ok := definite(a.prov(c.args[j]))
				if !ok || o.k != oParam || !a.pointerParam(o.param) {
					continue // a length or flag between the pointer and the destructor
				}
				if !o.offset && f.FreesParam[o.param] == nil {
					if f.FreesParam == nil {
						f.FreesParam = map[int]*Evidence{}
					}
					f.FreesParam[o.param] = &Evidence{Via: []string{f.Name}, Pos: c.pos,
						Note: fmt.Sprintf("passes %s to %s with the destructor %s, which then owns it", a.paramName(o.param), c.callee, arg.name)}
					changed = true
				}
				break
			}
		}
	}

	// Results.
	if f.ReturnsOwned == nil && len(ir.returns) > 0 {
		var first *origin
		ok := true
	rets:
		for _, r := range ir.returns {
			for _, o := range a.prov(r.x) {
				switch {
				case o.k == oNull:
				case o.k == oOwned && !o.offset && (first == nil || first.dealloc == o.dealloc) && !a.escapes(o.via):
					if first == nil {
						o := o
						first = &o
					}
				default:
					ok = false
					break rets
				}
			}
		}
		if ok && first != nil {
			f.ReturnsOwned, f.Dealloc = first.ev, first.dealloc
			if f.Dealloc == "" {
				f.Dealloc = "free"
			}
			changed = true
		}
	}
	if f.ReturnsThreadLocal == nil {
		for _, r := range ir.returns {
			if o, ok := definite(a.prov(r.x)); ok && o.k == oTLS {
				ev := *o.ev
				if len(ev.Via) == 1 {
					ev.Pos = r.pos // this body's own fact: where it returns it
				}
				f.ReturnsThreadLocal = &ev
				changed = true
				break
			}
		}
	}
	return changed
}

// keptWhere classifies, in the analysed function, where callee g keeps its
// argument j at call c: in static storage (or a thread, or an object that
// outlives g), or in the memory of another argument, which may be this
// function's own (a local: not kept) or a parameter's.
func (a *analysis) keptWhere(g *Func, j int, c *callSite) (targetKind, where) {
	k, ok := g.StoresInto[j]
	if !ok || k < 0 {
		return tGlobal, where{desc: "storage that outlives the call"}
	}
	if k >= len(c.args) {
		return tUnknown, where{}
	}
	return a.memTarget(c.args[k])
}

// setStore records that f keeps parameter i in target tk.
func setStore(f *Func, i int, tk targetKind, w where, ev *Evidence) {
	if f.StoresParam == nil {
		f.StoresParam, f.StoresInto = map[int]*Evidence{}, map[int]int{}
	}
	f.StoresParam[i] = ev
	f.StoresInto[i] = -1
	if tk == tParamMem {
		f.StoresInto[i] = w.param
	}
}

// escapes reports whether one of the locals an owned value went through was
// also stored elsewhere: then the function keeps a copy and the caller does
// not simply own the result.
func (a *analysis) escapes(vs []*variable) bool {
	for _, v := range vs {
		if a.stored[v] {
			return true
		}
	}
	return false
}

// pointerParam reports whether parameter i may hold a pointer: keeping an
// integer parameter keeps nothing.
func (a *analysis) pointerParam(i int) bool {
	ps := a.n.ir.params
	return i < len(ps) && ps[i].ptr != no
}

func (a *analysis) paramName(i int) string {
	if ps := a.n.ir.params; i < len(ps) && ps[i].name != "" {
		return ps[i].name
	}
	return fmt.Sprintf("parameter %d", i)
}

// callee returns the current summary of the function a call reaches, or nil.
func (a *analysis) callee(c *callSite) *Func {
	if c.callee == "" {
		return nil
	}
	g := a.n.callees[c.callee]
	if g == nil {
		return nil
	}
	if g.fn == nil {
		g.fn = a.m.base(g)
	}
	return g.fn
}

// chain returns the evidence of a fact of callee g seen from the analysed
// function: g's own evidence behind this call when g has a body, or the
// call itself (with note) when g's fact is primitive.
func (a *analysis) chain(g *Func, ev *Evidence, call token.Position, note string) *Evidence {
	if g.Defined && len(ev.Via) > 0 && ev.Pos.IsValid() {
		return &Evidence{Via: append([]string{a.n.name}, ev.Via...), Pos: ev.Pos, Note: ev.Note}
	}
	return &Evidence{Via: append([]string{a.n.name}, ev.Via...), Pos: call, Note: note}
}

// definite returns the one origin of a value, ignoring null.
func definite(os []origin) (origin, bool) {
	var r origin
	found := false
	for _, o := range os {
		if o.k == oNull {
			continue
		}
		if !found {
			r, found = o, true
			continue
		}
		if o.k != r.k || o.k == oParam && o.param != r.param || o.k == oUnknown {
			return origin{}, false
		}
		r.offset = r.offset || o.offset
	}
	return r, found
}

// localOf returns the local variable (or parameter) that e is, through casts and arithmetic.
func localOf(e *expr) *variable {
	for i := 0; e != nil && i < 1000; i++ {
		switch e.k {
		case eVar:
			if e.v.kind == vLocal || e.v.kind == vParam {
				return e.v
			}
			return nil
		case eArith, eSub:
			if e.x != nil && e.x.k != eConst && !e.x.num {
				e = e.x
				continue
			}
			e = e.y
		default:
			return nil
		}
	}
	return nil
}

type targetKind uint8

const (
	tLocal    targetKind = iota // this call's own storage
	tGlobal                     // static storage, or memory reachable from it
	tParamMem                   // memory reachable from a parameter
	tHeap                       // an object this call allocated, held by a local
	tUnknown                    // not followed
)

type where struct {
	desc  string
	param int
	v     *variable
}

// target classifies the storage an assignment writes.
func (a *analysis) target(lhs *expr) (targetKind, where) {
	for i := 0; lhs != nil && i < 1000; i++ {
		switch lhs.k {
		case eVar:
			switch lhs.v.kind {
			case vGlobal:
				return tGlobal, where{desc: "global " + lhs.v.name}
			case vLocalStatic:
				if lhs.v.tls {
					return tGlobal, where{desc: "thread-local " + lhs.v.name}
				}
				return tGlobal, where{desc: "static " + lhs.v.name}
			}
			return tLocal, where{}
		case eMember:
			if lhs.arrow {
				return a.memTarget(lhs.x)
			}
			lhs = lhs.x
		case eIndex:
			if lhs.x != nil && lhs.x.k == eVar && lhs.x.v.array {
				lhs = lhs.x
				continue
			}
			return a.memTarget(lhs.x)
		case eDeref:
			return a.memTarget(lhs.x)
		default:
			return tUnknown, where{}
		}
	}
	return tUnknown, where{}
}

// memTarget classifies the memory p points to.
func (a *analysis) memTarget(p *expr) (targetKind, where) {
	if o, ok := definite(a.prov(p)); ok {
		switch o.k {
		case oParam:
			return tParamMem, where{desc: "memory reachable from parameter " + a.paramName(o.param), param: o.param}
		case oStatic:
			return tGlobal, where{desc: "static storage"}
		case oTLS:
			return tGlobal, where{desc: "thread-local storage"}
		case oStack, oString:
			return tLocal, where{}
		case oOwned:
			if v := localOf(p); v != nil {
				return tHeap, where{desc: "a heap object (" + v.name + ") that outlives the call", v: v}
			}
			if len(o.via) > 0 {
				v := o.via[0]
				return tHeap, where{desc: "a heap object (" + v.name + ") that outlives the call", v: v}
			}
		}
	}
	// Loaded pointers (q->list->head = p): the memory is reachable from the base.
	v := rootVar(p)
	if v == nil {
		return tUnknown, where{}
	}
	switch v.kind {
	case vGlobal, vLocalStatic:
		return tGlobal, where{desc: "memory reachable from " + v.name}
	case vLocal, vParam:
		if o, ok := definite(a.varProv(v)); ok && o.k == oParam {
			return tParamMem, where{desc: "memory reachable from parameter " + a.paramName(o.param), param: o.param}
		}
	}
	return tUnknown, where{}
}

// prov returns the origins of e's value.
func (a *analysis) prov(e *expr) []origin {
	return a.provDepth(e, 0)
}

func (a *analysis) provDepth(e *expr, depth int) []origin {
	if e == nil || depth > 200 {
		return []origin{{k: oUnknown}}
	}
	switch e.k {
	case eNull:
		return []origin{{k: oNull}}
	case eString:
		return []origin{{k: oString}}
	case eFunc:
		return []origin{{k: oStatic}}
	case eVar:
		return a.varProv(e.v)
	case eCall:
		return a.callProv(e.call)
	case eAddr:
		return a.addrProv(e.x, e.pos, depth+1)
	case eCond:
		return append(append([]origin(nil), a.provDepth(e.x, depth+1)...), a.provDepth(e.y, depth+1)...)
	case eArith, eSub:
		return a.arith(e, depth+1)
	}
	return []origin{{k: oUnknown}}
}

// arith gives the origins of x + y or x - y: pointer arithmetic keeps the
// pointer operand's origin (offset). Of two operands, one is an integer: an
// operand of integer type is dropped, and an operand with a known pointer
// origin wins over one of unknown origin (C has no pointer + pointer).
func (a *analysis) arith(e *expr, depth int) []origin {
	side := func(x *expr) ([]origin, bool) {
		if !a.mayPointer(x) {
			return nil, false
		}
		os := a.provDepth(x, depth)
		known := false
		for _, o := range os {
			if o.k != oUnknown && o.k != oNull {
				known = true
			}
		}
		return os, known
	}
	l, lk := side(e.x)
	r, rk := side(e.y)
	if e.k == eSub {
		if rk && lk {
			return []origin{{k: oUnknown}} // pointer difference: an integer
		}
		r, rk = nil, false
	}
	var out []origin
	switch {
	case lk && !rk:
		out = l
	case rk && !lk:
		out = r
	default:
		out = append(append([]origin(nil), l...), r...)
	}
	if len(out) == 0 {
		return []origin{{k: oUnknown}}
	}
	res := make([]origin, len(out))
	for i, o := range out {
		o.offset = true
		res[i] = o
	}
	return res
}

// mayPointer reports whether e may have a pointer type.
func (a *analysis) mayPointer(e *expr) bool {
	if e == nil {
		return false
	}
	switch e.k {
	case eVar:
		return e.v.array || e.v.ptr != no
	case eNull, eConst:
		return false
	case eOther:
		return !e.num
	case eCall:
		return a.m.returnsPointer(a.n.t, e.call.callee) != no
	case eArith, eSub, eCond:
		return a.mayPointer(e.x) || a.mayPointer(e.y)
	}
	return true
}

// returnsPointer reports whether the function name, as declared in unit t,
// returns a pointer.
func (m *Model) returnsPointer(t *tunit, name string) tri {
	if t == nil || name == "" {
		return maybe
	}
	var d *cc.Declarator
	var ds *cc.DeclarationSpecifiers
	if fd := t.defs[name]; fd != nil {
		d, ds = fd.Declarator, fd.DeclarationSpecifiers
	} else if decls := t.fdecls[name]; len(decls) > 0 {
		d, ds = decls[0].d, decls[0].ds
	}
	if d == nil {
		return maybe
	}
	if d.Pointer != nil {
		return yes
	}
	if ds == nil {
		return maybe
	}
	return t.specsPointerish(ds, 0)
}

// varProv returns the origins of a variable's value.
func (a *analysis) varProv(v *variable) []origin {
	switch v.kind {
	case vGlobal, vLocalStatic:
		if v.array {
			if v.tls {
				return []origin{{k: oTLS, ev: &Evidence{Via: []string{a.n.name}, Pos: v.pos, Note: "returns thread-local " + v.name}}}
			}
			return []origin{{k: oStatic}}
		}
		return []origin{{k: oUnknown}}
	case vFunc:
		return []origin{{k: oStatic}}
	}
	if v.array {
		return []origin{{k: oStack}}
	}
	if os, ok := a.memo[v]; ok {
		return os
	}
	if a.busy[v] {
		return nil // a cycle (p = q; q = p): contributes nothing new
	}
	a.busy[v] = true
	defer delete(a.busy, v)
	var out []origin
	offset := false
	for _, d := range v.defs {
		switch d.kind {
		case dParam:
			out = append(out, origin{k: oParam, param: v.param})
		case dAssign:
			out = append(out, a.prov(d.rhs)...)
		case dOffset:
			offset = true
		case dUnknown:
			out = append(out, origin{k: oUnknown})
		case dOut:
			g := a.callee(d.call)
			if g != nil && g.ReturnsOwned != nil && !g.Defined {
				ev := &Evidence{Via: []string{a.n.name, g.Name}, Pos: d.call.pos, Note: v.name + " is set by " + g.Name + ", which allocates it"}
				out = append(out, origin{k: oOwned, ev: ev, dealloc: g.Dealloc})
			} else {
				out = append(out, origin{k: oUnknown})
			}
		}
	}
	if len(v.defs) == 0 {
		out = append(out, origin{k: oUnknown}) // uninitialised, or a parameter of unknown position
	}
	res := make([]origin, len(out))
	for i, o := range out {
		if offset && o.k != oNull {
			o.offset = true
		}
		if o.k == oOwned {
			o.via = append(append([]*variable(nil), o.via...), v)
		}
		res[i] = o
	}
	a.memo[v] = res
	return res
}

// callProv returns the origins of a call's result.
func (a *analysis) callProv(c *callSite) []origin {
	g := a.callee(c)
	if g == nil {
		return []origin{{k: oUnknown}}
	}
	if g.ReturnsOwned != nil {
		return []origin{{k: oOwned, dealloc: g.Dealloc,
			ev: a.chain(g, g.ReturnsOwned, c.pos, "returns the result of "+g.Name+", which the caller must free")}}
	}
	if g.ReturnsThreadLocal != nil {
		return []origin{{k: oTLS,
			ev: a.chain(g, g.ReturnsThreadLocal, c.pos, "returns the result of "+g.Name+", which points into thread-local storage")}}
	}
	return []origin{{k: oUnknown}}
}

// addrProv returns the origins of &x.
func (a *analysis) addrProv(x *expr, pos token.Position, depth int) []origin {
	if x == nil || depth > 200 {
		return []origin{{k: oUnknown}}
	}
	switch x.k {
	case eVar:
		v := x.v
		switch {
		case v.tls:
			return []origin{{k: oTLS, ev: &Evidence{Via: []string{a.n.name}, Pos: pos, Note: "returns the address of thread-local " + v.name}}}
		case v.kind == vGlobal || v.kind == vLocalStatic || v.kind == vFunc:
			return []origin{{k: oStatic}}
		}
		return []origin{{k: oStack}}
	case eFunc:
		return []origin{{k: oStatic}}
	case eMember:
		if x.arrow {
			return offsetAll(a.provDepth(x.x, depth+1), true)
		}
		return offsetAll(a.addrProv(x.x, pos, depth+1), true)
	case eIndex:
		off := x.y == nil || x.y.k != eNull
		if x.x != nil && x.x.k == eVar && x.x.v.array {
			return offsetAll(a.addrProv(x.x, pos, depth+1), off)
		}
		return offsetAll(a.provDepth(x.x, depth+1), off)
	case eDeref:
		return a.provDepth(x.x, depth+1)
	}
	return []origin{{k: oUnknown}}
}

func offsetAll(os []origin, off bool) []origin {
	if !off {
		return os
	}
	res := make([]origin, len(os))
	for i, o := range os {
		if o.k != oNull {
			o.offset = true
		}
		res[i] = o
	}
	return res
}

// joined reports whether the thread that a thread-creating call c starts,
// in the variable its first argument points to, is joined by a call of join
// (pthread_join) with that variable in the same body: the argument is then
// only lent for the call.
func joined(calls []*callSite, c *callSite, join string) bool {
	if len(c.args) == 0 || c.args[0].k != eAddr || c.args[0].x == nil || c.args[0].x.k != eVar {
		return false
	}
	t := c.args[0].x.v
	for _, j := range calls {
		if j.callee == join && len(j.args) > 0 && j.args[0].k == eVar && j.args[0].v == t {
			return true
		}
	}
	return false
}
