package handles

/*
#include <stdint.h>

// process uses the context during the call only.
static int process(uintptr_t ctx) { return (int)(ctx & 0xff); }

// keepp stores a pointer for later.
static void *savedp;
static void keepp(void *p) { savedp = p; }

// readp reads through the pointer during the call only.
static int readp(void *p) { return *(uintptr_t *)p != 0; }

// lib_register is a library function without a body here.
void lib_register(uintptr_t ctx);

static int use(void *p) { return p != 0; }
*/
import "C"

import (
	"errors"
	"runtime"
	"runtime/cgo"
	"unsafe"
)

type request struct{ id int }

func leak(r *request) int {
	h := cgo.NewHandle(r) // want `handle h from cgo.NewHandle is never deleted on the path to the return at line 34`
	return int(C.process(C.uintptr_t(h)))
}

func leakOnError(r *request, bad bool) (int, error) {
	h := cgo.NewHandle(r) // want `handle h from cgo.NewHandle is never deleted on the path to the return at line 40`
	if bad {
		return 0, errors.New("bad")
	}
	defer h.Delete()
	return int(C.process(C.uintptr_t(h))), nil
}

func perItem(rs []*request) {
	var h cgo.Handle
	for _, r := range rs {
		h = cgo.NewHandle(r) // want `h is set to a new cgo.NewHandle while the handle from the previous iteration was never deleted`
		ctx := C.uintptr_t(h)
		C.process(ctx)
	}
}

func deleteTwice(r *request) {
	h := cgo.NewHandle(r)
	C.process(C.uintptr_t(h))
	h.Delete()
	h.Delete() // want `handle h may already be deleted when this Delete runs \(also deleted at line 58\)`
}

func deferAndDelete(r *request) {
	h := cgo.NewHandle(r)
	defer h.Delete()
	C.process(C.uintptr_t(h))
	h.Delete() // want `handle h may already be deleted by a deferred call when this Delete runs`
}

func inline(r *request) int {
	return int(C.process(C.uintptr_t(cgo.NewHandle(r)))) // want `the handle from cgo.NewHandle is passed straight to C.process, whose C body does not keep it`
}

func discarded(r *request) {
	cgo.NewHandle(r) // want `the handle returned by cgo.NewHandle is discarded`
}

var registered cgo.Handle

func addrKept(r *request) {
	h := cgo.NewHandle(r)
	registered = h
	C.keepp(unsafe.Pointer(&h)) // want `passes the address of handle h to C.keepp, which keeps it`
}

func pinLeak(x *request) int {
	var p runtime.Pinner
	p.Pin(x) // want `p pins a Go pointer here but is not unpinned on the path to the return at line 88`
	return int(C.use(unsafe.Pointer(x)))
}

func pinEarlyReturn(x *request, skip bool) int {
	var p runtime.Pinner
	p.Pin(x) // want `p pins a Go pointer here but is not unpinned on the path to the return at line 95`
	if skip {
		return 0
	}
	defer p.Unpin()
	return int(C.use(unsafe.Pointer(x)))
}

func pinSlice(b []byte) {
	var p runtime.Pinner
	defer p.Unpin()
	p.Pin(b) // want `Pin's argument b is a \[\]byte, not a pointer: Pin panics at run time`
	C.use(unsafe.Pointer(&b[0]))
}

// --- Silent. ---

func deferred(r *request) int {
	h := cgo.NewHandle(r)
	defer h.Delete()
	return int(C.process(C.uintptr_t(h)))
}

func deferredClosure(rs []*request) {
	var h cgo.Handle
	defer func() {
		if h != 0 {
			h.Delete()
		}
	}()
	if len(rs) > 0 {
		h = cgo.NewHandle(rs[0])
		C.process(C.uintptr_t(h))
	}
}

func returned(r *request) cgo.Handle {
	h := cgo.NewHandle(r)
	C.process(C.uintptr_t(h))
	return h
}

type session struct{ h cgo.Handle }

func stored(r *request) *session {
	h := cgo.NewHandle(r)
	return &session{h: h}
}

func (s *session) Close() { s.h.Delete() }

func unknownC(r *request) {
	h := cgo.NewHandle(r)
	C.lib_register(C.uintptr_t(h)) // no body: we cannot tell, so we stay silent
}

func addrRead(r *request) int {
	h := cgo.NewHandle(r)
	defer h.Delete()
	return int(C.readp(unsafe.Pointer(&h))) // the documented void* pattern: C reads it during the call
}

func deleteEachIteration(rs []*request) {
	for _, r := range rs {
		h := cgo.NewHandle(r)
		C.process(C.uintptr_t(h))
		h.Delete()
	}
}

func pinned(x *request) int {
	var p runtime.Pinner
	defer p.Unpin()
	p.Pin(x)
	return int(C.use(unsafe.Pointer(x)))
}

func pinnedExplicit(b []byte) int {
	var p runtime.Pinner
	p.Pin(&b[0])
	n := int(C.use(unsafe.Pointer(&b[0])))
	p.Unpin()
	return n
}

type worker struct{ pin runtime.Pinner }

// start pins for as long as the worker lives: the Pinner is a field.
func (w *worker) start(x *request) {
	w.pin.Pin(x)
	C.keepp(unsafe.Pointer(x))
}

func pinPanics(x *request) {
	var p runtime.Pinner
	p.Pin(x)
	if x.id < 0 {
		panic("negative") // not an exit: the process is going down
	}
	p.Unpin()
}
