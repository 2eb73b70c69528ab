package checks

// The checks built on the C side's function summaries (package csrc): what a
// C body keeps, whether it may block its thread, whether its result points
// into thread-local storage.
func init() {
	register(
		&Check{
			Name:     "gopointerkept",
			Title:    "C keeps a Go pointer after the call returns",
			Severity: Error,
			Text: `During a cgo call the Go memory passed to C is safe: the runtime keeps it alive
(and would keep it in place) until C returns. After the call nothing does: once Go
drops its own references the garbage collector frees the object and reuses the memory,
and a pointer C stored (in a static or global variable, in a structure reachable from
another argument, in a registry, or handed to pthread_create) then reads and writes
other objects' bytes. No crash, no cgocheck report (cgocheck checks the call, not what C
does after it): wrong data, later, somewhere else.

gopointerkept reads the C body of each function Go calls (csrc's StoresParam summary,
through the C call chain, or a cgoguard:keeps annotation) and reports a call that hands a
kept parameter a pointer to Go memory: &x of a local variable or parameter, &T{},
new(T), &s[i] or unsafe.SliceData(s) of a Go slice (made, a literal, a conversion, a
parameter), &a[i] of a Go array, unsafe.StringData of a computed string, through
conversions and local variables. It also follows Go functions of the package (and,
through facts, of imported packages) that pass a parameter on to such a C function.
The report cites where C keeps the pointer. Not reported: C memory (C.malloc,
C.CString, C.CBytes, results of C functions, unsafe.Slice over C memory), package-level
variables (never freed: the letter of the rule is broken, not the program),
constant strings, values pinned in the same function by a runtime.Pinner that is not
unpinned before the call, runtime/cgo.Handle values passed as integers; a pointer to a
cgo.Handle variable is handlepin's report.

Fix: give C memory it may keep. Copy into C memory that C owns (C.CBytes, C.malloc)
and free it when C lets go; or pin the Go object with a runtime.Pinner kept alive next
to the C resource, and Unpin only after C has forgotten the pointer; or, for callback
data, pass an integer runtime/cgo.Handle (C.uintptr_t(cgo.NewHandle(v))) and look the
value up in the callback.`,
			Rule:  "cmd/cgo: \"C code may not keep a copy of a Go pointer after the call returns, unless the memory it points to is pinned with runtime.Pinner\".",
			Traps: []string{"c-keeps-go-pointer", "callback-data-outlives-goroutine"},
		},
		&Check{
			Name:     "blockingfanout",
			Title:    "unbounded goroutines in blocking C calls",
			Severity: Warning,
			Text: `A C call that blocks (read, recv, accept, poll, sleep, pthread_cond_wait, a lock, ...)
does not stall other goroutines: the goroutine's P is handed to another thread. What it
costs is one OS thread for as long as the call blocks. Goroutines started per request or
per item, each entering a blocking C call, therefore create one thread each; nothing
bounds them, and past debug.SetMaxThreads (10,000 by default) the runtime ends the
process with "fatal error: thread exhaustion". Long before that, thousands of threads
cost memory and scheduling.

blockingfanout reports a call of a C function whose C body, transitively, may block
(csrc's MayBlock summary, cited with its call chain, or knowledge of libc and the
configuration) when it runs in a goroutine started in a loop whose trip count is not a
constant (a for-ever accept loop, a range over a channel, a loop over requests) or in an
HTTP handler (net/http serves each connection in its own goroutine), directly or through
functions of the package. It is silent when a bound is visible: a channel operation
before the call or before the go statement (a semaphore), a mutex held around it, a
golang.org/x/sync/semaphore Acquire, an errgroup with SetLimit, a cgate.Gate
(github.com/cgoguard/cgoguard/safe/cgate), a worker pool (goroutines that take their
jobs from a channel, or k goroutines started by a counted loop that each call in a
loop of their own), a loop with a constant trip count, or a netutil.LimitListener in
the package for handlers. A C function known to block only by taking a pthread mutex
or rwlock (a short critical section, as a rule) is not reported.

Fix: bound the number of goroutines inside the blocking C call: a buffered channel of
size k acquired before the call and released after it, a fixed pool of k workers fed
by a channel, or safe/cgate:
	var gate = cgate.New(16)
	err := gate.Do(ctx, func() { rc = C.query(conn) })
Goroutines waiting for a slot wait in Go and hold no thread.`,
			Rule:  "runtime: a goroutine in a cgo call holds its OS thread until the call returns (the P is handed off); runtime/debug.SetMaxThreads: \"If a Go program tries to use more than the limit, it crashes\" (default 10,000: \"fatal error: thread exhaustion\").",
			Traps: []string{"blocking-c-calls"},
		},
		&Check{
			Name:     "cthreadlocal",
			Title:    "C thread-local result read after the goroutine may have changed threads",
			Severity: Error,
			Text: `Many C libraries keep per-thread state: a last-error message (dlerror, libgit2's
git_error_last, libxml2's xmlGetLastError), a result buffer in __thread storage. A
goroutine is not tied to an OS thread between cgo calls: after a scheduling point (a
channel operation, a Go call that may block, a Gosched, another cgo call that blocks)
it may resume on another thread, and another goroutine may have run a cgo call on the
old thread and overwritten the state. Reading the result then returns another call's
data.

cthreadlocal knows from the C body (csrc's ReturnsThreadLocal summary: the function
returns the address of a __thread/_Thread_local object, directly or through its
callees) or from the knowledge base which functions return thread-local memory, and
reports, when runtime.LockOSThread is not in effect: a use of such a result
(dereference, C.GoString, a pass to C) after a scheduling point or another cgo call;
and the two-call pattern, a call of a thread-local getter that takes no value argument
(only pointers, or none: it reports state left by an earlier call) when a scheduling
point came between it and the most recent cgo call before it (the call whose state it
means to read), on some path. A Go function that calls such a getter first thing counts
as the getter at its call sites. Scheduling points are channel operations,
select, calls of Go functions and methods, and cgo calls. LockOSThread counts when
every path from the function's start (or, for a function only called while locked,
from its callers) locks the thread and no UnlockOSThread intervenes.

Fix: read the thread-local state in the same cgo call that produced it: a small C
wrapper that runs the operation and copies the message into a caller buffer (or
returns it in malloc'd memory). Otherwise bracket both calls and the read with
runtime.LockOSThread() and runtime.UnlockOSThread(), and copy the result
(C.GoString) before anything else runs.`,
			Rule:  "runtime.LockOSThread: \"Until the calling goroutine exits or makes as many calls to UnlockOSThread as to LockOSThread, it will always execute in that thread, and no other goroutine will\"; without it the scheduler may run a goroutine on any thread after each scheduling point.",
			Traps: []string{"c-thread-local-result"},
		},
	)
}
