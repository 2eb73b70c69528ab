// Command good reads the C library's thread-local error on the thread that
// wrote it. -fix wrapper (the default) makes one cgo call that runs the
// operation and copies the message (lib_op_error); -fix lock keeps the two
// calls but wires the goroutine to its thread with runtime.LockOSThread
// around both, so nothing else runs on that thread in between.
package main

/*
#define _GNU_SOURCE
#include <unistd.h>
#include "lib.h"

// Instrumentation, not part of the library: each wrapper is still one cgo call
// and also reports the OS thread it ran on.
static int op_on(int id, int *tid) { *tid = gettid(); return lib_op(id); }
static const char *last_error_on(int *tid) { *tid = gettid(); return lib_last_error(); }
static int op_error_on(int id, char *buf, int n, int *tid) { *tid = gettid(); return lib_op_error(id, buf, n); }
*/
import "C"

import (
	"errors"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

var (
	fix   = flag.String("fix", "wrapper", "wrapper: one C call returns the message; lock: LockOSThread around both calls")
	yield = flag.Bool("yield", true, "call runtime.Gosched between the two calls of -fix lock, as bad does")
)

// Counters of wrong messages: all, read on another thread, overwritten on the same thread.
var wrong, moved, overwritten atomic.Int64

// op runs operation id and returns its error.
func op(id int) error {
	switch *fix {
	case "wrapper":
		var buf [64]C.char
		var t C.int
		if C.op_error_on(C.int(id), &buf[0], C.int(len(buf)), &t) < 0 {
			msg := C.GoString(&buf[0]) // a copy in Go memory, made in the same call
			check(id, msg, t, t)
			return errors.New(msg)
		}
	case "lock":
		var t1, t2 C.int
		runtime.LockOSThread() // no other goroutine runs on this thread, and this one stays on it
		defer runtime.UnlockOSThread()
		if C.op_on(C.int(id), &t1) < 0 {
			if *yield {
				runtime.Gosched()
			}
			msg := C.GoString(C.last_error_on(&t2))
			check(id, msg, t1, t2)
			return errors.New(msg)
		}
	default:
		panic("unknown -fix " + *fix)
	}
	return nil
}

// check counts a wrong message and why it was wrong.
func check(id int, msg string, t1, t2 C.int) {
	if msg == fmt.Sprintf("op %d failed", id) {
		return
	}
	wrong.Add(1)
	if t1 != t2 {
		moved.Add(1)
	} else {
		overwritten.Add(1)
	}
}

// forced repeats bad's forced thread switch: a helper goroutine tries to take
// the caller's thread with runtime.LockOSThread between the two calls.
func forced(id int) {
	took, release := make(chan struct{}), make(chan struct{})
	helper := func() {
		go func() {
			runtime.LockOSThread()
			took <- struct{}{}
			<-release
			runtime.UnlockOSThread()
		}()
		<-took
	}
	switch *fix {
	case "wrapper":
		var buf [64]C.char
		var t C.int
		C.op_error_on(C.int(id), &buf[0], C.int(len(buf)), &t)
		helper()
		check(id, C.GoString(&buf[0]), t, t)
	case "lock":
		var t1, t2 C.int
		runtime.LockOSThread()
		C.op_on(C.int(id), &t1)
		helper() // cannot take this thread: it is wired to this goroutine
		msg := C.GoString(C.last_error_on(&t2))
		runtime.UnlockOSThread()
		check(id, msg, t1, t2)
	default:
		panic("unknown -fix " + *fix)
	}
	close(release)
}

func main() {
	goroutines := flag.Int("goroutines", 8, "goroutines calling the library")
	iters := flag.Int("iters", 10000, "calls per goroutine")
	mode := flag.String("mode", "race", "race: goroutines race naturally; forced: bad's deterministic thread switch per call")
	flag.Parse()

	calls := 0
	switch *mode {
	case "race":
		var wg sync.WaitGroup
		for g := 0; g < *goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < *iters; i++ {
					_ = op(g**iters + i)
				}
			}()
		}
		wg.Wait()
		calls = *goroutines * *iters
	case "forced":
		for i := 0; i < *iters; i++ {
			forced(i)
		}
		calls = *iters
	default:
		panic("unknown -mode " + *mode)
	}
	fmt.Printf("gomaxprocs=%d\ncalls=%d\nwrong=%d\nmoved=%d\noverwritten=%d\nwrong_per_million=%d\n",
		runtime.GOMAXPROCS(0), calls, wrong.Load(), moved.Load(), overwritten.Load(), wrong.Load()*1000000/int64(calls))
}
