// Package binding wraps a C registry; its functions keep what they are given.
package binding

/*
static void *slot;
static void keep(void *p) { slot = p; }
*/
import "C"

import "unsafe"

// Register hands p to C, which keeps it.
func Register(p unsafe.Pointer) { // want Register:`keeps\[0\]`
	C.keep(p)
}

// Submit hands b's data to C, which keeps it.
func Submit(b []byte) { // want Submit:`keeps\[0\]`
	C.keep(unsafe.Pointer(&b[0]))
}

// Buffer is a C buffer.
func Buffer(n int) []byte { return unsafe.Slice((*byte)(C.malloc(C.size_t(n))), n) }
