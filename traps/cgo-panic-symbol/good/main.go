// Command good raises a Go panic from C the way runtime/cgo documents it
// (callbacks.go): crosscall2(_cgo_panic, &a, sizeof a, 0). The panic unwinds
// back into Go, where recover catches it with C's message. With -plugin it also
// dlopens a C library built against the same contract, whose _cgo_panic and
// crosscall2 references the Go executable resolves at load time (RTLD_NOW).
package main

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

extern void crosscall2(void (*fn)(void *), void *a, int c, size_t ctxt);
extern void _cgo_panic(void *a);

static void fail(const char *msg) {
	struct { const char *p; } a;
	a.p = msg;
	crosscall2(_cgo_panic, &a, (int)sizeof a, 0); // does not return
}

// The seed's flowchart says dlsym(RTLD_DEFAULT, "_cgo_panic") fails on Go 1.21+.
static int cgo_panic_visible(void) { return dlsym(RTLD_DEFAULT, "_cgo_panic") != NULL; }

typedef void (*plugin_fn)(const char *);
static void *plugin_open(const char *path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }
static const char *plugin_error(void) { return dlerror(); }
static plugin_fn plugin_sym(void *h) { return (plugin_fn)dlsym(h, "plugin_fail"); }
static void plugin_call(plugin_fn f, const char *msg) { f(msg); }
*/
import "C"

import (
	"flag"
	"fmt"
	"os"
	"unsafe"
)

// recovering runs f and returns the value of a panic raised in it, if any.
func recovering(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

func main() {
	plugin := flag.String("plugin", "", "path of a C shared library that calls _cgo_panic")
	flag.Parse()

	msg := C.CString("boom")
	defer C.free(unsafe.Pointer(msg))
	fmt.Printf("cgo_panic_dlsym=%d\n", C.cgo_panic_visible())
	fmt.Printf("recovered=%v\n", recovering(func() { C.fail(msg) }))

	if *plugin != "" {
		p := C.CString(*plugin)
		defer C.free(unsafe.Pointer(p))
		h := C.plugin_open(p)
		if h == nil {
			fmt.Fprintf(os.Stderr, "dlopen: %s\n", C.GoString(C.plugin_error()))
			os.Exit(1)
		}
		fmt.Println("plugin_loaded=1")
		f := C.plugin_sym(h)
		fmt.Printf("plugin_recovered=%v\n", recovering(func() { C.plugin_call(f, msg) }))
	}
}
