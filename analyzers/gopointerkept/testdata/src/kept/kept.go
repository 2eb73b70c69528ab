package kept

/*
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct job { int64_t id; };
struct ctx { void *user; };

static void *kept_ptr;
static const char *kept_buf;
static struct { void *data; int64_t id; } entries[16];
static int count;

static void keep_ptr(void *p) { kept_ptr = p; }
static void keep_buf(const char *b) { kept_buf = b; }
static void use_ptr(void *p) { memset(p, 0, 1); }
static void use_buf(const char *b) { (void)strlen(b); }
static void on_event(void *data, int64_t id) { entries[count].data = data; entries[count].id = id; count++; }
static void attach(struct ctx *c, void *data) { c->user = data; }
static void keep_via(void *p) { keep_ptr(p); }
static void keep_handle(uintptr_t h) { kept_ptr = (void *)h; }

static void *run(void *arg) { return arg; }
static int start_worker(void *arg) { pthread_t t; return pthread_create(&t, 0, run, arg); }

// declared only, with the author's word that it keeps its argument
void lib_register(void *data); // cgoguard:keeps 0
*/
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"unsafe"
)

type job struct {
	id   int64
	name [16]byte
}

type stream struct {
	buf [64]byte
	pin runtime.Pinner
}

var global [64]byte

// --- Go memory handed to C that keeps it: reported.

func addrOfLocal() {
	var x int64
	C.keep_ptr(unsafe.Pointer(&x)) // want `C.keep_ptr keeps this Go pointer after the call returns: unsafe.Pointer\(&x\) points to Go memory, variable x. C: stores p in global kept_ptr at kept.go:17. .*cmd/cgo: "C code may not keep a copy of a Go pointer.*runtime.Pinner`
}

func sliceData() {
	b := make([]byte, 64)
	C.keep_buf((*C.char)(unsafe.Pointer(&b[0])))               // want `C.keep_buf keeps this Go pointer .*the data of slice b, memory made by make \(line 61\). C: stores b in global kept_buf`
	C.keep_buf((*C.char)(unsafe.Pointer(unsafe.SliceData(b)))) // want `C.keep_buf keeps this Go pointer`
}

func compositeAndNew() {
	C.keep_ptr(unsafe.Pointer(&job{id: 1})) // want `points to Go memory, a composite literal job\{...\}`
	p := new(job)
	C.keep_ptr(unsafe.Pointer(p)) // want `an object made by new\(job\)`
	q := &job{id: 2}
	C.on_event(unsafe.Pointer(q), 2) // want `C.on_event keeps this Go pointer.*C: stores data in global entries`
}

func computedString(id int) {
	s := fmt.Sprintf("job %d\x00", id)
	C.keep_buf((*C.char)(unsafe.Pointer(unsafe.StringData(s)))) // want `the bytes of string s, a string made by fmt.Sprintf`
}

func cTypedLocal() {
	var j C.struct_job
	j.id = 7
	C.on_event(unsafe.Pointer(&j), 7) // want `C.on_event keeps this Go pointer .*variable j`
}

func thread() {
	cfg := job{id: 3}
	C.start_worker(unsafe.Pointer(&cfg)) // want `C.start_worker keeps this Go pointer .*C: passes arg to pthread_create, which keeps it \(via start_worker → pthread_create\)`
}

func intoAnotherArgument() {
	c := (*C.struct_ctx)(C.malloc(C.sizeof_struct_ctx))
	var x int
	C.attach(c, unsafe.Pointer(&x)) // want `C.attach keeps this Go pointer .*C: stores data in memory reachable from parameter c`
}

func chain() {
	var x int
	C.keep_via(unsafe.Pointer(&x)) // want `C.keep_via keeps this Go pointer .*\(via keep_via → keep_ptr\)`
}

func annotated() {
	var x int
	C.lib_register(unsafe.Pointer(&x)) // want `C.lib_register keeps this Go pointer .*C: annotated cgoguard:keeps at kept.go:30`
}

func unpinnedTooEarly() {
	var x int
	var p runtime.Pinner
	p.Pin(&x)
	p.Unpin()
	C.keep_ptr(unsafe.Pointer(&x)) // want `C.keep_ptr keeps this Go pointer`
}

func (s *stream) start() {
	C.keep_buf((*C.char)(unsafe.Pointer(&s.buf[0]))) // want `field buf of what s points to \(a \*stream\)`
}

func (s *stream) startArray() {
	C.keep_ptr(unsafe.Pointer(&s.buf)) // want `C.keep_ptr keeps this Go pointer`
}

// submit passes its parameter on: its callers are reported.
func submit(b []byte) { // want submit:`keeps\[0\]`
	C.keep_buf((*C.char)(unsafe.Pointer(&b[0])))
}

func register(j *job) { // want register:`keeps\[0\]`
	C.on_event(unsafe.Pointer(j), C.int64_t(j.id))
}

func callers() {
	submit(make([]byte, 8))   // want `submit keeps this Go pointer .*Go: submit passes it to C.keep_buf; C: stores b in global kept_buf`
	register(&job{id: 4})     // want `register keeps this Go pointer`
	submit(C.GoBytes(nil, 0)) // the result of a Go function: not followed
}

// --- silent.

func cMemory() {
	C.keep_buf(C.CString("x"))
	cp := C.malloc(64)
	C.keep_ptr(cp)
	cs := unsafe.Slice((*byte)(C.malloc(64)), 64)
	C.keep_buf((*C.char)(unsafe.Pointer(&cs[0])))
	submit(unsafe.Slice((*byte)(C.malloc(8)), 8))
}

func pinned() {
	var x int
	var p runtime.Pinner
	p.Pin(&x)
	C.keep_ptr(unsafe.Pointer(&x)) // pinned until p.Unpin, after C lets go
	C.keep_ptr(nil)
	p.Unpin()
}

func (s *stream) pinnedField() {
	s.pin.Pin(&s.buf[0])
	C.keep_buf((*C.char)(unsafe.Pointer(&s.buf[0])))
}

func handles(j *job) {
	h := cgo.NewHandle(j)
	C.keep_handle(C.uintptr_t(h))
	C.keep_ptr(unsafe.Pointer(uintptr(h))) //nolint: an integer, not a Go pointer
}

func borrowed() {
	var x int
	C.use_ptr(unsafe.Pointer(&x)) // C does not keep it
	b := []byte("hello\x00")
	C.use_buf((*C.char)(unsafe.Pointer(&b[0])))
}

func staticMemory() {
	C.keep_ptr(unsafe.Pointer(&global))
	C.keep_buf((*C.char)(unsafe.Pointer(&global[0])))
	C.keep_buf((*C.char)(unsafe.Pointer(unsafe.StringData("constant\x00"))))
	const k = "another constant\x00"
	s := k
	C.keep_buf((*C.char)(unsafe.Pointer(unsafe.StringData(s))))
}

func mixed(cond bool) {
	var x int
	p := unsafe.Pointer(&x)
	if cond {
		p = C.malloc(8)
	}
	C.keep_ptr(p) // may be C memory: not reported
}

func outParam() {
	var p unsafe.Pointer
	C.use_ptr(unsafe.Pointer(&p)) // C may set p
	C.keep_ptr(p)
}

func cPointerParam(c *C.struct_ctx) { // want cPointerParam:`keeps\[0\]`
	C.keep_ptr(unsafe.Pointer(c)) // a parameter: its callers are judged
}

func cPointerCaller() {
	cPointerParam((*C.struct_ctx)(C.malloc(C.sizeof_struct_ctx)))
}

func ignored() {
	var x int
	//cgoguard:ignore gopointerkept C forgets it before the function returns
	C.keep_ptr(unsafe.Pointer(&x))
	C.keep_ptr(nil)
}

// lib_register has no body here; it is linked from the library.
//
//export lib_register
func lib_register(data unsafe.Pointer) {}
