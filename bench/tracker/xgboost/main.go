// Command xgboost scores batches of 64 transactions with XGBoost's C API
// (libxgboost-dev), the reference service's per-batch work: copy the rows
// into a DMatrix, predict, copy the scores out, free the DMatrix. XGBoost is
// C++: every batch makes tens of allocations inside the library (its
// DMatrix, the prediction buffers), all through malloc, so the tracker sees
// them. It prints nanoseconds per batch.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/cgoguard/cgoguard/examples/riskserver/fraud"
	"github.com/cgoguard/cgoguard/examples/riskserver/xgb"
)

func main() {
	n := flag.Int("n", 20000, "batches")
	flag.Parse()
	// One OS thread for every call: XGBoost keeps per-thread state.
	runtime.LockOSThread()
	model, err := fraud.Train(fraud.DefaultTrainConfig)
	check(err)
	b, err := xgb.NewBooster()
	check(err)
	defer b.Close()
	check(b.LoadModel(model))
	check(b.SetParam("nthread", "1"))
	const batch = 64
	d := fraud.Generate(batch*16, 3, 1)
	scores := make([]float32, batch)
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < *n; i++ {
		off := (i % 16) * batch * fraud.NumFeatures
		dm, err := xgb.NewDMatrix(d.X[off:off+batch*fraud.NumFeatures], batch, fraud.NumFeatures, 1)
		check(err)
		scores, err = b.Predict(dm, scores[:0])
		check(err)
		check(dm.Close())
	}
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	fmt.Printf("ns_per_op %.1f\ncpu_ns_per_op %.1f\nbatches %d\n", float64(el.Nanoseconds())/float64(*n), float64(cpu.Nanoseconds())/float64(*n), *n)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
