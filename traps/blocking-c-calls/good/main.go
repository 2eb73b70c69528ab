// Command good serves the same requests as bad, but a gate of k slots
// (safe/cgate; a buffered channel used as a semaphore does the same) bounds how
// many goroutines are inside the blocking C call at once, so the process needs about k OS threads for them, not one per
// request. The other goroutines wait in Go, where waiting costs no thread.
package main

/*
#include <stdatomic.h>
#include <unistd.h>

static int gate[2];
static atomic_int inflight, maxinflight;

// gate_init creates the pipe that the blocking calls wait on.
static int gate_init(void) { return pipe(gate); }

// wait_reply blocks in read(2) until the gate releases one byte, like a C
// client library waiting for a server's reply.
static int wait_reply(void) {
	char c;
	int now = atomic_fetch_add(&inflight, 1) + 1;
	for (int m = atomic_load(&maxinflight); now > m && !atomic_compare_exchange_weak(&maxinflight, &m, now);)
		;
	int r = (int)read(gate[0], &c, 1);
	atomic_fetch_sub(&inflight, 1);
	return r;
}

// gate_release lets n blocked calls return.
static int gate_release(int n) {
	char buf[256] = {0};
	int done = 0;
	while (done < n) {
		int k = n - done < (int)sizeof buf ? n - done : (int)sizeof buf;
		int w = (int)write(gate[1], buf, k);
		if (w <= 0) return done;
		done += w;
	}
	return done;
}

static int inflight_now(void) { return atomic_load(&inflight); }
static int inflight_max(void) { return atomic_load(&maxinflight); }
*/
import "C"

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/cgoguard/cgoguard/safe/cgate"
)

// threads returns the process's OS thread count from /proc/self/status.
func threads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("Threads:")); ok {
			n, _ := strconv.Atoi(string(bytes.TrimSpace(v)))
			return n
		}
	}
	return -1
}

// ticker is a pure-Go goroutine's work: k scheduling rounds. It reports how
// many calls were blocked in C when it finished.
func ticker(k int) (ticks int, inflight int) {
	for ticks < k {
		ticks++
		runtime.Gosched()
	}
	return ticks, int(C.inflight_now())
}

func main() {
	n := flag.Int("n", 100, "requests, each a goroutine in a blocking C call")
	maxThreads := flag.Int("maxthreads", 0, "debug.SetMaxThreads limit (0: the default 10,000)")
	k := flag.Int("ticks", 100000, "scheduling rounds of the pure-Go goroutine")
	limit := flag.Int("k", 8, "most requests inside the blocking C call at once")
	flag.Parse()
	if *maxThreads > 0 {
		debug.SetMaxThreads(*maxThreads)
	}
	if C.gate_init() != 0 {
		fmt.Fprintln(os.Stderr, "pipe failed")
		os.Exit(1)
	}
	fmt.Printf("gomaxprocs=%d\nthreads_before=%d\n", runtime.GOMAXPROCS(0), threads())

	gate := cgate.New(*limit)
	var wg sync.WaitGroup
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Wait in Go, without a thread, for one of k slots.
			gate.Do(context.Background(), func() { C.wait_reply() })
		}()
	}
	// Wait until the k slots are all inside read(2). Bounded: a stuck run fails.
	want := min(*limit, *n)
	for deadline := time.Now().Add(20 * time.Second); int(C.inflight_now()) < want; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "only %d of %d calls blocked\n", C.inflight_now(), want)
			os.Exit(1)
		}
	}
	fmt.Printf("blocked=%d\nthreads_blocked=%d\n", C.inflight_now(), threads())

	// While all n calls are blocked, a pure-Go goroutine still runs.
	start := time.Now()
	done := make(chan [2]int)
	go func() {
		t, in := ticker(*k)
		done <- [2]int{t, in}
	}()
	r := <-done
	fmt.Printf("ticks=%d\nblocked_during_ticks=%d\nticks_ms=%d\n", r[0], r[1], time.Since(start).Milliseconds())

	// The pipe buffers the bytes, so later calls return as soon as they enter.
	C.gate_release(C.int(*n))
	wg.Wait()
	// The runtime keeps idle threads, so the count after is the peak.
	fmt.Printf("completed=%d\nmax_blocked=%d\nthreads_after=%d\n", *n, C.inflight_max(), threads())
}
