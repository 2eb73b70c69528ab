// Command good calls the same library declared without stdcall (it means
// nothing on x86-64) and the legacy library through its own header, so the
// declaration cgo wraps is the one the definition was compiled against. It
// also shows the two calls cgo refuses, done the supported way: a variadic C
// function through a fixed-argument C wrapper, and a C function pointer through
// a C trampoline.
package main

/*
#include <stdio.h>
#include "conv.h"
#include "legacy.h"

// cgo cannot call variadic functions; wrap the one call shape we need.
static int format_pair(char *buf, size_t n, int a, double b) {
	return snprintf(buf, n, "%d/%.2f", a, b);
}

// cgo cannot call a C function pointer; C can.
typedef int (*binop)(int, int);
static int call_binop(binop f, int a, int b) { return f(a, b); }
static binop get_sum32(void) { return sum32; }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func main() {
	fmt.Printf("sum10=%d\n", C.sum10(101, 102, 103, 104, 105, 106, 107, 108, 109, 110))
	fmt.Printf("mix=%v\n", C.mix(1, 0.5, 0.25, 1<<40, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5))
	v := C.vcombine(C.vec2{x: 1.25, y: 3}, C.vec2{x: 0.5, y: -2})
	fmt.Printf("vec_x=%v\nvec_y=%v\n", v.x, v.y)
	tr := C.tcombine(C.triple{a: 10, b: 20, c: 30}, C.triple{a: 1, b: 2, c: 3}, 7)
	fmt.Printf("tri_a=%d\ntri_b=%d\ntri_c=%d\n", tr.a, tr.b, tr.c)

	// With the real declaration, C.sum32(1<<32+1, 1) no longer compiles
	// (constant overflows C.int): the type checker guards the boundary.
	fmt.Printf("sum32_neg=%d\n", C.sum32(-1, 0))
	fmt.Printf("scale=%v\n", C.scale(0.1, 10))

	var buf [32]C.char
	C.format_pair(&buf[0], C.size_t(len(buf)), 42, 2.5)
	fmt.Printf("variadic_wrapper=%s\n", C.GoString((*C.char)(unsafe.Pointer(&buf[0]))))
	fmt.Printf("funcptr=%d\n", C.call_binop(C.get_sum32(), 40, 2))
}
