// Command good keeps panics from leaving the exported callback: goValidate
// recovers, and reports failure to C with a return code, as C expects. C then
// runs its cleanup (unlock, free) and passes the code back; Go turns it into
// an error. Same C library, same inputs as bad.
package main

/*
#include "cbuf.h"
*/
import "C"

import (
	"flag"
	"fmt"
	"io"
	"log"

	"github.com/cgoguard/cgoguard/traps/internal/cheap"
)

// errInvalid is the code goValidate returns to C for a rejected value.
const errInvalid = 22 // EINVAL

//export goValidate
func goValidate(v C.int, rec *C.char) (rc C.int) {
	// No panic may cross into C: C frames cannot be unwound, only skipped.
	defer func() {
		if r := recover(); r != nil {
			log.Printf("goValidate: %v", r)
			rc = errInvalid
		}
	}()
	return validate(int(v), C.GoString(rec))
}

// validate is ordinary Go code that may panic.
func validate(v int, rec string) C.int {
	if v < 0 {
		panic(fmt.Sprintf("invalid %s", rec))
	}
	return 0
}

// call runs a C entry point and turns its return code into an error.
func call(f func() C.int) error {
	if rc := f(); rc != 0 {
		return fmt.Errorf("rc %d", rc)
	}
	return nil
}

func main() {
	n := flag.Int("n", 1000, "failing transform calls")
	flag.Parse()
	log.SetFlags(0)
	log.SetOutput(io.Discard) // one line per call would drown the report

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
	fmt.Printf("lock_busy=%d\n", C.store_lock_busy())
	if err := call(func() C.int { return C.store_update(7) }); err != nil {
		fmt.Printf("update_ok_err=%v\n", err)
	} else {
		fmt.Println("update_ok=1") // the store is usable again
	}
}
