// Package ownership is cgoguard's model of who owns C memory in Go code, and
// the path-sensitive data-flow that finds where that ownership goes wrong. The
// memory analyzers (cmemleak, cdoublefree, cuseafterfree, coverread) are thin
// reporters on top of its Analyzer's result.
//
// # The model
//
// An owned block comes from an allocation: a cgo builtin (C.CString, C.CBytes),
// a C allocator known to knowledge.DB (malloc, strdup, configured library
// pairs), a C function whose C body returns allocator memory (csrc), or a Go
// function that returns owned C memory (a ReturnsOwned fact, also across
// packages). Each allocation site in a function is one abstract block; local
// variables point to blocks through assignments and conversions
// (unsafe.Pointer, casts), computed flow-insensitively per function.
//
// Ownership of a block ends when it is
//   - freed: C.free, a configured deallocator, a C function whose body frees
//     that parameter, a Go function with a FreesParam fact; or by a deferred or
//     goroutine-run call of one of these;
//   - transferred: returned to the caller, stored in a field, global, map,
//     slice, channel or composite literal, captured by a closure, passed to a
//     C function that keeps it (csrc StoresParam) or takes it (config), passed to
//     a Go function we know nothing of, or its address taken. A transferred
//     block is never reported as leaked: someone else may free it.
//
// Each block's state is a set of {unallocated, owned, freed, deferred-free,
// transferred}, joined by union over the control-flow graph (go/cfg), with
// "p == nil" branches refined. Paths that end in panic, os.Exit or log.Fatal
// are not exits. A report therefore means: some path through the function, as
// written, leaks, frees twice, or uses after free; the report names the
// allocation, the free, and the exit or use.
//
// Limits, deliberately: no aliasing through memory (a block stored in a struct
// is transferred, not tracked), no path correlation beyond nil checks of the
// block itself, and Go callees are summarised only by facts, not inlined.
package ownership
