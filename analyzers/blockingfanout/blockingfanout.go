// Package blockingfanout defines an Analyzer that reports C calls that may
// block, made from goroutines started without a bound: per loop iteration or
// per HTTP request. See checks.Lookup("blockingfanout") for the documentation.
//
// Whether a C function may block comes from csrc's MayBlock summary of its C
// body (or the knowledge base). A Go function of the package blocks when its
// body makes such a call, directly or through another Go function, with no
// bound taken before it (BlocksInC fact, also across packages). A goroutine
// is unbounded when it is started (go statement, sync.WaitGroup.Go,
// errgroup.Group.Go without SetLimit) inside a loop whose trip count is not a
// constant, or in an HTTP handler. A bound is any of: a channel operation,
// select, a mutex Lock, an Acquire/TryAcquire, a cgate Enter, before the call
// in the goroutine or before the go statement in the loop body; a call passed
// as a function to something else (cgate.Do) is not followed.
package blockingfanout

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"

	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/csrc"
)

var check = checks.Lookup("blockingfanout")

// Analyzer reports unbounded goroutines in blocking C calls.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
	FactTypes:        []analysis.Fact{(*BlocksInC)(nil)},
}

// BlocksInC is a fact on a Go function that may block its thread in a C call
// with no bound of its own: Via says how (the call chain and the C evidence).
type BlocksInC struct {
	Via     string
	Repeats bool // the blocking call is made in a loop: the function is a worker
}

// AFact marks BlocksInC as an analysis fact.
func (*BlocksInC) AFact() {}

func (f *BlocksInC) String() string { return "blocksInC" }

type checker struct {
	pass  *analysis.Pass
	v     *cgoview.View // nil for a package without cgo until a report needs it
	c     *csrc.Model
	info  *types.Info
	files []*ast.File
	pkg   *types.Package
	// blocks holds the package's own functions that may block in C.
	blocks map[types.Object]*blocking
	// limited is set when the package limits its listeners
	// (netutil.LimitListener): handlers are then bounded.
	limited  bool
	reported map[token.Pos]bool
}

// blocking is a call that may block its thread in C.
type blocking struct {
	call *ast.CallExpr
	via  string // e.g. "C.wait_reply may block: C: calls read ... at main.go:21"
	// repeats is set when the call is made in a loop (of the body or of a
	// callee): the goroutine is a long-lived worker.
	repeats bool
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	var c *csrc.Model
	if v != nil {
		c = v.C
	}
	k := &checker{pass: pass, v: v, c: c, blocks: map[types.Object]*blocking{}, reported: map[token.Pos]bool{}}
	if v != nil {
		if v.Pkg == nil {
			return nil, nil
		}
		k.info, k.files, k.pkg = v.Info, v.Files, v.Pkg
	} else {
		if !importsBlocker(pass) {
			return nil, nil
		}
		k.info, k.files, k.pkg = pass.TypesInfo, pass.Files, pass.Pkg
	}
	decls := cgoview.FuncDecls(k.files)
	for _, f := range k.files {
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if fn := k.callee(call); fn != nil && fn.Name() == "LimitListener" && fn.Pkg() != nil && fn.Pkg().Path() == "golang.org/x/net/netutil" {
					k.limited = true
				}
			}
			return true
		})
	}
	// Summaries of the package's functions, to a fixed point (they only grow).
	for range 8 {
		changed := false
		for _, fd := range decls {
			obj := k.info.Defs[fd.Name]
			if obj == nil || k.blocks[obj] != nil {
				continue
			}
			if b := k.firstBlocking(fd.Body); b != nil {
				k.blocks[obj] = b
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for _, fd := range decls {
		obj := k.info.Defs[fd.Name]
		if b := k.blocks[obj]; b != nil {
			if v != nil {
				obj = v.CookedObject(obj)
			}
			if obj != nil {
				pass.ExportObjectFact(obj, &BlocksInC{Via: b.via, Repeats: b.repeats})
			}
		}
	}
	for _, fd := range decls {
		k.checkFunc(fd)
	}
	return nil, nil
}

func importsBlocker(pass *analysis.Pass) bool {
	for _, f := range pass.AllObjectFacts() {
		if _, ok := f.Fact.(*BlocksInC); ok && f.Object.Pkg() != pass.Pkg {
			return true
		}
	}
	return false
}

func (k *checker) callee(call *ast.CallExpr) *types.Func {
	var id *ast.Ident
	switch fun := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		id = fun
	case *ast.SelectorExpr:
		id = fun.Sel
	case *ast.IndexExpr:
		if x, ok := fun.X.(*ast.Ident); ok {
			id = x
		}
	default:
		return nil
	}
	fn, _ := k.info.Uses[id].(*types.Func)
	if fn == nil {
		return nil
	}
	return fn.Origin()
}

// lockOnly are the blocking primitives that wait only while another thread
// holds a lock: a C function known to block only through them (a short
// critical section, in the common case) is not reported.
var lockOnly = map[string]bool{
	"pthread_mutex_lock": true, "pthread_rwlock_rdlock": true, "pthread_rwlock_wrlock": true,
}

// blockingCall reports whether call may block its thread in C, and how.
func (k *checker) blockingCall(call *ast.CallExpr) *blocking {
	if k.v != nil {
		if name, ok := k.v.CCall(call); ok {
			if k.c != nil {
				if f := k.c.Func(name); f != nil && f.MayBlock != nil {
					if len(f.MayBlock.Via) > 0 && lockOnly[f.MayBlock.Via[len(f.MayBlock.Via)-1]] {
						return nil
					}
					return &blocking{call: call, via: fmt.Sprintf("C.%s may block its thread (C: %s)", name, f.MayBlock.From(filepath.Dir(k.pass.Fset.Position(call.Pos()).Filename)))}
				}
			}
			if k.v.DB.Blocking(name) && !lockOnly[name] {
				return &blocking{call: call, via: fmt.Sprintf("C.%s may block its thread (knowledge base)", name)}
			}
			return nil
		}
	}
	fn := k.callee(call)
	if fn == nil {
		return nil
	}
	if via, repeats := k.funcBlocks(fn); via != "" {
		return &blocking{call: call, via: via, repeats: repeats}
	}
	return nil
}

// funcBlocks says how a Go function may block in C, or "", and whether it
// does so in a loop.
func (k *checker) funcBlocks(fn *types.Func) (string, bool) {
	if b := k.blocks[fn]; b != nil {
		return fmt.Sprintf("%s calls %s", k.funcName(fn), b.via), b.repeats
	}
	if fn.Pkg() != k.pkg {
		var f BlocksInC
		if k.pass.ImportObjectFact(fn, &f) {
			return fmt.Sprintf("%s calls %s", k.funcName(fn), f.Via), f.Repeats
		}
	}
	return "", false
}

func (k *checker) funcName(fn *types.Func) string {
	name := fn.Name()
	if sig, ok := fn.Type().(*types.Signature); ok && sig.Recv() != nil {
		rt := sig.Recv().Type()
		if p, ok := rt.(*types.Pointer); ok {
			rt = p.Elem()
		}
		if n, ok := rt.(*types.Named); ok {
			name = n.Obj().Name() + "." + name
		}
	}
	if fn.Pkg() != nil && fn.Pkg() != k.pkg {
		name = fn.Pkg().Name() + "." + name
	}
	return name
}

// firstBlocking returns the first call in body, in source order, that may
// block in C with no bound before it in body. Other goroutines' bodies and
// function literals that are neither called at once nor deferred are not
// part of body's flow and are skipped; so are deferred calls.
func (k *checker) firstBlocking(body *ast.BlockStmt) *blocking {
	bounds := k.bounds(body)
	var found *blocking
	var loops []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			loops = append(loops, n)
		case *ast.GoStmt, *ast.DeferStmt:
			return false
		case *ast.FuncLit:
			return false // run later, elsewhere, or by what it is passed to
		case *ast.CallExpr:
			if lit, ok := ast.Unparen(n.Fun).(*ast.FuncLit); ok {
				// Called at once: part of the flow.
				if b := k.firstBlocking(lit.Body); b != nil && !boundedBefore(bounds, n.Pos()) {
					found = b
				}
				return false
			}
			if b := k.blockingCall(n); b != nil && !boundedBefore(bounds, n.Pos()) {
				found = b
				return false
			}
		}
		return true
	})
	if found != nil {
		for _, l := range loops {
			if l.Pos() <= found.call.Pos() && found.call.End() <= l.End() {
				found.repeats = true
			}
		}
	}
	return found
}

// boundedBefore reports a bound that ends before pos.
func boundedBefore(bounds []token.Pos, pos token.Pos) bool {
	for _, b := range bounds {
		if b <= pos {
			return true
		}
	}
	return false
}

// bounds returns the end positions of the operations in body that bound how
// many goroutines get past them: channel operations, select, mutex Lock,
// Acquire/TryAcquire, cgate Enter. Deferred calls and other goroutines'
// bodies are not part of the flow.
func (k *checker) bounds(body ast.Node) []token.Pos {
	var out []token.Pos
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt, *ast.DeferStmt:
			return false
		case *ast.FuncLit:
			return false
		case *ast.SendStmt:
			out = append(out, n.End())
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				out = append(out, n.End())
			}
		case *ast.SelectStmt:
			out = append(out, n.Body.Lbrace)
		case *ast.RangeStmt:
			if t := k.info.TypeOf(n.X); t != nil {
				if _, ok := t.Underlying().(*types.Chan); ok {
					out = append(out, n.X.End()) // a worker taking jobs from a channel
				}
			}
		case *ast.CallExpr:
			if k.isBound(n) {
				out = append(out, n.End())
			}
		}
		return true
	})
	return out
}

// isBound reports a call that admits a bounded number of goroutines.
func (k *checker) isBound(call *ast.CallExpr) bool {
	fn := k.callee(call)
	if fn == nil {
		return false
	}
	sig, _ := fn.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return false
	}
	switch fn.Name() {
	case "Acquire", "TryAcquire":
		return true
	case "Lock", "RLock":
		return fn.Pkg() != nil && fn.Pkg().Path() == "sync"
	case "Enter":
		return isNamed(sig.Recv().Type(), "github.com/cgoguard/cgoguard/safe/cgate", "Gate")
	}
	return false
}

func isNamed(t types.Type, path, name string) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path && n.Obj().Name() == name
}

// checkFunc finds the goroutines fd starts without a bound, and fd's (and
// its literals') HTTP handlers.
func (k *checker) checkFunc(fd *ast.FuncDecl) {
	handler := false
	if obj := k.info.Defs[fd.Name]; obj != nil && k.isHandler(obj.Type()) {
		handler = true
		k.checkHandler(fd.Body, fd.Name.Name)
	}
	var stack []ast.Node
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		switch n := n.(type) {
		case *ast.FuncLit:
			if t := k.info.TypeOf(n); t != nil && k.isHandler(t) {
				k.checkHandler(n.Body, "this handler")
			}
		case *ast.GoStmt:
			k.checkSpawn(stack, handler, n.Call, n.Call.Fun, n.Pos(), "go statement")
		case *ast.CallExpr:
			if fun, what := k.spawner(n, fd.Body); fun != nil {
				k.checkSpawn(stack, handler, n, fun, n.Pos(), what)
			}
		}
		return true
	})
}

// spawner recognises wg.Go(f) (sync.WaitGroup) and g.Go(f) (errgroup.Group
// with no SetLimit on g in body) and returns f.
func (k *checker) spawner(call *ast.CallExpr, body *ast.BlockStmt) (ast.Expr, string) {
	fn := k.callee(call)
	if fn == nil || fn.Name() != "Go" || len(call.Args) != 1 {
		return nil, ""
	}
	sig := fn.Type().(*types.Signature)
	if sig.Recv() == nil {
		return nil, ""
	}
	switch {
	case isNamed(sig.Recv().Type(), "sync", "WaitGroup"):
		return call.Args[0], "sync.WaitGroup.Go"
	case isNamed(sig.Recv().Type(), "golang.org/x/sync/errgroup", "Group"):
		g := types.ExprString(ast.Unparen(call.Fun).(*ast.SelectorExpr).X)
		limited := false
		ast.Inspect(body, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				if f := k.callee(c); f != nil && f.Name() == "SetLimit" {
					if sel, ok := ast.Unparen(c.Fun).(*ast.SelectorExpr); ok && types.ExprString(sel.X) == g {
						limited = true
					}
				}
			}
			return !limited
		})
		if !limited {
			return call.Args[0], "errgroup.Group.Go without SetLimit"
		}
	}
	return nil, ""
}

// isHandler reports func(http.ResponseWriter, *http.Request) signatures.
func (k *checker) isHandler(t types.Type) bool {
	sig, ok := t.(*types.Signature)
	if !ok || sig.Params().Len() != 2 || sig.Results().Len() != 0 {
		return false
	}
	return isNamed(sig.Params().At(0).Type(), "net/http", "ResponseWriter") &&
		isNamed(sig.Params().At(1).Type(), "net/http", "Request")
}

// checkHandler reports a blocking C call made by an HTTP handler itself.
func (k *checker) checkHandler(body *ast.BlockStmt, name string) {
	if k.limited {
		return
	}
	b := k.firstBlocking(body)
	if b == nil {
		return
	}
	k.report(b, fmt.Sprintf("it runs in %s, an HTTP handler: net/http serves each connection in a goroutine of its own, with no limit", name), nil)
}

// checkSpawn reports an unbounded goroutine start whose function may block in C.
func (k *checker) checkSpawn(stack []ast.Node, handler bool, call *ast.CallExpr, fun ast.Expr, at token.Pos, how string) {
	ctx, rel, loop := k.unboundedContext(stack, handler, at)
	if ctx == "" {
		return
	}
	var b *blocking
	switch f := ast.Unparen(fun).(type) {
	case *ast.FuncLit:
		b = k.firstBlocking(f.Body)
	default:
		if ast.Unparen(call.Fun) == fun { // go f(x): the call itself
			b = k.blockingCall(call)
		} else if fn, ok := k.info.Uses[identOf(fun)].(*types.Func); ok { // wg.Go(f)
			if via, repeats := k.funcBlocks(fn.Origin()); via != "" {
				b = &blocking{call: call, via: via, repeats: repeats}
			}
		}
	}
	if b == nil {
		return
	}
	if f, ok := loop.(*ast.ForStmt); ok && f.Cond != nil && b.repeats {
		// Start k workers that each call in a loop: k is the pool's size,
		// chosen by the program, not a count of requests.
		return
	}
	rel = append(rel, analysis.RelatedInformation{Pos: at, Message: "the goroutine is started here (" + how + ")"})
	k.report(b, "it runs in a goroutine started "+ctx, rel)
}

func identOf(e ast.Expr) *ast.Ident {
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident:
		return x
	case *ast.SelectorExpr:
		return x.Sel
	}
	return nil
}

// unboundedContext describes why a goroutine started at pos (stack: its
// ancestors in a function body; handler: that function is an HTTP handler)
// has no bound, or returns "" when it has one or starts once.
func (k *checker) unboundedContext(stack []ast.Node, handler bool, pos token.Pos) (string, []analysis.RelatedInformation, ast.Node) {
	var loop ast.Node
	why := ""
	perRequest := "for each HTTP request (net/http runs each connection's handler in a goroutine of its own, with no limit)"
	for i := len(stack) - 1; i >= 0; i-- {
		switch n := stack[i].(type) {
		case *ast.FuncLit:
			if loop == nil && k.isHandler(k.info.TypeOf(n)) && !k.limited {
				return perRequest, nil, nil
			}
			// A function boundary: loops outside run the literal, not the go statement.
			i, handler = -1, false
		case *ast.ForStmt:
			if k.bounded(n.Body, pos) {
				return "", nil, nil
			}
			if w := k.forTrips(n); w != "" && loop == nil {
				loop, why = n, w
			}
		case *ast.RangeStmt:
			if k.bounded(n.Body, pos) {
				return "", nil, nil
			}
			if w := k.rangeTrips(n); w != "" && loop == nil {
				loop, why = n, w
			}
		}
	}
	if loop == nil {
		if handler && !k.limited {
			return perRequest, nil, nil
		}
		return "", nil, nil
	}
	p := k.pass.Fset.Position(loop.Pos())
	return fmt.Sprintf("in each iteration of the loop at line %d (%s)", p.Line, why),
		[]analysis.RelatedInformation{{Pos: loop.Pos(), Message: "the loop that starts one goroutine per iteration: " + why}}, loop
}

// bounded reports a bound taken in a loop body before pos.
func (k *checker) bounded(body *ast.BlockStmt, pos token.Pos) bool {
	for _, b := range k.bounds(body) {
		if b <= pos {
			return true
		}
	}
	return false
}

// forTrips says why a for loop's trip count is not a constant, or "".
func (k *checker) forTrips(f *ast.ForStmt) string {
	if f.Cond == nil {
		return "a loop without end"
	}
	be, ok := ast.Unparen(f.Cond).(*ast.BinaryExpr)
	if !ok {
		return "its condition " + types.ExprString(f.Cond) + " is not a count"
	}
	switch be.Op {
	case token.LSS, token.LEQ, token.GTR, token.GEQ, token.NEQ:
	default:
		return "its condition " + types.ExprString(f.Cond) + " is not a count"
	}
	if k.fixed(be.X) || k.fixed(be.Y) {
		return ""
	}
	return "its bound " + types.ExprString(f.Cond) + " is not a constant"
}

// fixed reports a constant, runtime.NumCPU(), runtime.GOMAXPROCS(...) or the
// length of an array: a count that does not grow with the input.
func (k *checker) fixed(e ast.Expr) bool {
	e = ast.Unparen(e)
	if tv, ok := k.info.Types[e]; ok && tv.Value != nil {
		return true
	}
	if call, ok := e.(*ast.CallExpr); ok {
		if fn := k.callee(call); fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == "runtime" && (fn.Name() == "NumCPU" || fn.Name() == "GOMAXPROCS") {
			return true
		}
		if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && id.Name == "len" && len(call.Args) == 1 {
			if t := k.info.TypeOf(call.Args[0]); t != nil {
				if _, ok := t.Underlying().(*types.Array); ok {
					return true
				}
			}
		}
	}
	return false
}

// rangeTrips says why a range loop's trip count is not a constant, or "".
func (k *checker) rangeTrips(r *ast.RangeStmt) string {
	if _, ok := ast.Unparen(r.X).(*ast.CompositeLit); ok {
		return ""
	}
	t := k.info.TypeOf(r.X)
	if t == nil {
		return ""
	}
	switch u := t.Underlying().(type) {
	case *types.Chan:
		return "a range over a channel: one per value received"
	case *types.Array:
		return ""
	case *types.Pointer:
		if _, ok := u.Elem().Underlying().(*types.Array); ok {
			return ""
		}
	case *types.Basic:
		if k.fixed(r.X) {
			return ""
		}
		if u.Info()&types.IsInteger != 0 {
			return "a range over " + types.ExprString(r.X) + ", not a constant"
		}
	case *types.Signature:
		return "a range over an iterator"
	}
	return "one per element of " + types.ExprString(r.X)
}

func (k *checker) report(b *blocking, ctx string, rel []analysis.RelatedInformation) {
	if k.reported[b.call.Pos()] {
		return
	}
	k.reported[b.call.Pos()] = true
	if k.v == nil {
		v, err := cgoview.Build(k.pass.Fset, k.pass.Pkg, k.pass.Files, k.pass.TypesSizes, cgoview.DB)
		if err != nil {
			return
		}
		k.v = v
	}
	msg := fmt.Sprintf("%s, and %s. Other goroutines keep running (the P is handed off), but each blocked call holds an OS thread: "+
		"with enough of them the process passes debug.SetMaxThreads (10,000 by default) and the runtime ends it with \"fatal error: thread exhaustion\". "+
		"Bound the calls: a buffered channel acquired before the call, a fixed pool of workers, or cgate.New(k).Do",
		b.via, ctx)
	k.v.Report(k.pass, analysis.Diagnostic{Pos: b.call.Pos(), End: b.call.End(), Message: msg, Related: rel})
}
