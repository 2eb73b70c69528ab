package carena

/*
#include <stdlib.h>
#include "checked.h"
*/
import "C"

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// Checked reports whether this binary was built with -tags cgoguard_checked,
// so that arenas poison and protect their memory on Free.
const Checked = checkedBuild

const (
	quarantineSlots = C.CARENA_QUARANTINE
	quarantineBytes = 64 << 20
	pageSize        = 4096
)

// quarantine is a FIFO of freed blocks kept mapped and PROT_NONE, so that a
// stale pointer into them faults instead of reaching reused memory.
var quarantine struct {
	sync.Mutex
	blocks [quarantineSlots]block
	head   int // oldest block
	count  int
	bytes  uintptr
}

func checkedMap(n uintptr) unsafe.Pointer {
	n = (n + pageSize - 1) &^ (pageSize - 1)
	p := C.carena_map(C.size_t(n))
	if p == nil {
		panic(fmt.Sprintf("carena: mmap of %d bytes failed", n))
	}
	return p
}

func checkedFree(p unsafe.Pointer, n uintptr, site string) {
	n = (n + pageSize - 1) &^ (pageSize - 1)
	q := &quarantine
	q.Lock()
	defer q.Unlock()
	if C.carena_install_handler() != 0 {
		panic("carena: cannot install the checked mode's signal handler")
	}
	if C.carena_poison(p, C.size_t(n)) != 0 {
		// Out of mappings, say: the poison is still there, just readable.
		return
	}
	// Evict the oldest blocks until this one fits.
	for q.count == quarantineSlots || (q.count > 0 && q.bytes+n > quarantineBytes) {
		old := &q.blocks[q.head]
		C.carena_quarantine_set(C.int(q.head), nil, 0, nil)
		C.carena_unmap(old.p, C.size_t(old.size))
		q.bytes -= old.size
		*old = block{}
		q.head = (q.head + 1) % quarantineSlots
		q.count--
	}
	slot := (q.head + q.count) % quarantineSlots
	cs := C.CString(site)
	C.carena_quarantine_set(C.int(slot), p, C.size_t(n), cs)
	C.free(unsafe.Pointer(cs))
	q.blocks[slot] = block{p, n}
	q.bytes += n
	q.count++
}

// callers records the stack of the code that called into this package.
func callers() []uintptr {
	pcs := make([]uintptr, 16)
	return pcs[:runtime.Callers(3, pcs)]
}

// describe renders the first frames of pcs outside this package.
func describe(pcs []uintptr) string {
	if len(pcs) == 0 {
		return "unknown"
	}
	var b strings.Builder
	frames := runtime.CallersFrames(pcs)
	shown := 0
	for shown < 3 {
		f, more := frames.Next()
		if !ownFrame(f.Function) {
			if shown > 0 {
				b.WriteString(" <- ")
			}
			fmt.Fprintf(&b, "%s (%s:%d)", f.Function, f.File, f.Line)
			shown++
		}
		if !more {
			break
		}
	}
	return b.String()
}

const pkgPath = "github.com/cgoguard/cgoguard/safe/carena."

// ownFrame reports whether fn is this package's API rather than its caller
// (which may be in this package too: its tests).
func ownFrame(fn string) bool {
	rest, ok := strings.CutPrefix(fn, pkgPath)
	if !ok {
		return false
	}
	for _, own := range []string{"(*Arena).", "Alloc[", "Make[", "New", "callers", "newChecked"} {
		if strings.HasPrefix(rest, own) {
			return true
		}
	}
	return false
}

func (a *Arena) sites() string {
	return "freed at " + describe(a.freedAt) + "\narena created at " + describe(a.created)
}

func (a *Arena) afterFree(what string) string {
	msg := "carena: " + what + " an Arena after Free"
	if a.checked {
		msg += "; " + a.sites()
	}
	return msg
}

// mustBePointerFree panics if values of t always hold Go pointers. Pointer
// types pass: *C.char in an argv points to C memory, which is fine.
func mustBePointerFree(t reflect.Type) {
	if bad := goPointerPath(t, t.String()); bad != "" {
		panic("carena: " + bad + " holds Go pointers; C memory must not (the garbage collector does not scan it)")
	}
}

func goPointerPath(t reflect.Type, path string) string {
	switch t.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func, reflect.Interface:
		return path
	case reflect.Array:
		if t.Len() > 0 {
			return goPointerPath(t.Elem(), path+"[0]")
		}
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if bad := goPointerPath(f.Type, path+"."+f.Name); bad != "" {
				return bad
			}
		}
	}
	return ""
}
