package checks

func init() {
	register(
		&Check{
			Name:     "cmemleak",
			Title:    "C memory not released on some path",
			Severity: Warning,
			Text: `C memory allocated by C.CString, C.CBytes, C.malloc and friends, by a C function
whose body returns allocator memory, or by a Go function that returns such memory, is
invisible to the Go garbage collector: it must be released explicitly. cmemleak follows
each block through the function and reports the exit that can be reached while the
function still owns it, naming the allocation. It also reports a block passed straight
to a C function that does not take ownership (C.f(C.CString(s))), a result that is
converted and dropped (C.GoString(C.f()) where f returns owned memory), a block
allocated again in a loop before the previous one was released, and defer C.free
inside a loop, which holds every iteration's block until the function returns.

Ownership ends (no report) when the block is freed, returned to the caller, stored in a
field, global, map, slice, channel or closure, passed to a C function whose body frees
or keeps it, or passed to a Go function that may keep it.

Fix: release it once on every path, usually with
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))`,
			Rule:  "cmd/cgo: \"C.CString ... is allocated in the C heap using malloc. It is the caller's responsibility to arrange for it to be freed\".",
			Traps: []string{"cstring-never-freed", "c-result-never-freed"},
		},
		&Check{
			Name:     "cdoublefree",
			Title:    "C memory freed twice on some path",
			Severity: Error,
			Text: `A block released twice corrupts the C heap: glibc aborts the process ("free():
double free detected") or, worse, hands the same memory to two owners. cdoublefree
reports a release reached on some path where the block was already released: an explicit
free plus a deferred free, a free in a loop, a goroutine's free plus the caller's.

Fix: free exactly once; after an explicit early free, set the variable to nil and make
the deferred free conditional, or drop one of the frees.`,
			Rule: "C: passing a pointer to free twice is undefined behaviour.",
		},
		&Check{
			Name:     "cuseafterfree",
			Title:    "C memory used after it was freed on some path",
			Severity: Error,
			Text: `After C.free the block belongs to the allocator again; reading it returns whatever
the next owner wrote, writing it corrupts someone else's data. cuseafterfree reports a
read, a pass to C, a store or a return of a pointer that some path has already freed,
including the seed's case of returning a pointer that a goroutine started by the
function frees.

Fix: keep the memory alive until its last use; release it after that, in one place.`,
			Rule:  "C: using a pointer after free is undefined behaviour.",
			Traps: []string{"goroutine-frees-returned-pointer"},
		},
		&Check{
			Name:     "coverread",
			Title:    "reading past the end of a C block",
			Severity: Error,
			Text: `C.GoStringN(p, n) and C.GoBytes(p, n) copy exactly n bytes, and unsafe.Slice(p, n)
spans n elements, whatever the size of the memory p points to. coverread reports n
larger than the known size of p's block (C.malloc(k), C.CString of a constant, a C
array), and C.GoString on memory from C.CBytes, which has no NUL terminator, so the
read runs on until some unrelated zero byte. It also reports the Heartbleed shape: a copy
out of a fixed-size C array whose length is read from data (m.len) and never compared
with anything before the copy, when the package's own C code (preamble, .c, .h) or Go code
declares the struct; a struct from an included library header is filled by that library,
whose API keeps its length and array consistent (libgit2's git_diff_hunk.header_len).

Fix: pass the real length; use C.GoStringN/C.GoBytes with the length for C.CBytes
memory; safe/cstr offers bounded conversions.`,
			Rule:  "cmd/cgo: \"C.GoStringN(*C.char, C.int) string\" copies exactly the given length.",
			Traps: []string{"gostringn-over-read", "gostring-on-cbytes"},
		},
	)
}
