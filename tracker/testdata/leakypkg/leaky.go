// Package leakypkg is a cgo package whose tests leak C memory on demand,
// for the tests of cgoguard test and tracker.VerifyNone.
package leakypkg

// #include <stdlib.h>
// #include <string.h>
import "C"

import "unsafe"

var kept []*C.char

// Leak copies s to the C heap and never frees it.
func Leak(s string) {
	kept = append(kept, C.CString(s)) // MARK:pkg-leak
}

// NoLeak copies s to the C heap and frees it.
func NoLeak(s string) int {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	return int(C.strlen(cs))
}
