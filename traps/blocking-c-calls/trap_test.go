package blockingccalls

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

const ticks = 100000 // scheduling rounds the pure-Go goroutine must finish while the calls are blocked

// TestBlockedCallsDoNotStarve refutes the seed: while every request sits in a
// blocking C call, a pure-Go goroutine still finishes all its rounds, with
// GOMAXPROCS=1 too. The P is handed off; each blocked call holds an OS thread,
// so the thread count grows with the number of blocked calls.
func TestBlockedCallsDoNotStarve(t *testing.T) {
	bad := trapt.Build(t, "bad")
	for _, procs := range []string{"", "1"} {
		for _, n := range []int64{50, 200} {
			o := trapt.Options{}
			if procs != "" {
				o.Env = []string{"GOMAXPROCS=" + procs}
			}
			r := trapt.RunOpts(t, o, bad, "-n", itoa(n), "-ticks", itoa(ticks))
			if r.ExitCode != 0 {
				t.Fatalf("bad -n %d: %v", n, r)
			}
			p := r.Int(t, "gomaxprocs")
			if got := r.Int(t, "ticks"); got != ticks {
				t.Errorf("GOMAXPROCS=%d n=%d: pure-Go goroutine made %d of %d rounds", p, n, got, ticks)
			}
			if b := r.Int(t, "blocked_during_ticks"); b != n {
				t.Errorf("GOMAXPROCS=%d n=%d: %d calls blocked while the goroutine ran, want all %d", p, n, b, n)
			}
			before, blocked := r.Int(t, "threads_before"), r.Int(t, "threads_blocked")
			// One thread per blocked call, plus the one running main. (Not
			// "n new threads": the runtime may reuse a few it made earlier.)
			if blocked < n+1 {
				t.Errorf("GOMAXPROCS=%d n=%d: %d threads, want at least %d (one per blocked call)", p, n, blocked, n+1)
			}
			t.Logf("bad GOMAXPROCS=%d n=%d: %d rounds done while %d calls blocked; threads %d -> %d",
				p, n, r.Int(t, "ticks"), r.Int(t, "blocked_during_ticks"), before, blocked)
		}
	}
}

// TestBoundedFanOut: with a semaphore of k slots the same 500 requests all
// complete, at most k are ever inside C, and the process gains at most about
// k threads.
func TestBoundedFanOut(t *testing.T) {
	good := trapt.Build(t, "good")
	const n, k = 500, 8
	for _, procs := range []string{"", "1"} {
		o := trapt.Options{}
		if procs != "" {
			o.Env = []string{"GOMAXPROCS=" + procs}
		}
		r := trapt.RunOpts(t, o, good, "-n", itoa(n), "-k", itoa(k), "-ticks", itoa(ticks))
		if r.ExitCode != 0 {
			t.Fatalf("good: %v", r)
		}
		if c := r.Int(t, "completed"); c != n {
			t.Errorf("good: %d of %d requests completed", c, n)
		}
		if m := r.Int(t, "max_blocked"); m > k {
			t.Errorf("good: %d calls inside C at once, want <= %d", m, k)
		}
		if got := r.Int(t, "ticks"); got != ticks {
			t.Errorf("good: pure-Go goroutine made %d of %d rounds", got, ticks)
		}
		before, after := r.Int(t, "threads_before"), r.Int(t, "threads_after")
		// k threads for the blocked calls, plus 2 for the runtime's spinning/idle
		// Ms (we measured 6-8 new threads in 40 runs).
		if after > before+k+2 {
			t.Errorf("good: threads %d -> %d, want at most %d new for k=%d", before, after, k+2, k)
		}
		t.Logf("good GOMAXPROCS=%d n=%d k=%d: max %d inside C, threads %d -> %d",
			r.Int(t, "gomaxprocs"), n, k, r.Int(t, "max_blocked"), before, after)
	}
}

// TestThreadExhaustion: the real failure. With the thread limit lowered to
// 30 (debug.SetMaxThreads; the default is 10,000), 200 blocked calls kill bad
// with the runtime's fatal error; good serves the same 200 under the limit.
func TestThreadExhaustion(t *testing.T) {
	bad, good := trapt.Build(t, "bad"), trapt.Build(t, "good")
	r := trapt.Run(t, bad, "-n", "200", "-maxthreads", "30")
	if r.ExitCode != 2 ||
		!strings.Contains(r.Stderr, "runtime: program exceeds 30-thread limit") ||
		!strings.Contains(r.Stderr, "fatal error: thread exhaustion") {
		t.Errorf("bad -n 200 -maxthreads 30: want thread exhaustion, exit 2; got %v", r)
	}
	if _, ok := r.Value("completed"); ok {
		t.Errorf("bad completed under the limit: %v", r)
	}
	r = trapt.Run(t, good, "-n", "200", "-k", "8", "-maxthreads", "30")
	if r.ExitCode != 0 || r.Int(t, "completed") != 200 {
		t.Errorf("good -n 200 -k 8 -maxthreads 30: want all 200 completed; got %v", r)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
