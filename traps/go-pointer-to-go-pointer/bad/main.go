// Command bad fills a C request struct in Go memory with a pointer to a Go
// []byte and passes its address to C. The struct is Go memory holding an
// unpinned Go pointer, which the cgo rules forbid; the default cgocheck=1
// panics at the call.
package main

/*
struct request {
	const unsigned char *buf;
	int len;
};

// checksum reads the request's buffer during the call only.
static unsigned checksum(const struct request *r) {
	unsigned s = 0;
	for (int i = 0; i < r->len; i++) s = s * 31 + r->buf[i];
	return s;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func checksum(data []byte) uint32 {
	req := C.struct_request{buf: (*C.uchar)(unsafe.Pointer(&data[0])), len: C.int(len(data))}
	return uint32(C.checksum(&req)) // trap: &req is Go memory that holds an unpinned Go pointer (req.buf): cgocheck panics
}

// want is the same checksum computed in Go.
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
	got := checksum(data)
	fmt.Printf("checksum=%d\nwant=%d\n", got, want(data))
}
