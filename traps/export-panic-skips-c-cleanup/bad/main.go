// Command bad exports a Go callback that panics on bad input. C calls it while
// holding a mutex and a malloc'd buffer; the Go caller further up recovers the
// panic. The panic unwinds straight past the C frames, so the C code after the
// callback (unlock, free) never runs: the mutex stays locked and the buffer
// leaks, on every panicking call.
package main

/*
#include "cbuf.h"
*/
import "C"

import (
	"flag"
	"fmt"

	"github.com/cgoguard/cgoguard/traps/internal/cheap"
)

//export goValidate
func goValidate(v C.int, rec *C.char) C.int {
	if v < 0 {
		panic(fmt.Sprintf("invalid %s", C.GoString(rec))) // trap: unwinds through C's frames, skipping C's unlock and free
	}
	return 0
}

// call runs a C entry point and turns a panic from the callback into an error.
func call(f func() C.int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	if rc := f(); rc != 0 {
		return fmt.Errorf("rc %d", rc)
	}
	return nil
}

func main() {
	n := flag.Int("n", 1000, "panicking transform calls")
	flag.Parse()

	before := cheap.InUse()
	failed := 0
	for i := 0; i < *n; i++ {
		if call(func() C.int { return C.transform(-1) }) != nil {
			failed++
		}
	}
	fmt.Printf("calls=%d\nfailed=%d\nheap_growth=%d\nrecord=%d\n", *n, failed, cheap.InUse()-before, C.record_size())

	err := call(func() C.int { return C.store_update(-1) })
	fmt.Printf("update_err=%v\n", err)
	// A second store_update would block forever; trylock shows why without hanging.
	fmt.Printf("lock_busy=%d\n", C.store_lock_busy())
}
