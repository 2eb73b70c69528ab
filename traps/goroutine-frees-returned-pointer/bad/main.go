// Command bad is the seed's §2.2 example: a function returns a C string while
// a goroutine it started frees that string a little later. Whoever still uses
// the returned pointer after the free reads freed memory, then other data.
// The Go GC plays no part: C.CString memory is C memory, which the GC neither
// tracks nor frees.
package main

/*
#include <stdlib.h>
#include <string.h>

// still_equal reports whether p still holds want: the check a C consumer of
// the returned pointer would make implicitly by using it.
static int still_equal(const char *p, const char *want) { return strcmp(p, want) == 0; }
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

const (
	secret = "user=alice;role=admin;token=7f3a9c2e41b8" // 40 bytes: a 48-byte chunk
	other  = "user=mallory;role=guest;token=0000000000" // same size: reuses that chunk
)

// freed is closed once the background free has happened; later releases the
// goroutine to do it. (A real program frees after some delay; a channel
// instead of a timer keeps the experiment's order fixed on a loaded machine.)
var (
	freed = make(chan struct{})
	later = make(chan struct{})
)

// session returns a C string and schedules its release, as in the seed.
func session() *C.char {
	p := C.CString(secret)
	go func() {
		<-later                   // "later": after the caller's GC check, so the order is fixed
		C.free(unsafe.Pointer(p)) // trap: frees the pointer session() returned while the caller still uses it
		close(freed)
	}()
	return p
}

// gcChurn runs full GC cycles with Go allocation in between; it shows that
// the GC does not touch C.CString memory.
func gcChurn() {
	var sink []byte
	for i := 0; i < 5; i++ {
		for j := 0; j < 20000; j++ {
			sink = make([]byte, 48)
		}
		runtime.GC()
	}
	_ = sink
}

func main() {
	// Keep main on one OS thread so that its next malloc comes from the same
	// arena as p: with glibc's per-thread caches turned off the reuse of the
	// freed chunk is then certain.
	runtime.LockOSThread()
	p := session()
	want := C.CString(secret)
	defer C.free(unsafe.Pointer(want))

	gcChurn()
	fmt.Printf("intact_after_gc=%d\n", C.still_equal(p, want))

	// The caller is still using p when the goroutine frees it.
	close(later)
	<-freed
	fmt.Printf("intact_at_last_use=%d\nread_at_last_use=%q\n", C.still_equal(p, want), C.GoString(p))

	q := C.CString(other) // the next request's data
	fmt.Printf("reused=%t\nread_after_next_alloc=%q\n", q == p, C.GoString(p))
}
