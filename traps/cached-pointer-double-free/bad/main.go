// Command bad is the seed's §2.5 cache: a C global holds the last buffer and
// set_buffer frees the old one before storing the new one, with no lock. Two
// goroutines call it at once; both read the same old pointer and both free
// it. With 4 KiB buffers glibc aborts the process; with 64-byte buffers the
// two frees land in two threads' caches unnoticed and the block is later
// handed out twice.
package main

/*
#include <stdlib.h>
#include "race.h"

static char *g_cached_ptr;

// set_buffer takes ownership of p and frees the buffer it replaces.
static void set_buffer(char *p) {
	char *old = g_cached_ptr;
	race_window();
	free(old); // trap: two concurrent callers read the same old pointer and both free it
	race_window(); // both frees happen before either caller allocates again
	g_cached_ptr = p;
}

// prime stores the first buffer before any concurrent use.
static void prime(char *p) { g_cached_ptr = p; }

static int timeouts(void) { return race_timeouts; }
*/
import "C"

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

func main() {
	size := flag.Int("size", 4096, "buffer size in bytes")
	flag.Parse()
	n := C.size_t(*size)
	C.prime((*C.char)(C.malloc(n)))

	var wg sync.WaitGroup
	var next [2]unsafe.Pointer
	for i := range next {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Stay on this thread so that the malloc below sees the thread's cache.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			C.set_buffer((*C.char)(C.malloc(n)))
			next[i] = C.malloc(n) // the next allocation of this size on the thread
		}()
	}
	wg.Wait()
	fmt.Printf("survived=true\nwindow_timeouts=%d\nsame_block_twice=%t\n", C.timeouts(), next[0] == next[1])
}
