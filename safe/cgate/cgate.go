// Package cgate bounds how many goroutines are inside blocking C calls at
// once.
//
// A blocking cgo call (a C read, a sleep, a lock in a C library) does not
// stall other goroutines: the runtime hands its P to another thread. What it
// does is hold an OS thread for as long as it blocks, and nothing bounds how
// many goroutines do that at once. Ten thousand goroutines in C are ten
// thousand threads; past debug.SetMaxThreads (10,000 by default) the process
// dies with "fatal error: thread exhaustion". (See traps/blocking-c-calls for
// the experiment.) A Gate makes the excess wait in Go, where a waiting
// goroutine costs a few kilobytes and no thread:
//
//	var dbGate = cgate.New(16) // the C library's own connection limit, say
//
//	err := dbGate.Do(ctx, func() { rc = C.db_query(conn, q) })
//
// Waiting honours ctx: Do returns ctx.Err() if ctx ends before a slot frees.
// Once inside, the C call runs to completion; it is never abandoned, since C
// cannot be interrupted safely and may still use the memory it was given.
//
// Size a gate for the C side (connections, its thread pool, what the machine
// can run), not for GOMAXPROCS. Stats reports in-flight, waiting and time
// spent waiting; package cgateprom exports them to Prometheus.
//
// An uncontended pass through a gate is one atomic compare-and-swap in and
// one atomic add out.
package cgate

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The state word packs the holders in its low bits and the count of passes
// in the rest, so that one atomic operation both admits and counts.
const (
	holderBits = 24
	holderMask = 1<<holderBits - 1
	onePass    = 1 << holderBits

	// MaxLimit is the largest limit a Gate accepts.
	MaxLimit = holderMask
)

// Gate admits at most a fixed number of goroutines at a time. It must be made
// with New.
type Gate struct {
	state atomic.Uint64 // passes<<holderBits | holders
	limit uint64

	nwait atomic.Int64 // goroutines queued (or about to queue) in the slow path

	mu      sync.Mutex
	waiters []*waiter // FIFO; guarded by mu

	waits    atomic.Uint64 // passes that had to wait
	waitNS   atomic.Int64  // total time those waited
	canceled atomic.Uint64 // waits that ended with ctx
}

type waiter struct {
	ready chan struct{} // closed when a slot is handed over
}

// New returns a Gate that lets at most limit goroutines in at once.
func New(limit int) *Gate {
	if limit < 1 || limit > MaxLimit {
		panic(fmt.Sprintf("cgate: limit %d out of range [1, %d]", limit, MaxLimit))
	}
	return &Gate{limit: uint64(limit)}
}

// Do runs f inside the gate: it waits for a slot (returning ctx.Err() if ctx
// ends first, without running f), runs f, and frees the slot, also when f
// panics.
func (g *Gate) Do(ctx context.Context, f func()) error {
	if err := g.Enter(ctx); err != nil {
		return err
	}
	defer g.Leave()
	f()
	return nil
}

// Enter takes a slot, waiting for one if the gate is full. It returns
// ctx.Err() if ctx ends first, and then holds no slot. Every successful Enter
// must be followed by exactly one Leave. Like a channel send, Enter takes a
// free slot without looking at ctx, so an ended ctx only stops a wait.
func (g *Gate) Enter(ctx context.Context) error {
	// Fast path: a free slot and nobody queued ahead of us.
	s := g.state.Load()
	if s&holderMask < g.limit && g.nwait.Load() == 0 && g.state.CompareAndSwap(s, s+onePass+1) {
		return nil
	}
	return g.enterSlow(ctx)
}

func (g *Gate) enterSlow(ctx context.Context) error {
	if g.limit == 0 {
		panic("cgate: Gate not made with New")
	}
	if err := ctx.Err(); err != nil {
		g.canceled.Add(1)
		return err
	}
	start := time.Now()
	g.mu.Lock()
	// Announce ourselves before looking at the state: a Leave that runs after
	// this sees nwait > 0 and comes to hand over its slot, and one that ran
	// before it left its slot free for the look below.
	g.nwait.Add(1)
	if len(g.waiters) == 0 && g.tryAcquire() {
		g.nwait.Add(-1)
		g.mu.Unlock()
		return nil
	}
	w := &waiter{ready: make(chan struct{})}
	g.waiters = append(g.waiters, w)
	g.mu.Unlock()

	select {
	case <-w.ready:
		g.waited(start)
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	select {
	case <-w.ready:
		// Handed a slot as ctx ended: take it rather than lose the call.
		g.mu.Unlock()
		g.waited(start)
		return nil
	default:
	}
	for i, x := range g.waiters {
		if x == w {
			g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
			break
		}
	}
	g.nwait.Add(-1)
	g.mu.Unlock()
	g.canceled.Add(1)
	return ctx.Err()
}

func (g *Gate) waited(start time.Time) {
	g.waits.Add(1)
	g.waitNS.Add(int64(time.Since(start)))
}

// tryAcquire takes a free slot if there is one.
func (g *Gate) tryAcquire() bool {
	for {
		s := g.state.Load()
		if s&holderMask >= g.limit {
			return false
		}
		if g.state.CompareAndSwap(s, s+onePass+1) {
			return true
		}
	}
}

// Leave frees the slot taken by Enter, handing it to the longest waiter.
func (g *Gate) Leave() {
	s := g.state.Add(^uint64(0)) // holders - 1
	if s&holderMask == holderMask {
		g.state.Add(1) // undo, so the gate stays usable
		panic("cgate: Leave without Enter")
	}
	if g.nwait.Load() == 0 {
		return
	}
	g.mu.Lock()
	for len(g.waiters) > 0 && g.tryAcquire() {
		w := g.waiters[0]
		g.waiters[0] = nil
		g.waiters = g.waiters[1:]
		g.nwait.Add(-1)
		close(w.ready)
	}
	g.mu.Unlock()
}

// Stats is a snapshot of a gate's counters.
type Stats struct {
	Limit    int           // the most goroutines the gate admits at once
	InFlight int           // goroutines inside now
	Waiting  int           // goroutines waiting now
	Passes   uint64        // Enters that succeeded, ever (wraps at 2^40)
	Waits    uint64        // of those, the ones that had to wait
	WaitTime time.Duration // total time they waited
	Canceled uint64        // waits that ended with their context instead
}

// Stats returns the gate's current counters.
func (g *Gate) Stats() Stats {
	s := g.state.Load()
	return Stats{
		Limit:    int(g.limit),
		InFlight: int(s & holderMask),
		Waiting:  int(g.nwait.Load()),
		Passes:   s >> holderBits,
		Waits:    g.waits.Load(),
		WaitTime: time.Duration(g.waitNS.Load()),
		Canceled: g.canceled.Load(),
	}
}
