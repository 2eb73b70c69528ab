package a

/*
#include <stdlib.h>
#include <string.h>
static size_t use(const char *s) { return strlen(s); }
*/
import "C"

import "unsafe"

func readAfterFree(s string) string {
	cs := C.CString(s)
	C.free(unsafe.Pointer(cs))
	return C.GoString(cs) // want `cs is used after it may have been freed at line 14`
}

func passAfterFree(s string, early bool) {
	cs := C.CString(s)
	if early {
		C.free(unsafe.Pointer(cs))
	}
	C.use(cs) // want `cs is used after it may have been freed at line 21`
}

type box struct{ p *C.char }

func storeAfterFree(b *box, s string) {
	cs := C.CString(s)
	C.free(unsafe.Pointer(cs))
	b.p = cs // want `cs is used after it may have been freed`
}

// The seed's §2.2 example: the function returns a pointer that the goroutine
// it started frees later.
func returnWhileGoroutineFrees(s string) *C.char {
	p := C.CString(s)
	go func() {
		C.free(unsafe.Pointer(p))
	}()
	return p // want `p is used after it may have been freed by the goroutine started at line`
}

// --- Silent ---

func useThenFree(s string) string {
	cs := C.CString(s)
	out := C.GoString(cs)
	C.free(unsafe.Pointer(cs))
	return out
}

func deferredFree(s string) string {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	return C.GoString(cs)
}

func reassignedAfterFree(a, b string) {
	cs := C.CString(a)
	C.use(cs)
	C.free(unsafe.Pointer(cs))
	cs = nil
	if cs == nil {
		return
	}
}
