// Package serialonly serialises a C library that has no threads of its own
// with a Go mutex: the usual, correct pattern. Nothing is reported.
package serialonly

/*
#include <string.h>

static char buf[256];
static int used;

static int lib_append(const char *s) {
	size_t n = strlen(s);
	if (used + n >= sizeof buf) return -1;
	memcpy(buf + used, s, n);
	used += (int)n;
	return used;
}

static void lib_reset(void) { used = 0; }
*/
import "C"

import (
	"sync"
	"unsafe"
)

var mu sync.Mutex

// Append serialises the unlocked C library: correct.
func Append(s string) int {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	mu.Lock()
	defer mu.Unlock()
	return int(C.lib_append(cs))
}

// Reset too.
func Reset() {
	mu.Lock()
	C.lib_reset()
	mu.Unlock()
}
