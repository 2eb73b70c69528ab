package tls

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdio.h>

static __thread char last_error[64];

static int lib_op(int id) { snprintf(last_error, sizeof last_error, "op %d failed", id); return -1; }

// lib_last_error returns the calling thread's last error.
static const char *lib_last_error(void) { return last_error; }

// err_for formats the message of an error code into thread-local storage.
static const char *err_for(int id) { snprintf(last_error, sizeof last_error, "error %d", id); return last_error; }

static const char *last_error_via(int *tid) { *tid = 1; return lib_last_error(); }

static int lib_op_error(int id, char *buf, int n) {
	int r = lib_op(id);
	snprintf(buf, (size_t)n, "%s", lib_last_error());
	return r;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"log"
	"runtime"
	"unsafe"
)

// --- the two-call pattern across a scheduling point: reported.

func gosched() error {
	if C.lib_op(1) < 0 {
		runtime.Gosched()
		return errors.New(C.GoString(C.lib_last_error())) // want `C.lib_last_error reads C thread-local state \(C: returns thread-local last_error at tls.go:13\) that the earlier cgo call C.lib_op \(line 39\) left, but the call of Gosched at line 40 came between without runtime.LockOSThread`
	}
	return nil
}

func channel(ch chan int) string {
	var tid C.int
	C.lib_op(2)
	<-ch
	return C.GoString(C.last_error_via(&tid)) // want `C.last_error_via reads C thread-local state \(C: returns thread-local last_error \(via last_error_via → lib_last_error\) at tls.go:13\) that the earlier cgo call C.lib_op \(line 48\) left, but a receive from ch at line 49`
}

func logged() error {
	if C.lib_op(3) < 0 {
		log.Print("operation failed")
		return errors.New(C.GoString(C.lib_last_error())) // want `but the call of Print at line 55 came between`
	}
	return nil
}

// lastError reads the thread-local error first thing: its callers read it.
func lastError() error { return errors.New(C.GoString(C.lib_last_error())) }

func viaWrapper() error {
	if C.lib_op(4) < 0 {
		return lastError() // want `lastError reads C thread-local state \(C: it calls C.lib_last_error: returns thread-local last_error at tls.go:13\) that the earlier cgo call C.lib_op \(line 65\) left, but the call of lastError is itself a scheduling point`
	}
	return nil
}

func unlockedBetween() string {
	runtime.LockOSThread()
	C.lib_op(5)
	runtime.UnlockOSThread()
	runtime.Gosched()
	return C.GoString(C.lib_last_error()) // want `C.lib_last_error reads C thread-local state`
}

func lockedOnOnePath(cond bool) string {
	if cond {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	C.lib_op(6)
	fmt.Println("between")
	return C.GoString(C.lib_last_error()) // want `C.lib_last_error reads C thread-local state`
}

func dl(name *C.char) string {
	if C.dlopen(name, C.RTLD_NOW) == nil {
		log.Printf("dlopen failed")
		return C.GoString(C.dlerror()) // want `C.dlerror reads C thread-local state \(C: dlerror returns a pointer into thread-local storage \(knowledge base\)\)`
	}
	return ""
}

func inGoroutine(done chan string) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	go func() {
		C.lib_op(7)
		runtime.Gosched()
		done <- C.GoString(C.lib_last_error()) // want `C.lib_last_error reads C thread-local state`
	}()
}

// --- a thread-local result held across a scheduling point: reported.

func heldAcrossCall() string {
	p := C.lib_last_error()
	fmt.Println("between")
	return C.GoString(p) // want `p holds the result of C.lib_last_error \(line 110\), a pointer into C thread-local storage \(C: returns thread-local last_error at tls.go:13\), and the call of Println at line 111 came between without runtime.LockOSThread`
}

func heldAcrossCgo() string {
	p := (*C.char)(unsafe.Pointer(C.err_for(9)))
	q := p
	C.lib_op(8)
	return C.GoString(q) // want `q holds the result of C.err_for \(line 116\).*the cgo call C.lib_op at line 118 came between`
}

// --- silent.

func wrapper() error {
	var buf [64]C.char
	if C.lib_op_error(1, &buf[0], C.int(len(buf))) < 0 {
		runtime.Gosched()
		return errors.New(C.GoString(&buf[0]))
	}
	return nil
}

func locked() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.lib_op(1) < 0 {
		runtime.Gosched()
		return errors.New(C.GoString(C.lib_last_error()))
	}
	return nil
}

func immediate() error {
	if C.lib_op(1) < 0 {
		return errors.New(C.GoString(C.lib_last_error()))
	}
	return nil
}

func fromArgument() string {
	C.lib_op(1)
	log.Print("between")
	return C.GoString(C.err_for(2)) // computed from its argument in this call
}

func nilCheck() bool {
	p := C.lib_last_error()
	runtime.Gosched()
	return p == nil
}

func reread() string {
	p := C.lib_last_error()
	runtime.Gosched()
	p = C.err_for(3)
	return C.GoString(p)
}

func copiedAtOnce() string {
	s := C.GoString(C.lib_last_error())
	runtime.Gosched()
	return s
}

// readErr is only ever called with the thread locked.
func readErr() string {
	C.lib_op(1)
	runtime.Gosched()
	return C.GoString(C.lib_last_error())
}

func callsLocked() string {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return readErr()
}

func ignored() string {
	C.lib_op(1)
	runtime.Gosched()
	//cgoguard:ignore cthreadlocal this package runs on one locked thread, set up by the caller
	return C.GoString(C.lib_last_error())
}

// latestCall: the getter reads the state of the call just before it.
func latestCall() string {
	C.lib_op(1)
	fmt.Println("between")
	if C.lib_op(2) < 0 {
		return C.GoString(C.lib_last_error())
	}
	return ""
}

// latestOnSomePath: on one path the last call was followed by a scheduling point.
func latestOnSomePath(cond bool) string {
	C.lib_op(1)
	if cond {
		fmt.Println("between")
	}
	return C.GoString(C.lib_last_error()) // want `C.lib_last_error reads C thread-local state`
}

// conversions are not cgo calls.
func conversions(id int) string {
	C.lib_op(C.int(id))
	n := C.int(id)
	_ = n
	return C.GoString(C.lib_last_error())
}
