// Command cstring times a loop of C.CString + C.free, the cgo allocation
// pattern the tracker must make cheap. It prints nanoseconds per pair.
package main

// #include <stdlib.h>
import "C"

import (
	"flag"
	"fmt"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	n := flag.Int("n", 2_000_000, "pairs")
	flag.Parse()
	s := "a string of some thirty-two bytes"
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < *n; i++ {
		cs := C.CString(s)
		C.free(unsafe.Pointer(cs))
	}
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	fmt.Printf("ns_per_op %.1f\ncpu_ns_per_op %.1f\n", float64(el.Nanoseconds())/float64(*n), float64(cpu.Nanoseconds())/float64(*n))
}

// cpuTime is this process's user+system CPU time: on a shared machine it
// moves less than wall time when other work competes for the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
