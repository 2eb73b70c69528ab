// Command bad runs C code written to the wrong _cgo_panic contract: it calls
// _cgo_panic as a plain C function with a message (gccgo's contract). With the
// gc toolchain _cgo_panic is a Go function that must be entered through
// crosscall2, so the call ends the process with a fatal runtime error that no
// recover can catch. The symbol itself resolves: there is no link error.
package main

/*
#include <stdlib.h>

extern void _cgo_panic(const char *msg); // gccgo's declaration, not gc's

static void fail(const char *msg) {
	_cgo_panic(msg); // trap: a Go function called as a C function, without crosscall2
}
*/
import "C"

import (
	"fmt"
	"os"
	"unsafe"
)

// callFail calls into C and turns a Go panic raised from C into an error.
func callFail(msg string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	cs := C.CString(msg)
	defer C.free(unsafe.Pointer(cs))
	C.fail(cs)
	return nil
}

func main() {
	fmt.Println("linked=1") // the program linked and started: _cgo_panic was found
	os.Stdout.Sync()
	err := callFail("boom")
	fmt.Printf("recovered=%v\n", err)
}
