package csrc

import (
	"go/token"
	"reflect"
	"strings"
	"sync"

	cc "modernc.org/cc/v4"
)

// The summaries are computed on a small intermediate form of each function
// body, built from the C syntax tree: its parameters and local variables
// (with every assignment to each), its call sites, its stores (assignments
// to anything but a plain local) and its returns. Expressions keep only what
// the ownership questions need: which variable, address-of, dereference,
// field, index, pointer arithmetic, call, string literal, null.

type varKind uint8

const (
	vLocal       varKind = iota // automatic local variable
	vParam                      // parameter
	vLocalStatic                // static local variable
	vGlobal                     // file-scope object
	vFunc                       // a function name
)

type variable struct {
	name   string
	kind   varKind
	param  int
	tls    bool // __thread / _Thread_local
	atomic bool // an _Atomic object (or array of them): every access to it is atomic
	static bool
	array  bool // declared as an array: its name decays to its address
	ptr    tri  // holds a pointer (syntactic type)
	pos    token.Position
	defs   []def // locals and parameters: everything assigned to it
}

type defKind uint8

const (
	dAssign  defKind = iota // v = rhs (or an initializer)
	dParam                  // a parameter's value on entry
	dOffset                 // v += n, v++: v moves within what it pointed to
	dUnknown                // written in a way the model does not follow (&v escaped, v *= 2)
	dOut                    // &v passed to call: the callee may store into v
)

type def struct {
	kind defKind
	rhs  *expr
	call *callSite
	pos  token.Position
}

type exprKind uint8

const (
	eOther  exprKind = iota // not followed
	eVar                    // a variable
	eCall                   // result of a call
	eAddr                   // &x
	eDeref                  // *x
	eMember                 // x.f, x->f
	eIndex                  // x[i]
	eArith                  // x + y
	eSub                    // x - y
	eCond                   // c ? x : y (x, y)
	eString                 // a string literal
	eNull                   // 0, NULL
	eConst                  // another constant
	eFunc                   // a function name (not a variable)
)

type expr struct {
	k     exprKind
	v     *variable
	x, y  *expr
	call  *callSite
	field string
	arrow bool
	name  string    // eFunc
	num   bool      // eOther: known to be arithmetic, not a pointer
	acc   *accessEv // flow mode: the access of file-scope state this lvalue makes
	pos   token.Position
}

type callSite struct {
	callee string // "" for a call through a pointer
	args   []*expr
	pos    token.Position
}

type assignKind uint8

const (
	aPlain    assignKind = iota // lhs = rhs
	aOffset                     // lhs += rhs, lhs -= rhs, ++, --
	aCompound                   // other compound assignments
)

type assign struct {
	kind     assignKind
	lhs, rhs *expr
	pos      token.Position
}

type ret struct {
	x   *expr
	pos token.Position
}

// fnIR is the intermediate form of one function definition.
type fnIR struct {
	name    string
	pos     token.Position
	params  []*variable
	calls   []*callSite
	assigns []*assign
	returns []*ret
}

type irBuilder struct {
	t      *tunit
	fn     *fnIR
	scopes []map[string]*variable
	depth  int
	flow   *flowBlock // flow mode (see flow.go): the block events are appended to; nil otherwise
}

const maxDepth = 2000 // expression nesting beyond which the builder gives up on a subtree

// buildIR converts a function definition of unit t.
func (t *tunit) buildIR(fd *cc.FunctionDefinition) *fnIR { return t.convert(fd, nil) }

// convert converts a function definition of unit t; with a flow root, it
// also records the statements' flow form under it (buildFlow).
func (t *tunit) convert(fd *cc.FunctionDefinition, flow *flowBlock) *fnIR {
	b := &irBuilder{t: t, fn: &fnIR{name: fd.Declarator.Name(), pos: token.Position(fd.Declarator.NameTok().Position())}, flow: flow}
	b.push()
	b.fn.params = t.params(fd)
	for _, p := range b.fn.params {
		if p.name != "" {
			b.scopes[0][p.name] = p
		}
	}
	b.stmt(fd.CompoundStatement)
	b.pop()
	// Derive each local's definitions from the assignments.
	for _, a := range b.fn.assigns {
		v := rootVar(a.lhs)
		if v == nil || a.lhs.k != eVar || v.kind != vLocal && v.kind != vParam {
			continue
		}
		switch a.kind {
		case aPlain:
			v.defs = append(v.defs, def{kind: dAssign, rhs: a.rhs, pos: a.pos})
		case aOffset:
			v.defs = append(v.defs, def{kind: dOffset, pos: a.pos})
		default:
			v.defs = append(v.defs, def{kind: dUnknown, pos: a.pos})
		}
	}
	return b.fn
}

// params returns the parameters of fd.
func (t *tunit) params(fd *cc.FunctionDefinition) []*variable {
	dd := funcDD(fd.Declarator.DirectDeclarator, 0)
	if dd == nil {
		return nil
	}
	var out []*variable
	if dd.Case == cc.DirectDeclaratorFuncIdent {
		// K&R: int f(a, b) int a; char *b; { ... }
		types := map[string]*variable{}
		for dl := fd.DeclarationList; dl != nil; dl = dl.DeclarationList {
			d := dl.Declaration
			if d == nil {
				continue
			}
			for l := d.InitDeclaratorList; l != nil; l = l.InitDeclaratorList {
				if id := l.InitDeclarator; id != nil && id.Declarator != nil {
					types[id.Declarator.Name()] = &variable{ptr: t.pointerish(d.DeclarationSpecifiers, id.Declarator)}
				}
			}
		}
		for il := dd.IdentifierList; il != nil; il = il.IdentifierList {
			name := il.Token2.SrcStr()
			if name == "" {
				name = il.Token.SrcStr()
			}
			v := &variable{name: name, kind: vParam, param: len(out), ptr: maybe, pos: position(il)}
			if ty := types[name]; ty != nil {
				v.ptr = ty.ptr
			}
			v.defs = []def{{kind: dParam}}
			out = append(out, v)
		}
		return out
	}
	if dd.ParameterTypeList == nil {
		return nil
	}
	for pl := dd.ParameterTypeList.ParameterList; pl != nil; pl = pl.ParameterList {
		pd := pl.ParameterDeclaration
		if pd == nil {
			continue
		}
		name := ""
		ptr := maybe
		if pd.Declarator != nil {
			name = pd.Declarator.Name()
			ptr = t.pointerish(pd.DeclarationSpecifiers, pd.Declarator)
			if shapeOf(pd.Declarator) == shapeFunc {
				ptr = yes // a function parameter is a pointer to function
			}
		} else {
			if pd.AbstractDeclarator == nil && isVoid(pd.DeclarationSpecifiers) && pl.ParameterList == nil && len(out) == 0 {
				return nil // (void)
			}
			ptr = t.specsPointerish(pd.DeclarationSpecifiers, 0)
			if pd.AbstractDeclarator != nil {
				ptr = yes // approximately: an abstract declarator is mostly a pointer
			}
		}
		v := &variable{name: name, kind: vParam, param: len(out), ptr: ptr, pos: position(pd)}
		v.defs = []def{{kind: dParam}}
		out = append(out, v)
	}
	return out
}

func isVoid(ds *cc.DeclarationSpecifiers) bool {
	n := 0
	void := false
	for ; ds != nil; ds = ds.DeclarationSpecifiers {
		if ds.Case == cc.DeclarationSpecifiersTypeSpec {
			n++
			void = ds.TypeSpecifier != nil && ds.TypeSpecifier.Case == cc.TypeSpecifierVoid
		}
	}
	return n == 1 && void
}

// funcDD returns the direct declarator of the function's own parameter list:
// the function constructor closest to the name.
func funcDD(dd *cc.DirectDeclarator, depth int) *cc.DirectDeclarator {
	if dd == nil || depth > 64 {
		return nil
	}
	switch dd.Case {
	case cc.DirectDeclaratorDecl:
		if dd.Declarator != nil {
			return funcDD(dd.Declarator.DirectDeclarator, depth+1)
		}
	case cc.DirectDeclaratorFuncParam, cc.DirectDeclaratorFuncIdent:
		if inner := funcDD(dd.DirectDeclarator, depth+1); inner != nil {
			return inner
		}
		return dd
	case cc.DirectDeclaratorIdent:
		return nil
	default:
		return funcDD(dd.DirectDeclarator, depth+1)
	}
	return nil
}

func (b *irBuilder) push() { b.scopes = append(b.scopes, map[string]*variable{}) }
func (b *irBuilder) pop()  { b.scopes = b.scopes[:len(b.scopes)-1] }

func (b *irBuilder) lookup(name string) *variable {
	for i := len(b.scopes) - 1; i >= 0; i-- {
		if v := b.scopes[i][name]; v != nil {
			return v
		}
	}
	if v := b.t.globals[name]; v != nil {
		return v
	}
	return nil
}

// stmt walks a statement-level node.
func (b *irBuilder) stmt(n cc.Node) {
	if isNil(n) {
		return
	}
	b.depth++
	defer func() { b.depth-- }()
	if b.depth > maxDepth {
		return
	}
	if b.flow != nil && b.flowStmt(n) {
		return
	}
	switch x := n.(type) {
	case *cc.CompoundStatement:
		b.push()
		b.children(x)
		b.pop()
	case *cc.Declaration:
		b.decl(x)
	case *cc.IterationStatement:
		if x.Case == cc.IterationStatementForDecl {
			b.push()
			b.decl(x.Declaration)
			b.expr(x.ExpressionList)
			b.expr(x.ExpressionList2)
			b.stmt(x.Statement)
			b.pop()
			return
		}
		b.children(x)
	case *cc.JumpStatement:
		if x.ExpressionList == nil {
			return
		}
		e := b.expr(x.ExpressionList)
		if x.Case == cc.JumpStatementReturn {
			b.fn.returns = append(b.fn.returns, &ret{x: e, pos: token.Position(x.Token.Position())})
		}
	case *cc.FunctionDefinition, *cc.AsmStatement, *cc.TypeName, *cc.StaticAssertDeclaration:
		// A nested function is not this one; asm and types have no calls.
	case *cc.BlockItem:
		if x.Case == cc.BlockItemFuncDef {
			return
		}
		b.children(x)
	case cc.ExpressionNode:
		b.expr(x)
	default:
		b.children(n)
	}
}

// children walks the node-valued fields of n.
func (b *irBuilder) children(n cc.Node) {
	v := reflect.ValueOf(n)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return
	}
	v = v.Elem()
	for _, i := range nodeFields(v.Type()) {
		f := v.Field(i)
		if f.IsNil() {
			continue
		}
		c, ok := f.Interface().(cc.Node)
		if !ok || isNil(c) {
			continue
		}
		b.stmt(c)
	}
}

var nodeFieldCache sync.Map // reflect.Type → []int

var nodeType = reflect.TypeFor[cc.Node]()

// nodeFields returns the indices of the exported fields of struct type t
// that can hold a cc.Node.
func nodeFields(t reflect.Type) []int {
	if f, ok := nodeFieldCache.Load(t); ok {
		return f.([]int)
	}
	var out []int
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Interface:
			if f.Type.Implements(nodeType) {
				out = append(out, i)
			}
		}
	}
	nodeFieldCache.Store(t, out)
	return out
}

func isNil(n cc.Node) bool {
	if n == nil {
		return true
	}
	v := reflect.ValueOf(n)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// decl handles a block-scope declaration.
func (b *irBuilder) decl(d *cc.Declaration) {
	if d == nil || d.DeclarationSpecifiers == nil {
		return
	}
	sc := storageOf(d.DeclarationSpecifiers)
	for l := d.InitDeclaratorList; l != nil; l = l.InitDeclaratorList {
		id := l.InitDeclarator
		if id == nil || id.Declarator == nil {
			continue
		}
		dr := id.Declarator
		name := dr.Name()
		if sc.typedef || name == "" {
			continue
		}
		sh := shapeOf(dr)
		var v *variable
		switch {
		case sh == shapeFunc:
			v = &variable{name: name, kind: vFunc}
		case sc.extern:
			v = b.t.globals[name]
			if v == nil {
				v = &variable{name: name, kind: vGlobal, tls: sc.tls, array: sh == shapeArray}
			}
		default:
			v = &variable{name: name, kind: vLocal, tls: sc.tls, array: sh == shapeArray, pos: token.Position(dr.NameTok().Position())}
			if sc.static || sc.tls {
				v.kind, v.static = vLocalStatic, true
			}
		}
		if v.kind != vGlobal && v.kind != vFunc {
			v.ptr = b.t.pointerish(d.DeclarationSpecifiers, dr)
			v.atomic = b.t.atomicObject(d.DeclarationSpecifiers, dr)
		}
		b.scopes[len(b.scopes)-1][name] = v
		in := id.Initializer
		if in == nil {
			continue
		}
		if in.Case == cc.InitializerExpr && in.AssignmentExpression != nil {
			rhs := b.expr(in.AssignmentExpression)
			b.fn.assigns = append(b.fn.assigns, &assign{lhs: &expr{k: eVar, v: v, pos: v.pos}, rhs: rhs, pos: position(id)})
			continue
		}
		b.initList(in.InitializerList)
	}
}

// initList converts the expressions of an initializer list (for their calls
// and side effects; an aggregate local's contents are not followed).
func (b *irBuilder) initList(l *cc.InitializerList) {
	for ; l != nil; l = l.InitializerList {
		in := l.Initializer
		if in == nil {
			continue
		}
		if in.Case == cc.InitializerExpr {
			b.expr(in.AssignmentExpression)
		} else {
			b.initList(in.InitializerList)
		}
	}
}

// expr converts an expression, recording its calls and assignments.
func (b *irBuilder) expr(n cc.ExpressionNode) *expr {
	if isNil(n) {
		return &expr{}
	}
	b.depth++
	defer func() { b.depth-- }()
	if b.depth > maxDepth {
		return &expr{}
	}
	pos := position(n)
	switch x := n.(type) {
	case *cc.PrimaryExpression:
		switch x.Case {
		case cc.PrimaryExpressionIdent:
			name := x.Token.SrcStr()
			if v := b.lookup(name); v != nil {
				if v.kind == vFunc {
					return &expr{k: eFunc, name: name, pos: pos}
				}
				return &expr{k: eVar, v: v, acc: b.accLeaf(v, pos), pos: pos}
			}
			return &expr{k: eFunc, name: name, pos: pos} // a function, or an unknown (enum constant…)
		case cc.PrimaryExpressionInt:
			if isZero(x.Token.SrcStr()) {
				return &expr{k: eNull, pos: pos}
			}
			return &expr{k: eConst, pos: pos}
		case cc.PrimaryExpressionFloat, cc.PrimaryExpressionChar, cc.PrimaryExpressionLChar:
			return &expr{k: eConst, pos: pos}
		case cc.PrimaryExpressionString, cc.PrimaryExpressionLString:
			return &expr{k: eString, pos: pos}
		case cc.PrimaryExpressionExpr:
			return b.expr(x.ExpressionList)
		case cc.PrimaryExpressionStmt:
			b.stmt(x.CompoundStatement)
			return &expr{pos: pos}
		default:
			b.children(x)
			return &expr{pos: pos}
		}
	case *cc.PostfixExpression:
		switch x.Case {
		case cc.PostfixExpressionPrimary:
			return b.expr(x.PrimaryExpression)
		case cc.PostfixExpressionIndex:
			e := &expr{k: eIndex, x: b.expr(x.PostfixExpression), y: b.expr(x.ExpressionList), pos: pos}
			e.acc = b.accInner(e.x, "[]", pos)
			return e
		case cc.PostfixExpressionCall:
			return b.call(x, pos)
		case cc.PostfixExpressionSelect, cc.PostfixExpressionPSelect:
			e := &expr{k: eMember, x: b.expr(x.PostfixExpression), field: x.Token2.SrcStr(), arrow: x.Case == cc.PostfixExpressionPSelect, pos: pos}
			if e.arrow {
				e.acc = b.accInner(e.x, "*", pos).field(e.field)
			} else if e.x.acc != nil {
				e.acc = e.x.acc.field(e.field)
			}
			return e
		case cc.PostfixExpressionInc, cc.PostfixExpressionDec:
			e := b.expr(x.PostfixExpression)
			b.fn.assigns = append(b.fn.assigns, &assign{kind: aOffset, lhs: e, pos: pos})
			e.acc.mark(true, true)
			return e
		case cc.PostfixExpressionComplit:
			b.initList(x.InitializerList)
			return &expr{pos: pos}
		}
	case *cc.UnaryExpression:
		switch x.Case {
		case cc.UnaryExpressionPostfix:
			return b.expr(x.PostfixExpression)
		case cc.UnaryExpressionInc, cc.UnaryExpressionDec:
			e := b.expr(x.UnaryExpression)
			b.fn.assigns = append(b.fn.assigns, &assign{kind: aOffset, lhs: e, pos: pos})
			e.acc.mark(true, true)
			return e
		case cc.UnaryExpressionAddrof:
			e := b.expr(x.CastExpression)
			e.acc.drop() // &g is no access of g (a lock's address, an atomic builtin's operand)
			if v := rootVar(e); v != nil && e.k == eVar && (v.kind == vLocal || v.kind == vParam) {
				// &v escapes: anything may be written to v through it.
				b.fn.assigns = append(b.fn.assigns, &assign{kind: aCompound, lhs: e, pos: pos})
			}
			return &expr{k: eAddr, x: e, pos: pos}
		case cc.UnaryExpressionDeref:
			e := &expr{k: eDeref, x: b.expr(x.CastExpression), pos: pos}
			e.acc = b.accInner(e.x, "*", pos)
			return e
		case cc.UnaryExpressionSizeofExpr, cc.UnaryExpressionSizeofType, cc.UnaryExpressionAlignofExpr,
			cc.UnaryExpressionAlignofType, cc.UnaryExpressionLabelAddr:
			return &expr{k: eConst, pos: pos} // not evaluated
		default:
			b.expr(x.CastExpression)
			return &expr{num: true, pos: pos}
		}
	case *cc.CastExpression:
		if x.Case == cc.CastExpressionCast {
			return b.expr(x.CastExpression)
		}
		return b.expr(x.UnaryExpression)
	case *cc.AssignmentExpression:
		if x.Case == cc.AssignmentExpressionCond {
			return b.expr(x.ConditionalExpression)
		}
		lhs := b.expr(x.UnaryExpression)
		rhs := b.expr(x.AssignmentExpression)
		kind := aCompound
		switch x.Case {
		case cc.AssignmentExpressionAssign:
			kind = aPlain
		case cc.AssignmentExpressionAdd, cc.AssignmentExpressionSub:
			kind = aOffset
		}
		lhs.acc.mark(kind != aPlain, true)
		b.fn.assigns = append(b.fn.assigns, &assign{kind: kind, lhs: lhs, rhs: rhs, pos: pos})
		if kind == aPlain {
			return rhs
		}
		return &expr{k: eArith, x: lhs, y: &expr{num: true}, pos: pos}
	case *cc.ConditionalExpression:
		if x.Case == cc.ConditionalExpressionLOr {
			return b.expr(x.LogicalOrExpression)
		}
		c := b.expr(x.LogicalOrExpression)
		a := c // GNU a ?: b
		if !isNil(x.ExpressionList) {
			a = b.expr(x.ExpressionList)
		}
		return &expr{k: eCond, x: a, y: b.expr(x.ConditionalExpression), pos: pos}
	case *cc.AdditiveExpression:
		if x.Case == cc.AdditiveExpressionMul {
			return b.expr(x.MultiplicativeExpression)
		}
		l, r := b.expr(x.AdditiveExpression), b.expr(x.MultiplicativeExpression)
		k := eArith
		if x.Case == cc.AdditiveExpressionSub {
			k = eSub
		}
		return &expr{k: k, x: l, y: r, pos: pos}
	case *cc.ExpressionList:
		var last *expr
		for l := x; l != nil; l = l.ExpressionList {
			last = b.expr(l.AssignmentExpression)
		}
		if last == nil {
			last = &expr{pos: pos}
		}
		return last
	}
	// Any other expression (relational, bitwise, multiplicative, logical,
	// _Generic...): convert the operands for their effects; the value is a number.
	b.children(n)
	return &expr{num: isArithmetic(n), pos: pos}
}

func isArithmetic(n cc.Node) bool {
	switch n.(type) {
	case *cc.MultiplicativeExpression, *cc.ShiftExpression, *cc.RelationalExpression, *cc.EqualityExpression,
		*cc.AndExpression, *cc.ExclusiveOrExpression, *cc.InclusiveOrExpression, *cc.LogicalAndExpression,
		*cc.LogicalOrExpression:
		return true
	}
	return false
}

func isZero(lit string) bool {
	s := strings.TrimRight(strings.ToLower(lit), "ul")
	s = strings.TrimPrefix(s, "0x")
	s = strings.TrimPrefix(s, "0b")
	return s != "" && strings.Trim(s, "0") == ""
}

// call converts a call expression.
func (b *irBuilder) call(x *cc.PostfixExpression, pos token.Position) *expr {
	site := &callSite{pos: pos}
	fe := b.expr(x.PostfixExpression)
	if fe.k == eFunc {
		site.callee = fe.name
	}
	for l := x.ArgumentExpressionList; l != nil; l = l.ArgumentExpressionList {
		a := b.addrArg(l.AssignmentExpression, site)
		if a == nil {
			a = b.expr(l.AssignmentExpression)
		}
		site.args = append(site.args, a)
	}
	b.fn.calls = append(b.fn.calls, site)
	if b.flow != nil {
		b.flow.add(&flowItem{k: fCall, call: site, pos: pos})
	}
	// GCC's atomic builtins store through their first argument: model
	// __atomic_exchange_n(&g, p, mo) as the assignment g = p, so that a
	// pointer published atomically (a lock-free cache) counts as kept.
	if i, ok := atomicStores[site.callee]; ok && len(site.args) > i {
		lhs := &expr{k: eDeref, x: site.args[0], pos: pos}
		if a0 := site.args[0]; a0.k == eAddr && a0.x != nil {
			lhs = a0.x
		}
		b.fn.assigns = append(b.fn.assigns, &assign{kind: aPlain, lhs: lhs, rhs: site.args[i], pos: pos})
	}
	return &expr{k: eCall, call: site, pos: pos}
}

// atomicStores maps GCC atomic builtins that store through their first
// argument to the index of the argument they store.
var atomicStores = map[string]int{
	"__atomic_store_n": 1, "__atomic_exchange_n": 1, "__atomic_compare_exchange_n": 2,
	"__sync_lock_test_and_set": 1, "__sync_val_compare_and_swap": 2, "__sync_bool_compare_and_swap": 2,
}

// addrArg converts an argument of the form &v (v a local or parameter):
// the callee may write v (an out-parameter), which is a definition of v by
// that call rather than an unknown write.
func (b *irBuilder) addrArg(n cc.ExpressionNode, site *callSite) *expr {
	for {
		switch x := n.(type) {
		case *cc.CastExpression:
			if x.Case == cc.CastExpressionCast {
				n = x.CastExpression
				continue
			}
			n = x.UnaryExpression
			continue
		case *cc.PrimaryExpression:
			if x.Case == cc.PrimaryExpressionExpr {
				if el, ok := x.ExpressionList.(*cc.ExpressionList); ok && el.ExpressionList == nil {
					n = el.AssignmentExpression
					continue
				}
				n = x.ExpressionList
				continue
			}
			return nil
		case *cc.UnaryExpression:
			if x.Case != cc.UnaryExpressionAddrof {
				return nil
			}
			p, ok := x.CastExpression.(*cc.PrimaryExpression)
			if !ok || p.Case != cc.PrimaryExpressionIdent {
				return nil
			}
			v := b.lookup(p.Token.SrcStr())
			if v == nil || v.kind != vLocal && v.kind != vParam {
				return nil
			}
			v.defs = append(v.defs, def{kind: dOut, call: site, pos: position(x)})
			return &expr{k: eAddr, x: &expr{k: eVar, v: v, pos: position(p)}, pos: position(x)}
		default:
			return nil
		}
	}
}

// rootVar returns the variable at the base of an lvalue-ish expression
// (x, x.f, x[i], x->f, *x), or nil.
func rootVar(e *expr) *variable {
	for i := 0; e != nil && i < 1000; i++ {
		switch e.k {
		case eVar:
			return e.v
		case eMember, eIndex, eDeref, eAddr:
			e = e.x
		default:
			return nil
		}
	}
	return nil
}
