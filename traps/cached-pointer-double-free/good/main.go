// Command good transfers ownership instead of sharing it: swap_buffer
// exchanges the cached pointer atomically and returns the old one, so each
// caller gets a different old buffer and frees only that one.
package main

/*
#include <stdlib.h>
#include "race.h"

static char *g_cached_ptr;

// swap_buffer stores p and returns the buffer it replaces; the caller owns it.
static char *swap_buffer(char *p) {
	return __atomic_exchange_n(&g_cached_ptr, p, __ATOMIC_ACQ_REL);
}

// set_buffer takes ownership of p and frees the buffer it replaced.
static void set_buffer(char *p) {
	char *old = swap_buffer(p);
	race_window(); // the same overlap as in bad: harmless now
	free(old);
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
	rounds := flag.Int("rounds", 200, "rounds of two concurrent calls")
	flag.Parse()
	n := C.size_t(*size)
	C.prime((*C.char)(C.malloc(n)))

	same := 0
	for r := 0; r < *rounds; r++ {
		var wg sync.WaitGroup
		var next [2]unsafe.Pointer
		for i := range next {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				C.set_buffer((*C.char)(C.malloc(n)))
				next[i] = C.malloc(n)
			}()
		}
		wg.Wait()
		if next[0] == next[1] {
			same++
		}
		C.free(next[0])
		C.free(next[1])
	}
	fmt.Printf("survived=true\nrounds=%d\nwindow_timeouts=%d\nsame_block_twice=%t\n", *rounds, C.timeouts(), same > 0)
}
