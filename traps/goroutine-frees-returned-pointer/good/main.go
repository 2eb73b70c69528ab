// Command good gives the returned C string one owner, the caller, who frees it
// after the last use. No goroutine frees it behind the caller's back.
package main

/*
#include <stdlib.h>
#include <string.h>

static int still_equal(const char *p, const char *want) { return strcmp(p, want) == 0; }
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

const (
	secret = "user=alice;role=admin;token=7f3a9c2e41b8"
	other  = "user=mallory;role=guest;token=0000000000"
)

// session returns a C string that the caller owns and must free.
func session() *C.char { return C.CString(secret) }

func gcChurn() {
	var sink []byte
	for i := 0; i < 5; i++ {
		for j := 0; j < 20000; j++ {
			sink = make([]byte, 48)
		}
		runtime.GC()
	}
	_ = sink
}

func main() {
	runtime.LockOSThread()
	p := session()
	defer C.free(unsafe.Pointer(p)) // the owner frees, after the last use
	want := C.CString(secret)
	defer C.free(unsafe.Pointer(want))

	gcChurn()
	fmt.Printf("intact_after_gc=%d\n", C.still_equal(p, want))

	q := C.CString(other)
	defer C.free(unsafe.Pointer(q))
	fmt.Printf("intact_at_last_use=%d\nread_at_last_use=%q\n", C.still_equal(p, want), C.GoString(p))
	fmt.Printf("reused=%t\nread_after_next_alloc=%q\n", q == p, C.GoString(p))
}
