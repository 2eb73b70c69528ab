// Command bad calls a C function that returns a malloc'd string, copies it
// into a Go string with C.GoString and drops the C pointer: the 64-byte block
// is never freed, because the Go GC does not know the C heap exists.
package main

/*
#include <stdlib.h>
#include <string.h>

// get_message returns a string the caller owns and must free.
static char *get_message(void) {
	char *s = malloc(64);
	strcpy(s, "hello from C");
	return s;
}
*/
import "C"

import (
	"flag"
	"fmt"

	"github.com/cgoguard/cgoguard/traps/internal/cheap"
)

func message() string {
	return C.GoString(C.get_message()) // trap: the malloc'd result is copied and its pointer lost, never freed
}

func main() {
	n := flag.Int("n", 10000, "calls")
	flag.Parse()
	before := cheap.InUse()
	total := 0
	for i := 0; i < *n; i++ {
		total += len(message())
	}
	fmt.Printf("calls=%d\nchars=%d\nheap_growth=%d\n", *n, total, cheap.InUse()-before)
}
