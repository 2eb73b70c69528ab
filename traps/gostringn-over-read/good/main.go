// Command good bounds C.GoStringN by the size of the buffer it reads from: a
// message that claims more than its body holds is rejected, not copied.
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

static struct msg *recv_msg(uint32_t claimed) {
	struct msg *m = calloc(1, sizeof *m);
	m->len = claimed;
	memcpy(m->body, "ping", 4);
	strcpy(m->session_key, "sk_live_4f9a2c7e1b8d3a6f");
	return m;
}

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

// body returns the message text, or an error when the claimed length does not
// fit the buffer: the bound is the buffer's size, never the peer's word.
func body(m *C.struct_msg) (string, error) {
	if int(m.len) > len(m.body) {
		return "", fmt.Errorf("message claims %d bytes, body holds %d", m.len, len(m.body))
	}
	return C.GoStringN(&m.body[0], C.int(m.len)), nil
}

func main() {
	guard := flag.Bool("guard", false, "read a buffer that ends at an inaccessible page")
	flag.Parse()
	if *guard {
		fmt.Println("reading")
		s := C.GoStringN(C.body_at_page_end(), 16) // the buffer's size
		fmt.Printf("len=%d\n", len(s))
		return
	}
	honest := C.recv_msg(4)
	defer C.free(unsafe.Pointer(honest))
	s, err := body(honest)
	fmt.Printf("honest_body=%q\nhonest_err=%v\n", s, err)

	lying := C.recv_msg(44)
	defer C.free(unsafe.Pointer(lying))
	s, err = body(lying)
	fmt.Printf("lying_len=%d\nlying_body=%q\nleaks_key=%t\nlying_err=%q\n", len(s), s, strings.Contains(s, "sk_live_"), err)
}
