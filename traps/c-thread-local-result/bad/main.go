// Command bad calls a C function that reports its error in thread-local
// storage, then asks for the message in a second cgo call. Between the two
// calls the goroutine may be rescheduled: onto another OS thread (whose buffer
// holds another call's message) or after another goroutine ran a call on the
// same thread (which overwrote the buffer). Either way it reports the wrong
// error.
package main

/*
#define _GNU_SOURCE
#include <unistd.h>
#include "lib.h"

// Instrumentation, not part of the library: each wrapper is still one cgo call
// and also reports the OS thread it ran on.
static int op_on(int id, int *tid) { *tid = gettid(); return lib_op(id); }
static const char *last_error_on(int *tid) { *tid = gettid(); return lib_last_error(); }
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
	yield = flag.Bool("yield", true, "call runtime.Gosched between the two calls (stands for any rescheduling point: a channel operation, a log write, preemption)")
)

// Counters of wrong messages: all, read on another thread, overwritten on the same thread.
var wrong, moved, overwritten atomic.Int64

// op runs operation id and returns its error, the way a naive binding does.
func op(id int) error {
	var t1, t2 C.int
	if C.op_on(C.int(id), &t1) < 0 {
		if *yield {
			runtime.Gosched()
		}
		msg := C.GoString(C.last_error_on(&t2)) // trap: a second cgo call reads the thread-local error; the goroutine may be on another thread now, or another call overwrote it
		check(id, msg, t1, t2)
		return errors.New(msg)
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
		moved.Add(1) // read another thread's buffer
	} else {
		overwritten.Add(1) // same thread, but another goroutine's call came in between
	}
}

// forced makes the thread switch happen on purpose: after A's first call, a
// helper goroutine takes A's thread with runtime.LockOSThread and keeps it
// until A has read its error, so A must read on some other thread.
func forced(id int) {
	var t1, t2 C.int
	took, release := make(chan struct{}), make(chan struct{})
	C.op_on(C.int(id), &t1)
	go func() {
		runtime.LockOSThread() // runs next on this P, so on A's thread: pin it
		took <- struct{}{}
		<-release
		runtime.UnlockOSThread()
	}()
	<-took
	msg := C.GoString(C.last_error_on(&t2))
	close(release)
	check(id, msg, t1, t2)
}

func main() {
	goroutines := flag.Int("goroutines", 8, "goroutines calling the library")
	iters := flag.Int("iters", 10000, "calls per goroutine")
	mode := flag.String("mode", "race", "race: goroutines race naturally; forced: a deterministic thread switch per call")
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
