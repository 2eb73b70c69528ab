// Command good makes Close idempotent and disarms the safety net: Close clears
// the handle and stops the cleanup, so a collected Conn is never freed twice.
// A Conn the caller forgets is still freed, once, by its cleanup.
package main

/*
#include "conn.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

var released atomic.Int32 // handles freed by a cleanup, for the report

// Conn owns one C connection handle.
type Conn struct {
	addr    string
	mu      sync.Mutex
	h       *C.conn_t
	cleanup runtime.Cleanup
}

// Open returns a connection that is freed by a cleanup if the caller forgets
// to Close it. The cleanup gets the handle, not the Conn, so it does not keep
// the Conn reachable.
func Open(addr string, fd int) *Conn {
	c := &Conn{addr: addr, h: C.conn_open(C.int(fd))}
	c.cleanup = runtime.AddCleanup(c, func(h *C.conn_t) {
		C.conn_close(h)
		released.Add(1)
	}, c.h)
	return c
}

// Close frees the C handle once; later calls do nothing.
func (c *Conn) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == nil {
		return
	}
	c.cleanup.Stop() // the handle is freed here, never by the cleanup
	C.conn_close(c.h)
	c.h = nil
}

// forget opens a connection and drops it without Close.
func forget() { Open("cache:6379", 4) }

func main() {
	c := Open("db:5432", 3)
	c.Close()
	c.Close() // idempotent
	fmt.Println("closed=1")
	c = nil
	forget()
	// Wait, bounded, for the forgotten Conn's cleanup; then give the closed
	// one the same chances to be (wrongly) freed again.
	for i := 0; i < 100 && released.Load() == 0; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	for range 20 {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	fmt.Printf("released_by_cleanup=%d\nsurvived=1\n", released.Load())
}
