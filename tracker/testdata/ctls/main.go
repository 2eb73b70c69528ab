// Command ctls leaks a C.CString from a program whose C code has its own
// __thread variables: they grow the executable's TLS segment and move g's
// slot, which the tracker must compute, not assume.
package main

/*
#include <stdlib.h>
static __thread long counter[16];
static __thread char name[40];
static long bump(void) { counter[3]++; name[0] = 'x'; return counter[3]; }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func main() {
	C.bump()
	s := C.CString("with C TLS") // MARK:ctls
	fmt.Println(unsafe.Pointer(s) != nil)
}
