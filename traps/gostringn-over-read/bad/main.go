// Command bad converts a received message body with C.GoStringN using the
// length the message claims, not the size of the body buffer. GoStringN
// copies exactly n bytes and checks nothing, so the Go string picks up the
// bytes after the body: here the session key stored next to it.
package main

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct msg {
	uint32_t len;       // length as claimed by the peer
	char body[16];
	char session_key[32];
};

// recv_msg simulates a heartbeat "ping" whose header claims the given length:
// 4 from an honest peer, 44 from a lying one.
static struct msg *recv_msg(uint32_t claimed) {
	struct msg *m = calloc(1, sizeof *m);
	m->len = claimed;
	memcpy(m->body, "ping", 4);
	strcpy(m->session_key, "sk_live_4f9a2c7e1b8d3a6f");
	return m;
}

// body_at_page_end places a 16-byte body right before an inaccessible page,
// to see what an over-read does at the end of mapped memory.
static char *body_at_page_end(void) {
	long pg = sysconf(_SC_PAGESIZE);
	char *base = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(base + pg, pg, PROT_NONE);
	char *body = base + pg - 16;
	memcpy(body, "ping", 5);
	return body;
}
*/
import "C"

import (
	"flag"
	"fmt"
	"strings"
	"unsafe"
)

// body returns the message text the way the buggy handler does.
func body(m *C.struct_msg) string {
	return C.GoStringN(&m.body[0], C.int(m.len)) // trap: n comes from the message, not from sizeof(body): copies the bytes after the buffer
}

func main() {
	guard := flag.Bool("guard", false, "over-read a buffer that ends at an inaccessible page")
	flag.Parse()
	if *guard {
		fmt.Println("reading")
		s := C.GoStringN(C.body_at_page_end(), 44)
		fmt.Printf("len=%d\n", len(s)) // not reached: the copy faults
		return
	}
	honest := C.recv_msg(4)
	defer C.free(unsafe.Pointer(honest))
	fmt.Printf("honest_body=%q\n", body(honest))

	lying := C.recv_msg(44)
	defer C.free(unsafe.Pointer(lying))
	s := body(lying)
	fmt.Printf("lying_len=%d\nlying_body=%q\nleaks_key=%t\n", len(s), s, strings.Contains(s, "sk_live_"))

	// The seed's own example: n is not "at most n", it is exactly n bytes.
	hi := C.CString("hi")
	defer C.free(unsafe.Pointer(hi))
	fmt.Printf("hi_len=%d\n", len(C.GoStringN(hi, 10)))
}
