package cgate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/safe/internal/ctest"
)

func TestMain(m *testing.M) {
	if sc := os.Getenv("CGATE_SCENARIO"); sc != "" {
		threadScenario(sc)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// threads reads the process's OS thread count from /proc/self/status.
func threads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				panic(err)
			}
			return n
		}
	}
	panic("no Threads line in /proc/self/status")
}

// threadScenario runs many goroutines that each block in C (usleep), through
// a gate of 16 or not at all, and prints the thread counts. The Go runtime
// never destroys an idle thread, so the count at the end is the peak.
func threadScenario(sc string) {
	// Bring the runtime to its steady thread count first: every P busy at
	// once, and a GC, so that the baseline is not an undercount.
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) * 2 {
		wg.Go(func() {
			x := 0
			for i := range 20_000_000 {
				x += i
			}
			_ = x
		})
	}
	wg.Wait()
	runtime.GC()
	base := threads()

	var inC, mostInC, passes atomic.Int64
	switch sc {
	case "gated":
		g := New(16)
		for range 5000 {
			wg.Go(func() {
				err := g.Do(context.Background(), func() {
					n := inC.Add(1)
					for m := mostInC.Load(); n > m && !mostInC.CompareAndSwap(m, n); m = mostInC.Load() {
					}
					// The first calls are long: the runtime takes a P away from
					// a goroutine in C only once sysmon has seen it there for a
					// whole tick, and an idle sysmon ticks every 10 ms. After
					// that it ticks fast, and 1 ms calls each get a thread.
					us := 1000
					if passes.Add(1) <= 32 {
						us = 30_000
					}
					ctest.Usleep(us)
					inC.Add(-1)
				})
				if err != nil {
					panic(err)
				}
			})
		}
	case "ungated":
		for range 300 {
			wg.Go(func() { ctest.Usleep(50_000) })
		}
	}
	wg.Wait()
	fmt.Printf("baseline=%d peak=%d inC=%d\n", base, threads(), mostInC.Load())
}

func runThreadScenario(t *testing.T, sc string) (base, peak, inC int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CGATE_SCENARIO="+sc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", sc, err, out)
	}
	if _, err := fmt.Sscanf(string(out), "baseline=%d peak=%d inC=%d", &base, &peak, &inC); err != nil {
		t.Fatalf("%s: cannot parse %q: %v", sc, out, err)
	}
	t.Logf("%s: threads baseline=%d peak=%d; most goroutines in C at once: %d", sc, base, peak, inC)
	return base, peak, inC
}

// 5,000 goroutines through a gate of 16, each blocking 1 ms in C: the process
// never holds more than 16 threads beyond the runtime's own.
func TestGateBoundsThreads(t *testing.T) {
	base, peak, inC := runThreadScenario(t, "gated")
	if inC != 16 {
		t.Errorf("at most %d goroutines were in C at once, want the gate full (16): the bound was not exercised", inC)
	}
	if peak > base+16 {
		t.Errorf("gate of 16: %d threads, more than baseline %d + 16", peak, base)
	}
}

// The same shape without a gate: every goroutine blocked in C holds a thread.
func TestWithoutGateThreadsGrow(t *testing.T) {
	base, peak, _ := runThreadScenario(t, "ungated")
	if peak <= base+16 {
		t.Errorf("300 unbounded blocking calls used only %d threads (baseline %d): the measurement shows nothing", peak, base)
	}
}

func TestLimitHolds(t *testing.T) {
	g := New(3)
	var in, most, ran atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			err := g.Do(context.Background(), func() {
				n := in.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				ctest.Usleep(100)
				in.Add(-1)
				ran.Add(1)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ran.Load() != 200 || most.Load() > 3 {
		t.Fatalf("ran %d, at most %d inside at once; want 200 and <= 3", ran.Load(), most.Load())
	}
	st := g.Stats()
	if st.Passes != 200 || st.InFlight != 0 || st.Waiting != 0 || st.Waits == 0 || st.WaitTime <= 0 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestContextEndsTheWaitNotTheCall(t *testing.T) {
	g := New(1)
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- g.Do(context.Background(), func() {
			close(inside)
			<-release
		})
	}()
	<-inside

	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	waitErr := make(chan error)
	go func() { waitErr <- g.Do(ctx, func() { ran = true }) }()
	for g.Stats().Waiting != 1 {
		runtime.Gosched()
	}
	cancel()
	if err := <-waitErr; !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("canceled wait: err=%v ran=%v", err, ran)
	}
	if st := g.Stats(); st.Waiting != 0 || st.Canceled != 1 || st.InFlight != 1 {
		t.Fatalf("after cancel: %+v", st)
	}
	// The call inside was not disturbed and finishes normally.
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := g.Do(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Fatalf("gate unusable after a canceled wait: %v", err)
	}
}

func TestPanicFreesSlot(t *testing.T) {
	g := New(1)
	func() {
		defer func() { _ = recover() }()
		_ = g.Do(context.Background(), func() { panic("boom") })
	}()
	if st := g.Stats(); st.InFlight != 0 {
		t.Fatalf("slot lost to a panic: %+v", st)
	}
}

func TestLeaveWithoutEnterPanics(t *testing.T) {
	g := New(2)
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic")
		}
		if st := g.Stats(); st.InFlight != 0 || g.Enter(context.Background()) != nil {
			t.Fatalf("gate broken after misuse: %+v", st)
		}
	}()
	g.Leave()
}

func TestWaitersServedInOrder(t *testing.T) {
	g := New(1)
	if err := g.Enter(context.Background()); err != nil {
		t.Fatal(err)
	}
	var order []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			_ = g.Do(context.Background(), func() {
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
			})
		})
		for g.Stats().Waiting != i+1 { // queue them one by one
			time.Sleep(time.Millisecond)
		}
	}
	g.Leave()
	wg.Wait()
	if fmt.Sprint(order) != "[0 1 2 3 4]" {
		t.Fatalf("order = %v", order)
	}
}

func BenchmarkPass(b *testing.B) {
	ctx := context.Background()
	b.Run("Do", func(b *testing.B) {
		g := New(16)
		f := func() {}
		for b.Loop() {
			_ = g.Do(ctx, f)
		}
	})
	b.Run("Enter-Leave", func(b *testing.B) {
		g := New(16)
		for b.Loop() {
			_ = g.Enter(ctx)
			g.Leave()
		}
	})
	b.Run("chan-semaphore", func(b *testing.B) {
		// The hand-written alternative, for comparison.
		sem := make(chan struct{}, 16)
		for b.Loop() {
			sem <- struct{}{}
			<-sem
		}
	})
}

// The gate around a real (empty) C call: the gate's share of the total.
func BenchmarkCCall(b *testing.B) {
	b.Run("raw-cgo", func(b *testing.B) {
		for b.Loop() {
			ctest.Noop()
		}
	})
	b.Run("gated", func(b *testing.B) {
		g := New(16)
		ctx := context.Background()
		for b.Loop() {
			_ = g.Do(ctx, func() { ctest.Noop() })
		}
	})
}
