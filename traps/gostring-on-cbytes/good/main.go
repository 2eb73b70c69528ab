// Command good reads C.CBytes memory back with the length it was allocated
// with (C.GoStringN), never with strlen: the block has no NUL terminator.
package main

/*
#include <stdlib.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// echo hands the payload to C and reads it back as a string.
func echo(payload []byte) string {
	p := C.CBytes(payload)
	defer C.free(p)
	return C.GoStringN((*C.char)(p), C.int(len(payload))) // the length we allocated, not strlen
}

func main() {
	// One OS thread, so that a freed chunk is certainly reused by the next
	// malloc of its size (glibc caches freed chunks per thread).
	runtime.LockOSThread()

	// A 24-byte payload fills its 32-byte chunk's usable space exactly: the next
	// 8 bytes are the following chunk's size field, never zero.
	fresh := []byte("GET /health HTTP/1.1 ok!")
	s := echo(fresh)
	fmt.Printf("fresh_prefix_ok=%t\nfresh_extra=%q\n", strings.HasPrefix(s, string(fresh)), strings.TrimPrefix(s, string(fresh)))

	// An earlier request held a credential in a chunk of the same size; it was
	// freed, and the next payload gets that chunk.
	secret := "Authorization: Bearer tok_live_9f8e7d6c5b4a3928170654"
	cs := C.CString(secret)
	C.free(unsafe.Pointer(cs))
	next := []byte("GET /index.html HTTP/1.1 host=example.org") // 41 bytes
	s = echo(next)
	fmt.Printf("reuse_prefix_ok=%t\nreuse_extra=%q\nsecret_tail=%q\n", strings.HasPrefix(s, string(next)), strings.TrimPrefix(s, string(next)), secret[len(next):])
}
