package csrc

import (
	"fmt"
	"runtime/debug"
	"sort"
)

// Calls from C into Go, and the locks C takes: the C half of the
// callbacklock check (a Go callback that blocks while its C caller holds a
// lock that the Go code which would unblock it needs).
//
// Both come from the lockset analysis (locks.go), with its semantics:
//
//   - a call of a Go export (Options.Exports; a function without a C body)
//     is recorded with the locks held on every path to it (Held, a must
//     set, as Access.Held) and through the package's C functions, each
//     caller adding the locks it holds at the call;
//   - a lock is taken where a lock function that waits for it is called
//     (pthread_mutex_lock, not a trylock), directly or by a callee: a may
//     set, with the evidence of each (the lock call and the chain to it).

// CallbackCall is a call of a Go export that C code makes.
type CallbackCall struct {
	Caller   string // the C function summarised: the outermost caller in Via
	Export   string // the Go function called, by its //export name
	Held     []Lock // locks held on every path to the call (by Caller and the functions down to the call)
	MayHold  []Lock // locks some path may hold there: a superset of Held
	Evidence        // Via: from Caller to the function whose body calls Export; Pos: the call

	rel    []string
	relAll bool
}

// Acquisition is a lock a C function takes, waiting for it.
type Acquisition struct {
	Lock        // Evidence: the lock call, Via from the function down to the lock function
	Shared bool // taken in read mode (knowledge.LockOp.Shared)
	// Always is set when every path through the function releases the lock
	// (a named unlock): it took the lock on every path, or its caller held
	// it. Otherwise some paths may not take it at all.
	Always bool
}

type taken struct {
	l      lockID
	shared bool
}

type cbRec struct {
	tmpl *CallbackCall
	st   lstate
}

// callback records a call of a Go export made in state st.
func (w *lockWalker) callback(c *callSite, st lstate) {
	w.recordCallback(recKey{call: c, i: -1}, func() *CallbackCall {
		return &CallbackCall{Export: c.callee, Evidence: Evidence{Via: []string{w.n.name}, Pos: c.pos,
			Note: fmt.Sprintf("%s calls Go's %s", w.n.name, c.callee)}}
	}, st)
}

func (w *lockWalker) recordCallback(k recKey, tmpl func() *CallbackCall, st lstate) {
	if !st.live {
		return
	}
	if r := w.cbs[k]; r != nil {
		r.st = meet(r.st, st)
		return
	}
	w.cbs[k] = &cbRec{tmpl: tmpl(), st: st}
	w.cbOrder = append(w.cbOrder, k)
}

// calleeCallbacks records the callbacks a callee's summary makes, as call c
// made in state st sees them.
func (w *lockWalker) calleeCallbacks(c *callSite, st lstate, gs *lockSum) {
	for i, cb := range gs.cbs {
		in := w.calleeState(c, st, cb.Held, cb.MayHold, cb.rel, cb.relAll)
		cb := cb
		w.recordCallback(recKey{call: c, i: i}, func() *CallbackCall {
			t := *cb
			t.Evidence = Evidence{Via: append([]string{w.n.name}, cb.Via...), Pos: cb.Pos, Note: cb.Note}
			return &t
		}, in)
	}
}

// callbackSummary is the public form of the callbacks recorded in a body.
func (w *lockWalker) callbackSummary() []*CallbackCall {
	var out []*CallbackCall
	for _, k := range w.cbOrder {
		r := w.cbs[k]
		cb := *r.tmpl
		cb.Caller = w.n.name
		cb.Held, cb.MayHold = publicLocks(r.st.must), publicLocks(r.st.may)
		cb.rel, cb.relAll = r.st.rel, r.st.relAll
		out = append(out, &cb)
	}
	return out
}

// take records a lock taken in the analysed body; a lock taken in read mode
// and elsewhere in write mode counts as taken in write mode.
func (w *lockWalker) take(l lockID, shared bool) {
	for i := range w.takes {
		if w.takes[i].l.key() == l.key() {
			w.takes[i].shared = w.takes[i].shared && shared
			return
		}
	}
	w.takes = append(w.takes, taken{l: l, shared: shared})
}

// calleeTakes records the locks a callee takes, as call c names them.
func (w *lockWalker) calleeTakes(c *callSite, gs *lockSum) {
	for _, t := range gs.takes {
		w.take(w.sub(c, t.l), t.shared)
	}
}

// Acquires returns the locks that calling the C function name (as Go's
// C.name) takes, waiting for them, directly or through the package's C
// functions, each once with the first evidence found. Locks the model
// cannot name have ID "". It returns nil for a function without a body.
func (m *Model) Acquires(name string) (out []Acquisition) {
	if !m.withLockSummary(name, func(s *lockSum) {
		for _, t := range s.takes {
			if isParamLock(t.l.id) {
				continue // a lock the Go caller points to: not nameable here
			}
			out = append(out, Acquisition{Lock: publicLocks([]lockID{t.l})[0], Shared: t.shared, Always: t.l.id != "" && hasStr(s.mrel, t.l.id)})
		}
	}) {
		return nil
	}
	return out
}

// Callbacks returns the calls of Go exports (Options.Exports) that the
// package's C functions make, for every C function that makes one directly
// or through other functions of the package: one entry per (caller, call
// site, locks), relative to a caller that holds no lock. Only bodies that
// mention an export, or a function that makes such calls, are parsed for it.
func (m *Model) Callbacks() (out []*CallbackCall) {
	m.mu.Lock()
	defer m.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			m.problem(fmt.Sprintf("cgoguard internal error finding C calls of Go exports: %v\n%s", r, debug.Stack()))
			out = nil
		}
	}()
	if m.callbacks != nil {
		return *m.callbacks
	}
	var queue []string
	queued := map[string]bool{}
	for e := range m.exports {
		queue = append(queue, e)
		queued[e] = true
	}
	sort.Strings(queue)
	seen := map[*fnNode]bool{}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, t := range m.tus {
			var fnames []string
			for _, fs := range append([]*fileScan{t.scan}, m.includedSources(t)...) {
				fnames = append(fnames, fs.funcsMentioning(name)...)
			}
			for _, fname := range fnames {
				n := m.defNode(t, fname)
				if n == nil || n.ir == nil || seen[n] {
					continue
				}
				seen[n] = true
				s := m.lockSummary(n, 0)
				if s == nil || len(s.cbs) == 0 {
					continue // mentions the name, calls no export (a function pointer taken, a comment)
				}
				out = append(out, s.cbs...)
				if !queued[fname] {
					queued[fname] = true
					queue = append(queue, fname)
				}
			}
		}
	}
	m.callbacks = &out
	return out
}
