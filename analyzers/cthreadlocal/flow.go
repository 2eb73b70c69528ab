package cthreadlocal

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/cfg"
)

// tlVal is a thread-local result held by a variable.
type tlVal struct {
	call *tlCall
	pos  token.Pos // the call that produced it
}

// sched is a scheduling point after some event.
type sched struct {
	what string // "the call of check", "a channel receive", "the cgo call C.x"
	pos  token.Pos
}

// exposed is a producer (a cgo call, or a variable's thread-local result)
// followed by a scheduling point while the thread was not locked.
type exposed struct {
	prod    string // "C.op_on"
	prodPos token.Pos
	at      sched
	val     *tlVal // for variables
}

type state struct {
	live    bool
	locked  bool                   // LockOSThread in effect on every path
	pending map[token.Pos]string   // cgo calls with no scheduling point since
	stale   map[token.Pos]exposed  // cgo calls followed by a scheduling point, unlocked
	fresh   map[*types.Var]tlVal   // variables holding a thread-local result, not yet exposed
	exposed map[*types.Var]exposed // variables whose thread-local result was exposed
}

func newState() *state {
	return &state{pending: map[token.Pos]string{}, stale: map[token.Pos]exposed{}, fresh: map[*types.Var]tlVal{}, exposed: map[*types.Var]exposed{}}
}

func (s *state) clone() *state {
	c := newState()
	c.live, c.locked = s.live, s.locked
	for k, v := range s.pending {
		c.pending[k] = v
	}
	for k, v := range s.stale {
		c.stale[k] = v
	}
	for k, v := range s.fresh {
		c.fresh[k] = v
	}
	for k, v := range s.exposed {
		c.exposed[k] = v
	}
	return c
}

// join merges t into s and reports whether s changed.
func (s *state) join(t *state) bool {
	if !t.live {
		return false
	}
	if !s.live {
		*s = *t.clone()
		return true
	}
	changed := false
	if s.locked && !t.locked {
		s.locked, changed = false, true
	}
	for k, v := range t.pending {
		if _, ok := s.pending[k]; !ok {
			s.pending[k], changed = v, true
		}
	}
	for k, v := range t.stale {
		if _, ok := s.stale[k]; !ok {
			s.stale[k], changed = v, true
		}
	}
	for k, v := range t.fresh {
		if _, ok := s.fresh[k]; !ok {
			s.fresh[k], changed = v, true
		}
	}
	for k, v := range t.exposed {
		if _, ok := s.exposed[k]; !ok {
			s.exposed[k], changed = v, true
		}
	}
	return changed
}

// body is one function body under analysis.
type body struct {
	k      *checker
	final  bool // the final pass: record literals and call sites
	report bool // the final pass, and reports are wanted
	lits   []litEntry
	// targets are identifiers that a range or select assigns: not uses.
	targets map[*ast.Ident]bool
}

type litEntry struct {
	lit    *ast.FuncLit
	locked bool
}

// analyse runs the data-flow over one function body whose entry is locked
// or not; its function literals are analysed after it, each with the lock
// state where it appears (a goroutine's or a deferred one's: unlocked).
func (k *checker) analyse(fbody *ast.BlockStmt, locked bool) {
	b := &body{k: k, targets: map[*ast.Ident]bool{}}
	ast.Inspect(fbody, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{n.Key, n.Value} {
				if id, ok := e.(*ast.Ident); ok {
					b.targets[id] = true
				}
			}
		case *ast.CommClause:
			if as, ok := n.Comm.(*ast.AssignStmt); ok {
				for _, l := range as.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						b.targets[id] = true
					}
				}
			}
		}
		return true
	})
	g := cfg.New(fbody, func(call *ast.CallExpr) bool { return !k.noReturn(call) })
	if len(g.Blocks) == 0 {
		return
	}
	preds := map[*cfg.Block][]*cfg.Block{}
	for _, blk := range g.Blocks {
		for _, s := range blk.Succs {
			preds[s] = append(preds[s], blk)
		}
	}
	in := map[*cfg.Block]*state{}
	out := map[*cfg.Block]*state{}
	for _, blk := range g.Blocks {
		in[blk], out[blk] = newState(), newState()
	}
	entry := g.Blocks[0]
	in[entry].live, in[entry].locked = true, locked
	work := []*cfg.Block{entry}
	queued := map[*cfg.Block]bool{entry: true}
	visited := map[*cfg.Block]bool{}
	for steps := 0; len(work) > 0 && steps < 100*len(g.Blocks); steps++ {
		blk := work[0]
		work = work[1:]
		queued[blk] = false
		s := in[blk].clone()
		b.block(blk, s)
		if visited[blk] && sameState(out[blk], s) {
			continue
		}
		visited[blk], out[blk] = true, s
		for _, succ := range blk.Succs {
			if in[succ].join(s) && !queued[succ] {
				work = append(work, succ)
				queued[succ] = true
			}
		}
	}
	// The final pass: report, and find the literals with their lock state.
	b.final, b.report = true, !k.collecting
	for _, blk := range g.Blocks {
		if in[blk].live {
			b.block(blk, in[blk].clone())
		}
	}
	for _, l := range b.lits {
		k.analyse(l.lit.Body, l.locked)
	}
}

// sameState compares the parts that the join grows.
func sameState(a, b *state) bool {
	return a.live == b.live && a.locked == b.locked && len(a.pending) == len(b.pending) &&
		len(a.stale) == len(b.stale) && len(a.fresh) == len(b.fresh) && len(a.exposed) == len(b.exposed)
}

// noReturn reports calls after which the function does not go on.
func (k *checker) noReturn(call *ast.CallExpr) bool {
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok {
		if b, ok := k.v.Info.Uses[id].(*types.Builtin); ok && b.Name() == "panic" {
			return true
		}
	}
	fn := k.v.StaticCallee(call)
	if fn == nil || fn.Pkg() == nil {
		return false
	}
	switch fn.Pkg().Path() + "." + fn.Name() {
	case "os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf", "log.Panicln", "runtime.Goexit":
		return true
	}
	return false
}

// block applies a block's nodes to s.
func (b *body) block(blk *cfg.Block, s *state) {
	if r, ok := blk.Stmt.(*ast.RangeStmt); ok && blk.Kind == cfg.KindRangeLoop {
		if t := b.k.v.Info.TypeOf(r.X); t != nil {
			if _, ok := t.Underlying().(*types.Chan); ok {
				b.sched(s, sched{"a receive from " + types.ExprString(r.X), r.X.Pos()})
			}
		}
	}
	for _, n := range blk.Nodes {
		b.node(n, s)
	}
}

// node applies one CFG node to s, in evaluation order.
func (b *body) node(n ast.Node, s *state) {
	walk(n, func(m ast.Node) bool {
		switch m := m.(type) {
		case *ast.FuncLit:
			if b.final {
				b.lits = append(b.lits, litEntry{m, s.locked})
			}
			return false
		case *ast.GoStmt:
			// The arguments are evaluated here; the call runs in a new
			// goroutine, on whatever thread.
			for _, a := range m.Call.Args {
				b.node(a, s)
			}
			if lit, ok := ast.Unparen(m.Call.Fun).(*ast.FuncLit); ok && b.final {
				b.lits = append(b.lits, litEntry{lit, false})
			}
			return false
		case *ast.DeferStmt:
			for _, a := range m.Call.Args {
				b.node(a, s)
			}
			if lit, ok := ast.Unparen(m.Call.Fun).(*ast.FuncLit); ok && b.final {
				b.lits = append(b.lits, litEntry{lit, false}) // runs at exit: lock state unknown
			}
			return false
		}
		return true
	}, func(m ast.Node, parents []ast.Node) {
		switch m := m.(type) {
		case *ast.Ident:
			b.use(m, parents, s)
		case *ast.SendStmt:
			b.sched(s, sched{"a send on " + types.ExprString(m.Chan), m.Pos()})
		case *ast.UnaryExpr:
			if m.Op == token.ARROW {
				b.sched(s, sched{"a receive from " + types.ExprString(m.X), m.Pos()})
			}
		case *ast.CallExpr:
			b.call(m, s)
		case *ast.AssignStmt:
			if len(m.Lhs) == len(m.Rhs) && (m.Tok == token.ASSIGN || m.Tok == token.DEFINE) {
				for i, l := range m.Lhs {
					b.assign(l, m.Rhs[i], s)
				}
			} else {
				for _, l := range m.Lhs {
					b.assign(l, nil, s)
				}
			}
		case *ast.ValueSpec:
			for i, id := range m.Names {
				var rhs ast.Expr
				if len(m.Values) == len(m.Names) {
					rhs = m.Values[i]
				}
				b.assign(id, rhs, s)
			}
		}
	})
}

// local returns the local variable e names.
func (b *body) local(e ast.Expr) *types.Var {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return nil
	}
	v, _ := b.k.v.Info.ObjectOf(id).(*types.Var)
	if v == nil || v.Kind() == types.PackageVar || v.IsField() {
		return nil
	}
	return v
}

// assign records lhs = rhs (rhs nil: an unknown value).
func (b *body) assign(lhs, rhs ast.Expr, s *state) {
	v := b.local(lhs)
	if v == nil {
		return
	}
	delete(s.fresh, v)
	delete(s.exposed, v)
	if rhs == nil {
		return
	}
	if call := b.resultCall(rhs); call != nil {
		if tl := b.k.cThreadLocal(call); tl != nil {
			s.fresh[v] = tlVal{call: tl, pos: call.Pos()}
		}
		return
	}
	if w := b.local(b.through(rhs)); w != nil {
		if f, ok := s.fresh[w]; ok {
			s.fresh[v] = f
		}
		if e, ok := s.exposed[w]; ok {
			s.exposed[v] = e
		}
	}
}

// through removes parentheses and conversions.
func (b *body) through(e ast.Expr) ast.Expr {
	for {
		e = ast.Unparen(e)
		call, ok := e.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return e
		}
		if tv, ok := b.k.v.Info.Types[call.Fun]; !ok || !tv.IsType() {
			return e
		}
		e = call.Args[0]
	}
}

// resultCall returns the C call whose result e is (through conversions).
func (b *body) resultCall(e ast.Expr) *ast.CallExpr {
	call, ok := b.through(e).(*ast.CallExpr)
	if !ok || !b.k.isCgoCall(call) {
		return nil
	}
	return call
}

// use handles a reference to a variable.
func (b *body) use(id *ast.Ident, parents []ast.Node, s *state) {
	if b.targets[id] || b.k.v.Info.Defs[id] != nil {
		return
	}
	v, _ := b.k.v.Info.Uses[id].(*types.Var)
	if v == nil {
		return
	}
	e, ok := s.exposed[v]
	if !ok {
		return
	}
	if len(parents) > 0 {
		switch p := parents[len(parents)-1].(type) {
		case *ast.AssignStmt:
			for _, l := range p.Lhs {
				if l == id {
					return
				}
			}
		case *ast.BinaryExpr:
			if (p.Op == token.EQL || p.Op == token.NEQ) && (isNil(p.X) || isNil(p.Y)) {
				return // comparing the pointer reads nothing
			}
		}
	}
	if !b.report || b.k.reported[id.Pos()] {
		return
	}
	b.k.reported[id.Pos()] = true
	k := b.k
	msg := fmt.Sprintf("%s holds the result of %s (line %d), a pointer into C thread-local storage (C: %s), and %s at line %d came between without runtime.LockOSThread: "+
		"this goroutine may now run on another OS thread, and another goroutine's cgo call on the first thread may have overwritten what %s points to "+
		"(the runtime keeps a goroutine on one thread, and other goroutines off it, only under runtime.LockOSThread). "+
		"Copy the result in the same C call (a small C wrapper), or hold runtime.LockOSThread from the call to the last read",
		id.Name, e.val.call.name, k.line(e.val.pos), e.val.call.ev, e.at.what, k.line(e.at.pos), id.Name)
	k.v.Report(k.pass, analysis.Diagnostic{Pos: id.Pos(), End: id.End(), Message: msg, Related: []analysis.RelatedInformation{
		{Pos: e.val.pos, Message: "the thread-local result is produced here"},
		{Pos: e.at.pos, Message: "a scheduling point: the goroutine may move to another thread here"},
	}})
}

func isNil(e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && id.Name == "nil"
}

func (k *checker) line(p token.Pos) int { return k.pass.Fset.Position(p).Line }

// sched applies a scheduling point: unless the thread is locked, every cgo
// call and thread-local result so far is exposed.
func (b *body) sched(s *state, at sched) {
	if s.locked {
		return
	}
	for p, name := range s.pending {
		if _, ok := s.stale[p]; !ok {
			s.stale[p] = exposed{prod: name, prodPos: p, at: at}
		}
	}
	clear(s.pending)
	for v, val := range s.fresh {
		if _, ok := s.exposed[v]; !ok {
			val := val
			s.exposed[v] = exposed{prod: val.call.name, prodPos: val.pos, at: at, val: &val}
		}
	}
	clear(s.fresh)
}

// call applies a call.
func (b *body) call(call *ast.CallExpr, s *state) {
	k := b.k
	switch k.runtimeCall(call) {
	case "LockOSThread":
		s.locked = true
		return
	case "UnlockOSThread":
		s.locked = false
		return
	}
	if k.isCgoCall(call) {
		name, _ := k.v.CCall(call)
		tl := k.cThreadLocal(call)
		if tl != nil && tl.state {
			b.twoCall(call, tl, s)
		}
		b.sched(s, sched{"the cgo call C." + name, call.Pos()})
		if tl == nil {
			// A call that may leave thread-local state (a getter only reads
			// it): a getter after it means this call's state, whatever
			// came before.
			clear(s.stale)
			s.pending[call.Pos()] = "C." + name
		}
		return
	}
	fn := k.v.StaticCallee(call)
	if k.collecting && b.final && fn != nil && fn.Pkg() == k.v.Pkg {
		k.sites[fn] = append(k.sites[fn], s.locked)
	}
	if !k.schedCall(call) {
		return
	}
	what := "a call of " + types.ExprString(call.Fun)
	if fn != nil {
		what = "the call of " + fn.Name()
	}
	b.sched(s, sched{what, call.Pos()})
	if fn != nil {
		if g := k.getters[fn]; g != nil {
			b.twoCall(call, &tlCall{name: fn.Name(), ev: "it calls " + g.name + ": " + g.ev, state: true}, s)
		}
	}
}

// twoCall reports a getter of thread-local state called after an earlier
// cgo call and a scheduling point.
func (b *body) twoCall(call *ast.CallExpr, tl *tlCall, s *state) {
	if len(s.stale) == 0 || !b.report || b.k.reported[call.Pos()] {
		return
	}
	var keys []token.Pos
	for p := range s.stale {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	e := s.stale[keys[len(keys)-1]] // the latest producer: the one the reader means
	k := b.k
	k.reported[call.Pos()] = true
	between := fmt.Sprintf("%s at line %d came between", e.at.what, k.line(e.at.pos))
	if e.at.pos == call.Pos() {
		between = "the call of " + tl.name + " is itself a scheduling point (the runtime preempts goroutines as Go functions start)"
	}
	msg := fmt.Sprintf("%s reads C thread-local state (C: %s) that the earlier cgo call %s (line %d) left, but %s without runtime.LockOSThread: "+
		"this goroutine may now run on another OS thread, whose state belongs to another call, or another goroutine's call on the first thread overwrote it "+
		"(the runtime keeps a goroutine on one thread, and other goroutines off it, only under runtime.LockOSThread). "+
		"Read the state in the same C call (a small C wrapper that runs the operation and copies the result), or hold runtime.LockOSThread around both calls",
		tl.name, tl.ev, e.prod, k.line(e.prodPos), between)
	k.v.Report(k.pass, analysis.Diagnostic{Pos: call.Pos(), End: call.End(), Message: msg, Related: []analysis.RelatedInformation{
		{Pos: e.prodPos, Message: "the cgo call that leaves the thread-local state"},
		{Pos: e.at.pos, Message: "a scheduling point: the goroutine may move to another thread here"},
	}})
}
