package nested

/*
#include <stdlib.h>
struct request { const unsigned char *buf; int len; };
static int take(void *p) { return p != 0; }
static int takereq(struct request *r) { return r->len; }
static int argv(char **v) { return v[0] != 0; }
*/
import "C"

import (
	"runtime"
	"unsafe"
)

type withPtr struct {
	p *int
	n int
}
type withSlice struct{ b []byte }
type withIface struct{ v any }
type withString struct{ name string }
type withMap struct{ m map[int]int }
type nested struct{ inner withPtr }
type withCPtr struct{ p *C.char }
type withUintptr struct{ u uintptr }

func cStruct(data []byte) int {
	req := C.struct_request{buf: (*C.uchar)(unsafe.Pointer(&data[0])), len: C.int(len(data))}
	return int(C.takereq(&req)) // want `&req passed to C.takereq points to Go memory that holds an unpinned Go pointer: req.buf is set to &data\[0\], an element of the Go slice data at line 30`
}

func goStruct() {
	v := 42
	g := withPtr{p: &v}
	C.take(unsafe.Pointer(&g)) // want `unsafe.Pointer\(&g\) passed to C.take points to Go memory that holds an unpinned Go pointer: g.p is set to &v, the address of Go variable v`
}

func fieldAssign() {
	v := 1
	var g withPtr
	g.p = &v
	C.take(unsafe.Pointer(&g)) // want `g.p is set to &v`
}

func newStruct() {
	v := 1
	g := new(withPtr)
	g.p = &v
	C.take(unsafe.Pointer(g)) // want `unsafe.Pointer\(g\) passed to C.take .* g.p is set to &v`
}

func sliceField() {
	g := withSlice{b: make([]byte, 8)}
	C.take(unsafe.Pointer(&g)) // want `g.b is set to a slice made in Go`
}

func ifaceField() {
	v := 1
	g := withIface{v: &v}
	C.take(unsafe.Pointer(&g)) // want `g.v is set to &v`
}

func stringField(cs *C.char) {
	g := withString{name: C.GoString(cs)}
	C.take(unsafe.Pointer(&g)) // want `g.name is set to a Go string made by C.GoString`
}

func mapField() {
	g := withMap{m: make(map[int]int)}
	C.take(unsafe.Pointer(&g)) // want `g.m is set to a map\[int\]int made in Go \(it cannot be pinned`
}

func pointerArray() {
	buf := []byte("hello")
	var args [2]*C.char
	args[0] = (*C.char)(unsafe.Pointer(&buf[0]))
	C.argv(&args[0]) // want `&args\[0\] passed to C.argv .* args\[i\] is set to &buf\[0\], an element of the Go slice buf`
}

func nestedStruct() {
	v := 1
	g := nested{inner: withPtr{p: &v}}
	C.take(unsafe.Pointer(&g)) // want `g.inner.p is set to &v`
}

func viaUnsafeVar() {
	v := 1
	g := withPtr{p: &v}
	p := unsafe.Pointer(&g)
	C.take(p) // want `p passed to C.take .* g.p is set to &v`
}

func inlineLiteral() {
	v := 1
	C.take(unsafe.Pointer(&withPtr{p: &v})) // want `the composite literal.p is set to &v`
}

func pinnedOuterOnly(data []byte) {
	var pin runtime.Pinner
	defer pin.Unpin()
	req := C.struct_request{buf: (*C.uchar)(unsafe.Pointer(&data[0])), len: 1}
	pin.Pin(&req)
	C.takereq(&req) // want `req.buf is set to &data\[0\]`
}

func unpinnedBeforeCall(data []byte) {
	var pin runtime.Pinner
	pin.Pin(&data[0])
	req := C.struct_request{buf: (*C.uchar)(unsafe.Pointer(&data[0])), len: 1}
	pin.Unpin()
	C.takereq(&req) // want `req.buf is set to &data\[0\]`
}

// --- Silent. ---

func pinned(data []byte) int {
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&data[0])
	req := C.struct_request{buf: (*C.uchar)(unsafe.Pointer(&data[0])), len: C.int(len(data))}
	return int(C.takereq(&req))
}

func cMemory(data []byte) int {
	req := (*C.struct_request)(C.malloc(C.sizeof_struct_request))
	defer C.free(unsafe.Pointer(req))
	buf := C.CBytes(data)
	defer C.free(buf)
	req.buf = (*C.uchar)(buf)
	req.len = C.int(len(data))
	return int(C.takereq(req))
}

func literalString() {
	g := withString{name: "static"}
	C.take(unsafe.Pointer(&g))
}

func unknownString(s string) {
	g := withString{name: s} // os.Args, literals: not in the Go heap
	C.take(unsafe.Pointer(&g))
}

func nilField() {
	g := withPtr{n: 3}
	C.take(unsafe.Pointer(&g))
}

func cPointerField() {
	g := withCPtr{p: C.CString("x")}
	defer C.free(unsafe.Pointer(g.p))
	C.take(unsafe.Pointer(&g))
}

var global = 7

func globalPointer() {
	g := withPtr{p: &global}
	C.take(unsafe.Pointer(&g))
}

func uintptrField() {
	v := 1
	g := withUintptr{u: uintptr(unsafe.Pointer(&v))}
	C.take(unsafe.Pointer(&g))
}

func overwritten(data []byte) {
	req := C.struct_request{buf: (*C.uchar)(unsafe.Pointer(&data[0]))}
	cbuf := C.CBytes(data)
	defer C.free(cbuf)
	req.buf = (*C.uchar)(cbuf)
	C.takereq(&req)
}

func storedAfter(data []byte) {
	var req C.struct_request
	C.takereq(&req)
	req.buf = (*C.uchar)(unsafe.Pointer(&data[0]))
}

func callerPins(pin *runtime.Pinner, data []byte) {
	req := C.struct_request{buf: (*C.uchar)(unsafe.Pointer(&data[0]))}
	C.takereq(&req) // the caller's Pinner may hold data: we cannot tell
}

func pointerParam(p *int) {
	g := withPtr{p: p} // p may point anywhere
	C.take(unsafe.Pointer(&g))
}
