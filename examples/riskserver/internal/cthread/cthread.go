// Package cthread gives C libraries with per-thread state (XGBoost's
// thread_local maps, OpenMP's per-thread pools) threads that really end:
// not the main thread, and waited for until the OS thread is gone, so its
// C++ thread_local destructors have run.
package cthread

import (
	"context"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/cgoguard/cgoguard/safe/osthread"
)

var (
	mainMu     sync.Mutex
	mainThread *osthread.Thread // parked on the main thread for good, never used
)

// New returns an osthread.Thread that is not the process's main thread.
// osthread.New starts a goroutine that any thread may run, the main one
// included, and the Go runtime never ends the main thread: when a goroutine
// locked to it exits, the runtime parks the thread instead (runtime.mexit),
// so its C thread-local state would never be destroyed. Measured: the first
// osthread.New of a program often gets TID == PID, and that thread is still
// there after Close. So a thread that lands on the main thread is kept,
// idle, forever (which also stops it happening again), and another one is
// made.
func New() *osthread.Thread {
	for {
		t := osthread.New()
		if t.TID() != os.Getpid() {
			return t
		}
		mainMu.Lock()
		if mainThread != nil {
			mainMu.Unlock()
			panic("cthread: a second osthread on the main thread") // cannot happen: the first never ends
		}
		mainThread = t
		mainMu.Unlock()
	}
}

// End closes t and waits (up to a second) until its OS thread has exited.
// osthread.Close returns once the thread's goroutine is done, but the C++
// thread_local destructors, which free XGBoost's per-thread entries, run
// after that, as the thread exits; measured under the tracker, they were
// still allocated after Close in 1 of 6 runs of a model test.
func End(t *osthread.Thread) {
	_ = t.Close()
	task := "/proc/self/task/" + strconv.Itoa(t.TID())
	for range 10000 {
		if _, err := os.Stat(task); os.IsNotExist(err) {
			return
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// Run runs f on a new OS thread and ends the thread: whatever C kept per
// thread for f's calls is freed when Run returns.
func Run(f func()) {
	t := New()
	defer End(t)
	if err := t.Do(context.Background(), f); err != nil {
		panic(err) // only ErrClosed, and t is not closed before this
	}
}
