// Package lockdomains defines an Analyzer that reports C state guarded by a
// Go mutex on the Go side and by a C mutex on the C threads' side: two lock
// domains that do not exclude each other. See checks.Lookup("lockdomains")
// for the documentation.
//
// The Go side: each function body (and function literal) is analysed over
// its control-flow graph (go/cfg) for the sync.Mutex / sync.RWMutex locks
// held on every path at each cgo call (Lock/RLock add, Unlock/RUnlock
// remove, a deferred Unlock runs at the return and so removes nothing). An
// unexported function of the package that is only called directly, from
// sites that all hold a Go lock, starts with those locks held.
//
// The C side comes from csrc: Model.Accesses (the C state a C function
// reads and writes, with the C locks held and possibly held at each access)
// and Model.ThreadStarts (the functions C starts threads with, and their
// accesses).
package lockdomains

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/cfg"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/csrc"
	"github.com/cgoguard/cgoguard/dataflow"
)

var check = checks.Lookup("lockdomains")

// Analyzer reports C state guarded by two lock domains.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
}

// goLock is a Go mutex held: the receiver expression as written.
type goLock struct {
	name    string
	pos     token.Pos // the Lock call
	callers bool      // held by every caller of the function, not taken in it
}

// site is a call made with the Go locks held on every path to it.
type site struct {
	call  *ast.CallExpr
	cname string // the C function, for a cgo call
	held  []goLock
	// For a cgo call: the C locks that earlier cgo calls of the same body
	// may have left held (lib_lock() ... C.f() ... lib_unlock()), the
	// threads they may have started, and the body.
	cheld   []csrc.Lock
	started []string
	body    *ast.BlockStmt
}

type checker struct {
	pass    *analysis.Pass
	v       *cgoview.View
	entry   map[types.Object][]goLock // locks held on entry to the package's functions
	escapes map[types.Object]bool     // functions used other than by a direct call
	cgo     []site
	calls   map[types.Object][]site // the package's functions: their call sites
	cur     *ast.BlockStmt          // the body being recorded
	effects map[string]cEffect      // C functions: what they do to the caller's C locks and threads
}

// cEffect is what a cgo call leaves behind for the calls after it.
type cEffect struct {
	holds       []csrc.Lock
	releases    []string
	releasesAny bool
	starts      []string
}

func (k *checker) effect(cname string) cEffect {
	if e, ok := k.effects[cname]; ok {
		return e
	}
	var e cEffect
	e.holds, e.releases, e.releasesAny = k.v.C.LockEffect(cname)
	e.starts = k.v.C.Starts(cname)
	k.effects[cname] = e
	return e
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	if v == nil || v.Pkg == nil || v.C == nil {
		return nil, nil
	}
	k := &checker{pass: pass, v: v, entry: map[types.Object][]goLock{}, effects: map[string]cEffect{}}
	decls := cgoview.FuncDecls(v.Files)
	if !k.locksAroundCgo(decls) {
		return nil, nil // the common case: no Go lock near a cgo call
	}
	k.escapes = k.v.EscapingFuncs()
	// Locks held on entry, from the call sites, to a fixed point (a few
	// rounds: a chain of helpers below a locking method).
	for round := 0; ; round++ {
		k.analyseAll(decls)
		if round == 4 {
			break
		}
		changed := false
		for _, fd := range decls {
			obj := v.Info.Defs[fd.Name]
			if obj == nil || obj.Exported() || k.escapes[obj] || fd.Name.Name == "main" || fd.Name.Name == "init" {
				continue
			}
			held := common(k.calls[obj])
			if !sameLocks(held, k.entry[obj]) {
				k.entry[obj] = held
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	k.report()
	return nil, nil
}

// locksAroundCgo reports whether some function both takes a sync lock and
// calls C, or the package has unexported functions calling C (which a
// locking caller may reach): otherwise nothing can be reported.
func (k *checker) locksAroundCgo(decls []*ast.FuncDecl) bool {
	locks, cgo := false, false
	ast.Inspect(&ast.File{Decls: declsOf(decls)}, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if _, op := k.lockOp(call); op != 0 {
				locks = true
			} else if k.isCgoCall(call) {
				cgo = true
			}
		}
		return !(locks && cgo)
	})
	return locks && cgo
}

func declsOf(fds []*ast.FuncDecl) []ast.Decl {
	out := make([]ast.Decl, len(fds))
	for i, fd := range fds {
		out[i] = fd
	}
	return out
}

// analyseAll collects the cgo calls and the package's calls with the locks
// held at each.
func (k *checker) analyseAll(decls []*ast.FuncDecl) {
	k.cgo = nil
	k.calls = map[types.Object][]site{}
	for _, fd := range decls {
		var entry []goLock
		if obj := k.v.Info.Defs[fd.Name]; obj != nil {
			entry = k.entry[obj]
		}
		k.body(fd.Body, entry)
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if lit, ok := n.(*ast.FuncLit); ok {
				k.body(lit.Body, nil)
			}
			return true
		})
	}
}

// common returns the locks held at every site (nil when there is none).
func common(sites []site) []goLock {
	if len(sites) == 0 {
		return nil
	}
	var out []goLock
	for _, l := range sites[0].held {
		all := true
		for _, s := range sites[1:] {
			if !hasLock(s.held, l.name) {
				all = false
				break
			}
		}
		if all {
			l.callers = true
			out = append(out, l)
		}
	}
	return out
}

func hasLock(ls []goLock, name string) bool {
	for _, l := range ls {
		if l.name == name {
			return true
		}
	}
	return false
}

func sameLocks(a, b []goLock) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].name != b[i].name {
			return false
		}
	}
	return true
}

// lstate is the must set of Go locks held; live false for no path yet.
// cheld and started are may sets: the C locks earlier cgo calls of the body
// may have left held (by ID; "" for one the model cannot name), and the C
// threads they may have started (csrc.ThreadStart.Key).
type lstate struct {
	live    bool
	held    []goLock
	cheld   []csrc.Lock
	started []string
}

func meet(a, b lstate) lstate {
	if !a.live {
		return b
	}
	if !b.live {
		return a
	}
	r := lstate{live: true, cheld: a.cheld, started: a.started}
	for _, l := range a.held {
		if hasLock(b.held, l.name) {
			r.held = append(r.held, l)
		}
	}
	for _, l := range b.cheld {
		r.cheld = addCLock(r.cheld, l)
	}
	for _, t := range b.started {
		if !slices.Contains(r.started, t) {
			r.started = append(slices.Clip(r.started), t)
		}
	}
	return r
}

func addCLock(ls []csrc.Lock, l csrc.Lock) []csrc.Lock {
	for _, k := range ls {
		if k.ID == l.ID && (l.ID != "" || k.Name == l.Name) {
			return ls
		}
	}
	return append(slices.Clip(ls), l)
}

func sameState(a, b lstate) bool {
	return a.live == b.live && sameLocks(a.held, b.held) && len(a.cheld) == len(b.cheld) && len(a.started) == len(b.started)
}

// body runs the must-lockset analysis over one body (function literals
// inside are separate bodies) and records its sites.
func (k *checker) body(b *ast.BlockStmt, entry []goLock) {
	if b == nil {
		return
	}
	g := cfg.New(b, func(*ast.CallExpr) bool { return true })
	if len(g.Blocks) == 0 {
		return
	}
	in := dataflow.Forward(g, dataflow.Problem[lstate]{
		Entry:    lstate{live: true, held: entry},
		Transfer: func(blk *cfg.Block, s lstate) lstate { return k.block(blk, s, false) },
		Meet:     meet,
		Equal:    sameState,
	})
	for _, blk := range g.Blocks {
		if st, ok := in[blk]; ok && st.live {
			k.cur = b
			k.block(blk, st, true)
		}
	}
}

// block applies a block's nodes in evaluation order; record notes the sites.
func (k *checker) block(blk *cfg.Block, s lstate, record bool) lstate {
	s.held = append([]goLock(nil), s.held...)
	s.cheld, s.started = slices.Clip(s.cheld), slices.Clip(s.started)
	for _, n := range blk.Nodes {
		k.walk(n, &s, record)
	}
	return s
}

// walk visits n's calls after their operands.
func (k *checker) walk(n ast.Node, s *lstate, record bool) {
	switch n := n.(type) {
	case *ast.FuncLit:
		return // its own body
	case *ast.DeferStmt:
		return // runs at the return: a deferred Unlock keeps the lock held here
	case *ast.GoStmt:
		return // runs on another goroutine, holding nothing
	case *ast.CallExpr:
		for _, a := range n.Args {
			k.walk(a, s, record)
		}
		k.walk(n.Fun, s, record)
		if name, op := k.lockOp(n); op != 0 {
			if op > 0 {
				if !hasLock(s.held, name) {
					s.held = append(s.held, goLock{name: name, pos: n.Pos()})
					sort.Slice(s.held, func(i, j int) bool { return s.held[i].name < s.held[j].name })
				}
			} else if hasLock(s.held, name) {
				var rest []goLock
				for _, l := range s.held {
					if l.name != name {
						rest = append(rest, l)
					}
				}
				s.held = rest
			} else {
				s.held = nil // an unlock through another name: assume it may be any lock
			}
			return
		}
		if k.isCgoCall(n) {
			name, _ := k.v.CCall(n)
			if record {
				k.cgo = append(k.cgo, site{call: n, cname: name, held: s.held, cheld: s.cheld, started: s.started, body: k.cur})
			}
			k.after(s, k.effect(name))
			return
		}
		if !record {
			return
		}
		if fn := k.v.StaticCallee(n); fn != nil && fn.Pkg() == k.v.Pkg {
			k.calls[fn] = append(k.calls[fn], site{call: n, held: s.held})
		}
		return
	}
	ast.Inspect(n, func(c ast.Node) bool {
		if c == n {
			return true
		}
		if c != nil {
			k.walk(c, s, record)
		}
		return false
	})
}

// after applies a cgo call's effect on the C locks held and the threads
// started.
func (k *checker) after(s *lstate, e cEffect) {
	var keep []csrc.Lock
	for _, l := range s.cheld {
		if !e.releasesAny && (l.ID == "" || !slices.Contains(e.releases, l.ID)) {
			keep = append(keep, l)
		}
	}
	s.cheld = keep
	for _, l := range e.holds {
		s.cheld = addCLock(s.cheld, l)
	}
	for _, t := range e.starts {
		if !slices.Contains(s.started, t) {
			s.started = append(slices.Clip(s.started), t)
		}
	}
}

// lockOp recognises x.Lock(), x.RLock() (+1) and x.Unlock(), x.RUnlock()
// (-1) of sync.Mutex, sync.RWMutex (also embedded) and sync.Locker, and
// returns x as written.
func (k *checker) lockOp(call *ast.CallExpr) (string, int) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return "", 0
	}
	fn, ok := k.v.Info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "sync" {
		return "", 0
	}
	sig, _ := fn.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return "", 0
	}
	rt := sig.Recv().Type()
	if p, ok := rt.(*types.Pointer); ok {
		rt = p.Elem()
	}
	named, ok := rt.(*types.Named)
	if !ok {
		return "", 0
	}
	switch named.Obj().Name() {
	case "Mutex", "RWMutex", "Locker":
	default:
		return "", 0
	}
	name := types.ExprString(sel.X)
	switch fn.Name() {
	case "Lock", "RLock":
		return name, 1
	case "Unlock", "RUnlock":
		return name, -1
	}
	return "", 0
}

// isCgoCall reports a call of a C function (not a conversion C.int(x), not
// one of cgo's helpers).
func (k *checker) isCgoCall(call *ast.CallExpr) bool {
	_, ok := k.v.CFuncCall(call)
	return ok
}

// report matches the cgo calls made under a Go lock against the C threads'
// locked accesses.
func (k *checker) report() {
	var locked []site
	for _, s := range k.cgo {
		if len(s.held) > 0 {
			locked = append(locked, s)
		}
	}
	if len(locked) == 0 {
		return
	}
	threads := k.v.C.ThreadStarts()
	if os.Getenv("CGOGUARD_VERBOSE") != "" {
		// A note for cgoguard vet -v: what the check had to match.
		var names []string
		for _, t := range threads {
			names = append(names, t.Routine)
		}
		fmt.Fprintf(os.Stderr, "cgoguard: %s: lockdomains: %d cgo calls under a Go mutex; C thread start routines: %s\n",
			k.pass.Pkg.Path(), len(locked), strings.Join(names, " "))
	}
	lockedInC := false
	for _, t := range threads {
		for _, a := range t.Accesses {
			lockedInC = lockedInC || len(a.Held) > 0
		}
	}
	if !lockedInC {
		return // no C thread holds a C lock at an access: nothing to match (and Go-side accesses are not computed)
	}
	done := map[token.Pos]bool{}
	for _, s := range locked {
		if done[s.call.Pos()] {
			continue // a site of a function analysed in several rounds
		}
		done[s.call.Pos()] = true
		seen := map[string]bool{}
		starts := k.v.C.Starts(s.cname)
		later := k.startedLater(s)
		for _, a := range k.v.C.Accesses(s.cname) {
			if seen[a.Object] {
				continue
			}
			// The C locks earlier cgo calls may have left held (lib_lock()
			// before C.f()), unless f may release them before the access.
			for _, l := range s.cheld {
				if l.ID == "" || !a.MayRelease(l.ID) {
					a = withMayHold(a, l)
				}
			}
			if m := match(a, threads, append(slices.Clip(starts), later...)); m != nil {
				seen[a.Object] = true
				k.reportOne(s, a, m)
			}
		}
	}
}

// withMayHold returns a copy of a with l possibly held too.
func withMayHold(a *csrc.Access, l csrc.Lock) *csrc.Access {
	c := *a
	c.MayHold = append(slices.Clip(c.MayHold), l)
	return &c
}

// startedLater returns the threads that a cgo call after s in the same body
// starts, when no cgo call before s may have started them: the Go code sets
// up C state, then starts the threads that use it (C.configure(n);
// C.start()), and s runs before they exist. Like the C side's setup before
// pthread_create, it assumes the function does not run again while they
// do. Later is by position: a loop around both would have started them
// before s on its next iteration, which s.started records.
func (k *checker) startedLater(s site) []string {
	var out []string
	for _, o := range k.cgo {
		if o.body != s.body || o.call.Pos() <= s.call.End() {
			continue
		}
		for _, t := range k.effect(o.cname).starts {
			if !slices.Contains(s.started, t) && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// conflict is a C thread's locked access that a Go-side access races with.
type conflict struct {
	thread *csrc.ThreadStart
	acc    *csrc.Access
	lock   csrc.Lock
}

// match returns a C thread's access of the same state, made holding a C
// lock that a's locks cannot be, with one of the two a write; writes first.
// starts are the threads the C function making a may start.
func match(a *csrc.Access, threads []*csrc.ThreadStart, starts []string) *conflict {
	var best *conflict
	for _, t := range threads {
		if notRunning(a, t, starts) {
			continue
		}
		for _, h := range t.Accesses {
			if !a.Write && !h.Write || len(h.Held) == 0 || !a.Overlaps(h) {
				continue
			}
			for _, l := range h.Held {
				if csrc.Excludes(l, a.MayHold) {
					if best == nil || h.Write && !best.acc.Write {
						best = &conflict{thread: t, acc: h, lock: l}
					}
					break
				}
			}
		}
	}
	return best
}

// notRunning reports an access that the C function which starts thread t
// makes while t does not run: before the call that starts it (setting up
// the state the thread will use: pthread_create makes it visible to the
// thread) or after joining it (pthread_join makes the thread's writes
// visible). No lock is needed then.
func notRunning(a *csrc.Access, t *csrc.ThreadStart, starts []string) bool {
	return slices.Contains(starts, t.Key) && !slices.Contains(a.Running, t.Key)
}

func verb(a *csrc.Access) string {
	switch {
	case a.Read && a.Write:
		return "updates"
	case a.Write:
		return "writes"
	}
	return "reads"
}

// plural turns "updates" into "update" for a plural subject.
func plural(v string) string { return strings.TrimSuffix(v, "s") }

func (k *checker) reportOne(s site, a *csrc.Access, c *conflict) {
	dir := filepath.Dir(k.pass.Fset.Position(s.call.Pos()).Filename)
	rel := func(p token.Position) string {
		f := p.Filename
		if r, err := filepath.Rel(dir, f); err == nil && !strings.HasPrefix(r, "..") {
			f = r
		}
		return fmt.Sprintf("%s:%d", f, p.Line)
	}
	var gos []string
	for _, l := range s.held {
		g := l.name
		if l.callers {
			g += " (held by every caller)"
		}
		gos = append(gos, g)
	}
	cLock := "with no C lock"
	if len(a.MayHold) > 0 {
		cLock = "without " + c.lock.Name
	}
	h := c.acc
	// The locked entry point to suggest: the function whose body makes the
	// thread's access, unless that is the thread's own loop.
	entry := "a C wrapper that takes it"
	if hfn := h.Via[len(h.Via)-1]; hfn != c.thread.Routine {
		entry = "such as " + hfn + ", or " + entry
	}
	taken := ""
	if ev := c.lock.Evidence; ev != nil && len(ev.Via) >= 2 {
		taken = fmt.Sprintf(", %s taken by %s in %s at %s", c.lock.Name, ev.Note, ev.Via[len(ev.Via)-2], rel(ev.Pos))
	}
	start := c.thread
	starter := ""
	switch v := start.Via; {
	case len(v) == 2:
		starter = fmt.Sprintf(" (started by %s in %s at %s)", v[1], v[0], rel(start.Pos))
	case len(v) > 2:
		starter = fmt.Sprintf(" (started by %s, called through %s at %s)", v[len(v)-1], strings.Join(v[:len(v)-1], " → "), rel(start.Pos))
	}
	effect := "updates can be lost"
	if !a.Write {
		effect = "the read races with their writes"
	}
	chain := func(a *csrc.Access) string {
		if len(a.Via) > 1 {
			return " (via " + strings.Join(a.Via, " → ") + ")"
		}
		return ""
	}
	msg := fmt.Sprintf("C.%s %s C state %s %s, under Go mutex %s only, while C threads running %s%s %s it holding C mutex %s: "+
		"the two locks do not exclude each other, so %s. C: %s%s at %s; %s%s at %s%s. "+
		"Reach %s only through C code that takes %s (%s) instead of guarding it with a Go mutex",
		s.cname, verb(a), a.Path, cLock, strings.Join(gos, ", "), start.Routine, starter, plural(verb(h)), c.lock.Name, effect,
		a.Note, chain(a), rel(a.Pos), h.Note, chain(h), rel(h.Pos), taken,
		a.Path, c.lock.Name, entry)
	k.v.Report(k.pass, analysis.Diagnostic{Pos: s.call.Pos(), End: s.call.End(), Message: msg})
}
