package a

/*
#include <stdlib.h>
static void use(char *s) {}
*/
import "C"

import "unsafe"

func explicitAndDeferred(s string) {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	C.use(cs)
	C.free(unsafe.Pointer(cs)) // want `cs is freed here and again by the deferred call at line 13`
}

func twiceOnSomePath(s string, early bool) {
	cs := C.CString(s)
	if early {
		C.free(unsafe.Pointer(cs))
	}
	C.use(cs)                  // (a use after free too: reported by cuseafterfree)
	C.free(unsafe.Pointer(cs)) // want `cs may be freed twice: it was already freed at line 21`
}

func freeInLoop(s string, n int) {
	p := C.malloc(64)
	for i := 0; i < n; i++ {
		C.free(p) // want `p may be freed twice`
	}
}

func goroutineAndCaller(s string) {
	cs := C.CString(s)
	go func() {
		C.free(unsafe.Pointer(cs))
	}()
	C.free(unsafe.Pointer(cs)) // want `cs may be freed twice`
}

// --- Silent ---

func once(s string) {
	cs := C.CString(s)
	C.use(cs)
	C.free(unsafe.Pointer(cs))
}

func earlyFreeThenNil(s string, early bool) {
	p := C.malloc(8)
	if early {
		C.free(p)
		p = nil
	}
	if p != nil {
		C.free(p)
	}
}

func freeEachIteration(names []string) {
	for _, n := range names {
		cs := C.CString(n)
		C.use(cs)
		C.free(unsafe.Pointer(cs))
	}
}

func branches(s string, b bool) {
	cs := C.CString(s)
	if b {
		C.free(unsafe.Pointer(cs))
	} else {
		C.use(cs)
		C.free(unsafe.Pointer(cs))
	}
}

func ignored(s string) {
	cs := C.CString(s)
	C.free(unsafe.Pointer(cs))
	C.free(unsafe.Pointer(cs)) //cgoguard:ignore cdoublefree test of the directive
}
