// Package ctest is the C side of the safe/ packages' tests, examples and
// benchmarks. Test files cannot import "C", so every C function, C type and raw
// cgo baseline they need lives here, in ordinary (non-test) files.
//
// It is internal: its API follows the tests' needs, not a stability promise.
package ctest

/*
#include <malloc.h>
#include <stdlib.h>
#include "ctest.h"

static size_t ctest_heap_inuse(void) {
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd; // arenas' in-use bytes + mmap'd blocks
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Record is struct ctest_record as cgo sees it. Exporting an alias lets other
// packages' tests name the cgo-generated type (cgo types are per package).
type Record = C.struct_ctest_record

// Packed is struct ctest_packed (declared __attribute__((packed))) as cgo sees it.
type Packed = C.struct_ctest_packed

// SizeofRecord and SizeofPacked are the sizes C's sizeof reports, from the C
// compiler itself rather than from cgo's translation.
var (
	SizeofRecord = int(C.sizeof_struct_ctest_record)
	SizeofPacked = int(C.sizeof_struct_ctest_packed)
)

// HeapInUse returns the bytes glibc's malloc has handed out and not had back.
func HeapInUse() int64 { return int64(C.ctest_heap_inuse()) }

// Noop calls an empty C function: the cost of a cgo call itself.
func Noop() { C.ctest_noop() }

// Usleep sleeps us microseconds inside C: a blocking C call that holds its
// OS thread for the whole time.
func Usleep(us int) { C.ctest_usleep(C.unsigned(us)) }

// Strlen calls C's strlen on p.
func Strlen(p unsafe.Pointer) int { return int(C.ctest_strlen((*C.char)(p))) }

// Sum adds the n bytes at p in C.
func Sum(p unsafe.Pointer, n int) uint { return uint(C.ctest_sum(p, C.size_t(n))) }

// FillRecord fills *r from C.
func FillRecord(r *Record) { C.ctest_fill_record(r) }

// Guarded returns n writable bytes (filled with 'x') that end exactly at an
// inaccessible page: reading byte n faults. Release it with FreeGuarded.
func Guarded(n int) unsafe.Pointer {
	p := C.ctest_guarded(C.size_t(n))
	if p == nil {
		panic("ctest: mmap failed")
	}
	return p
}

// FreeGuarded releases a buffer from Guarded(n).
func FreeGuarded(p unsafe.Pointer, n int) { C.ctest_guarded_free(p, C.size_t(n)) }

// Fail records msg as this OS thread's last error, as C libraries do.
func Fail(msg string) {
	cs := C.CString(msg)
	defer C.free(unsafe.Pointer(cs))
	C.ctest_fail(cs)
}

// LastError returns this OS thread's last error ("" if none on this thread).
func LastError() string { return C.GoString(C.ctest_last_error()) }

// Gettid returns the Linux thread id of the calling OS thread, read in C.
func Gettid() int { return int(C.ctest_gettid()) }

// TLSArm gives the calling thread C thread-local state whose destructor
// counts in TLSDestroyed when the thread exits.
func TLSArm() { C.ctest_tls_arm() }

// TLSDestroyed is how many thread-local destructors armed by TLSArm have run.
func TLSDestroyed() int { return int(C.ctest_tls_destroyed()) }

// WaitFlag blocks in C until SetFlag is called or timeoutMS passes; it
// reports whether the flag was set.
func WaitFlag(timeoutMS int) bool { return C.ctest_wait_flag(C.unsigned(timeoutMS)) != 0 }

// SetFlag sets the flag WaitFlag waits for.
func SetFlag() { C.ctest_set_flag() }

// ClearFlag clears it.
func ClearFlag() { C.ctest_clear_flag() }

// CallWithHandle passes h to C, which calls back into Go with it; Callback
// receives it.
func CallWithHandle(h uintptr) { C.ctest_call_with_handle(C.uintptr_t(h)) }

// Callback is called (in Go, from C) by CallWithHandle.
var Callback func(h uintptr)

// RawCStringScope is the raw cgo pattern carena replaces: one C.CString per
// string, every one freed with its own C.free. It returns the total length
// read back from the C strings' bytes so that the work cannot be dropped.
func RawCStringScope(ss []string) int {
	var ptrs [64]*C.char
	n := 0
	for i, s := range ss {
		ptrs[i] = C.CString(s)
		n += int(*(*byte)(unsafe.Pointer(ptrs[i])))
	}
	for i := range ss {
		C.free(unsafe.Pointer(ptrs[i]))
	}
	return n
}

// RawGoString is C.GoString(p): reads until a NUL, however far that is.
func RawGoString(p unsafe.Pointer) string { return C.GoString((*C.char)(p)) }

// RawGoStringN is C.GoStringN(p, n): exactly n bytes, NULs included.
func RawGoStringN(p unsafe.Pointer, n int) string { return C.GoStringN((*C.char)(p), C.int(n)) }

// RawNewCString is C.CString(s); free it with RawFree.
func RawNewCString(s string) unsafe.Pointer { return unsafe.Pointer(C.CString(s)) }

// RawFree is C.free(p).
func RawFree(p unsafe.Pointer) { C.free(p) }

// RecordString renders a Record's fields (its field names are unexported
// outside this package, as cgo names them after the C fields).
func RecordString(r *Record) string {
	return fmt.Sprintf("kind=%d num=%d name=%q score=%g flags=%#x stamp=%d",
		r.id_kind, r.id_num, C.GoString(&r.id_name[0]), float64(r.id_score), r.id_flags, r.id_stamp)
}

// RecordName returns the record's char id_name[16] as a slice of C chars, as
// a caller of cstr.FromChars would write r.id_name[:].
func RecordName(r *Record) []C.char { return r.id_name[:] }
