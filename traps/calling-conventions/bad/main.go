// Command bad calls a library of stdcall-declared C functions with many
// argument shapes (ten integers, eleven mixed floats, structs by value in
// registers and in memory), and a legacy library through hand-written
// declarations whose types differ from the library's definition.
//
// The stdcall calls all return correct results: cgo calls C through wrappers
// compiled by gcc, and on x86-64 stdcall does not exist. The hand-written
// declarations are the real calling-convention trap: caller and callee
// disagree about the types, and the results are silently wrong.
package main

/*
#include "conv.h"

long sum32(long a, long b); // trap: legacy.c defines int sum32(int, int): Go passes and reads 64-bit registers, C uses 32 bits
double scale(double x, int n);
*/
import "C"

import "fmt"

func main() {
	fmt.Printf("sum10=%d\n", C.sum10(101, 102, 103, 104, 105, 106, 107, 108, 109, 110))
	fmt.Printf("mix=%v\n", C.mix(1, 0.5, 0.25, 1<<40, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5))
	v := C.vcombine(C.vec2{x: 1.25, y: 3}, C.vec2{x: 0.5, y: -2})
	fmt.Printf("vec_x=%v\nvec_y=%v\n", v.x, v.y)
	tr := C.tcombine(C.triple{a: 10, b: 20, c: 30}, C.triple{a: 1, b: 2, c: 3}, 7)
	fmt.Printf("tri_a=%d\ntri_b=%d\ntri_c=%d\n", tr.a, tr.b, tr.c)

	fmt.Printf("sum32_neg=%d\n", C.sum32(-1, 0))
	fmt.Printf("sum32_big=%d\n", C.sum32(1<<32+1, 1))
	fmt.Printf("scale=%v\n", C.scale(0.1, 10))
}
