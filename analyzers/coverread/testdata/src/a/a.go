package a

/*
#include <stdlib.h>
#include <string.h>
*/
import "C"

import "unsafe"

func gostringnPastEnd() string {
	p := (*C.char)(C.malloc(8))
	defer C.free(unsafe.Pointer(p))
	return C.GoStringN(p, 16) // want `C.GoStringN reads 16 bytes but C.malloc allocates 8 bytes at line 12`
}

func gobytesPastCString() []byte {
	cs := C.CString("hello")
	defer C.free(unsafe.Pointer(cs))
	return C.GoBytes(unsafe.Pointer(cs), 32) // want `C.GoBytes reads 32 bytes but C.CString allocates 6 bytes`
}

func arrayPastEnd() string {
	var buf [16]C.char
	return C.GoStringN(&buf[0], 64) // want `C.GoStringN reads 64 bytes but the array holds 16 bytes`
}

func sliceTooLong() []C.int {
	p := (*C.int)(C.calloc(4, 4))
	defer C.free(unsafe.Pointer(p))
	return append([]C.int(nil), unsafe.Slice(p, 8)...) // want `unsafe.Slice reads 32 bytes but C.calloc allocates 16 bytes`
}

func gostringOnCBytes() string {
	p := C.CBytes([]byte("no terminator"))
	defer C.free(p)
	return C.GoString((*C.char)(p)) // want `C.GoString reads p up to a NUL byte, but it comes from C.CBytes`
}

// --- Silent ---

func exact() string {
	p := (*C.char)(C.malloc(8))
	defer C.free(unsafe.Pointer(p))
	return C.GoStringN(p, 8)
}

func unknownLength(n int) string {
	p := (*C.char)(C.malloc(C.size_t(n)))
	defer C.free(unsafe.Pointer(p))
	return C.GoStringN(p, C.int(n))
}

func withLength() []byte {
	p := C.CBytes([]byte("abc"))
	defer C.free(p)
	return C.GoBytes(p, 3)
}

func cstringIsTerminated() string {
	cs := C.CString("abc")
	defer C.free(unsafe.Pointer(cs))
	return C.GoString(cs)
}

type msg struct {
	n    C.int
	body [16]C.char
}

func heartbleed(m *msg) string {
	return C.GoStringN(&m.body[0], m.n) // want `C.GoStringN copies m.n bytes out of a 16-byte array, and m.n is read from data and never checked`
}

func clamped(m *msg) string {
	n := m.n
	if m.n > 16 {
		n = 16
	}
	return C.GoStringN(&m.body[0], n)
}

func checkedField(m *msg) string {
	if m.n > C.int(len(m.body)) {
		return ""
	}
	return C.GoStringN(&m.body[0], m.n)
}
