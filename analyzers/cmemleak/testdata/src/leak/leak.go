package leak

/*
#include <stdlib.h>
#include <string.h>

static size_t name_len(const char *s) { return strlen(s); }
static void consume(char *s) { free(s); }
static size_t names_len(char **v) { size_t n = 0; for (; *v; v++) n += strlen(*v); return n; }
*/
import "C"

import (
	"errors"
	"unsafe"
)

func neverFreed(s string) int {
	cs := C.CString(s)
	return int(C.name_len(cs)) // want `this return may be reached without freeing cs, allocated by C.CString at line 19`
}

func leakOnErrorPath(s string, bad bool) (int, error) {
	cs := C.CString(s)
	if bad {
		return 0, errors.New("bad") // want `this return may be reached without freeing cs`
	}
	n := int(C.name_len(cs))
	C.free(unsafe.Pointer(cs))
	return n, nil
}

func inline(s string) int {
	return int(C.name_len(C.CString(s))) // want `memory returned by C.CString is passed to C.name_len, which does not take ownership, and never freed`
}

func discarded() {
	_ = C.malloc(16) // want `memory returned by C.malloc is discarded`
}

func deferInLoop(names []string) {
	for _, n := range names {
		cs := C.CString(n)
		defer C.free(unsafe.Pointer(cs)) // want `deferred free of cs inside a loop`
		C.name_len(cs)
	}
}

// The blocks are gathered in a slice that C reads after the loop: each must
// live until then, so the defer in the loop is what keeps them (go-systemd's
// NewJournalFromFiles).
func deferInLoopKeptForLater(names []string) int {
	cs := make([]*C.char, len(names)+1)
	for i, n := range names {
		p := C.CString(n)
		cs[i] = p
		defer C.free(unsafe.Pointer(p))
	}
	return int(C.names_len(&cs[0]))
}

// A slice made in the iteration dies with it: the defer still only delays.
func deferInLoopStoredLocally(names []string) {
	for _, n := range names {
		p := C.CString(n)
		local := []*C.char{nil, nil}
		local[0] = p
		defer C.free(unsafe.Pointer(p)) // want `deferred free of p inside a loop`
		C.names_len(&local[0])
	}
}

// Keeping what C computed from the block keeps nothing of it.
func deferInLoopResultKept(names []string) []C.size_t {
	var lens []C.size_t
	for _, n := range names {
		p := C.CString(n)
		defer C.free(unsafe.Pointer(p)) // want `deferred free of p inside a loop`
		lens = append(lens, C.name_len(p))
	}
	return lens
}

func reallocInLoop(names []string) {
	var cs *C.char
	for _, n := range names {
		cs = C.CString(n) // want `cs is allocated again while the block from the previous iteration may still be owned`
		C.name_len(cs)
	}
	C.free(unsafe.Pointer(cs))
}

func fallsOffTheEnd(s string) {
	p := C.malloc(C.size_t(len(s)))
	C.memset(p, 0, C.size_t(len(s)))
} // want `the function may end without freeing p, allocated by C.malloc`

// --- Silent: every path releases or hands over the block. ---

func deferred(s string) int {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	return int(C.name_len(cs))
}

func explicitOnEveryPath(s string, bad bool) int {
	cs := C.CString(s)
	if bad {
		C.free(unsafe.Pointer(cs))
		return 0
	}
	n := int(C.name_len(cs))
	C.free(unsafe.Pointer(cs))
	return n
}

func returnedToCaller(s string) *C.char {
	cs := C.CString(s)
	return cs
}

func callerFrees(s string) int {
	cs := returnedToCaller(s)
	defer C.free(unsafe.Pointer(cs))
	return int(C.name_len(cs))
}

type Holder struct{ name *C.char }

func storedInField(h *Holder, s string) {
	cs := C.CString(s)
	h.name = cs
}

func (h *Holder) Close() {
	C.free(unsafe.Pointer(h.name))
	h.name = nil
}

func ownershipTakenByC(s string) {
	C.consume(C.CString(s))
}

func freeHelper(p *C.char) { C.free(unsafe.Pointer(p)) }

func freedByHelper(s string) int {
	cs := C.CString(s)
	n := int(C.name_len(cs))
	freeHelper(cs)
	return n
}

func nilChecked(n int) unsafe.Pointer {
	p := C.malloc(C.size_t(n))
	if p == nil {
		return nil
	}
	return p
}

func panicsOnError(s string, bad bool) int {
	cs := C.CString(s)
	if bad {
		panic("bad input")
	}
	defer C.free(unsafe.Pointer(cs))
	return int(C.name_len(cs))
}

func closureFrees(s string) {
	cs := C.CString(s)
	defer func() { C.free(unsafe.Pointer(cs)) }()
	C.name_len(cs)
}

func sentOnChannel(ch chan *C.char, s string) {
	cs := C.CString(s)
	ch <- cs
}

func suppressed(s string) {
	//cgoguard:ignore cmemleak the C library keeps this name for the life of the process
	C.name_len(C.CString(s))
}

var registry = map[unsafe.Pointer]string{}

// The go-sqlite3 handle pattern: the C pointer is a map key, freed later by
// whoever deletes the entry.
func mapKey(v string) unsafe.Pointer {
	p := C.malloc(1)
	registry[p] = v
	return p
}

func appended(names []string) []*C.char {
	var out []*C.char
	for _, n := range names {
		out = append(out, C.CString(n))
	}
	return out
}
