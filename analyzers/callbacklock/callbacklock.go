// Package callbacklock defines an Analyzer that reports a Go callback that
// blocks while its C caller holds a C lock that the Go code which would
// unblock it needs: a lock-order deadlock across the two languages. See
// checks.Lookup("callbacklock") for the documentation.
//
// The C side comes from csrc: Model.Callbacks (the calls of //export
// functions that the package's C functions make, with the C locks held on
// every path to each) and Model.Acquires (the locks a C function takes).
//
// The Go side: an exported function blocks on X when it, or a function of
// the package it calls (a fixed point over static calls), receives from or
// sends to channel X (not in a select with a default), selects without a
// default, locks mutex X, or waits on WaitGroup or Cond X. X is a
// package-level variable or a struct field, by its types.Object. The
// operations that release X (close or send for a receive; receive for a
// send; Done for Wait; Signal, Broadcast for Cond.Wait) are found in every
// body of the package; a must analysis over each body's control-flow graph
// (go/cfg) gives the C locks that cgo calls made before each of them on
// every path took, and the Go mutexes held at each cgo call.
package callbacklock

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/cfg"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/csrc"
	"github.com/cgoguard/cgoguard/dataflow"
)

var check = checks.Lookup("callbacklock")

// Analyzer reports Go callbacks that block under their C caller's lock.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
}

// opKind is what a blocking operation waits for.
type opKind uint8

const (
	opRecv     opKind = iota + 1 // <-X, range X: a send or a close
	opSend                       // X <- v: a receive
	opLock                       // X.Lock(): X's Unlock
	opRLock                      // X.RLock(): a writer's Unlock
	opWait                       // WaitGroup X.Wait(): X.Done()
	opCondWait                   // Cond X.Wait(): X.Signal(), X.Broadcast()
	opSelect                     // select without default: one of cases
)

// blockOp is an operation that may wait.
type blockOp struct {
	kind     opKind
	obj      types.Object // X; nil when it cannot be identified
	pos, end token.Pos
	text     string     // as written, for the message
	name     string     // X as written
	inst     string     // the instance of X when it is known (see instance)
	cases    []*blockOp // opSelect: its communications
}

// blocking is a blocking operation a function reaches: op in the function
// itself (chain empty) or in a function it calls (chain: the callees).
type blocking struct {
	op       *blockOp
	at       token.Pos // where the function reaches it: the op, or its call of the first callee
	atEnd    token.Pos
	chain    []string
	function string
}

// release is an operation that releases waiters on X.
type release struct {
	obj   types.Object
	kind  opKind // the waiting kind it releases
	pos   token.Pos
	text  string
	gates map[string]gate // C locks taken on every path before it, by lock ID
}

// gate is a cgo call whose C function takes a C lock.
type gate struct {
	cfunc string
	call  token.Pos
	acq   csrc.Acquisition
}

// holder is a cgo call made while holding Go mutex obj on every path.
type holder struct {
	obj    types.Object
	inst   string // the instance when it is known (see instance)
	name   string // as written
	shared bool   // held by RLock
	cfunc  string
	call   token.Pos
	fn     string // the function making it
}

type checker struct {
	pass     *analysis.Pass
	v        *cgoview.View
	funcs    map[*types.Func]*ast.FuncDecl
	direct   map[*types.Func][]*blocking
	blocks   map[*types.Func][]*blocking
	releases []*release
	holders  []*holder
	escaped  map[types.Object]bool
	makes    map[types.Object][]bool // channel X: for each make assigned to it, whether unbuffered
	rangeX   map[ast.Expr]bool       // expressions ranged over
	acq      map[string][]csrc.Acquisition
	callsE   map[string]bool       // C functions that call an export under a C lock
	closedE  map[types.Object]bool // channels closed, on every path, before a cgo call of one of them
	heldAs   map[types.Object]heldName
}

// heldName is how the body being analysed last locked a mutex.
type heldName struct{ inst, name string }

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	if v == nil || v.Pkg == nil || v.C == nil {
		return nil, nil
	}
	decls := cgoview.FuncDecls(v.Files)
	exports := map[string]*ast.FuncDecl{}
	for _, fd := range decls {
		if e := cgoview.ExportName(fd); e != "" {
			exports[e] = fd
		}
	}
	if len(exports) == 0 {
		return nil, nil
	}
	// The common case ends here: no C function calls an export holding a
	// C lock the model can name.
	under := map[string][]*csrc.CallbackCall{}
	called := map[string]bool{}
	for _, cb := range v.C.Callbacks() {
		called[cb.Export] = true
		if named(cb.Held) {
			under[cb.Export] = append(under[cb.Export], cb)
		}
	}
	names := make([]string, 0, len(under))
	for e := range under {
		names = append(names, e)
	}
	sort.Strings(names)
	k := &checker{pass: pass, v: v, funcs: map[*types.Func]*ast.FuncDecl{}, direct: map[*types.Func][]*blocking{},
		blocks: map[*types.Func][]*blocking{}, escaped: map[types.Object]bool{}, makes: map[types.Object][]bool{},
		rangeX: map[ast.Expr]bool{}, acq: map[string][]csrc.Acquisition{}, callsE: map[string]bool{}, closedE: map[types.Object]bool{}, heldAs: map[types.Object]heldName{}}
	for _, cbs := range under {
		for _, cb := range cbs {
			k.callsE[cb.Caller] = true
		}
	}
	var waits []*blocking
	var blockers []string
	if len(under) > 0 {
		for _, fd := range decls {
			if fn, ok := v.Info.Defs[fd.Name].(*types.Func); ok {
				k.funcs[fn] = fd
			}
		}
		k.summarise()
		for _, e := range names {
			fn, _ := v.Info.Defs[exports[e].Name].(*types.Func)
			if bs := k.blocks[fn]; len(bs) > 0 {
				waits = append(waits, bs...)
				blockers = append(blockers, e)
			}
		}
	}
	if os.Getenv("CGOGUARD_VERBOSE") != "" {
		// A note for cgoguard vet -v: what the check had to match.
		fmt.Fprintf(os.Stderr, "cgoguard: %s: callbacklock: %d exports, %d called by the package's C code, %d of them under a C lock (%s), %d of those may block (%s)\n",
			pass.Pkg.Path(), len(exports), len(called), len(names), strings.Join(names, " "), len(blockers), strings.Join(blockers, " "))
	}
	if len(waits) == 0 {
		return nil, nil // the common case: no callback under a C lock, or none that blocks
	}
	k.scanUses()
	for _, fd := range decls {
		k.body(fd.Body, fd.Name.Name)
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if lit, ok := n.(*ast.FuncLit); ok {
				k.body(lit.Body, fd.Name.Name+" (a function literal)")
			}
			return true
		})
	}
	for _, e := range names {
		fn, _ := v.Info.Defs[exports[e].Name].(*types.Func)
		done := map[string]bool{}
		for _, b := range k.blocks[fn] {
			key := fmt.Sprintf("%v|%d", b.op.obj, b.op.pos)
			if b.op.kind != opSelect {
				key = fmt.Sprintf("%p", b.op.obj)
			}
			if done[key] {
				continue
			}
			if k.reportOne(exports[e], under[e], b) {
				done[key] = true
			}
		}
	}
	return nil, nil
}

// named reports a lock the model can name among ls.
func named(ls []csrc.Lock) bool {
	for _, l := range ls {
		if l.ID != "" {
			return true
		}
	}
	return false
}

// ---- blocking operations

// summarise computes each function's blocking operations, its own and
// its callees', to a fixed point.
func (k *checker) summarise() {
	calls := map[*types.Func][]*ast.CallExpr{}
	for fn, fd := range k.funcs {
		k.direct[fn], calls[fn] = k.directOps(fd.Body, fd.Name.Name)
		k.blocks[fn] = k.direct[fn]
	}
	for changed, round := true, 0; changed && round < 64; round++ {
		changed = false
		for fn, fd := range k.funcs {
			have := map[*blockOp]bool{}
			for _, b := range k.blocks[fn] {
				have[b.op] = true
			}
			for _, call := range calls[fn] {
				g := k.v.StaticCallee(call)
				if g == nil || g == fn || k.funcs[g] == nil {
					continue
				}
				for _, b := range k.blocks[g] {
					if have[b.op] {
						continue
					}
					have[b.op] = true
					k.blocks[fn] = append(k.blocks[fn], &blocking{op: b.op, at: call.Pos(), atEnd: call.End(),
						chain: append([]string{g.Name()}, b.chain...), function: fd.Name.Name})
					changed = true
				}
			}
		}
	}
}

// directOps returns the blocking operations body runs itself (function
// literals only when called on the spot; deferred calls included, go'd ones
// not) and its static calls of the package's functions.
func (k *checker) directOps(body *ast.BlockStmt, name string) ([]*blocking, []*ast.CallExpr) {
	var out []*blocking
	var calls []*ast.CallExpr
	add := func(op *blockOp) {
		if op != nil {
			out = append(out, &blocking{op: op, at: op.pos, atEnd: op.end, function: name})
		}
	}
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit, *ast.GoStmt:
			return false
		case *ast.SelectStmt:
			var cases []*blockOp
			def := false
			for _, c := range n.Body.List {
				cc := c.(*ast.CommClause)
				if cc.Comm == nil {
					def = true
					continue
				}
				cases = append(cases, k.commOp(cc.Comm))
			}
			if !def {
				add(&blockOp{kind: opSelect, pos: n.Pos(), end: n.Body.Lbrace, text: "select", cases: cases})
			}
			for _, c := range n.Body.List {
				cc := c.(*ast.CommClause)
				if cc.Comm != nil {
					k.inspectOperands(cc.Comm, visit)
				}
				for _, s := range cc.Body {
					ast.Inspect(s, visit)
				}
			}
			return false
		case *ast.RangeStmt:
			if _, ok := k.typeOf(n.X).(*types.Chan); ok {
				add(k.chanOp(opRecv, n.X, n.Pos(), n.X.End(), "range "+types.ExprString(n.X)))
			}
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				add(k.chanOp(opRecv, n.X, n.Pos(), n.End(), "<-"+types.ExprString(n.X)))
			}
		case *ast.SendStmt:
			add(k.chanOp(opSend, n.Chan, n.Pos(), n.End(), types.ExprString(n.Chan)+" <- …"))
		case *ast.CallExpr:
			if lit, ok := ast.Unparen(n.Fun).(*ast.FuncLit); ok {
				ast.Inspect(lit.Body, visit)
			}
			if x, kind := k.syncOp(n); kind == opLock || kind == opRLock || kind == opWait || kind == opCondWait {
				add(&blockOp{kind: kind, obj: k.objOf(x), inst: k.instance(x), pos: n.Pos(), end: n.End(), text: types.ExprString(n.Fun) + "()", name: types.ExprString(x)})
			} else if g := k.v.StaticCallee(n); g != nil && k.funcs[g] != nil {
				calls = append(calls, n)
			}
		}
		return true
	}
	ast.Inspect(body, visit)
	return out, calls
}

// inspectOperands visits a communication's parts other than the
// communication itself (the value sent, the channel expression).
func (k *checker) inspectOperands(s ast.Stmt, visit func(ast.Node) bool) {
	switch s := s.(type) {
	case *ast.SendStmt:
		ast.Inspect(s.Chan, visit)
		ast.Inspect(s.Value, visit)
	case *ast.ExprStmt:
		if u, ok := ast.Unparen(s.X).(*ast.UnaryExpr); ok {
			ast.Inspect(u.X, visit)
		}
	case *ast.AssignStmt:
		if len(s.Rhs) == 1 {
			if u, ok := ast.Unparen(s.Rhs[0]).(*ast.UnaryExpr); ok {
				ast.Inspect(u.X, visit)
			}
		}
	}
}

// commOp is the operation of a select case.
func (k *checker) commOp(s ast.Stmt) *blockOp {
	var recv ast.Expr
	switch s := s.(type) {
	case *ast.SendStmt:
		if op := k.chanOp(opSend, s.Chan, s.Pos(), s.End(), types.ExprString(s.Chan)+" <- …"); op != nil {
			return op
		}
		return &blockOp{kind: opSend, pos: s.Pos(), end: s.End()}
	case *ast.ExprStmt:
		recv = s.X
	case *ast.AssignStmt:
		if len(s.Rhs) == 1 {
			recv = s.Rhs[0]
		}
	}
	if u, ok := ast.Unparen(recv).(*ast.UnaryExpr); ok && u.Op == token.ARROW {
		if op := k.chanOp(opRecv, u.X, u.Pos(), u.End(), "<-"+types.ExprString(u.X)); op != nil {
			return op
		}
	}
	return &blockOp{kind: opRecv, pos: s.Pos(), end: s.End()} // unidentified: proves nothing
}

// chanOp is a receive or send on channel expression x; an unidentified
// channel gives an op with obj nil, which proves nothing (whether a send
// waits, i.e. the channel is unbuffered, is decided with the uses).
func (k *checker) chanOp(kind opKind, x ast.Expr, pos, end token.Pos, text string) *blockOp {
	return &blockOp{kind: kind, obj: k.objOf(x), pos: pos, end: end, text: text, name: types.ExprString(x)}
}

func (k *checker) typeOf(e ast.Expr) types.Type {
	if t := k.v.Info.TypeOf(e); t != nil {
		return t.Underlying()
	}
	return nil
}

// objOf identifies the variable an expression denotes: a package-level
// variable of the package, or a field of one of its struct types.
func (k *checker) objOf(e ast.Expr) types.Object {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		if v, ok := k.v.Info.Uses[e].(*types.Var); ok && v.Pkg() == k.v.Pkg && v.Parent() == k.v.Pkg.Scope() {
			return v
		}
	case *ast.SelectorExpr:
		if sel := k.v.Info.Selections[e]; sel != nil {
			if sel.Kind() == types.FieldVal && sel.Obj().Pkg() == k.v.Pkg {
				return sel.Obj()
			}
			return nil
		}
		if v, ok := k.v.Info.Uses[e.Sel].(*types.Var); ok && v.Pkg() == k.v.Pkg {
			return v
		}
	}
	return nil
}

// instance names the variable x is part of when x is a package-level
// variable or a field of one reached without a pointer (hot.mu, a.b.mu):
// the same field of two such variables is two mutexes. It returns "" when
// the instance is not known (c.mu of a parameter, p.mu through a pointer).
func (k *checker) instance(x ast.Expr) string {
	switch e := ast.Unparen(x).(type) {
	case *ast.Ident:
		if v, ok := k.v.Info.Uses[e].(*types.Var); ok && v.Pkg() == k.v.Pkg && v.Parent() == k.v.Pkg.Scope() {
			return v.Name()
		}
	case *ast.SelectorExpr:
		sel := k.v.Info.Selections[e]
		if sel == nil {
			return k.instance(e.Sel) // a package-qualified variable
		}
		if sel.Kind() != types.FieldVal || sel.Indirect() {
			return ""
		}
		if base := k.instance(e.X); base != "" {
			return base + "." + e.Sel.Name
		}
	}
	return ""
}

// syncOp recognises x.Lock(), x.RLock(), x.Unlock(), x.RUnlock() of a
// sync.Mutex or RWMutex, x.Wait(), x.Done(), x.Add(n), x.Go(f) of a
// sync.WaitGroup and x.Wait(), x.Signal(), x.Broadcast() of a sync.Cond; it
// returns x and the waiting kind the call is (opLock, opRLock, opWait,
// opCondWait) or releases (the same kinds, negated as -kind).
func (k *checker) syncOp(call *ast.CallExpr) (ast.Expr, opKind) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil, 0
	}
	fn, ok := k.v.Info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "sync" {
		return nil, 0
	}
	sig, _ := fn.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return nil, 0
	}
	rt := sig.Recv().Type()
	if p, ok := rt.(*types.Pointer); ok {
		rt = p.Elem()
	}
	named, ok := rt.(*types.Named)
	if !ok {
		return nil, 0
	}
	switch named.Obj().Name() + "." + fn.Name() {
	case "Mutex.Lock", "RWMutex.Lock":
		return sel.X, opLock
	case "RWMutex.RLock":
		return sel.X, opRLock
	case "Mutex.Unlock", "RWMutex.Unlock", "RWMutex.RUnlock":
		return sel.X, releaseMutex
	case "WaitGroup.Wait":
		return sel.X, opWait
	case "WaitGroup.Done", "WaitGroup.Add", "WaitGroup.Go":
		return sel.X, releaseWait
	case "Cond.Wait":
		return sel.X, opCondWait
	case "Cond.Signal", "Cond.Broadcast":
		return sel.X, releaseCond
	}
	return sel.X, otherSync
}

// Kinds syncOp returns for calls that release or do neither.
const (
	releaseMutex opKind = 100 + iota
	releaseWait
	releaseCond
	otherSync
)

// ---- uses of the channels and sync values: escapes, buffers

// scanUses records how every identifiable channel and sync value is used:
// one used other than by the operations the check understands (passed to a
// function, assigned elsewhere, its address taken) escapes, and nothing is
// proven about who releases it. It also records the buffer of each make
// assigned to a channel, and the expressions ranged over.
func (k *checker) scanUses() {
	ok := map[*ast.Ident]bool{} // identifier uses the check understands
	mark := func(e ast.Expr) {
		switch e := ast.Unparen(e).(type) {
		case *ast.Ident:
			ok[e] = true
		case *ast.SelectorExpr:
			ok[e.Sel] = true
		}
	}
	unbuffered := func(call *ast.CallExpr) (bool, bool) {
		id, isId := ast.Unparen(call.Fun).(*ast.Ident)
		if !isId || len(call.Args) == 0 {
			return false, false
		}
		if b, isB := k.v.Info.Uses[id].(*types.Builtin); !isB || b.Name() != "make" {
			return false, false
		}
		if _, isChan := k.typeOf(call.Args[0]).(*types.Chan); !isChan {
			return false, false
		}
		if len(call.Args) == 1 {
			return true, true
		}
		tv := k.v.Info.Types[call.Args[1]]
		return tv.Value != nil && constant.Sign(tv.Value) == 0, true
	}
	assign := func(lhs ast.Expr, rhs ast.Expr) {
		obj := k.objOf(lhs)
		if obj == nil {
			return
		}
		call, isCall := ast.Unparen(rhs).(*ast.CallExpr)
		if !isCall {
			return
		}
		if u, isMake := unbuffered(call); isMake {
			k.makes[obj] = append(k.makes[obj], u)
			mark(lhs)
		}
	}
	for _, f := range k.v.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.UnaryExpr:
				if n.Op == token.ARROW {
					mark(n.X)
				}
			case *ast.SendStmt:
				mark(n.Chan)
			case *ast.RangeStmt:
				if _, isChan := k.typeOf(n.X).(*types.Chan); isChan {
					mark(n.X)
					k.rangeX[n.X] = true
				}
			case *ast.CallExpr:
				if id, isId := ast.Unparen(n.Fun).(*ast.Ident); isId && len(n.Args) == 1 {
					if b, isB := k.v.Info.Uses[id].(*types.Builtin); isB && (b.Name() == "close" || b.Name() == "len" || b.Name() == "cap") {
						mark(n.Args[0])
					}
				}
				if x, kind := k.syncOp(n); kind != 0 {
					mark(x)
				}
			case *ast.AssignStmt:
				if len(n.Lhs) == len(n.Rhs) {
					for i := range n.Lhs {
						assign(n.Lhs[i], n.Rhs[i])
					}
				}
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if i < len(n.Values) {
						if obj := k.v.Info.Defs[name]; obj != nil {
							if call, isCall := ast.Unparen(n.Values[i]).(*ast.CallExpr); isCall {
								if u, isMake := unbuffered(call); isMake {
									k.makes[obj] = append(k.makes[obj], u)
								}
							}
						}
					}
				}
			case *ast.CompositeLit:
				for _, e := range n.Elts {
					kv, isKV := e.(*ast.KeyValueExpr)
					if !isKV {
						continue
					}
					id, isId := kv.Key.(*ast.Ident)
					if !isId {
						continue
					}
					fv, isVar := k.v.Info.Uses[id].(*types.Var)
					if !isVar || !fv.IsField() {
						continue
					}
					if call, isCall := ast.Unparen(kv.Value).(*ast.CallExpr); isCall {
						if u, isMake := unbuffered(call); isMake {
							k.makes[fv] = append(k.makes[fv], u)
							ok[id] = true
						}
					}
				}
			}
			return true
		})
	}
	for _, f := range k.v.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			var id *ast.Ident
			var obj types.Object
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if sel := k.v.Info.Selections[n]; sel != nil && sel.Kind() == types.FieldVal {
					id, obj = n.Sel, sel.Obj()
				}
			case *ast.Ident:
				id, obj = n, k.v.Info.Uses[n]
			}
			if id == nil || obj == nil || ok[id] || !tracked(obj) {
				return true
			}
			k.escaped[obj] = true
			return true
		})
	}
}

// tracked reports a variable of a type whose waits the check follows.
func tracked(obj types.Object) bool {
	v, ok := obj.(*types.Var)
	if !ok {
		return false
	}
	if _, ok := v.Type().Underlying().(*types.Chan); ok {
		return true
	}
	n, ok := v.Type().(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "sync"
}

// ---- releases and holders: a must analysis over each body

// state is what holds on every path to a point: the C locks cgo calls have
// taken (by lock ID) and the Go mutexes held.
type state struct {
	live   bool
	gates  map[string]gate
	held   map[types.Object]bool // value: held by RLock
	closed map[types.Object]bool // channels closed
}

func (s state) clone() state {
	n := state{live: s.live, gates: map[string]gate{}, held: map[types.Object]bool{}, closed: map[types.Object]bool{}}
	for k, g := range s.gates {
		n.gates[k] = g
	}
	for k := range s.closed {
		n.closed[k] = true
	}
	for k, r := range s.held {
		n.held[k] = r
	}
	return n
}

func meet(a, b state) state {
	if !a.live {
		return b.clone()
	}
	if !b.live {
		return a.clone()
	}
	r := state{live: true, gates: map[string]gate{}, held: map[types.Object]bool{}, closed: map[types.Object]bool{}}
	for k, g := range a.gates {
		if _, ok := b.gates[k]; ok {
			r.gates[k] = g
		}
	}
	for k := range a.closed {
		if b.closed[k] {
			r.closed[k] = true
		}
	}
	for k, ra := range a.held {
		if rb, ok := b.held[k]; ok {
			r.held[k] = ra || rb
		}
	}
	return r
}

func same(a, b state) bool {
	if a.live != b.live || len(a.gates) != len(b.gates) || len(a.held) != len(b.held) || len(a.closed) != len(b.closed) {
		return false
	}
	for k := range a.closed {
		if !b.closed[k] {
			return false
		}
	}
	for k := range a.gates {
		if _, ok := b.gates[k]; !ok {
			return false
		}
	}
	for k, r := range a.held {
		if rb, ok := b.held[k]; !ok || rb != r {
			return false
		}
	}
	return true
}

// body runs the must analysis over one body (function literals inside are
// bodies of their own, entered with nothing held and no C lock taken) and
// records its releases and holders.
func (k *checker) body(b *ast.BlockStmt, name string) {
	if b == nil {
		return
	}
	g := cfg.New(b, func(*ast.CallExpr) bool { return true })
	if len(g.Blocks) == 0 {
		return
	}
	in := dataflow.Forward(g, dataflow.Problem[state]{
		Entry:    state{live: true},
		Transfer: func(blk *cfg.Block, s state) state { return k.block(blk, s, "") },
		Meet:     meet,
		Equal:    same,
	})
	for _, blk := range g.Blocks {
		if st, ok := in[blk]; ok && st.live {
			k.block(blk, st, name)
		}
	}
}

// block applies a block's nodes; a non-empty name records what they do.
func (k *checker) block(blk *cfg.Block, s state, name string) state {
	s = s.clone()
	for _, n := range blk.Nodes {
		k.walk(n, &s, name)
	}
	return s
}

// walk visits n's operations after their operands.
func (k *checker) walk(n ast.Node, s *state, name string) {
	record := name != ""
	switch n := n.(type) {
	case *ast.FuncLit:
		return // its own body
	case *ast.GoStmt:
		return // runs on another goroutine
	case *ast.DeferStmt:
		// Runs at the return, after whatever the function did: what it
		// releases is released with no C lock proven taken before.
		if record {
			k.releasesIn(n.Call, nil)
		}
		return
	case *ast.CallExpr:
		for _, a := range n.Args {
			k.walk(a, s, name)
		}
		k.walk(n.Fun, s, name)
		if record {
			k.releasesIn(n, s.gates)
		}
		if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && len(n.Args) == 1 {
			if b, ok := k.v.Info.Uses[id].(*types.Builtin); ok && b.Name() == "close" {
				if obj := k.objOf(n.Args[0]); obj != nil {
					s.closed[obj] = true
				}
			}
		}
		if x, kind := k.syncOp(n); kind != 0 {
			obj := k.objOf(x)
			switch {
			case kind == opLock || kind == opRLock:
				if obj != nil {
					s.held[obj] = kind == opRLock
					k.heldAs[obj] = heldName{inst: k.instance(x), name: types.ExprString(x)}
				}
			case kind == releaseMutex:
				if obj == nil {
					clear(s.held) // an unlock of a mutex not identified: it may be any
				} else {
					delete(s.held, obj)
				}
			}
			return
		}
		cname, ok := k.v.CFuncCall(n)
		if !ok {
			return
		}
		for _, a := range k.acquires(cname) {
			if a.ID == "" || !a.Always {
				continue
			}
			if _, have := s.gates[a.ID]; !have {
				s.gates[a.ID] = gate{cfunc: cname, call: n.Pos(), acq: a}
			}
		}
		if record && k.callsE[cname] {
			// A channel closed before C calls back: a receive there does not wait.
			for obj := range s.closed {
				k.closedE[obj] = true
			}
		}
		if record {
			for obj, shared := range s.held {
				h := k.heldAs[obj]
				k.holders = append(k.holders, &holder{obj: obj, inst: h.inst, name: h.name, shared: shared, cfunc: cname, call: n.Pos(), fn: name})
			}
		}
		return
	case *ast.UnaryExpr:
		k.walk(n.X, s, name)
		if record && n.Op == token.ARROW {
			k.addRelease(n.X, opSend, n.Pos(), "<-"+types.ExprString(n.X), s.gates)
		}
		return
	case *ast.SendStmt:
		k.walk(n.Chan, s, name)
		k.walk(n.Value, s, name)
		if record {
			k.addRelease(n.Chan, opRecv, n.Pos(), types.ExprString(n.Chan)+" <- …", s.gates)
		}
		return
	case ast.Expr:
		if record && k.rangeX[n] {
			k.addRelease(n, opSend, n.Pos(), "range "+types.ExprString(n), s.gates)
		}
	}
	ast.Inspect(n, func(c ast.Node) bool {
		if c == n {
			return true
		}
		if c != nil {
			k.walk(c, s, name)
		}
		return false
	})
}

// releasesIn records the release a call makes: close(ch), and the sync
// releases (Unlock is found through holders, not here).
func (k *checker) releasesIn(call *ast.CallExpr, gates map[string]gate) {
	if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && len(call.Args) == 1 {
		if b, ok := k.v.Info.Uses[id].(*types.Builtin); ok && b.Name() == "close" {
			k.addRelease(call.Args[0], opRecv, call.Pos(), "close("+types.ExprString(call.Args[0])+")", gates)
		}
		return
	}
	x, kind := k.syncOp(call)
	switch kind {
	case releaseWait:
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Add" && len(call.Args) == 1 {
			if tv := k.v.Info.Types[call.Args[0]]; tv.Value != nil && constant.Sign(tv.Value) > 0 {
				return // Add(n > 0) releases no waiter
			}
		}
		k.addRelease(x, opWait, call.Pos(), types.ExprString(call.Fun)+"()", gates)
	case releaseCond:
		k.addRelease(x, opCondWait, call.Pos(), types.ExprString(call.Fun)+"()", gates)
	}
}

func (k *checker) addRelease(x ast.Expr, kind opKind, pos token.Pos, text string, gates map[string]gate) {
	obj := k.objOf(x)
	if obj == nil {
		return
	}
	r := &release{obj: obj, kind: kind, pos: pos, text: text, gates: map[string]gate{}}
	for id, g := range gates {
		r.gates[id] = g
	}
	k.releases = append(k.releases, r)
}

func (k *checker) acquires(cname string) []csrc.Acquisition {
	if a, ok := k.acq[cname]; ok {
		return a
	}
	a := k.v.C.Acquires(cname)
	k.acq[cname] = a
	return a
}

// ---- the cycle

// conflicts reports whether a lock held (shared or not) excludes a taker.
func conflicts(heldShared, takeShared bool) bool { return !(heldShared && takeShared) }

// heldShared reports whether the C lock was taken in read mode, as its
// evidence shows (a lock helper's mode is not known: exclusive).
func (k *checker) heldShared(l csrc.Lock) bool {
	if l.Evidence == nil || len(l.Evidence.Via) == 0 {
		return false
	}
	op, ok := k.v.DB.LockFunc(l.Evidence.Via[len(l.Evidence.Via)-1])
	return ok && op.Shared
}

// proof is one side of the cycle: how the Go code that would release X
// needs C lock M.
type proof struct {
	what string // "ready is closed only after C.produce"
	g    gate
}

// reportOne reports b, a wait of export fd, when some C caller holds a C
// lock M at the call and the release of b's X is proven to need M.
func (k *checker) reportOne(fd *ast.FuncDecl, cbs []*csrc.CallbackCall, b *blocking) bool {
	// Prefer the nearest caller: the shortest chain.
	sort.SliceStable(cbs, func(i, j int) bool { return len(cbs[i].Via) < len(cbs[j].Via) })
	for _, cb := range cbs {
		for _, m := range cb.Held {
			if m.ID == "" {
				continue
			}
			p := k.needs(b.op, m, k.heldShared(m))
			if p == nil {
				continue
			}
			k.emit(fd, cb, m, b, p)
			return true
		}
	}
	return false
}

// needs returns the proof that every release of op's wait needs C lock m
// (held in read mode when shared), or nil.
func (k *checker) needs(op *blockOp, m csrc.Lock, shared bool) *proof {
	switch op.kind {
	case opSelect:
		var first *proof
		for _, c := range op.cases {
			p := k.needs(c, m, shared)
			if p == nil {
				return nil // that case may be released without m
			}
			if first == nil {
				first = p
			}
		}
		return first
	case opLock, opRLock:
		if op.obj == nil {
			return nil
		}
		for _, h := range k.holders {
			if h.obj != op.obj || op.kind == opRLock && h.shared || op.inst != "" && h.inst != "" && op.inst != h.inst {
				continue // another mutex: a field of another variable
			}
			for _, a := range k.acquires(h.cfunc) {
				if a.ID == m.ID && a.Always && conflicts(shared, a.Shared) {
					return &proof{what: fmt.Sprintf("%s holds %s across C.%s", h.fn, h.name, h.cfunc),
						g: gate{cfunc: h.cfunc, call: h.call, acq: a}}
				}
			}
		}
		return nil
	}
	if op.obj == nil || k.escaped[op.obj] || op.kind == opRecv && k.closedE[op.obj] {
		return nil
	}
	if op.kind == opSend {
		// A send waits only on an unbuffered channel: every make of it
		// seen, and none buffered.
		mk := k.makes[op.obj]
		if len(mk) == 0 {
			return nil
		}
		for _, u := range mk {
			if !u {
				return nil
			}
		}
	}
	if op.kind == opWait && k.wgGo(op.obj) {
		return nil
	}
	var first *release
	closes, sends := false, false
	for _, r := range k.releases {
		if r.obj != op.obj || r.kind != op.kind {
			continue
		}
		if strings.HasPrefix(r.text, "close(") {
			closes = true
		} else {
			sends = true
		}
		g, ok := r.gates[m.ID]
		if !ok || !conflicts(shared, g.acq.Shared) {
			return nil // this release may happen without m
		}
		if first == nil {
			first = r
		}
	}
	if first == nil {
		return nil // nothing releases it: not this check's cycle
	}
	verb := map[opKind]string{opRecv: "is closed or sent to", opSend: "is received from", opWait: "is Done", opCondWait: "is signalled"}[op.kind]
	if op.kind == opRecv && !sends {
		verb = "is closed"
	} else if op.kind == opRecv && !closes {
		verb = "is sent to"
	}
	return &proof{what: fmt.Sprintf("%s %s only after C.%s", op.name, verb, first.gates[m.ID].cfunc), g: first.gates[m.ID]}
}

// wgGo reports a WaitGroup.Go call on wg: its Done is implicit.
func (k *checker) wgGo(obj types.Object) bool {
	found := false
	for _, f := range k.v.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && !found {
				if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Go" {
					if x, kind := k.syncOp(call); kind == releaseWait && k.objOf(x) == obj {
						found = true
					}
				}
			}
			return !found
		})
	}
	return found
}

func (k *checker) emit(fd *ast.FuncDecl, cb *csrc.CallbackCall, m csrc.Lock, b *blocking, p *proof) {
	dir := filepath.Dir(k.pass.Fset.Position(b.at).Filename)
	rel := func(pos token.Position) string {
		f := pos.Filename
		if r, err := filepath.Rel(dir, f); err == nil && !strings.HasPrefix(r, "..") {
			f = r
		}
		return fmt.Sprintf("%s:%d", f, pos.Line)
	}
	what := b.op.text
	if len(b.chain) > 0 {
		what += " (in " + strings.Join(b.chain, " → ") + ")"
	}
	caller := cb.Caller
	if len(cb.Via) > 1 {
		caller += " (via " + strings.Join(cb.Via, " → ") + ")"
	}
	taken := ""
	if m.Evidence != nil {
		taken = fmt.Sprintf(" (taken at %s)", rel(m.Evidence.Pos))
	}
	takes := ""
	if e := p.g.acq.Evidence; e != nil {
		takes = fmt.Sprintf(" (%s)", rel(e.Pos))
		if len(e.Via) > 2 {
			takes = fmt.Sprintf(" (%s, via %s)", rel(e.Pos), strings.Join(e.Via, " → "))
		}
	}
	msg := fmt.Sprintf("%s blocks on %s while its C caller %s holds %s%s, calling it at %s; %s, which takes %s%s: neither side can go on. "+
		"Do not block in a callback that C calls under a lock: hand the work to a goroutine and return at once, or have the C code release %s before calling back",
		fd.Name.Name, what, caller, m.Name, taken, rel(cb.Pos), p.what, m.Name, takes, m.Name)
	k.v.Report(k.pass, analysis.Diagnostic{Pos: b.at, End: b.atEnd, Message: msg})
}
