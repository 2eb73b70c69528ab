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
	)
}
