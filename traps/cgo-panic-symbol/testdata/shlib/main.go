// Command shlib is built with -buildmode=c-shared and loaded by loader.c with
// dlopen: the seed's "old .so fails with undefined symbol _cgo_panic" case.
package main

import "C"

// Add is called from C; the call enters Go through crosscall2.
//
//export Add
func Add(a, b C.int) C.int { return a + b }

func main() {}
