// Command bad hands a Go []byte to a C function that keeps the pointer after
// it returns (a "last request" cache read later by a flush). Once Go drops the
// slice, the GC frees the memory and reuses it for new allocations: the flush
// reads other data. cgocheck does not notice: the call itself is legal, the
// keeping happens in C.
package main

/*
#include <string.h>

enum { REQ = 64 };
static const char *last_request;   // a Go pointer kept past the call: forbidden by the cgo rules
static char snapshot[REQ];         // what the request said at submit time, to compare with

static void submit(const char *buf) {
	last_request = buf;
	memcpy(snapshot, buf, REQ);
}

// flush_ok reads the kept pointer later, as a logger or batcher would, and
// reports whether it still sees the request that was submitted.
static int flush_ok(char *seen) {
	memcpy(seen, last_request, REQ);
	return memcmp(seen, snapshot, REQ) == 0;
}
*/
import "C"

import (
	"flag"
	"fmt"
	"runtime"
	"unsafe"
)

var sink []byte

// submit builds a request in Go memory and gives C a pointer to it.
//
//go:noinline
func submit(i int) {
	b := make([]byte, C.REQ)
	copy(b, fmt.Sprintf("request %06d: transfer 100 EUR to account 12345678", i))
	C.submit((*C.char)(unsafe.Pointer(&b[0]))) // trap: C keeps this Go pointer after the call; b is collected once submit returns
}

// work is the rest of the program: it allocates, which reuses freed Go memory.
func work(n int) {
	for j := 0; j < n; j++ {
		x := make([]byte, C.REQ)
		for k := range x {
			x[k] = '#'
		}
		sink = x
	}
}

func main() {
	trials := flag.Int("trials", 200, "submit/flush rounds")
	churn := flag.Int("churn", 10000, "64-byte allocations between submit and flush")
	flag.Parse()
	var seen [C.REQ]C.char
	wrong, example := 0, ""
	for i := 0; i < *trials; i++ {
		submit(i)
		runtime.GC()
		work(*churn)
		if C.flush_ok(&seen[0]) == 0 {
			wrong++
			if example == "" {
				example = C.GoStringN(&seen[0], C.REQ)
			}
		}
	}
	fmt.Printf("trials=%d\nwrong=%d\nexample=%q\n", *trials, wrong, example)
}
