package osthread

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/safe/internal/ctest"
)

// The trap: a C library keeps its last error per thread. Set on one thread
// and read on another, the error is gone. Two locked goroutines make the two
// threads deterministic; an unlocked goroutine gets this at random.
func TestThreadLocalStateIsLostAcrossThreads(t *testing.T) {
	onThread := func(f func()) {
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread() // never unlocked: this thread dies with the goroutine
			f()
			close(done)
		}()
		<-done
	}
	var tidA, tidB int
	var msg string
	onThread(func() { tidA = ctest.Gettid(); ctest.Fail("disk full") })
	onThread(func() { tidB = ctest.Gettid(); msg = ctest.LastError() })
	if tidA == tidB || msg != "" {
		t.Fatalf("threads %d and %d; last error read on the second = %q, want \"\"", tidA, tidB, msg)
	}
}

// The fix: both calls on one Thread, even from different goroutines, see the
// same thread-local state.
func TestDoKeepsThreadLocalState(t *testing.T) {
	th := New()
	defer th.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			var msg string
			var tid1, tid2 int
			if err := th.Do(ctx, func() { tid1 = ctest.Gettid(); ctest.Fail(fmt.Sprint("error ", i)) }); err != nil {
				t.Error(err)
			}
			runtime.Gosched()
			// Another goroutine's call may come between, as it would with a real
			// library; what matters is that both run on the thread.
			if err := th.Do(ctx, func() { tid2 = ctest.Gettid(); msg = ctest.LastError() }); err != nil {
				t.Error(err)
			}
			if !strings.HasPrefix(msg, "error ") || tid1 != th.TID() || tid2 != th.TID() {
				t.Errorf("msg %q on threads %d, %d; want the thread %d", msg, tid1, tid2, th.TID())
			}
		})
	}
	wg.Wait()
	var msg string
	_ = th.Do(ctx, func() { ctest.Fail("last"); msg = ctest.LastError() })
	if msg != "last" {
		t.Fatalf("msg = %q", msg)
	}
}

func TestPanicReachesCallerAndThreadSurvives(t *testing.T) {
	th := New()
	defer th.Close()
	sentinel := errors.New("sentinel")
	func() {
		defer func() {
			r := recover()
			pe, ok := r.(*PanicError)
			if !ok || !errors.Is(pe, sentinel) || !strings.Contains(string(pe.Stack), "osthread_test.go") {
				t.Fatalf("recover() = %#v", r)
			}
		}()
		_ = th.Do(context.Background(), func() { panic(sentinel) })
	}()
	var tid int
	if err := th.Do(context.Background(), func() { tid = ctest.Gettid() }); err != nil || tid != th.TID() {
		t.Fatalf("after a panic: err=%v tid=%d want %d", err, tid, th.TID())
	}
}

func TestContextBoundsOnlyTheWait(t *testing.T) {
	th := New()
	defer th.Close()
	release := make(chan struct{})
	busy := make(chan error)
	started := make(chan struct{})
	go func() { busy <- th.Do(context.Background(), func() { close(started); <-release }) }()
	<-started

	// Queued behind the busy call: canceled before it starts, so it never runs.
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{}, 1)
	res := make(chan error)
	go func() { res <- th.Do(ctx, func() { ran <- struct{}{} }) }()
	time.Sleep(time.Millisecond) // let it queue (either way it must not run)
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled Do = %v", err)
	}
	close(release)
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	if err := th.Do(context.Background(), func() {}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
		t.Fatal("the canceled call ran")
	default:
	}

	// Started calls finish even if ctx ends meanwhile.
	ctx2, cancel2 := context.WithCancel(context.Background())
	finished := false
	err := th.Do(ctx2, func() { cancel2(); ctest.Usleep(1000); finished = true })
	if err != nil || !finished {
		t.Fatalf("started call: err=%v finished=%v", err, finished)
	}
}

// Close ends the OS thread itself (the goroutine exits locked), so the
// thread's C thread-local state is released.
func TestCloseEndsTheThread(t *testing.T) {
	th := New(Spin(0))
	task := fmt.Sprintf("/proc/self/task/%d", th.TID())
	if _, err := os.Stat(task); err != nil {
		t.Fatalf("thread %d not running: %v", th.TID(), err)
	}
	accepted := make(chan error, 1)
	block, started := make(chan struct{}), make(chan struct{})
	go func() { accepted <- th.Do(context.Background(), func() { close(started); <-block }) }()
	<-started
	closed := make(chan struct{})
	go func() { th.Close(); close(closed) }()
	close(block)
	<-closed
	if err := <-accepted; err != nil {
		t.Fatalf("accepted call: %v", err)
	}
	if err := th.Do(context.Background(), func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do after Close = %v", err)
	}
	th.Close() // idempotent
	if _, err := os.Stat(task); !os.IsNotExist(err) {
		t.Fatalf("thread %d still exists after Close returned: %v", th.TID(), err)
	}
}

// TestCloseRunsThreadLocalDestructors: C per-thread state armed on the
// thread has been destroyed when Close returns, on every one of many
// threads (the runtime ends a thread after its goroutine, on its own time).
func TestCloseRunsThreadLocalDestructors(t *testing.T) {
	for i := range 20 {
		before := ctest.TLSDestroyed()
		th := New(Spin(0))
		if err := th.Do(context.Background(), ctest.TLSArm); err != nil {
			t.Fatal(err)
		}
		if err := th.Close(); err != nil {
			t.Fatal(err)
		}
		if got := ctest.TLSDestroyed() - before; got != 1 {
			t.Fatalf("thread %d (round %d): %d destructors had run when Close returned, want 1", th.TID(), i, got)
		}
	}
}

// TestNeverMainThread: the main thread is idle while tests run, so the
// scheduler hands it goroutines; a Thread must never be it, since Go never
// ends the main thread and Close could not free its C state.
func TestNeverMainThread(t *testing.T) {
	for range 50 {
		th := New(Spin(0))
		tid := th.TID()
		var ran int
		if err := th.Do(context.Background(), func() { ran = ctest.Gettid() }); err != nil {
			t.Fatal(err)
		}
		th.Close()
		if tid == os.Getpid() || ran != tid {
			t.Fatalf("Thread TID %d, ran on %d, process %d", tid, ran, os.Getpid())
		}
	}
}

func TestGoexitClosesThread(t *testing.T) {
	th := New()
	if err := th.Do(context.Background(), func() { runtime.Goexit() }); !errors.Is(err, ErrGoexit) {
		t.Fatalf("Do = %v", err)
	}
	if err := th.Do(context.Background(), func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do after Goexit = %v", err)
	}
	th.Close()
}

// A locked goroutine answering on channels: what people write by hand.
func handRolled() (chan func(), chan struct{}) {
	in, out := make(chan func()), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		for f := range in {
			f()
			out <- struct{}{}
		}
	}()
	return in, out
}

// BenchmarkRoundTrip reports the median (p50-ns) and p99 of one Do with an
// empty C call on the thread, next to the hand-written locked goroutine and a
// direct cgo call on the caller's own thread.
func BenchmarkRoundTrip(b *testing.B) {
	ctx := context.Background()
	measure := func(b *testing.B, op func()) {
		lat := make([]time.Duration, 0, 1<<20)
		for b.Loop() {
			t0 := time.Now()
			op()
			if len(lat) < cap(lat) {
				lat = append(lat, time.Since(t0))
			}
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
	b.Run("direct-cgo", func(b *testing.B) { measure(b, ctest.Noop) })
	b.Run("hand-locked-goroutine", func(b *testing.B) {
		in, out := handRolled()
		defer close(in)
		measure(b, func() { in <- ctest.Noop; <-out })
	})
	b.Run("Do-spin-0", func(b *testing.B) {
		th := New(Spin(0))
		defer th.Close()
		measure(b, func() { _ = th.Do(ctx, ctest.Noop) })
	})
	b.Run("Do", func(b *testing.B) {
		th := New()
		defer th.Close()
		measure(b, func() { _ = th.Do(ctx, ctest.Noop) })
	})
}
