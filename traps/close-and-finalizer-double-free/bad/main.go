// Command bad wraps a C handle in a Go type whose Close frees the handle and
// whose finalizer, registered as a safety net, calls Close again. After an
// explicit Close and a garbage collection, the finalizer frees the handle a
// second time.
package main

/*
#include "conn.h"
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

// Conn owns one C connection handle. (A Conn holding only h would be a tiny,
// pointer-free object, since cgo's opaque C types are not-in-heap, and its
// finalizer might never run at all; see the README.)
type Conn struct {
	addr string
	h    *C.conn_t
}

// Open returns a connection whose finalizer closes it if the caller forgets.
func Open(addr string, fd int) *Conn {
	c := &Conn{addr: addr, h: C.conn_open(C.int(fd))}
	runtime.SetFinalizer(c, (*Conn).Close)
	return c
}

// Close frees the C handle.
func (c *Conn) Close() {
	C.conn_close(c.h) // trap: the finalizer stays armed and c.h is not cleared: a later GC frees it again
}

func main() {
	c := Open("db:5432", 3)
	c.Close()
	fmt.Println("closed=1")
	os.Stdout.Sync()
	c = nil
	// The finalizer runs on its own goroutine once a GC finds c unreachable;
	// give it a bounded number of chances.
	for range 100 {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	fmt.Println("survived=1")
}
