// Command good gives C a copy in C memory that C owns: the GC cannot free or
// reuse it, and C frees it when it replaces it.
package main

/*
#include <stdlib.h>
#include <string.h>

enum { REQ = 64 };
static char *last_request;   // C memory owned by this module
static char snapshot[REQ];

// submit takes ownership of buf (allocated with malloc) and frees the one it replaces.
static void submit(char *buf) {
	free(last_request);
	last_request = buf;
	memcpy(snapshot, buf, REQ);
}

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
)

var sink []byte

//go:noinline
func submit(i int) {
	b := make([]byte, C.REQ)
	copy(b, fmt.Sprintf("request %06d: transfer 100 EUR to account 12345678", i))
	C.submit((*C.char)(C.CBytes(b))) // C owns the copy from here on
}

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
