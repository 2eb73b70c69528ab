package checks

// The checks of the Go side of cgo's contracts: layouts, callbacks, handles,
// pins and finalizers.
func init() {
	register(
		&Check{
			Name:     "structlayout",
			Title:    "Go mirror of a C struct with a different layout",
			Severity: Error,
			Text: `A hand-written Go struct laid over C memory (or handed to C as a C struct) must
have C's layout byte for byte. Go aligns every field naturally and knows nothing of
__attribute__((packed)), #pragma pack or aligned(N), so a mirror of such a struct puts
its fields at other offsets: every read after the first misplaced field returns bytes of
a neighbouring field, and an array of mirrors walks C's memory at the wrong stride. No
error and no crash: wrong numbers.

structlayout reports a conversion through unsafe.Pointer between a pointer to a Go struct
(or an array or unsafe.Slice of them) and a pointer to a cgo type C.x, in either
direction, when the Go struct corresponds to C.x by name (Packet, packet_t) or by field
names, and their layouts differ: it names the first differing field with both offsets, or
the two sizes. It also reports a Go struct laid over C memory of unwritten type (a void*
result, C.malloc) whose name corresponds to a C type the package uses (C.x or
C.sizeof_x) and whose size does not fit C's, a Go struct decoded with binary.Read from
the bytes of a C struct (C.GoBytes or unsafe.Slice of C.sizeof_x bytes) whose packed
encoding (encoding/binary adds no alignment padding) puts a field elsewhere than C, and
a comparison unsafe.Sizeof(g) == C.sizeof_x that is constantly false. Layouts are measured with the compiler's sizes on
both sides: cgo's C.x carries C's offsets and size (members Go cannot express become
_ [N]byte padding). Not reported: conversions between unrelated structs (sockaddr
families), a smaller Go struct read as a prefix of a single C struct.

Fix: do not guess a layout. Use cgo's own type C.x where its fields survive, C accessor
functions, or encoding/binary at offsets computed in C (enum { ID_OFF = offsetof(packet_t,
id) }). If a mirror is unavoidable, write C's padding out as _ [N]byte fields and assert
unsafe.Sizeof/unsafe.Offsetof equal C.sizeof_x and C's offsetof at start-up. Go has no
//go:pack directive.`,
			Rule:  "cmd/cgo: \"Any C struct fields that cannot be expressed in Go such as bit fields or misaligned data are omitted from the Go struct, being replaced with appropriate padding to reach the next field or the end of the struct\"; \"The size of any C type T is available as C.sizeof_T\". Go spec: a struct field is aligned to its type's alignment.",
			Traps: []string{"packed-struct-mirror"},
		},
		&Check{
			Name:     "exportpanic",
			Title:    "panic may escape an //export function into C",
			Severity: Error,
			Text: `When C calls an //export Go function and that function panics, the runtime unwinds
the goroutine stack and the C stack in lock step: Go's deferred calls run, the C frames
between are simply discarded. Everything C meant to do after the callback returned never
happens: a mutex it took stays locked (the next caller deadlocks), a buffer it malloc'd
leaks, a half-built structure stays half-built. If Go code above the C call recovers, the
program goes on with that damage; if nothing recovers, the process dies.

exportpanic reports an //export function that may panic on some path where no deferred
recover is in place: an explicit panic, log.Panic*, a call of a must-style helper
(Must*, must*) with non-constant arguments, or a call of a function of the same package
that may itself panic that way (the report points at the call and, in related
information, at the panic). A recover counts only when the deferred function calls
recover() itself and does not panic again, and only for panics after the defer
statement. Run-time errors (index out of range, nil dereference) are not reported: any
function has them; the recover the fix adds covers them too. A panic in a shared helper
that is an assertion (correct use never reaches it) is accepted once, for every callback
that reaches it, with //cgoguard:ignore exportpanic <reason> at the panic itself.

Fix: never let a panic leave an exported function. Defer a function at its top that
recovers, reports the panic, and sets the result to the error code the C API expects;
let C run its cleanup and return the code, and turn it into a Go error on the Go side:
	//export goValidate
	func goValidate(v C.int) (rc C.int) {
		defer func() {
			if r := recover(); r != nil {
				log.Printf("goValidate: %v", r)
				rc = -1
			}
		}()
		...`,
			Rule:  "runtime/cgocall.go: when a callback from C panics, \"the m.g0 stack and the m.curg stack will be unwound in lock step\": C frames are not run on the way.",
			Traps: []string{"export-panic-skips-c-cleanup"},
		},
		&Check{
			Name:     "finalizerclose",
			Title:    "C field freed by Close and again by a finalizer, cleanup or second Close",
			Severity: Error,
			Text: `A Go wrapper of a C resource often frees it twice: its Close frees the C field, and
a finalizer (runtime.SetFinalizer) or cleanup (runtime.AddCleanup) registered as a
safety net frees it again once the wrapper is collected, because nothing disarmed it. A
finalizer stays armed until runtime.SetFinalizer(x, nil); a cleanup until its Stop
method is called, and a cleanup was handed its own copy of the pointer, so clearing the
field does not help it. The second free happens later, on the finalizer goroutine:
glibc aborts ("free(): double free detected") when it notices, and the heap is silently
corrupted when it does not. The same double free happens when Close is called twice (a
deferred Close plus an explicit one) and does not clear the field.

finalizerclose looks at the Close, Free, Release and Destroy methods of each type. A
method frees field f when it passes recv.f to C.free, to a known deallocator, to a C
function whose C body frees that parameter, to a C function without a visible body whose
name says it releases its first, pointer, argument (x_free, x_destroy, x_release,
x_close, x_finalize, x_cleanup, x_unref, ...), to a package function that frees its
parameter, or calls another method that does. It reports such a free when a finalizer
or cleanup registered for the type frees the same field and the method does not cancel
it (for a finalizer, clearing the field or a closed-flag guard that the finalizer passes
through also suffices); and, with no safety net, when the method neither clears the
field nor is guarded (closed flag, sync.Once).

Fix: make the release idempotent and disarm the safety net:
	func (c *Conn) Close() {
		if c.h != nil {
			runtime.SetFinalizer(c, nil) // or c.cleanup.Stop()
			C.conn_close(c.h)
			c.h = nil
		}
	}
Give a cleanup the handle, not the object, and treat it as a leak safety net only.`,
			Rule:  "runtime.SetFinalizer: \"SetFinalizer(obj, nil) clears any finalizer associated with obj\"; runtime.Cleanup.Stop: \"Stop cancels the cleanup call\". C: freeing a pointer twice is undefined behaviour.",
			Traps: []string{"close-and-finalizer-double-free"},
		},
		&Check{
			Name:     "handlepin",
			Title:    "cgo.Handle never or twice deleted; runtime.Pinner never unpinned",
			Severity: Error,
			Text: `A runtime/cgo.Handle lives in a global table of runtime/cgo until Delete is called:
the garbage collector cannot know whether C still holds the integer, so a handle never
deleted keeps its value, and everything the value points to, reachable for the life of
the process; one created per call is a heap leak that grows with every call. Deleting a
handle twice panics ("misuse of an invalid Handle"). A runtime.Pinner is the opposite
trap: a Pinner that becomes unreachable while it still holds pins makes the runtime panic
at a later garbage collection ("runtime.Pinner: found leaking pinned pointer; forgot to
call Unpin()?"), far from the code that forgot, and Pin panics at once on anything but a
pointer.

handlepin follows each handle from cgo.NewHandle and each local Pinner through the
function's control flow and reports: a handle not deleted on some path to a return when
it is not returned, stored, sent, captured, passed to a Go function, or passed to a C
function whose C body keeps it (a C function without a known body, or a package whose Go
callbacks delete handles, counts as keeping it); a handle variable overwritten or created
again in a loop while its handle is live; a Delete on a path where the handle is already
deleted; a handle passed straight to C that does not keep it, or discarded, without ever
being bound to a variable; unsafe.Pointer(&h) passed to a C function that keeps it (a Go
pointer kept by C; passing &h to C that only reads it during the call is the documented
void* pattern and is not reported); a Pinner that pins and reaches a return without Unpin
when the Pinner does not escape; Pin of a non-pointer. Known limit: the C summaries do
not yet see a C body keep an integer parameter (a uintptr_t handle stored in a global, or
passed on to a function without a body); such a handle, deleted nowhere in the package,
is reported as never deleted.

Fix: delete each handle exactly once, when C no longer holds it: defer h.Delete() for a
handle used only during the call, or in the C API's release callback for a handle C
keeps. Pass the handle by value, C.uintptr_t(h). Pair every Pinner with defer p.Unpin(),
or keep the Pinner alive next to the C resource that holds the pointer and Unpin when C
lets go.`,
			Rule:  "runtime/cgo.NewHandle: \"a program must explicitly call Delete when the handle is no longer needed\"; Handle.Delete: \"The method panics if the handle is invalid\". runtime.Pinner.Pin: \"The argument must be a pointer of any type or an unsafe.Pointer\"; runtime/pinner.go panics \"found leaking pinned pointer\" when an unreachable Pinner still holds pins (checked on Go 1.26).",
			Traps: []string{"cgo-handle-never-deleted"},
		},
		&Check{
			Name:     "nestedgopointer",
			Title:    "Go pointer to memory holding an unpinned Go pointer passed to C",
			Severity: Error,
			Text: `cgo lets Go pass C a pointer to Go memory only if that memory holds no unpinned Go
pointers: C could otherwise reach, keep or write Go pointers the garbage collector does
not know about. The classic shape is a C struct filled in Go, req.buf =
(*C.uchar)(unsafe.Pointer(&data[0])), passed as &req. Under the default cgocheck=1 the
call panics before any C runs ("argument of cgo function has Go pointer to unpinned Go
pointer"); go vet's cgocall analyzer does not see it (it checks types, and only for
chan, map, func and slice); GODEBUG=cgocheck=0 lets it through.

nestedgopointer looks at each argument of a C call that points to this function's Go
memory (&x, &x.f, &a[i], a local pointer from new or &T{...}, the backing array of a
local slice, through unsafe.Pointer and other conversions) and at what the function
stored there before the call: the composite literal that initialised it, then field and
element assignments. It reports a stored value that is certainly a pointer into the Go
heap: the address of a local variable, of a composite literal or of an element of a Go
slice (slice parameters count as Go slices), new, make, a slice literal, a string built
in Go (C.GoString, concatenation, conversion, fmt.Sprint), through interfaces and
nested structs and arrays too. Values pinned by a local runtime.Pinner before the call
are not reported; nor are constants, strings of unknown origin (string literals and
os.Args are not in the Go heap, and cgocheck ignores them), pointer parameters, globals,
function results, or memory allocated in C. A function that uses a Pinner it does not
own (a parameter or field) is skipped: the caller may have pinned.

Fix: pin the inner memory for as long as C can reach it:
	var pin runtime.Pinner
	pin.Pin(&data[0])
	defer pin.Unpin()
or build the struct and what it points to in C memory (C.malloc, C.CBytes) and free them
after the call. Maps, channels and funcs cannot be pinned: pass a runtime/cgo.Handle.`,
			Rule:  "cmd/cgo: \"Go code may pass a Go pointer to C provided the Go memory to which it points does not contain any unpinned Go pointers\"; \"When passing a pointer to an element in an array or slice, the Go memory in question is the entire array or the entire backing array of the slice\".",
			Traps: []string{"go-pointer-to-go-pointer"},
		},
	)
}
