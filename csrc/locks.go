package csrc

import (
	"bytes"
	"fmt"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/cgoguard/cgoguard/knowledge"
)

// Which C state a function reads and writes, under which C locks, and which
// functions run on threads that C starts: the C half of the lockdomains
// check (two lock domains, a Go mutex and a C mutex, guarding the same C
// state).
//
// The analysis is a lockset analysis along each body's statements (the flow
// form, flow.go), in evaluation order, through if/switch/loops/goto/return:
//
//   - Held is a must set: a lock is held at an access when every path from
//     the function's entry to the access takes it and no path releases it
//     since. Locks are taken and released by the knowledge base's lock
//     functions (pthread_mutex_lock, _unlock, _trylock whose result the
//     condition of an if tests against 0, ...), directly or through the
//     package's C functions (a helper that returns with the lock held).
//   - MayHold is a may set: every lock some path may hold there, including
//     locks the model cannot name. Calls through function pointers and
//     functions without a body change neither set.
//   - A lock is named by the storage it lives in: a file-scope variable
//     (&c_mu), a field of one (&lib.mu), what a global pointer points to
//     (lib->mu, *g), or a local pointer assigned once from one of those.
//     Other locks (&ctx->mu of a parameter, &locks[i]) are "unknown": they
//     count as some lock, which may be any lock. Releasing an unknown lock
//     releases every lock of the must set; releasing a named one releases
//     it and every unknown one.
//   - Accesses are to file-scope state: global and static variables (not
//     thread-local), their fields and elements, and what a global pointer
//     points to (p->f, *p, p[i], after a read of p). Taking an address is
//     not an access (&g passed to a lock or an atomic builtin); nor are
//     accesses a callee makes through a pointer argument (memset(&g, ...)).
//   - A callee's accesses are the caller's too, made under the caller's
//     locks at the call (minus those the callee may release before the
//     access). Recursion contributes nothing; && and ?: are read as
//     sequences.

// Lock is a C lock held at an access.
type Lock struct {
	// ID identifies a lock the model can name: the variable it lives in
	// (qualified by file for a static one) and the path to it. "" for a lock
	// it cannot name, which may be any lock.
	ID       string
	Name     string    // as written: "c_mu", "lib.mu", "c->mu"
	Evidence *Evidence // where it was taken: the call of the lock function, with the call chain to it

	param string // "#p<i>": the lock parameter i points to, named by each caller
}

// Access is one read or write of C file-scope state.
type Access struct {
	Object      string // the variable: its name, qualified by file (and function) when static
	Path        string // the part accessed, as written: "counter", "lib.count", "cache->len", "buf[]"
	Read, Write bool
	Held        []Lock // locks held on every path to the access (by the summarised function and its callees)
	MayHold     []Lock // locks some path may hold there: a superset of Held
	Evidence           // Via: from the summarised function to the one whose body accesses; Pos: the access

	comps  []string // the path's parts after the variable
	rel    []string // IDs the summarised function may release before the access (it may not hold them, whoever called it)
	relAll bool     // it may release an unknown lock before the access

	// Running names the threads the summarised function (or its callees)
	// started before the access on some path and has not joined since
	// (ThreadStart.Key); the threads it starts (Model.Starts) that are not
	// among them do not run yet, or no longer, at the access.
	Running []string
	joined  bool // a thread join on every path to the access (see lstate.joined)
}

// Overlaps reports whether a and b may touch the same memory: the same
// variable, and one path a prefix of the other that does not go on through
// a pointer (a pointer variable is not what it points to).
func (a *Access) Overlaps(b *Access) bool {
	if a.Object != b.Object {
		return false
	}
	x, y := a.comps, b.comps
	if len(x) > len(y) {
		x, y = y, x
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return len(x) == len(y) || y[len(x)] != "*"
}

// Excludes reports whether holding l certainly excludes an access made
// while holding at most the locks may: l is a lock the model can name, and
// none of may can be it.
func Excludes(l Lock, may []Lock) bool {
	if l.ID == "" {
		return len(may) == 0
	}
	for _, k := range may {
		if k.ID == "" || k.ID == l.ID {
			return false
		}
	}
	return true
}

// Accesses returns the reads and writes of C file-scope state that calling
// the C function name (as Go's C.name) makes, transitively through the
// package's C functions, with the locks held at each, relative to a caller
// that holds none. Each distinct (state, read/write, locks) is listed once.
// It returns nil for a function without a body.
func (m *Model) Accesses(name string) (out []*Access) {
	if !m.withLockSummary(name, func(s *lockSum) { out = s.accs }) {
		return nil
	}
	return out
}

// withLockSummary runs f on the lock summary of the C function name (as
// Go's C.name), under the model's lock; f does not run for a function
// without a body. It reports false when the analysis panicked (the panic
// becomes a problem note): the caller then drops what f may have built.
func (m *Model) withLockSummary(name string, f func(*lockSum)) (ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			m.problem(fmt.Sprintf("cgoguard internal error in the lockset analysis of C function %s: %v\n%s", name, r, debug.Stack()))
			ok = false
		}
	}()
	if n := m.findGo(name); n != nil {
		if s := m.lockSummary(n, 0); s != nil {
			f(s)
		}
	}
	return true
}

// Starts returns the threads (ThreadStart.Key) that calling the C function
// name (as Go's C.name) may start, directly or through the package's C
// functions. It returns nil for a function without a body.
func (m *Model) Starts(name string) (out []string) {
	if !m.withLockSummary(name, func(s *lockSum) {
		for _, k := range s.starts {
			if !strings.HasPrefix(k, "#r") {
				out = append(out, k)
			}
		}
	}) {
		return nil
	}
	return out
}

// LockEffect returns what calling the C function name (as Go's C.name)
// leaves changed in the locks its caller holds: the locks it may return
// holding (a lib_lock() that a later lib_unlock() releases; a lock the
// caller cannot name has ID ""), and the IDs of the locks it may release
// that it did not take (lib_unlock's), any unknown lock when releasesAny.
func (m *Model) LockEffect(name string) (holds []Lock, releases []string, releasesAny bool) {
	if !m.withLockSummary(name, func(s *lockSum) {
		for _, l := range publicLocks(s.mayAcq) {
			if l.param != "" {
				l = Lock{Name: l.Name, Evidence: l.Evidence} // the lock the Go caller points to: not named here
			}
			holds = append(holds, l)
		}
		for _, id := range s.rel {
			if isParamLock(id) {
				releasesAny = true
				continue
			}
			releases = append(releases, id)
		}
		releasesAny = releasesAny || s.relAll
	}) {
		return nil, nil, false
	}
	return holds, releases, releasesAny
}

// MayRelease reports whether the function summarised may release the lock
// id, held by its caller, before the access.
func (a *Access) MayRelease(id string) bool {
	for _, r := range a.rel {
		if r == id || isParamLock(r) {
			return true
		}
	}
	return a.relAll
}

// ThreadStart is a function that runs on a thread C starts.
type ThreadStart struct {
	Key      string    // identifies the thread: its routine and where it is started (see Access.Running, Model.Starts)
	Routine  string    // the start routine
	Evidence           // Via: the function that starts the thread, then wrappers down to the creator (pthread_create); Pos: the call in the first
	Accesses []*Access // what the routine reads and writes (see Model.Accesses), relative to no lock held
}

// ThreadStarts returns the functions the package's C code starts threads
// with: start routines passed to a knowledge.DB thread creator
// (pthread_create), directly or through a wrapper function that passes its
// parameter on as the start routine, with what each reads and writes. Only
// bodies that mention a creator are parsed for it.
func (m *Model) ThreadStarts() (out []*ThreadStart) {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			m.problem(fmt.Sprintf("cgoguard internal error finding C thread starts: %v\n%s", r, debug.Stack()))
			out = nil
		}
	}()
	if m.threads != nil {
		return *m.threads
	}
	type creator struct {
		routine int
		via     []string // from the wrapper down to the knowledge base's creator
		static  *tunit   // a static wrapper is visible in its unit only
	}
	creators := map[string]creator{}
	var queue []string
	for _, name := range m.db.ThreadCreatorNames() {
		tc, _ := m.db.ThreadCreator(name)
		creators[name] = creator{routine: tc.Routine, via: []string{name}}
		queue = append(queue, name)
	}
	seen := map[*fnNode]map[string]bool{} // function → creators already looked for in it
	for len(queue) > 0 {
		cname := queue[0]
		queue = queue[1:]
		cr := creators[cname]
		for _, t := range m.tus {
			if cr.static != nil && cr.static != t {
				continue
			}
			var fnames []string
			for _, fs := range append([]*fileScan{t.scan}, m.includedSources(t)...) {
				fnames = append(fnames, fs.funcsMentioning(cname)...)
			}
			for _, fname := range fnames {
				n := m.defNode(t, fname)
				if n == nil || n.ir == nil || seen[n][cname] {
					continue
				}
				if seen[n] == nil {
					seen[n] = map[string]bool{}
				}
				seen[n][cname] = true
				for _, c := range n.ir.calls {
					if c.callee != cname || cr.routine >= len(c.args) {
						continue
					}
					arg := c.args[cr.routine]
					if arg.k == eAddr && arg.x != nil && arg.x.k == eFunc {
						arg = arg.x
					}
					switch {
					case arg.k == eFunc:
						r := m.resolve(t, arg.name)
						if r == nil || r.ir == nil {
							continue
						}
						ts := &ThreadStart{Key: threadKey(r.name, c.pos), Routine: r.name, Evidence: Evidence{
							Via: append([]string{n.name}, cr.via...), Pos: c.pos,
							Note: fmt.Sprintf("%s starts a thread running %s", n.name, r.name)}}
						if s := m.lockSummary(r, 0); s != nil {
							ts.Accesses = s.accs
						}
						out = append(out, ts)
					case arg.k == eVar && arg.v.kind == vParam:
						if _, ok := creators[n.name]; ok {
							continue
						}
						w := creator{routine: arg.v.param, via: append([]string{n.name}, cr.via...)}
						if t.scan.isStaticFunc(n.name) {
							w.static = t
						}
						creators[n.name] = w
						queue = append(queue, n.name)
					}
				}
			}
		}
	}
	m.threads = &out
	return out
}

var includeCRE = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*include[ \t]*"([^"]+\.c)"`)

// includedSources returns the scans of the .c files that unit t includes
// with #include "x.c" (a unity build, such as a binding that compiles a whole
// library from its preamble), found in the unit's and the -iquote and -I
// directories: their functions are the unit's, and the scanner sees only
// the unit's own text.
func (m *Model) includedSources(t *tunit) []*fileScan {
	if t.included != nil {
		return *t.included
	}
	var out []*fileScan
	dirs := append([]string{filepath.Dir(t.fileName), m.opts.Dir}, m.flags.quote...)
	dirs = append(dirs, m.flags.include...)
	for _, mt := range includeCRE.FindAllSubmatch(t.text, -1) {
		name := string(mt[1])
		for _, d := range dirs {
			p := name
			if !filepath.IsAbs(p) {
				p = filepath.Join(d, name)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			out = append(out, scanSource(data))
			break
		}
	}
	t.included = &out
	return out
}

// funcsMentioning returns the names of the function definitions whose text
// mentions the identifier name.
func (fs *fileScan) funcsMentioning(name string) []string {
	var out []string
	seen := map[int]bool{}
	src := fs.src
	for off := 0; ; {
		i := bytes.Index(src[off:], []byte(name))
		if i < 0 {
			break
		}
		i += off
		off = i + len(name)
		if i > 0 && isIdentByte(src[i-1]) || off < len(src) && isIdentByte(src[off]) {
			continue
		}
		k := sort.Search(len(fs.chunks), func(k int) bool { return fs.chunks[k].end > i })
		if k == len(fs.chunks) || seen[k] {
			continue
		}
		seen[k] = true
		if ch := &fs.chunks[k]; ch.kind == ckFunc && ch.start <= i {
			out = append(out, ch.names...)
		}
	}
	return out
}

// isStaticFunc reports whether the unit defines name as a static function.
func (fs *fileScan) isStaticFunc(name string) bool {
	for _, i := range fs.funcChunks(name) {
		if fs.chunks[i].static {
			return true
		}
	}
	return false
}

// lockID is a lock in the analysis: id "" when it cannot be named.
type lockID struct {
	id, name string
	ev       *Evidence
}

func (l lockID) key() string {
	if l.id != "" {
		return l.id
	}
	return "?" + l.name
}

// lstate is the lock state at a point of a body.
type lstate struct {
	live bool
	must []lockID // held on every path
	may  []lockID // held on some path
	// A release of a lock the function took itself on every path to it is
	// balanced: a caller holding the same lock still holds it after the
	// call (a recursive mutex; any other would have deadlocked). rel,
	// relAll and orel count only the other releases: the caller's locks.
	rel    []string // IDs released on some path since the entry, not balanced
	relAll bool     // an unknown lock released on some path since the entry, not balanced
	mrel   []string // IDs released on every path since the entry, balanced or not
	orel   []string // IDs released on every path since the entry, not balanced

	// Threads: run is a may set of the threads started since the entry and
	// not joined since (ThreadStart.Key, or "#r<i>@pos" for the start
	// routine parameter i of a wrapper); joined is set when every path
	// joined some thread since the entry. A join is taken to join every
	// thread started before it, and a loop that joins to join them all (the
	// usual create-loop, join-loop batch): the analysis does not follow
	// thread handles.
	run    []string
	joined bool
}

func hasKey(ls []lockID, k string) bool {
	for _, l := range ls {
		if l.key() == k {
			return true
		}
	}
	return false
}

func addLock(ls []lockID, l lockID) []lockID {
	if hasKey(ls, l.key()) {
		return ls
	}
	out := append(append(make([]lockID, 0, len(ls)+1), ls...), l)
	sort.Slice(out, func(i, j int) bool {
		if out[i].name != out[j].name {
			return out[i].name < out[j].name
		}
		return out[i].key() < out[j].key()
	})
	return out
}

func hasStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func addStr(ss []string, s string) []string {
	if hasStr(ss, s) {
		return ss
	}
	out := append(append(make([]string, 0, len(ss)+1), ss...), s)
	sort.Strings(out)
	return out
}

// meet joins two paths.
func meet(a, b lstate) lstate {
	if !a.live {
		return b
	}
	if !b.live {
		return a
	}
	r := lstate{live: true, relAll: a.relAll || b.relAll, joined: a.joined && b.joined}
	r.run = a.run
	for _, s := range b.run {
		r.run = addStr(r.run, s)
	}
	for _, l := range a.must {
		if hasKey(b.must, l.key()) {
			r.must = append(r.must, l)
		}
	}
	r.may = a.may
	for _, l := range b.may {
		r.may = addLock(r.may, l)
	}
	r.rel = a.rel
	for _, s := range b.rel {
		r.rel = addStr(r.rel, s)
	}
	for _, s := range a.mrel {
		if hasStr(b.mrel, s) {
			r.mrel = append(r.mrel, s)
		}
	}
	for _, s := range a.orel {
		if hasStr(b.orel, s) {
			r.orel = append(r.orel, s)
		}
	}
	return r
}

func sameState(a, b lstate) bool {
	if a.live != b.live || a.relAll != b.relAll || a.joined != b.joined || len(a.run) != len(b.run) || len(a.must) != len(b.must) || len(a.may) != len(b.may) ||
		len(a.rel) != len(b.rel) || len(a.mrel) != len(b.mrel) || len(a.orel) != len(b.orel) {
		return false
	}
	for i := range a.must {
		if a.must[i].key() != b.must[i].key() {
			return false
		}
	}
	for i := range a.may {
		if a.may[i].key() != b.may[i].key() {
			return false
		}
	}
	for i := range a.rel {
		if a.rel[i] != b.rel[i] {
			return false
		}
	}
	for i := range a.mrel {
		if a.mrel[i] != b.mrel[i] {
			return false
		}
	}
	for i := range a.orel {
		if a.orel[i] != b.orel[i] {
			return false
		}
	}
	for i := range a.run {
		if a.run[i] != b.run[i] {
			return false
		}
	}
	return true
}

func (s lstate) lock(l lockID) lstate {
	s.must = addLock(s.must, l)
	s.may = addLock(s.may, l)
	return s
}

// dropMust removes from the must set what releasing the lock id (or an
// unknown lock, id "") may release: a named lock may be an unknown one or
// the one a parameter points to; those may be any lock.
func dropMust(ls []lockID, id string) []lockID {
	if id == "" || isParamLock(id) {
		return nil
	}
	var out []lockID
	for _, l := range ls {
		if l.id != "" && l.id != id && !isParamLock(l.id) {
			out = append(out, l)
		}
	}
	return out
}

// isParamLock reports the ID of the lock a parameter points to ("#p0"):
// known within its function, named by its callers.
func isParamLock(id string) bool { return strings.HasPrefix(id, "#p") }

func (s lstate) unlock(l lockID) lstate {
	own := hasKey(s.must, l.key()) // taken on every path: a balanced release
	if own && l.id == "" {
		s.must = dropKey(s.must, l.key()) // the unknown lock it took, by the same expression
	} else {
		s.must = dropMust(s.must, l.id)
	}
	s.may = dropKey(s.may, l.key())
	if l.id != "" {
		s.mrel = addStr(s.mrel, l.id)
	}
	if own {
		return s
	}
	if l.id == "" {
		s.relAll = true
	} else {
		s.rel = addStr(s.rel, l.id)
		s.orel = addStr(s.orel, l.id)
	}
	return s
}

func dropKey(ls []lockID, k string) []lockID {
	var out []lockID
	for _, l := range ls {
		if l.key() != k {
			out = append(out, l)
		}
	}
	return out
}

// lockSum is what a function does with locks and shared state, from an
// entry where it holds no lock.
type lockSum struct {
	accs    []*Access
	mustAcq []lockID // held at every return
	mayAcq  []lockID // held at some return
	rel     []string
	relAll  bool
	mrel    []string
	orel    []string
	run     []string        // threads started and not joined at some return
	joined  bool            // every return joined some thread
	starts  []string        // every thread it may start (keys)
	joins   bool            // it may join a thread
	cbs     []*CallbackCall // calls of Go exports (callbacks.go)
	takes   []taken         // locks taken, waiting for them
}

const (
	maxLockDepth = 256  // call depth beyond which callees contribute nothing
	maxAccesses  = 4096 // distinct accesses kept per function
)

// lockSummary computes n's lockset summary, or returns nil for a function
// without a body, or one already being computed (recursion).
func (m *Model) lockSummary(n *fnNode, depth int) *lockSum {
	if n.locks != nil {
		return n.locks
	}
	if n.lockBusy || n.fd == nil || n.t == nil || depth > maxLockDepth {
		return nil
	}
	n.lockBusy = true
	defer func() { n.lockBusy = false }()
	m.succs(n)
	ir, root := n.t.buildFlow(n.fd)
	w := &lockWalker{m: m, n: n, ir: ir, depth: depth, labels: map[string]lstate{}, recs: map[recKey]*accRec{}, cbs: map[recKey]*cbRec{}}
	for pass := 0; pass < 8; pass++ {
		w.changed = false
		w.exits = lstate{}
		end := w.block(root, lstate{live: true})
		w.exits = meet(w.exits, end)
		if !w.changed {
			break
		}
	}
	s := &lockSum{mustAcq: w.exits.must, mayAcq: w.exits.may, rel: w.exits.rel, relAll: w.exits.relAll, mrel: w.exits.mrel, orel: w.exits.orel,
		run: w.exits.run, joined: w.exits.joined, starts: w.starts, joins: w.joins}
	seen := map[string]bool{}
	for _, k := range w.order {
		r := w.recs[k]
		a := *r.tmpl
		a.Held, a.MayHold = publicLocks(r.st.must), publicLocks(r.st.may)
		a.rel, a.relAll = r.st.rel, r.st.relAll
		a.Running, a.joined = r.st.run, r.st.joined
		key := accessKey(&a)
		if seen[key] || len(s.accs) >= maxAccesses {
			continue
		}
		seen[key] = true
		s.accs = append(s.accs, &a)
	}
	s.cbs, s.takes = w.callbackSummary(), w.takes
	n.locks = s
	return s
}

func accessKey(a *Access) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%v%v|", a.Object, strings.Join(a.comps, ""), a.Read, a.Write)
	for _, l := range a.Held {
		b.WriteString(lockKey(l) + ",")
	}
	b.WriteByte('|')
	for _, l := range a.MayHold {
		b.WriteString(lockKey(l) + ",")
	}
	fmt.Fprintf(&b, "|%v|%s|%v|%s", a.relAll, strings.Join(a.rel, ","), a.joined, strings.Join(a.Running, ","))
	return b.String()
}

func lockKey(l Lock) string {
	if l.param != "" {
		return l.param
	}
	if l.ID != "" {
		return l.ID
	}
	return "?" + l.Name
}

func publicLocks(ls []lockID) []Lock {
	if len(ls) == 0 {
		return nil
	}
	out := make([]Lock, len(ls))
	for i, l := range ls {
		if isParamLock(l.id) {
			out[i] = Lock{Name: l.name, Evidence: l.ev, param: l.id}
			continue
		}
		out[i] = Lock{ID: l.id, Name: l.name, Evidence: l.ev}
	}
	return out
}

func privateLocks(ls []Lock) []lockID {
	out := make([]lockID, len(ls))
	for i, l := range ls {
		out[i] = lockID{id: l.ID, name: l.Name, ev: l.Evidence}
		if l.param != "" {
			out[i].id = l.param
		}
	}
	return out
}

type recKey struct {
	ev   *accessEv
	call *callSite
	i    int
}

type accRec struct {
	tmpl *Access
	st   lstate
}

type jumpCtx struct {
	loop          bool
	breaks, conts lstate
}

type lockWalker struct {
	m       *Model
	n       *fnNode
	ir      *fnIR
	depth   int
	labels  map[string]lstate
	anyGoto lstate
	changed bool
	exits   lstate
	ctx     []*jumpCtx
	cases   []lstate // entry states of the enclosing switches
	recs    map[recKey]*accRec
	order   []recKey
	cbs     map[recKey]*cbRec // calls of Go exports (callbacks.go)
	cbOrder []recKey
	takes   []taken // locks taken, waiting for them (callbacks.go)
	starts  []string
	joins   bool
}

func (w *lockWalker) block(b *flowBlock, st lstate) lstate {
	for _, it := range b.items {
		st = w.item(it, st)
	}
	return st
}

func (w *lockWalker) item(it *flowItem, st lstate) lstate {
	switch it.k {
	case fLabel:
		st = meet(meet(st, w.labels[it.label]), w.anyGoto)
		return st
	case fCase:
		if len(w.cases) > 0 {
			st = meet(st, w.cases[len(w.cases)-1])
		}
		return st
	}
	if !st.live {
		// Unreachable unless a label or case inside makes it so.
		switch it.k {
		case fIf, fLoop, fSwitch:
		default:
			return st
		}
	}
	switch it.k {
	case fAccess:
		if !it.acc.dropped {
			w.record(recKey{ev: it.acc}, func() *Access { return w.accessOf(it.acc) }, st)
		}
	case fCall:
		st = w.call(it.call, st)
	case fIf:
		ts, es := st, st
		if it.try != nil && st.live {
			if op, ok := w.m.db.LockFunc(it.try.callee); ok && op.Param < len(it.try.args) {
				l := w.lockOf(it.try, it.try.args[op.Param])
				if it.tryThen {
					ts = ts.lock(l)
				} else {
					es = es.lock(l)
				}
			}
		}
		st = meet(w.block(it.then, ts), w.block(it.els, es))
	case fLoop:
		entry, head := st, st
		var out lstate
		// A trylock in the condition: the lock is held in the body, or when
		// the condition ends the loop.
		var try *lockID
		if it.try != nil {
			if op, ok := w.m.db.LockFunc(it.try.callee); ok && op.Param < len(it.try.args) {
				l := w.lockOf(it.try, it.try.args[op.Param])
				try = &l
			}
		}
		exit := func(s lstate) lstate {
			if try != nil && !it.tryThen && s.live {
				s = s.lock(*try)
			}
			return s
		}
		enter := func(s lstate) lstate {
			if try != nil && it.tryThen && s.live {
				s = s.lock(*try)
			}
			return s
		}
		for iter := 0; ; iter++ {
			c := &jumpCtx{loop: true}
			w.ctx = append(w.ctx, c)
			var s lstate
			if it.doWhile {
				s = w.block(it.body, head)
				s = meet(s, c.conts)
				s = w.block(it.cond, s)
				out = exit(s)
				s = enter(s)
			} else {
				s = w.block(it.cond, head)
				out = exit(s)
				s = w.block(it.body, enter(s))
				s = meet(s, c.conts)
				s = w.block(it.post, s)
			}
			w.ctx = w.ctx[:len(w.ctx)-1]
			out = meet(out, c.breaks)
			if out.live && w.joinsIn(it.body) {
				out.run, out.joined = nil, true
			}
			next := meet(entry, s)
			if sameState(next, head) || iter >= 16 {
				break
			}
			head = next
		}
		st = out
	case fSwitch:
		c := &jumpCtx{}
		w.ctx = append(w.ctx, c)
		w.cases = append(w.cases, st)
		end := w.block(it.body, lstate{})
		w.cases = w.cases[:len(w.cases)-1]
		w.ctx = w.ctx[:len(w.ctx)-1]
		out := meet(end, c.breaks)
		if !it.hasDefault {
			out = meet(out, st)
		}
		st = out
	case fReturn:
		w.exits = meet(w.exits, st)
		st = lstate{}
	case fBreak:
		if len(w.ctx) > 0 {
			c := w.ctx[len(w.ctx)-1]
			c.breaks = meet(c.breaks, st)
		}
		st = lstate{}
	case fContinue:
		for i := len(w.ctx) - 1; i >= 0; i-- {
			if w.ctx[i].loop {
				w.ctx[i].conts = meet(w.ctx[i].conts, st)
				break
			}
		}
		st = lstate{}
	case fGoto:
		if it.label == "*" {
			next := meet(w.anyGoto, st)
			if !sameState(next, w.anyGoto) {
				w.anyGoto, w.changed = next, true
			}
		} else {
			next := meet(w.labels[it.label], st)
			if !sameState(next, w.labels[it.label]) {
				w.labels[it.label], w.changed = next, true
			}
		}
		st = lstate{}
	}
	return st
}

// record notes an access made in state st (met with the earlier visits').
func (w *lockWalker) record(k recKey, tmpl func() *Access, st lstate) {
	if !st.live {
		return
	}
	r := w.recs[k]
	if r == nil {
		r = &accRec{tmpl: tmpl(), st: st}
		w.recs[k] = r
		w.order = append(w.order, k)
		return
	}
	r.st = meet(r.st, st)
}

// call applies a call to the state: a lock function, or a function of the
// package whose accesses happen under the current locks.
func (w *lockWalker) call(c *callSite, st lstate) lstate {
	if c.callee == "" {
		return st
	}
	if tc, ok := w.m.db.ThreadCreator(c.callee); ok {
		if r := w.routine(c, tc.Routine); r != "" {
			st.run = addStr(st.run, r)
			w.starts = addStr(w.starts, r)
		}
		return st
	}
	if w.isJoin(c.callee) {
		w.joins = true
		st.run, st.joined = nil, true
		return st
	}
	if op, ok := w.m.db.LockFunc(c.callee); ok {
		if op.Param >= len(c.args) {
			return st
		}
		l := w.lockOf(c, c.args[op.Param])
		switch op.Kind {
		case knowledge.Lock:
			w.take(l, op.Shared)
			return st.lock(l)
		case knowledge.TryLock:
			st.may = addLock(st.may, l)
			return st
		case knowledge.Unlock:
			return st.unlock(l)
		}
		return st
	}
	g := w.n.callees[c.callee]
	if w.m.exports[c.callee] && (g == nil || g.fd == nil) {
		w.callback(c, st)
		return st // Go code: its C locks are not the model's to see
	}
	if g == nil {
		return st
	}
	gs := w.m.lockSummary(g, w.depth+1)
	if gs == nil {
		return st
	}
	for i, a := range gs.accs {
		in := w.calleeState(c, st, a.Held, a.MayHold, a.rel, a.relAll)
		if a.joined {
			in.run, in.joined = nil, true
		}
		for _, r := range a.Running {
			if r = w.subRoutine(c, r); r != "" {
				in.run = addStr(in.run, r)
			}
		}
		a := a
		w.record(recKey{call: c, i: i}, func() *Access {
			t := *a
			t.Evidence = Evidence{Via: append([]string{w.n.name}, a.Via...), Pos: a.Pos, Note: a.Note}
			return &t
		}, in)
	}
	w.calleeCallbacks(c, st, gs)
	w.calleeTakes(c, gs)
	for _, r := range gs.starts {
		if r = w.subRoutine(c, r); r != "" {
			w.starts = addStr(w.starts, r)
		}
	}
	w.joins = w.joins || gs.joins
	if gs.joined {
		st.run, st.joined = nil, true
	}
	for _, r := range gs.run {
		if r = w.subRoutine(c, r); r != "" {
			st.run = addStr(st.run, r)
		}
	}
	if gs.relAll {
		st.must = nil
		st.relAll = true
	}
	// The callee's releases of the caller's locks: balanced here when this
	// function holds the lock on every path at the call.
	held := st.must
	for _, id := range gs.rel {
		l := w.subLock(c, id)
		own := hasKey(held, l.key())
		if own && l.id == "" {
			st.must = dropKey(st.must, l.key())
		} else {
			st.must = dropMust(st.must, l.id)
		}
		switch {
		case own:
		case l.id == "":
			st.relAll = true
		default:
			st.rel = addStr(st.rel, l.id)
		}
	}
	for _, id := range gs.orel {
		l := w.subLock(c, id)
		own := hasKey(held, l.key())
		st.may = dropKey(st.may, l.key())
		if !own && l.id != "" {
			st.orel = addStr(st.orel, l.id)
		}
	}
	for _, id := range gs.mrel {
		if id, unknown := w.subID(c, id); !unknown {
			st.mrel = addStr(st.mrel, id)
		}
	}
	for _, l := range gs.mustAcq {
		st.must = addLock(st.must, w.sub(c, l))
	}
	for _, l := range gs.mayAcq {
		st.may = addLock(st.may, w.sub(c, l))
	}
	return st
}

// routine names the thread that call c of a thread creator (or a wrapper
// of one) starts: "routine@position of the call", as ThreadStart.Key, or
// "#r<i>@" for this function's parameter i, which each caller names; ""
// when the routine is not known.
func (w *lockWalker) routine(c *callSite, i int) string {
	if i < 0 || i >= len(c.args) {
		return ""
	}
	arg := c.args[i]
	if arg.k == eAddr && arg.x != nil && arg.x.k == eFunc {
		arg = arg.x
	}
	switch {
	case arg.k == eFunc:
		if r := w.m.resolve(w.n.t, arg.name); r != nil {
			return threadKey(r.name, c.pos)
		}
	case arg.k == eVar && arg.v.kind == vParam:
		return fmt.Sprintf("#r%d@", arg.v.param)
	}
	return ""
}

func threadKey(routine string, pos token.Position) string {
	return fmt.Sprintf("%s@%s:%d:%d", routine, pos.Filename, pos.Line, pos.Column)
}

// subRoutine returns a callee's thread seen from call c: a wrapper's
// routine parameter is the argument, started at c.
func (w *lockWalker) subRoutine(c *callSite, r string) string {
	if !strings.HasPrefix(r, "#r") {
		return r
	}
	var i int
	fmt.Sscanf(r, "#r%d@", &i)
	return w.routine(c, i)
}

// isJoin reports a function that waits for a thread (knowledge.DB's
// ThreadCreator.Join).
func (w *lockWalker) isJoin(name string) bool {
	for _, n := range w.m.db.ThreadCreatorNames() {
		if tc, _ := w.m.db.ThreadCreator(n); tc.Join == name {
			return true
		}
	}
	return false
}

// joinsIn reports whether a block joins a thread: directly, or by calling
// a function of the package that may.
func (w *lockWalker) joinsIn(b *flowBlock) bool {
	for _, it := range b.items {
		switch it.k {
		case fCall:
			if w.isJoin(it.call.callee) {
				return true
			}
			if g := w.n.callees[it.call.callee]; g != nil && g.locks != nil && g.locks.joins {
				return true
			}
		case fIf:
			if w.joinsIn(it.then) || w.joinsIn(it.els) {
				return true
			}
		case fLoop:
			if w.joinsIn(it.cond) || w.joinsIn(it.body) || w.joinsIn(it.post) {
				return true
			}
		case fSwitch:
			if w.joinsIn(it.body) {
				return true
			}
		}
	}
	return false
}

// calleeState is the state at an event of a callee's summary (an access,
// a callback call) that call c makes in state st: the callee's locks there
// added, those it may release before it removed.
func (w *lockWalker) calleeState(c *callSite, st lstate, held, may []Lock, rel []string, relAll bool) lstate {
	in := lstate{live: true, may: st.may, rel: st.rel, relAll: st.relAll || relAll, run: st.run, joined: st.joined}
	in.must = st.must
	clear := relAll // the callee may release a lock it cannot name before the event
	for _, id := range rel {
		id, unknown := w.subID(c, id)
		if unknown {
			clear, in.relAll = true, true
			continue
		}
		in.rel = addStr(in.rel, id)
		in.must = dropMust(in.must, id)
	}
	if clear {
		in.must = nil
	}
	for _, l := range privateLocks(held) {
		in.must = addLock(in.must, w.sub(c, l))
	}
	for _, l := range privateLocks(may) {
		in.may = addLock(in.may, w.sub(c, l))
	}
	return in
}

// sub returns a callee's lock seen from the analysed function at call c:
// the lock a parameter points to is the one the argument names.
func (w *lockWalker) sub(c *callSite, l lockID) lockID {
	if !isParamLock(l.id) {
		return w.via(l)
	}
	var i int
	fmt.Sscanf(l.id, "#p%d", &i)
	if i >= len(c.args) {
		return lockID{name: l.name}
	}
	// The call of the helper is where this function takes the lock.
	nl := w.lockName(c.args[i], 0)
	nl.ev = &Evidence{Via: []string{w.n.name, c.callee}, Pos: c.pos, Note: fmt.Sprintf("%s(%s)", c.callee, renderExpr(c.args[i]))}
	return nl
}

// subLock is sub for a released lock's ID.
func (w *lockWalker) subLock(c *callSite, id string) lockID {
	if !isParamLock(id) {
		return lockID{id: id}
	}
	return w.sub(c, lockID{id: id})
}

// subID is sub for a released lock's ID; unknown reports a lock the
// analysed function cannot name.
func (w *lockWalker) subID(c *callSite, id string) (string, bool) {
	if !isParamLock(id) {
		return id, false
	}
	l := w.sub(c, lockID{id: id})
	return l.id, l.id == ""
}

// via returns a callee's lock seen from the analysed function.
func (w *lockWalker) via(l lockID) lockID {
	if l.ev != nil {
		ev := *l.ev
		ev.Via = append([]string{w.n.name}, ev.Via...)
		l.ev = &ev
	}
	return l
}

// lockOf names the lock that argument e of call c points to.
func (w *lockWalker) lockOf(c *callSite, e *expr) lockID {
	l := w.lockName(e, 0)
	l.ev = &Evidence{Via: []string{w.n.name, c.callee}, Pos: c.pos, Note: fmt.Sprintf("%s(%s)", c.callee, renderExpr(e))}
	return l
}

func (w *lockWalker) lockName(e *expr, depth int) lockID {
	if e == nil || depth > 8 {
		return lockID{name: "?"}
	}
	switch e.k {
	case eAddr:
		if v, comps, ok := exprPath(e.x); ok && shared(v) && !hasStr(comps, "[]") {
			name := renderPath(v.name, comps)
			return lockID{id: w.objKey(v) + "|" + strings.Join(comps, ""), name: name}
		}
	case eVar:
		switch {
		case shared(e.v) && !e.v.array:
			return lockID{id: w.objKey(e.v) + "|*", name: "*" + e.v.name}
		case e.v.kind == vLocal && len(e.v.defs) == 1 && e.v.defs[0].kind == dAssign:
			return w.lockName(e.v.defs[0].rhs, depth+1)
		case e.v.kind == vParam && len(e.v.defs) == 1 && e.v.defs[0].kind == dParam:
			// A lock helper's parameter: each caller names the lock.
			return lockID{id: fmt.Sprintf("#p%d", e.v.param), name: e.v.name}
		}
	case eMember, eDeref:
		// A pointer loaded from file-scope state: the lock it points to.
		if v, comps, ok := exprPath(e); ok && shared(v) && !hasStr(comps, "[]") {
			comps = append(comps, "*")
			return lockID{id: w.objKey(v) + "|" + strings.Join(comps, ""), name: "*" + renderPath(v.name, comps[:len(comps)-1])}
		}
	}
	return lockID{name: renderExpr(e)}
}

// exprPath returns the variable at the base of an lvalue and the path from
// it, as accesses name it.
func exprPath(e *expr) (*variable, []string, bool) {
	var comps []string
	for i := 0; e != nil && i < 64; i++ {
		switch e.k {
		case eVar:
			for l, r := 0, len(comps)-1; l < r; l, r = l+1, r-1 {
				comps[l], comps[r] = comps[r], comps[l]
			}
			return e.v, comps, true
		case eMember:
			comps = append(comps, "."+e.field)
			if e.arrow {
				comps = append(comps, "*")
			}
			e = e.x
		case eIndex:
			if e.x != nil && e.x.k == eVar && e.x.v.array {
				comps = append(comps, "[]")
			} else {
				comps = append(comps, "*")
			}
			e = e.x
		case eDeref:
			comps = append(comps, "*")
			e = e.x
		default:
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// renderPath writes a path as C: lib.f, p->f, *p, buf[].
func renderPath(name string, comps []string) string {
	s := name
	for i := 0; i < len(comps); i++ {
		c := comps[i]
		switch {
		case c == "*" && i+1 < len(comps) && strings.HasPrefix(comps[i+1], "."):
			s += "->" + comps[i+1][1:]
			i++
		case c == "*":
			s = "*" + s
		default:
			s += c
		}
	}
	return s
}

// renderExpr writes an expression shortly, for messages.
func renderExpr(e *expr) string {
	if e == nil {
		return "?"
	}
	switch e.k {
	case eVar:
		return e.v.name
	case eFunc:
		return e.name
	case eAddr:
		return "&" + renderExpr(e.x)
	case eDeref:
		return "*" + renderExpr(e.x)
	case eMember:
		if e.arrow {
			return renderExpr(e.x) + "->" + e.field
		}
		return renderExpr(e.x) + "." + e.field
	case eIndex:
		return renderExpr(e.x) + "[…]"
	case eCall:
		return e.call.callee + "(…)"
	}
	return "…"
}

// objKey identifies a variable: a static one by its unit (and function).
func (w *lockWalker) objKey(v *variable) string {
	switch {
	case v.kind == vLocalStatic:
		return w.n.t.fileName + ":" + w.n.name + "." + v.name
	case v.static:
		return w.n.t.fileName + ":" + v.name
	}
	return v.name
}

// accessOf makes the public form of an access event of the analysed body.
func (w *lockWalker) accessOf(a *accessEv) *Access {
	path := renderPath(a.v.name, a.comps)
	verb := "reads"
	switch {
	case a.read && a.write:
		verb = "updates"
	case a.write:
		verb = "writes"
	}
	return &Access{Object: w.objKey(a.v), Path: path, Read: a.read, Write: a.write, comps: a.comps,
		Evidence: Evidence{Via: []string{w.n.name}, Pos: a.pos, Note: w.n.name + " " + verb + " " + path}}
}
