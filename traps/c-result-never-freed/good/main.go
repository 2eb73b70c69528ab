// Command good keeps the pointer C returned, copies the string into Go memory
// and then frees the C block: the copy does not need it any more.
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
	"unsafe"

	"github.com/cgoguard/cgoguard/traps/internal/cheap"
)

func message() string {
	p := C.get_message()
	defer C.free(unsafe.Pointer(p))
	return C.GoString(p) // a copy in Go memory: safe to use after the free
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
