package model

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/examples/riskserver/fraud"
	"github.com/cgoguard/cgoguard/examples/riskserver/xgb"
	"github.com/cgoguard/cgoguard/safe/cgate"
)

// osThreads returns the process's thread count (Go's and OpenMP's).
func osThreads(b *testing.B) int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	b.Fatal("no Threads line")
	return 0
}

// BenchmarkThreads: 64 goroutines call XGBoost directly (the naive design),
// 4096 rows per call with nthread=2, with and without a cgate bounding the
// calls to 2. The predict call is CPU-bound, not blocking, yet each
// goroutine inside it holds an OS thread (sysmon hands its P to another
// thread after 20 µs to 10 ms), and each new calling thread gets its own
// OpenMP team. threads is the process's OS thread count at the end (Go
// keeps idle threads, so it is the peak).
// Threads never end in Go, so run each sub-benchmark in its own process:
//
//	go test -run '^$' -bench 'Threads/^ungated$' -benchtime 2000x ./examples/riskserver/model/
//	go test -run '^$' -bench 'Threads/^gated$' -benchtime 2000x ./examples/riskserver/model/
func BenchmarkThreads(b *testing.B) {
	for _, gated := range []bool{false, true} {
		name := "ungated"
		if gated {
			name = "gated"
		}
		b.Run(name, func(b *testing.B) { benchThreads(b, gated) })
	}
}

func benchThreads(b *testing.B, gated bool) {
	runtime.LockOSThread() // the booster is made, and freed, on this thread
	defer runtime.UnlockOSThread()
	bst, err := xgb.NewBooster()
	if err != nil {
		b.Fatal(err)
	}
	defer bst.Close()
	if err := bst.LoadModel(baseModel); err != nil {
		b.Fatal(err)
	}
	if err := bst.SetParam("nthread", "2"); err != nil {
		b.Fatal(err)
	}
	var gate *cgate.Gate
	if gated {
		gate = cgate.New(2)
	}
	d := fraud.Generate(4096, 9, 1)
	const goroutines = 64
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/goroutines + 1
	for range goroutines {
		wg.Go(func() {
			for range per {
				call := func() {
					dm, err := xgb.NewDMatrix(d.X, d.Rows, fraud.NumFeatures, 2)
					if err != nil {
						panic(err)
					}
					if _, err := bst.Predict(dm, nil); err != nil {
						panic(err)
					}
					dm.Close()
				}
				if gate != nil {
					gate.Do(context.Background(), call)
				} else {
					call()
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(osThreads(b)), "threads")
}

// BenchmarkLongCallsDoNotStall checks the seed's claim that a blocking cgo
// call stalls other goroutines: four goroutines (twice GOMAXPROCS=2) run
// long XGBoost predictions (500,000 rows, one OpenMP thread) back to back
// while a heartbeat goroutine sleeps 1 ms in a loop. If a C call kept its P,
// the heartbeat would wait for whole calls (call_ms); it is late by
// max_gap_ms at worst, the OS's time slicing of more CPU-bound threads than
// CPUs and the up-to-10 ms it takes sysmon to hand a P over. Two controls:
// idle_gap_ms, the heartbeat alone for 200 ms (the machine's own noise), and
// go_busy_gap_ms, the heartbeat during 200 ms of four pure-Go busy loops
// (which the scheduler preempts every 10 ms).
func BenchmarkLongCallsDoNotStall(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	bst, err := xgb.NewBooster()
	if err != nil {
		b.Fatal(err)
	}
	defer bst.Close()
	if err := bst.LoadModel(baseModel); err != nil {
		b.Fatal(err)
	}
	if err := bst.SetParam("nthread", "1"); err != nil {
		b.Fatal(err)
	}
	d := fraud.Generate(500000, 9, 1)
	dm, err := xgb.NewDMatrix(d.X, d.Rows, fraud.NumFeatures, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer dm.Close()
	heartbeat := func(stop <-chan struct{}, gap *time.Duration) {
		for {
			select {
			case <-stop:
				return
			default:
			}
			t := time.Now()
			time.Sleep(time.Millisecond)
			*gap = max(*gap, time.Since(t)-time.Millisecond)
		}
	}
	var idleGap time.Duration
	idle := make(chan struct{})
	time.AfterFunc(200*time.Millisecond, func() { close(idle) })
	heartbeat(idle, &idleGap)

	var busyGap time.Duration
	busy := make(chan struct{})
	var spin sync.WaitGroup
	for range 4 {
		spin.Go(func() {
			x := 0
			for {
				for range 1 << 16 {
					x++
				}
				select {
				case <-busy:
					sink = x
					return
				default:
				}
			}
		})
	}
	time.AfterFunc(200*time.Millisecond, func() { close(busy) })
	heartbeat(busy, &busyGap)
	spin.Wait()

	stop, hb := make(chan struct{}), make(chan struct{})
	var maxGap time.Duration
	go func() {
		defer close(hb)
		heartbeat(stop, &maxGap)
	}()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range b.N {
				if _, err := bst.Predict(dm, nil); err != nil {
					panic(err)
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	callMS := float64(time.Since(start).Milliseconds()) / float64(b.N) // 4 calls on 2 CPUs per round
	close(stop)
	<-hb
	b.ReportMetric(callMS, "round_ms")
	b.ReportMetric(float64(maxGap.Microseconds())/1000, "max_gap_ms")
	b.ReportMetric(float64(idleGap.Microseconds())/1000, "idle_gap_ms")
	b.ReportMetric(float64(busyGap.Microseconds())/1000, "go_busy_gap_ms")
}

var sink int
