// Command good deletes each runtime/cgo.Handle once C no longer holds it, so
// the request becomes garbage after the call and the Go heap stays flat.
package main

/*
#include <stdint.h>
extern int goChecksum(uintptr_t h);

// process stands for a C API that takes an opaque context and calls back.
static int process(uintptr_t ctx) { return goChecksum(ctx); }
*/
import "C"

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/cgo"
	"sync/atomic"
	"time"
)

// request is what the C callback needs to reach.
type request struct {
	id      int
	payload []byte
}

var collected atomic.Int64 // requests the GC has reclaimed

//export goChecksum
func goChecksum(h C.uintptr_t) C.int {
	r := cgo.Handle(h).Value().(*request)
	sum := 0
	for _, b := range r.payload {
		sum += int(b)
	}
	return C.int(sum + r.id)
}

func handle(id int) int {
	r := &request{id: id, payload: make([]byte, 1024)}
	runtime.AddCleanup(r, func(struct{}) { collected.Add(1) }, struct{}{})
	h := cgo.NewHandle(r)
	defer h.Delete() // C does not keep ctx after process returns
	return int(C.process(C.uintptr_t(h)))
}

func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func main() {
	n := flag.Int("n", 2000, "calls")
	flag.Parse()
	before := heapAlloc()
	total := 0
	for i := 0; i < *n; i++ {
		total += handle(i)
	}
	growth := heapAlloc() - before
	// Give the cleanups of unreachable requests a bounded chance to run.
	for i := 0; i < 50 && collected.Load() < int64(*n); i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	fmt.Printf("calls=%d\nchecksum=%d\nheap_growth=%d\ncollected=%d\n", *n, total, growth, collected.Load())
}
