// Command bad converts a Go string with C.CString for every call and never
// frees it: each call leaks len(name)+1 bytes of C heap that no GC will see.
package main

/*
#include <string.h>
static size_t name_len(const char *s) { return strlen(s); }
*/
import "C"

import (
	"flag"
	"fmt"

	"github.com/cgoguard/cgoguard/traps/internal/cheap"
)

func nameLen(name string) int {
	cs := C.CString(name) // trap: never freed
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
