package handlepin

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/cfg"
)

// States of a tracked handle or pinner, a set per object.
const (
	sNone      uint8 = 1 << iota // not created / nothing pinned yet
	sLive                        // handle live / pointers pinned: this function must release
	sReleased                    // deleted / unpinned
	sDeferred                    // a deferred call will release it at exit
	sEscaped                     // someone else may release it
	sDeferLate                   // a deferred closure will release whatever the variable holds at exit
)

type objKind int

const (
	kHandle objKind = iota
	kPinner
)

// obj is one tracked variable.
type obj struct {
	kind     objKind
	v        *types.Var
	created  token.Pos // first cgo.NewHandle / Pin, for messages
	escapes  bool      // some event anywhere makes it escape (no mechanical fix then)
	inLoop   bool      // created inside a loop
	releases bool      // released somewhere (no mechanical fix then either)
}

type eventKind int

const (
	eCreate  eventKind = iota // h := cgo.NewHandle(...), p.Pin(...)
	eRelease                  // h.Delete(), p.Unpin()
	eDefer                    // defer h.Delete(), defer p.Unpin()
	eEscape
	eAddrToC // unsafe.Pointer(&h) passed to C (handles)
)

type event struct {
	kind eventKind
	obj  int
	node ast.Node
	cfn  string // eAddrToC: the C function
	why  string // eAddrToC: evidence that C keeps it
	late bool   // eDefer from a deferred closure: it reads the variable at exit
}

type state []uint8

func (s state) clone() state { return append(state(nil), s...) }

type funcAnalysis struct {
	c       *checker
	body    *ast.BlockStmt
	isMain  bool
	objs    []*obj
	index   map[*types.Var]int // tracked variable or alias → object
	g       *cfg.CFG
	events  map[ast.Node][]event
	release map[int]token.Pos // a release of each object seen so far, for messages
}

func newFuncAnalysis(c *checker, body *ast.BlockStmt) *funcAnalysis {
	fa := &funcAnalysis{c: c, body: body, index: map[*types.Var]int{}, events: map[ast.Node][]event{}, release: map[int]token.Pos{}}
	fa.discover()
	return fa
}

// local returns the variable id names when it is declared in this body
// (not in a nested function literal: that one has its own analysis).
func (fa *funcAnalysis) local(id *ast.Ident) *types.Var {
	v, ok := fa.c.v.Info.ObjectOf(id).(*types.Var)
	if !ok || v.IsField() || v.Pos() < fa.body.Pos() || v.Pos() >= fa.body.End() {
		return nil
	}
	if fa.declaredInLit(v.Pos()) {
		return nil
	}
	return v
}

func (fa *funcAnalysis) declaredInLit(p token.Pos) bool {
	in := false
	ast.Inspect(fa.body, func(n ast.Node) bool {
		if lit, ok := n.(*ast.FuncLit); ok && lit.Pos() <= p && p < lit.End() {
			in = true
		}
		return !in
	})
	return in
}

// discover finds the tracked variables: handles from cgo.NewHandle, local
// Pinners, and the local variables that hold a tracked handle's value.
func (fa *funcAnalysis) discover() {
	c := fa.c
	add := func(v *types.Var, k objKind) {
		if _, ok := fa.index[v]; !ok {
			fa.index[v] = len(fa.objs)
			fa.objs = append(fa.objs, &obj{kind: k, v: v})
		}
	}
	ast.Inspect(fa.body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.AssignStmt:
			if len(n.Lhs) == len(n.Rhs) {
				for i, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok && c.isNewHandle(n.Rhs[i]) {
						if v := fa.local(id); v != nil {
							add(v, kHandle)
						}
					}
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				v := fa.local(id)
				if v == nil {
					continue
				}
				if i < len(n.Values) && c.isNewHandle(n.Values[i]) {
					add(v, kHandle)
				}
				if c.isPinnerType(v.Type()) {
					add(v, kPinner)
				}
			}
		case *ast.Ident:
			// p := runtime.Pinner{}
			if v := fa.local(n); v != nil && c.v.Info.Defs[n] == v && c.isPinnerType(v.Type()) {
				add(v, kPinner)
			}
		}
		return true
	})
	// Aliases: ctx := C.uintptr_t(h). Sets only grow.
	for changed := true; changed; {
		changed = false
		ast.Inspect(fa.body, func(n ast.Node) bool {
			as, ok := n.(*ast.AssignStmt)
			if _, lit := n.(*ast.FuncLit); lit {
				return false
			}
			if !ok || len(as.Lhs) != len(as.Rhs) {
				return true
			}
			for i, l := range as.Lhs {
				id, ok := l.(*ast.Ident)
				if !ok {
					continue
				}
				v := fa.local(id)
				if v == nil {
					continue
				}
				if o, ok := fa.carried(as.Rhs[i]); ok && fa.objs[o].kind == kHandle {
					if _, seen := fa.index[v]; !seen {
						fa.index[v] = o
						changed = true
					}
				}
			}
			return true
		})
	}
}

// carried returns the tracked handle whose value e is (through conversions).
func (fa *funcAnalysis) carried(e ast.Expr) (int, bool) {
	for {
		e = ast.Unparen(e)
		call, ok := e.(*ast.CallExpr)
		if !ok || !fa.c.isConversion(call) {
			break
		}
		e = call.Args[0]
	}
	id, ok := e.(*ast.Ident)
	if !ok {
		return 0, false
	}
	v, ok := fa.c.v.Info.Uses[id].(*types.Var)
	if !ok {
		return 0, false
	}
	o, ok := fa.index[v]
	return o, ok
}

// eventsOf returns the events of one CFG node, in evaluation order.
func (fa *funcAnalysis) eventsOf(n ast.Node) []event {
	if evs, ok := fa.events[n]; ok {
		return evs
	}
	var evs []event
	var stack []ast.Node
	deferred := 0 // inside a deferred function literal
	var visit func(x ast.Node) bool
	visit = func(x ast.Node) bool {
		if x == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, x)
		switch x := x.(type) {
		case *ast.FuncLit:
			isDeferred := len(stack) >= 3
			if isDeferred {
				call, ok := stack[len(stack)-2].(*ast.CallExpr)
				d, ok2 := stack[len(stack)-3].(*ast.DeferStmt)
				isDeferred = ok && ok2 && call.Fun == x && d.Call == call
			}
			if isDeferred {
				deferred++
				ast.Inspect(x.Body, visit)
				deferred--
			} else {
				// A closure may run at any time: what it captures escapes.
				ast.Inspect(x.Body, func(y ast.Node) bool {
					if id, ok := y.(*ast.Ident); ok {
						if v, ok := fa.c.v.Info.Uses[id].(*types.Var); ok {
							if o, ok := fa.index[v]; ok {
								evs = append(evs, event{kind: eEscape, obj: o, node: id})
							}
						}
					}
					return true
				})
			}
			stack = stack[:len(stack)-1]
			return false
		case *ast.Ident:
			v, ok := fa.c.v.Info.ObjectOf(x).(*types.Var)
			if !ok {
				return true
			}
			o, ok := fa.index[v]
			if !ok {
				return true
			}
			if ev, ok := fa.classify(stack, o, deferred > 0); ok {
				evs = append(evs, ev)
			}
		}
		return true
	}
	ast.Inspect(n, visit)
	fa.events[n] = evs
	return evs
}

// classify decides what the use of a tracked variable at the top of stack does.
func (fa *funcAnalysis) classify(stack []ast.Node, o int, deferred bool) (event, bool) {
	c := fa.c
	ob := fa.objs[o]
	i := len(stack) - 1
	cur := stack[i].(ast.Expr)
	id := cur.(*ast.Ident)
	parent := func() ast.Node {
		if i > 0 {
			return stack[i-1]
		}
		return nil
	}
	// Look through parentheses and conversions: C.uintptr_t(h) is h.
	for {
		switch p := parent().(type) {
		case *ast.ParenExpr:
			i--
			cur = p
			continue
		case *ast.CallExpr:
			if c.isConversion(p) && p.Args[0] == cur {
				i--
				cur = p
				continue
			}
		}
		break
	}
	switch p := parent().(type) {
	case *ast.SelectorExpr: // h.Delete(), p.Pin(x)
		if p.X != cur || i < 2 {
			return event{}, false
		}
		call, ok := stack[i-2].(*ast.CallExpr)
		if !ok || call.Fun != p {
			return event{}, false // a method value: p.Unpin as a func
		}
		inDefer := deferred
		if i >= 3 {
			if d, ok := stack[i-3].(*ast.DeferStmt); ok && d.Call == call {
				inDefer = true
			}
		}
		switch {
		case ob.kind == kHandle && p.Sel.Name == "Delete", ob.kind == kPinner && p.Sel.Name == "Unpin":
			if inDefer {
				return event{kind: eDefer, obj: o, node: call, late: deferred}, true
			}
			return event{kind: eRelease, obj: o, node: call}, true
		case ob.kind == kPinner && p.Sel.Name == "Pin":
			if inDefer {
				return event{kind: eEscape, obj: o, node: call}, true
			}
			return event{kind: eCreate, obj: o, node: call}, true
		}
		return event{}, false
	case *ast.UnaryExpr:
		if p.Op != token.AND {
			return event{}, false
		}
		// unsafe.Pointer(&h) passed to C.
		j := i - 1
		var arg ast.Expr = p
		for j > 0 {
			if call, ok := stack[j-1].(*ast.CallExpr); ok && c.isConversion(call) && call.Args[0] == arg {
				arg = call
				j--
				continue
			}
			break
		}
		if j > 0 && ob.kind == kHandle {
			if call, ok := stack[j-1].(*ast.CallExpr); ok {
				if fn, ok := c.v.CCall(call); ok {
					for k, a := range call.Args {
						if a == arg {
							if keeps, why := c.cKeeps(fn, k); keeps && why != "" {
								return event{kind: eAddrToC, obj: o, node: arg, cfn: fn, why: why}, true
							}
							return event{}, false // the documented void* pattern: C reads it during the call
						}
					}
				}
			}
		}
		return event{kind: eEscape, obj: o, node: p}, true
	case *ast.CallExpr:
		for k, a := range p.Args {
			if a != cur {
				continue
			}
			if fn, ok := c.v.CCall(p); ok && ob.kind == kHandle {
				if keeps, _ := c.cKeeps(fn, k); keeps || c.callbackDeletes {
					return event{kind: eEscape, obj: o, node: p}, true
				}
				return event{}, false // C borrows it for the call
			}
			if _, ok := c.v.Info.Uses[identOf(p.Fun)].(*types.Builtin); ok {
				return event{}, false
			}
			return event{kind: eEscape, obj: o, node: p}, true
		}
		return event{}, false
	case *ast.AssignStmt:
		for k, l := range p.Lhs {
			if l == cur {
				if k < len(p.Rhs) && len(p.Lhs) == len(p.Rhs) && c.isNewHandle(p.Rhs[k]) && ob.v == c.v.Info.ObjectOf(id) {
					return event{kind: eCreate, obj: o, node: p}, true
				}
				if ob.v == c.v.Info.ObjectOf(id) {
					return event{kind: eEscape, obj: o, node: p}, true // overwritten: we lose track
				}
				return event{}, false // an alias set again
			}
		}
		for k, r := range p.Rhs {
			if r != cur || k >= len(p.Lhs) || len(p.Lhs) != len(p.Rhs) {
				continue
			}
			if lid, ok := p.Lhs[k].(*ast.Ident); ok && ob.kind == kHandle {
				if v := fa.local(lid); v != nil {
					if _, alias := fa.index[v]; alias {
						return event{}, false
					}
				}
				if lid.Name == "_" {
					return event{}, false
				}
			}
			return event{kind: eEscape, obj: o, node: p}, true // stored, or a Pinner copied
		}
		return event{kind: eEscape, obj: o, node: p}, true
	case *ast.ValueSpec:
		for k, name := range p.Names {
			if name == cur {
				if k < len(p.Values) && c.isNewHandle(p.Values[k]) {
					return event{kind: eCreate, obj: o, node: p}, true
				}
				return event{}, false
			}
		}
		return event{kind: eEscape, obj: o, node: p}, true
	case *ast.ReturnStmt, *ast.SendStmt, *ast.CompositeLit, *ast.KeyValueExpr:
		return event{kind: eEscape, obj: o, node: p}, true
	case *ast.IndexExpr: // handles[h] = ...: kept as a key
		if p.Index == cur {
			return event{kind: eEscape, obj: o, node: p}, true
		}
	case *ast.GoStmt, *ast.DeferStmt:
		return event{kind: eEscape, obj: o, node: p}, true
	}
	return event{}, false
}

func identOf(e ast.Expr) *ast.Ident {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		return e
	case *ast.SelectorExpr:
		return e.Sel
	}
	return nil
}

// solve runs the data-flow to a fixed point, then reports.
func (fa *funcAnalysis) solve() {
	for _, b := range fa.g.Blocks {
		for _, n := range b.Nodes {
			for _, ev := range fa.eventsOf(n) {
				ob := fa.objs[ev.obj]
				if ev.kind == eEscape || ev.kind == eAddrToC {
					ob.escapes = true
				}
				if ev.kind == eRelease || ev.kind == eDefer {
					ob.releases = true
				}
				if ev.kind == eCreate && ob.created == token.NoPos {
					ob.created = ev.node.Pos()
				}
			}
		}
	}
	in := map[*cfg.Block]state{}
	entry := make(state, len(fa.objs))
	for i := range entry {
		entry[i] = sNone
	}
	in[fa.g.Blocks[0]] = entry
	work := []*cfg.Block{fa.g.Blocks[0]}
	for len(work) > 0 {
		b := work[0]
		work = work[1:]
		out := fa.transfer(b, in[b].clone(), false)
		for _, s := range b.Succs {
			old, seen := in[s]
			merged := out.clone()
			if seen {
				for i := range merged {
					merged[i] |= old[i]
				}
			}
			if !seen || !equal(merged, old) {
				in[s] = merged
				work = append(work, s)
			}
		}
	}
	fa.markLoops()
	for _, b := range fa.g.Blocks {
		if s, ok := in[b]; ok {
			fa.transfer(b, s.clone(), true)
		}
	}
}

func equal(a, b state) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// markLoops records which objects are created inside a loop body.
func (fa *funcAnalysis) markLoops() {
	var walk func(n ast.Node, loop bool)
	walk = func(n ast.Node, loop bool) {
		ast.Inspect(n, func(x ast.Node) bool {
			switch x := x.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ForStmt:
				walk(x.Body, true)
				return false
			case *ast.RangeStmt:
				walk(x.Body, true)
				return false
			}
			if loop {
				for _, ev := range fa.eventsOf0(x) {
					if ev.kind == eCreate {
						fa.objs[ev.obj].inLoop = true
					}
				}
			}
			return true
		})
	}
	walk(fa.body, false)
}

// eventsOf0 returns the events already computed for a CFG node.
func (fa *funcAnalysis) eventsOf0(n ast.Node) []event { return fa.events[n] }

// transfer applies a block's events to s; with report set, it reports.
func (fa *funcAnalysis) transfer(b *cfg.Block, s state, report bool) state {
	for _, n := range b.Nodes {
		for _, ev := range fa.eventsOf(n) {
			fa.apply(ev, s, report)
		}
		if ret, ok := n.(*ast.ReturnStmt); ok && report && !fa.isMain {
			fa.exit(ret, s)
		}
	}
	return s
}

func (fa *funcAnalysis) apply(ev event, s state, report bool) {
	ob := fa.objs[ev.obj]
	st := s[ev.obj]
	switch ev.kind {
	case eCreate:
		if report && st&sLive != 0 && ob.kind == kHandle {
			fa.lostHandle(ev, ob)
		}
		// Per path: a deferred Unpin, or a deferred closure that deletes
		// whatever the variable holds at exit, covers what is created now.
		var out uint8
		for bit := uint8(1); bit != 0 && bit <= sDeferLate; bit <<= 1 {
			if st&bit == 0 {
				continue
			}
			switch {
			case bit == sDeferLate, bit == sDeferred && ob.kind == kPinner:
				out |= bit
			default:
				out |= sLive
			}
		}
		s[ev.obj] = out
	case eRelease, eDefer:
		if report && ob.kind == kHandle && st&(sReleased|sDeferred) != 0 && !ev.late {
			fa.doubleDelete(ev, st)
		}
		to := sReleased
		if ev.kind == eDefer {
			to = sDeferred
			if ev.late {
				to = sDeferLate
			}
		}
		if ob.kind == kPinner && ev.kind == eRelease {
			s[ev.obj] = to // Unpin releases every pin, whatever happened before
		} else {
			s[ev.obj] = st&^(sLive|sNone) | to
		}
		if ob.kind == kHandle && !ev.late {
			fa.release[ev.obj] = ev.node.Pos()
		}
	case eEscape:
		if st&sLive != 0 {
			s[ev.obj] = st&^sLive | sEscaped
		}
	case eAddrToC:
		if report {
			fa.c.report(analysis.Diagnostic{Pos: ev.node.Pos(), End: ev.node.End(),
				Message: fmt.Sprintf("passes the address of handle %s to C.%s, which keeps it (%s): that is a Go pointer to a Go variable, which C may not keep after the call (cmd/cgo: \"C code may not keep a copy of a Go pointer after the call returns\") unless it is pinned, and the handle is an integer that needs no address. Pass its value, C.uintptr_t(%s), in an integer parameter and rebuild it with cgo.Handle(v); for a void* parameter, put the value in C memory",
					ob.v.Name(), ev.cfn, ev.why, ob.v.Name())})
		}
		if st&sLive != 0 {
			s[ev.obj] = st&^sLive | sEscaped
		}
	}
}

// lostHandle reports a handle variable set again while it held a live handle.
func (fa *funcAnalysis) lostHandle(ev event, ob *obj) {
	msg := fmt.Sprintf("%s is set to a new cgo.NewHandle while the handle it held may never have been deleted: that handle can no longer be deleted, and the handle table of runtime/cgo keeps its value reachable for the life of the process (runtime/cgo: \"a program must explicitly call Delete when the handle is no longer needed\"). Delete each handle once C no longer holds it", ob.v.Name())
	if ob.inLoop {
		msg = fmt.Sprintf("%s is set to a new cgo.NewHandle while the handle from the previous iteration was never deleted: one handle leaks per iteration, and the handle table of runtime/cgo keeps each value reachable for the life of the process (runtime/cgo: \"a program must explicitly call Delete when the handle is no longer needed\"). Delete each handle once C no longer holds it", ob.v.Name())
	}
	fa.c.report(analysis.Diagnostic{Pos: ev.node.Pos(), End: ev.node.End(), Message: msg})
}

func (fa *funcAnalysis) doubleDelete(ev event, st uint8) {
	first := ""
	if p, ok := fa.release[ev.obj]; ok && p != ev.node.Pos() {
		first = fmt.Sprintf(" (also deleted at line %d)", fa.c.line(p))
	}
	ob := fa.objs[ev.obj]
	what := "deleted"
	if st&sDeferred != 0 {
		what = "deleted by a deferred call"
	}
	fa.c.report(analysis.Diagnostic{Pos: ev.node.Pos(), End: ev.node.End(),
		Message: fmt.Sprintf("handle %s may already be %s when this Delete runs%s: deleting a handle twice panics (runtime/cgo: Delete \"panics if the handle is invalid\": \"misuse of an invalid Handle\"). Delete each handle exactly once", ob.v.Name(), what, first)})
}

// exit reports objects still live when the function returns at ret.
func (fa *funcAnalysis) exit(ret *ast.ReturnStmt, s state) {
	for i, ob := range fa.objs {
		if s[i]&sLive == 0 || ob.created == token.NoPos {
			continue
		}
		where := fmt.Sprintf("the return at line %d", fa.c.line(ret.Pos()))
		if ret.Results == nil && ret.Return == fa.body.End()-1 {
			where = "the end of the function"
		}
		switch ob.kind {
		case kHandle:
			d := analysis.Diagnostic{Pos: ob.created, End: ob.created,
				Message: fmt.Sprintf("handle %s from cgo.NewHandle is never deleted on the path to %s, and it is neither returned, stored, nor handed to C code that keeps it: the handle table of runtime/cgo keeps its value, and everything that value points to, reachable for the life of the process (runtime/cgo: \"a program must explicitly call Delete when the handle is no longer needed\"). Delete it once C no longer holds it: defer %s.Delete() when C only uses it during the call",
					ob.v.Name(), where, ob.v.Name())}
			if fix, ok := fa.deferFix(ob, "Delete"); ok {
				d.SuggestedFixes = []analysis.SuggestedFix{fix}
			}
			fa.c.report(d)
		case kPinner:
			d := analysis.Diagnostic{Pos: ob.created, End: ob.created,
				Message: fmt.Sprintf("%s pins a Go pointer here but is not unpinned on the path to %s, and %s does not outlive the function: when the garbage collector finds a Pinner that still holds pins unreachable, the runtime panics (\"runtime.Pinner: found leaking pinned pointer; forgot to call Unpin()?\"). Call defer %s.Unpin() after pinning; if C keeps the pointer after the call, keep the Pinner alive with the C resource and Unpin when C lets go",
					ob.v.Name(), where, ob.v.Name(), ob.v.Name())}
			if fix, ok := fa.deferFix(ob, "Unpin"); ok {
				d.SuggestedFixes = []analysis.SuggestedFix{fix}
			}
			fa.c.report(d)
		}
	}
}

// deferFix inserts "defer x.Delete()" (or Unpin) after the statement that
// creates the handle or first pins, when the object never escapes, that
// statement is directly in a block of this function, and not in a loop.
func (fa *funcAnalysis) deferFix(ob *obj, method string) (analysis.SuggestedFix, bool) {
	if ob.escapes || ob.inLoop || ob.releases {
		return analysis.SuggestedFix{}, false // the right place for the release is not mechanical
	}
	var stmt ast.Stmt
	var indent int
	ast.Inspect(fa.body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		blk, ok := n.(*ast.BlockStmt)
		if !ok {
			return true
		}
		for _, s := range blk.List {
			if s.Pos() <= ob.created && ob.created < s.End() {
				switch s.(type) {
				case *ast.AssignStmt, *ast.ExprStmt, *ast.DeclStmt:
					stmt = s
					indent = fa.c.v.Fset.Position(s.Pos()).Column - 1
				}
			}
		}
		return true
	})
	if stmt == nil {
		return analysis.SuggestedFix{}, false
	}
	text := "\n"
	for range indent {
		text += "\t"
	}
	text += "defer " + ob.v.Name() + "." + method + "()"
	return analysis.SuggestedFix{
		Message:   fmt.Sprintf("%s %s when the function returns", method, ob.v.Name()),
		TextEdits: []analysis.TextEdit{{Pos: stmt.End(), End: stmt.End(), NewText: []byte(text)}},
	}, true
}

// inlineHandles reports handles that are never bound to a variable and so
// can never be deleted: cgo.NewHandle(v) as a statement, or passed straight
// to a C function that does not keep it.
func (fa *funcAnalysis) inlineHandles() {
	c := fa.c
	var stack []ast.Node
	ast.Inspect(fa.body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		stack = append(stack, n)
		call, ok := n.(*ast.CallExpr)
		if !ok || !c.isNewHandle(call) {
			return true
		}
		i := len(stack) - 1
		var cur ast.Expr = call
		for i > 0 {
			switch p := stack[i-1].(type) {
			case *ast.ParenExpr:
				cur, i = p, i-1
				continue
			case *ast.CallExpr:
				if c.isConversion(p) && p.Args[0] == cur {
					cur, i = p, i-1
					continue
				}
			}
			break
		}
		if i == 0 {
			return true
		}
		switch p := stack[i-1].(type) {
		case *ast.ExprStmt:
			c.report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(),
				Message: "the handle returned by cgo.NewHandle is discarded: it can never be deleted, and the handle table of runtime/cgo keeps its value reachable for the life of the process (runtime/cgo: \"a program must explicitly call Delete when the handle is no longer needed\")"})
		case *ast.CallExpr:
			fn, isC := c.v.CCall(p)
			if !isC || c.callbackDeletes {
				return true
			}
			for k, a := range p.Args {
				if a != cur {
					continue
				}
				if keeps, _ := c.cKeeps(fn, k); keeps {
					return true
				}
				c.report(analysis.Diagnostic{Pos: call.Pos(), End: call.End(),
					Message: fmt.Sprintf("the handle from cgo.NewHandle is passed straight to C.%s, whose C body does not keep it, and is bound to no variable: nothing can delete it after the call, and the handle table of runtime/cgo keeps its value reachable for the life of the process (runtime/cgo: \"a program must explicitly call Delete when the handle is no longer needed\"). Bind it, h := cgo.NewHandle(v), and defer h.Delete()", fn)})
			}
		}
		return true
	})
}

// pinArgs reports Pin calls whose argument is not a pointer: Pin panics.
func (fa *funcAnalysis) pinArgs() {
	c := fa.c
	ast.Inspect(fa.body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return true
		}
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Pin" {
			return true
		}
		recv := c.v.Info.TypeOf(sel.X)
		if p, ok := recv.(*types.Pointer); ok {
			recv = p.Elem()
		}
		if !c.isPinnerType(recv) {
			return true
		}
		t := c.v.Info.TypeOf(call.Args[0])
		if t == nil || types.IsInterface(t) || unsafePointer(t) {
			return true
		}
		if _, ok := t.Underlying().(*types.Pointer); ok {
			return true
		}
		hint := "pin a pointer to the memory C will use"
		switch t.Underlying().(type) {
		case *types.Slice:
			hint = "pin the backing array: unsafe.SliceData(s), or &s[0] for a non-empty slice"
		case *types.Basic:
			if b := t.Underlying().(*types.Basic); b.Info()&types.IsString != 0 {
				hint = "pin the bytes: unsafe.StringData(s)"
			}
		}
		c.report(analysis.Diagnostic{Pos: call.Args[0].Pos(), End: call.Args[0].End(),
			Message: fmt.Sprintf("Pin's argument %s is a %s, not a pointer: Pin panics at run time (\"runtime.Pinner: argument is not a pointer\"; runtime.Pinner.Pin: \"The argument must be a pointer of any type or an unsafe.Pointer\"); %s",
				describe(call.Args[0]), types.TypeString(t, types.RelativeTo(c.v.Pkg)), hint)})
		return true
	})
}
