// Package osthread runs functions on one dedicated, locked OS thread.
//
// Some C libraries care which thread calls them: results or errors kept in
// thread-local storage (errno, "last error" strings, per-thread buffers),
// contexts bound to the thread that made them (OpenGL, many GUI toolkits),
// or objects that must be used from the thread that created them. A goroutine
// moves between OS threads at any moment, so two consecutive cgo calls from
// one goroutine may run on two threads:
//
//	C.lib_do_something()         // fails, sets a thread-local error ...
//	msg := C.lib_last_error()    // ... read here, maybe on another thread
//
// runtime.LockOSThread pins a goroutine, but then that goroutine must do all
// the work. A Thread is that goroutine, with a synchronous API:
//
//	t := osthread.New()
//	defer t.Close()
//	err := t.Do(ctx, func() {
//		rc = C.lib_do_something()
//		if rc != 0 {
//			msg = C.GoString(C.lib_last_error())
//		}
//	})
//
// Do runs its function on the thread and returns when it has finished. Calls
// are serialized, in order. A panic in the function is recovered on the
// thread (which keeps running) and re-raised in Do's caller as a *PanicError
// with the thread's stack. ctx bounds only the wait for the thread: a call
// that has started runs to completion, because a C call cannot be abandoned.
//
// Close waits for the calls already accepted, then ends the goroutine while it
// is still locked, which makes the Go runtime terminate the OS thread, so
// thread-local destructors in C run (pthread_key_create, C++ thread_local),
// and returns once the thread has exited, so they have run by then. A Thread
// is never the process's main thread: Go does not end that one, so its
// thread-local state would never be freed.
//
// # Latency
//
// Handing a call to another OS thread and back costs two thread wake-ups
// (futex), several microseconds each. So after each call the thread, and
// the caller waiting for a result, spin for a short while (Spin, 20 µs by
// default) before they sleep: back-to-back calls then cost a median of 3.6 µs
// on the 2-vCPU VM of docs/benchmarks.md (against 8.2 µs for a hand-written
// locked goroutine), where a sched_yield alone costs over 1 µs.
// Spinning keeps a P and burns CPU while it lasts; every 64 polls it calls
// sched_yield, so that a caller and a thread that the OS cannot run at the
// same time take turns instead of each spinning out its time slice. After serving a caller
// that had stopped spinning, the thread sleeps at once, since that caller is
// waiting for the thread's P. Spin(0) turns spinning off.
package osthread

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrClosed is returned by Do on a Thread that was closed (or whose
// goroutine ended with runtime.Goexit).
var ErrClosed = errors.New("osthread: thread closed")

// ErrGoexit is returned by the Do whose function called runtime.Goexit: that
// ends the locked goroutine and so the OS thread, and the Thread is closed.
var ErrGoexit = errors.New("osthread: function called runtime.Goexit; the thread has exited")

// DefaultSpin is how long a Thread and its callers spin by default.
const DefaultSpin = 20 * time.Microsecond

// PanicError carries a panic from the thread back to Do's caller.
type PanicError struct {
	Value any    // what the function panicked with
	Stack []byte // the thread's stack at the panic
}

func (p *PanicError) Error() string {
	return fmt.Sprintf("osthread: panic on the thread: %v\n\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value if it is an error.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// Option configures New.
type Option func(*Thread)

// Spin sets how long the thread waits for the next call, and callers wait
// for their result, by spinning before sleeping. 0 disables spinning.
func Spin(d time.Duration) Option { return func(t *Thread) { t.spin = d } }

// Thread is one locked OS thread that runs the functions given to Do.
type Thread struct {
	spin time.Duration
	tid  int

	mu     sync.RWMutex // Do holds R while handing a call over; Close takes W
	closed bool
	reqs   chan *call

	exited chan struct{} // closed when the goroutine (and thread) ended
}

// call states
const (
	queued int32 = iota
	running
	canceled
	finished
)

type call struct {
	f      func()
	state  atomic.Int32
	parked atomic.Bool   // the caller stopped spinning and sleeps on done
	done   chan struct{} // one token per finished call
	pe     *PanicError
	err    error
}

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// New starts a goroutine locked to a new OS thread and returns once it runs.
func New(opts ...Option) *Thread {
	t := &Thread{spin: DefaultSpin, reqs: make(chan *call, 1), exited: make(chan struct{})}
	for _, o := range opts {
		o(t)
	}
	started := make(chan struct{})
	go t.loop(started)
	<-started
	return t
}

// TID returns the Linux thread id of the thread.
func (t *Thread) TID() int { return t.tid }

func (t *Thread) loop(started chan struct{}) {
	// Never unlocked: when this goroutine returns, the runtime ends the thread
	// instead of handing it back to the scheduler with odd C state on it.
	runtime.LockOSThread()
	if syscall.Gettid() == syscall.Getpid() {
		// The main thread, which the runtime never ends (a locked goroutine
		// exiting there only wedges it). Move to a goroutine started while
		// this one still holds the main thread, so it cannot land there,
		// and let go of the main thread once that one has its own.
		moved := make(chan struct{})
		go t.loop(moved)
		<-moved
		runtime.UnlockOSThread()
		close(started)
		return
	}
	t.tid = syscall.Gettid()
	close(started)
	defer close(t.exited)
	defer t.abandon()
	spin := false
	for {
		c, ok := t.next(spin)
		if !ok {
			return
		}
		if !c.state.CompareAndSwap(queued, running) {
			continue // its caller gave up waiting
		}
		exited, callerParked := t.run(c)
		if exited {
			return
		}
		// A parked caller was just made runnable on this thread's P; spinning
		// would keep that P, and the caller, waiting. Sleep and hand the P over.
		spin = !callerParked
	}
}

// next returns the next call, spinning for t.spin first if spin is set.
func (t *Thread) next(spin bool) (*call, bool) {
	if spin && t.spin > 0 {
		start := time.Now()
		for i := 0; ; i++ {
			select {
			case c, ok := <-t.reqs:
				return c, ok
			default:
			}
			if i%64 == 63 && !t.keepSpinning(start) {
				break
			}
		}
	}
	c, ok := <-t.reqs
	return c, ok
}

// run calls c.f, turning a panic into c.pe; it reports whether c.f called
// runtime.Goexit, which is unwinding this goroutine, and whether the caller
// had stopped spinning.
func (t *Thread) run(c *call) (goexit, callerParked bool) {
	normal := false
	defer func() {
		// Publish the outcome, then the state, then the token; after the token
		// c belongs to the caller again (and maybe to its next Do).
		callerParked = c.parked.Load()
		if normal {
			c.state.Store(finished)
			c.done <- struct{}{}
			return
		}
		if r := recover(); r != nil {
			c.pe = &PanicError{Value: r, Stack: debug.Stack()}
			c.state.Store(finished)
			c.done <- struct{}{}
			return
		}
		// recover() is nil during runtime.Goexit (panic(nil) arrives as
		// *runtime.PanicNilError), so this goroutine is going away.
		goexit = true
		c.err = ErrGoexit
		c.state.Store(finished)
		c.done <- struct{}{}
	}()
	c.f()
	normal = true
	return false, false
}

// abandon closes the Thread from its own goroutine's way out and fails the
// calls still queued.
func (t *Thread) abandon() {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		close(t.reqs)
	}
	t.mu.Unlock()
	for c := range t.reqs {
		if c.state.CompareAndSwap(queued, running) {
			c.err = ErrClosed
			c.state.Store(finished)
			c.done <- struct{}{}
		}
	}
}

// Do runs f on the thread and returns when f has returned. It returns
// ctx.Err() if ctx ends before f starts (f then never runs), ErrClosed after
// Close, and re-panics with a *PanicError if f panics.
func (t *Thread) Do(ctx context.Context, f func()) error {
	if t.reqs == nil {
		panic("osthread: Thread not made with New")
	}
	c := callPool.Get().(*call)
	c.f = f
	c.state.Store(queued)
	c.parked.Store(false)

	t.mu.RLock()
	if t.closed {
		t.mu.RUnlock()
		callPool.Put(c)
		return ErrClosed
	}
	select {
	case t.reqs <- c:
	case <-ctx.Done():
		t.mu.RUnlock()
		callPool.Put(c)
		return ctx.Err()
	}
	t.mu.RUnlock()

	if !t.spinWait(c) {
		c.parked.Store(true)
		select {
		case <-c.done:
		case <-ctx.Done():
			if c.state.CompareAndSwap(queued, canceled) {
				// The thread skips it; it may still hold c, so c is not reused.
				return ctx.Err()
			}
			<-c.done // started: it runs to completion
		}
	}
	pe, err := c.pe, c.err
	c.f, c.pe, c.err = nil, nil, nil
	callPool.Put(c)
	if pe != nil {
		panic(pe)
	}
	return err
}

// spinWait waits up to t.spin for c to finish and takes its done token.
func (t *Thread) spinWait(c *call) bool {
	if t.spin <= 0 {
		return false
	}
	start := time.Now()
	for i := 0; ; i++ {
		if c.state.Load() == finished {
			<-c.done // sent right after the state changed
			return true
		}
		if i%64 == 63 && !t.keepSpinning(start) {
			return false
		}
	}
}

// keepSpinning reports whether a spin that began at start goes on, and
// yields the CPU if it does. It runs every 64 polls: when the two threads run
// in parallel, a round trip completes before the first yield.
func (t *Thread) keepSpinning(start time.Time) bool {
	if time.Since(start) > t.spin {
		return false
	}
	yield()
	return true
}

// yield gives the CPU to another runnable thread, if there is one, without
// giving up the P: when the caller and the thread spin on the same core (a
// busy machine), each must let the other run or both just burn their slices.
// A raw syscall, since sched_yield never blocks.
func yield() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }

// Close stops accepting calls, waits for the accepted ones to finish, and
// ends the thread. It is safe to call more than once.
//
// Neither Close nor Do may be called from a function running on the thread
// itself: the thread would wait for itself forever.
func (t *Thread) Close() error {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		close(t.reqs)
	}
	t.mu.Unlock()
	<-t.exited
	return t.waitGone()
}

// waitGone waits until the OS thread has exited. The runtime ends it after
// the goroutine has returned, on its own schedule; until then C's
// thread-local destructors may still be running.
func (t *Thread) waitGone() error {
	task := fmt.Sprintf("/proc/self/task/%d", t.tid)
	if _, err := os.Stat("/proc/self/task"); err != nil {
		return nil // no procfs: nothing to watch
	}
	for d, waited := 10*time.Microsecond, time.Duration(0); waited < 10*time.Second; waited += d {
		if _, err := os.Stat(task); os.IsNotExist(err) {
			return nil
		}
		time.Sleep(d)
		d = min(2*d, 10*time.Millisecond)
	}
	return fmt.Errorf("osthread: thread %d has not exited 10 s after its goroutine ended", t.tid)
}
