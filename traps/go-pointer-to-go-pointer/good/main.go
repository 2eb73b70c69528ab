// Command good pins the buffer the struct points to with runtime.Pinner for
// the duration of the call, which makes the nested pointer legal; it also
// shows the other fix, a request built entirely in C memory.
package main

/*
#include <stdlib.h>
#include <string.h>

struct request {
	const unsigned char *buf;
	int len;
};

static unsigned checksum(const struct request *r) {
	unsigned s = 0;
	for (int i = 0; i < r->len; i++) s = s * 31 + r->buf[i];
	return s;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// checksumPinned keeps the Go buffer but pins it while C can reach it.
func checksumPinned(data []byte) uint32 {
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&data[0])
	req := C.struct_request{buf: (*C.uchar)(unsafe.Pointer(&data[0])), len: C.int(len(data))}
	return uint32(C.checksum(&req))
}

// checksumCopied builds the request and its buffer in C memory: no Go pointers cross.
func checksumCopied(data []byte) uint32 {
	req := (*C.struct_request)(C.malloc(C.sizeof_struct_request))
	defer C.free(unsafe.Pointer(req))
	buf := C.CBytes(data)
	defer C.free(buf)
	req.buf = (*C.uchar)(buf)
	req.len = C.int(len(data))
	return uint32(C.checksum(req))
}

func want(data []byte) uint32 {
	var s uint32
	for _, b := range data {
		s = s*31 + uint32(b)
	}
	return s
}

func main() {
	data := []byte("the quick brown fox jumps over the lazy dog")
	fmt.Println("calling")
	fmt.Printf("checksum=%d\ncopied=%d\nwant=%d\n", checksumPinned(data), checksumCopied(data), want(data))
}
