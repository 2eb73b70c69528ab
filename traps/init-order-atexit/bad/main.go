// Command bad relies on C's exit machinery in a Go program: it prints through
// C stdio without flushing and leaves the cleanup to the library's atexit
// handler and to a Go finalizer. Go ends the process with the exit_group
// system call, so none of them runs and the buffered C output is lost.
package main

/*
#include <stdlib.h>
#include "clib.h"
*/
import "C"

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"unsafe"
)

func trace(who string) {
	cs := C.CString(who)
	defer C.free(unsafe.Pointer(cs))
	C.trace(cs)
}

func init() { trace("go_init") }

// session is released by a finalizer, as if that were a destructor. It is
// larger than 16 bytes so that it is not in a tiny-allocator block, whose
// finalizers may never run at all.
type session struct {
	id  int
	buf [64]byte
}

// openSession creates a session and leaves its release to the finalizer.
func openSession(id int) {
	s := &session{id: id}
	runtime.SetFinalizer(s, func(s *session) { fmt.Printf("finalizer_ran=%d\n", s.id) })
}

func main() {
	exit := flag.String("exit", "return", "how main ends: return or osexit")
	gc := flag.Bool("gc", false, "run a GC before leaving main")
	flag.Parse()
	trace("go_main")
	fmt.Printf("order=%s\n", C.GoString(C.trace_log()))

	openSession(1)   // unreachable on return; Go runs neither a GC nor finalizers at exit
	C.lib_report(42) // trap: buffered in C's stdout; Go exits without fflush or atexit handlers
	if *gc {
		runtime.GC() // queues the finalizer, but main may return before it runs
	}
	if *exit == "osexit" {
		os.Exit(0)
	}
}
