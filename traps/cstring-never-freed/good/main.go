// Command good frees the C copy of the string before returning.
package main

/*
#include <stdlib.h>
#include <string.h>
static size_t name_len(const char *s) { return strlen(s); }
*/
import "C"

import (
	"flag"
	"fmt"
	"unsafe"

	"github.com/cgoguard/cgoguard/traps/internal/cheap"
)

func nameLen(name string) int {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return int(C.name_len(cs))
}

func main() {
	n := flag.Int("n", 10000, "calls")
	flag.Parse()
	name := "a name of thirty-two bytes long."
	before := cheap.InUse()
	total := 0
	for i := 0; i < *n; i++ {
		total += nameLen(name)
	}
	fmt.Printf("calls=%d\nchars=%d\nheap_growth=%d\n", *n, total, cheap.InUse()-before)
}
