package deep

/*
struct ctx { void *user; };
// A direct store into the context the caller passes: reported.
static void attach(struct ctx *c, void *data) { c->user = data; }
// A store three calls down into the context: library bookkeeping (as zstd's
// window pointer), not reported.
static void window_update(struct ctx *c, void *src) { c->user = src; }
static void compress_inner(struct ctx *c, void *src) { window_update(c, src); }
static void compress_ctx(struct ctx *c, void *src) { compress_inner(c, src); }
*/
import "C"

import "unsafe"

func direct(c *C.struct_ctx) {
	buf := make([]byte, 64)
	C.attach(c, unsafe.Pointer(&buf[0])) // want `C.attach keeps this Go pointer`
}

func deepContextStore(c *C.struct_ctx) {
	buf := make([]byte, 64)
	C.compress_ctx(c, unsafe.Pointer(&buf[0]))
}
