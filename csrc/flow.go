package csrc

import (
	"go/token"

	cc "modernc.org/cc/v4"

	"github.com/cgoguard/cgoguard/knowledge"
)

// The flow form of a body, for the lockset analysis (locks.go): the body's
// events in evaluation order (reads and writes of file-scope state, calls)
// inside its control structure (if, switch, loops, jumps, labels). It is
// built by the same irBuilder as the summaries' form, in flow mode, and only
// for the functions a lock question reaches.

type flowKind uint8

const (
	fAccess   flowKind = iota // a read or write of file-scope state
	fCall                     // a call
	fIf                       // then, els (the condition's events precede it)
	fLoop                     // cond, body, post; doWhile: body before cond
	fSwitch                   // body, with fCase items at its labels
	fCase                     // a case or default label
	fReturn                   // return (its value's events precede it)
	fBreak                    // break
	fContinue                 // continue
	fGoto                     // goto label ("*": a computed goto)
	fLabel                    // label:
)

type flowBlock struct {
	items []*flowItem
}

func (b *flowBlock) add(it *flowItem) { b.items = append(b.items, it) }

type flowItem struct {
	k    flowKind
	acc  *accessEv
	call *callSite
	// fIf: then, els. try is a trylock call in the condition, held in the
	// then branch (tryThen) or in the else branch; in a loop's condition,
	// held in the body (tryThen) or when the condition ends the loop
	// (while (pthread_mutex_trylock(&m) != 0) ;).
	then, els *flowBlock
	try       *callSite
	tryThen   bool
	// fLoop, fSwitch (body).
	cond, body, post *flowBlock
	doWhile          bool
	hasDefault       bool   // fSwitch
	label            string // fGoto, fLabel
	pos              token.Position
}

// accessEv is one access of file-scope state: a global or static variable
// v, or the part of it (or of what it points to) that comps name: ".f" a
// field, "[]" an element, "*" what a pointer points to.
type accessEv struct {
	v           *variable
	comps       []string
	read, write bool
	dropped     bool // only its address was taken
	emitted     bool
	pos         token.Position
}

// shared reports whether v is storage that every thread sees, and
// accesses of it are not atomic.
func shared(v *variable) bool {
	return (v.kind == vGlobal || v.kind == vLocalStatic) && !v.tls && !v.atomic
}

// atomicObject reports a declaration of an _Atomic object or array of them
// (_Atomic long x, _Atomic(long) x, atomic_int x through <stdatomic.h>'s
// typedef): C11 makes every access to it atomic (x++ is an atomic
// read-modify-write), so it is no lock's to guard. A pointer to atomic
// objects is not atomic itself.
func (t *tunit) atomicObject(ds *cc.DeclarationSpecifiers, d *cc.Declarator) bool {
	switch shapeOf(d) {
	case shapeBase, shapeArray:
		return t.atomicSpecs(ds, 0)
	}
	return false
}

func (t *tunit) atomicSpecs(ds *cc.DeclarationSpecifiers, depth int) bool {
	for ; ds != nil && depth <= 32; ds = ds.DeclarationSpecifiers {
		switch {
		case ds.Case == cc.DeclarationSpecifiersTypeQual && ds.TypeQualifier != nil:
			if ds.TypeQualifier.Case == cc.TypeQualifierAtomic {
				return true
			}
		case ds.Case == cc.DeclarationSpecifiersTypeSpec && ds.TypeSpecifier != nil:
			switch ts := ds.TypeSpecifier; ts.Case {
			case cc.TypeSpecifierAtomic:
				return true
			case cc.TypeSpecifierTypeName:
				if td := t.typedefs[ts.Token.SrcStr()]; td != nil && shapeOf(td.decl) == shapeBase && t.atomicSpecs(td.specs, depth+1) {
					return true
				}
			}
		}
	}
	return false
}

// accLeaf records the read of a shared variable named in an expression (its
// context may make it a write, a part of it, or no access: see mark, field,
// accInner, drop). An array is accessed only through an element.
func (b *irBuilder) accLeaf(v *variable, pos token.Position) *accessEv {
	if b.flow == nil || !shared(v) {
		return nil
	}
	a := &accessEv{v: v, read: true, pos: pos}
	if !v.array {
		b.flow.add(&flowItem{k: fAccess, acc: a, pos: pos})
		a.emitted = true
	}
	return a
}

// accInner returns the access of x[i] (comp "[]") or *x (comp "*") given x's
// access: an element of an array variable is part of it; through a pointer
// it is another access, after the read of the pointer.
func (b *irBuilder) accInner(x *expr, comp string, pos token.Position) *accessEv {
	if x == nil || x.acc == nil || b.flow == nil {
		return nil
	}
	a := x.acc
	if !a.emitted { // an array variable: *arr is arr[0]
		a.comps = append(a.comps, "[]")
		a.pos = pos
		b.flow.add(&flowItem{k: fAccess, acc: a, pos: pos})
		a.emitted = true
		return a
	}
	if comp == "[]" && len(a.comps) > 0 {
		// s.f[i]: fields have no types here; an array field is part of s
		// (a pointer field read here is then counted in the element's access).
		a.comps = append(a.comps, "[]")
		return a
	}
	n := &accessEv{v: a.v, comps: append(append([]string(nil), a.comps...), "*"), read: true, pos: pos, emitted: true}
	b.flow.add(&flowItem{k: fAccess, acc: n, pos: pos})
	return n
}

// field narrows an access to a field.
func (a *accessEv) field(f string) *accessEv {
	if a == nil {
		return nil
	}
	a.comps = append(a.comps, "."+f)
	return a
}

// mark sets how the access uses the storage.
func (a *accessEv) mark(read, write bool) {
	if a != nil {
		a.read, a.write = read, write
	}
}

// drop records that only the address was taken.
func (a *accessEv) drop() {
	if a != nil {
		a.dropped = true
	}
}

// flowStmt builds the flow of a control statement; it reports false for
// the statements stmt handles as in the summaries' form.
func (b *irBuilder) flowStmt(n cc.Node) bool {
	switch x := n.(type) {
	case *cc.SelectionStatement:
		b.expr(x.ExpressionList)
		if x.Case == cc.SelectionStatementSwitch {
			it := &flowItem{k: fSwitch, body: &flowBlock{}, pos: position(x)}
			b.in(it.body, func() { b.stmt(x.Statement) })
			it.hasDefault = hasDefault(it.body)
			b.flow.add(it)
			return true
		}
		it := &flowItem{k: fIf, then: &flowBlock{}, els: &flowBlock{}, pos: position(x)}
		if call, held := b.tryCond(x.ExpressionList); call != nil {
			it.try, it.tryThen = call, held
		}
		b.in(it.then, func() { b.stmt(x.Statement) })
		if x.Case == cc.SelectionStatementIfElse {
			b.in(it.els, func() { b.stmt(x.Statement2) })
		}
		b.flow.add(it)
		return true
	case *cc.IterationStatement:
		it := &flowItem{k: fLoop, cond: &flowBlock{}, body: &flowBlock{}, post: &flowBlock{}, pos: position(x)}
		switch x.Case {
		case cc.IterationStatementWhile:
			b.in(it.cond, func() { b.expr(x.ExpressionList) })
			it.try, it.tryThen = b.tryCond(x.ExpressionList)
		case cc.IterationStatementDo:
			it.doWhile = true
			b.in(it.cond, func() { b.expr(x.ExpressionList) })
			it.try, it.tryThen = b.tryCond(x.ExpressionList)
		case cc.IterationStatementFor:
			b.expr(x.ExpressionList)
			b.in(it.cond, func() { b.expr(x.ExpressionList2) })
			it.try, it.tryThen = b.tryCond(x.ExpressionList2)
			b.in(it.post, func() { b.expr(x.ExpressionList3) })
		case cc.IterationStatementForDecl:
			b.push()
			defer b.pop()
			b.decl(x.Declaration)
			b.in(it.cond, func() { b.expr(x.ExpressionList) })
			b.in(it.post, func() { b.expr(x.ExpressionList2) })
		}
		b.in(it.body, func() { b.stmt(x.Statement) })
		b.flow.add(it)
		return true
	case *cc.JumpStatement:
		pos := position(x)
		switch x.Case {
		case cc.JumpStatementGoto:
			b.flow.add(&flowItem{k: fGoto, label: x.Token2.SrcStr(), pos: pos})
		case cc.JumpStatementGotoExpr:
			b.expr(x.ExpressionList)
			b.flow.add(&flowItem{k: fGoto, label: "*", pos: pos})
		case cc.JumpStatementContinue:
			b.flow.add(&flowItem{k: fContinue, pos: pos})
		case cc.JumpStatementBreak:
			b.flow.add(&flowItem{k: fBreak, pos: pos})
		case cc.JumpStatementReturn:
			if x.ExpressionList != nil {
				e := b.expr(x.ExpressionList)
				b.fn.returns = append(b.fn.returns, &ret{x: e, pos: token.Position(x.Token.Position())})
			}
			b.flow.add(&flowItem{k: fReturn, pos: pos})
		}
		return true
	case *cc.LabeledStatement:
		switch x.Case {
		case cc.LabeledStatementLabel:
			b.flow.add(&flowItem{k: fLabel, label: x.Token.SrcStr(), pos: position(x)})
		case cc.LabeledStatementDefault:
			b.flow.add(&flowItem{k: fCase, label: "default", pos: position(x)})
		default:
			b.flow.add(&flowItem{k: fCase, pos: position(x)})
		}
		b.stmt(x.Statement)
		return true
	}
	return false
}

// in runs f with the events going to blk.
func (b *irBuilder) in(blk *flowBlock, f func()) {
	saved := b.flow
	b.flow = blk
	f()
	b.flow = saved
}

// hasDefault reports whether a switch body has a default label at its top
// level of labels (nested switches have their own).
func hasDefault(body *flowBlock) bool {
	found := false
	var walk func(*flowBlock)
	walk = func(blk *flowBlock) {
		for _, it := range blk.items {
			switch it.k {
			case fCase:
				if it.label == "default" {
					found = true
				}
			case fIf:
				walk(it.then)
				walk(it.els)
			case fLoop:
				walk(it.body)
			}
		}
	}
	walk(body)
	return found
}

// tryCond recognises a condition on a trylock: "trylock(&m) == 0",
// "!trylock(&m)" (the lock is held when the condition is true), and
// "trylock(&m) != 0", "trylock(&m)" (held when it is false). It returns the
// call site built for the trylock call and whether the then branch holds it.
func (b *irBuilder) tryCond(n cc.ExpressionNode) (*callSite, bool) {
	held := false // the condition is true exactly when the remaining expression is zero
	for i := 0; i < 16 && !isNil(n); i++ {
		switch x := n.(type) {
		case *cc.ExpressionList:
			if x.ExpressionList != nil {
				return nil, false
			}
			n = x.AssignmentExpression
		case *cc.PrimaryExpression:
			if x.Case != cc.PrimaryExpressionExpr {
				return nil, false
			}
			n = x.ExpressionList
		case *cc.CastExpression:
			if x.Case == cc.CastExpressionCast {
				n = x.CastExpression
			} else {
				n = x.UnaryExpression
			}
		case *cc.UnaryExpression:
			switch x.Case {
			case cc.UnaryExpressionNot:
				held = !held
				n = x.CastExpression
			case cc.UnaryExpressionPostfix:
				n = x.PostfixExpression
			default:
				return nil, false
			}
		case *cc.EqualityExpression:
			if x.Case == cc.EqualityExpressionRel {
				n = x.RelationalExpression
				continue
			}
			// call == 0, 0 == call, call != 0
			l, r := x.EqualityExpression, x.RelationalExpression
			if zeroConst(l) {
				l, r = r, l
			}
			if !zeroConst(r) {
				return nil, false
			}
			if x.Case == cc.EqualityExpressionEq {
				held = !held
			}
			n = l
		case *cc.PostfixExpression:
			if x.Case == cc.PostfixExpressionPrimary {
				n = x.PrimaryExpression
				continue
			}
			if x.Case != cc.PostfixExpressionCall {
				return nil, false
			}
			p, ok := x.PostfixExpression.(*cc.PrimaryExpression)
			if !ok || p.Case != cc.PrimaryExpressionIdent {
				return nil, false
			}
			op, ok := b.t.m.db.LockFunc(p.Token.SrcStr())
			if !ok || op.Kind != knowledge.TryLock {
				return nil, false
			}
			pos := position(x)
			for _, c := range b.fn.calls {
				if c.pos == pos && c.callee == p.Token.SrcStr() {
					// held: the condition is true exactly when the call
					// returned 0 (success), so the then branch holds the lock.
					return c, held
				}
			}
			return nil, false
		default:
			return nil, false
		}
	}
	return nil, false
}

// zeroConst reports a literal 0.
func zeroConst(n cc.ExpressionNode) bool {
	for i := 0; i < 8 && !isNil(n); i++ {
		switch x := n.(type) {
		case *cc.PrimaryExpression:
			if x.Case == cc.PrimaryExpressionInt {
				return isZero(x.Token.SrcStr())
			}
			if x.Case != cc.PrimaryExpressionExpr {
				return false
			}
			n = x.ExpressionList
		case *cc.ExpressionList:
			if x.ExpressionList != nil {
				return false
			}
			n = x.AssignmentExpression
		case *cc.PostfixExpression:
			if x.Case != cc.PostfixExpressionPrimary {
				return false
			}
			n = x.PrimaryExpression
		case *cc.UnaryExpression:
			if x.Case != cc.UnaryExpressionPostfix {
				return false
			}
			n = x.PostfixExpression
		case *cc.CastExpression:
			if x.Case == cc.CastExpressionCast {
				n = x.CastExpression
			} else {
				n = x.UnaryExpression
			}
		default:
			return false
		}
	}
	return false
}

// buildFlow builds the flow form of a definition of unit t: its IR and,
// in statement order, the flow blocks the lockset analysis walks.
func (t *tunit) buildFlow(fd *cc.FunctionDefinition) (*fnIR, *flowBlock) {
	root := &flowBlock{}
	return t.convert(fd, root), root
}
