// Command good does not count on C's exit machinery: it shuts the C library
// down (which flushes C's stdio) and releases its resources explicitly before
// main returns. With -exit=cexit it shows the other way out: calling libc's
// exit, which runs the atexit handlers and flushes stdio, and skips Go's defers.
package main

/*
#include <stdlib.h>
#include "clib.h"
*/
import "C"

import (
	"flag"
	"fmt"
	"unsafe"
)

func trace(who string) {
	cs := C.CString(who)
	defer C.free(unsafe.Pointer(cs))
	C.trace(cs)
}

func init() { trace("go_init") }

// session is released by Close, not by a finalizer.
type session struct{ id int }

// Close releases the session.
func (s *session) Close() { fmt.Printf("closed=%d\n", s.id) }

func main() {
	exit := flag.String("exit", "return", "how main ends: return or cexit")
	flag.Parse()
	trace("go_main")
	fmt.Printf("order=%s\n", C.GoString(C.trace_log()))

	s := &session{id: 1}
	defer C.lib_shutdown() // flushes C's stdout; runs last
	defer s.Close()
	C.lib_report(42)
	if *exit == "cexit" {
		C.exit(0) // libc's exit: atexit handlers, then stdio flush; Go's defers above do not run
	}
}
