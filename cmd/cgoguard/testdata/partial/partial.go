// Package partial cannot be cgo-processed: its header is missing. cgoguard
// vet must still find the leak, and say the analysis was partial.
package partial

/*
#include <stdlib.h>
#include "missing_library_header.h"
*/
import "C"

import "unsafe"

// Leaky forgets to free on the error path.
func Leaky(s string, fail bool) int {
	cs := C.CString(s)
	if fail {
		return -1
	}
	n := int(C.lib_use(cs))
	C.free(unsafe.Pointer(cs))
	return n
}

// Clean frees on every path.
func Clean(s string) int {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	return int(C.lib_use(cs))
}
