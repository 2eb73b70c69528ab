// Package carena gives C memory a scope: many C strings and buffers for one
// call or one request, released by a single Free.
//
// The raw cgo pattern costs two cgo calls and one chance to leak per string:
//
//	cs := C.CString(s)
//	defer C.free(unsafe.Pointer(cs))
//
// With an arena, every allocation is a pointer bump inside a large malloc'd
// chunk and only the chunks are freed:
//
//	var a carena.Arena // the zero value is ready to use
//	defer a.Free()
//	C.open_db(carena.As[C.char](a.CString(path)), carena.As[C.char](a.CString(mode)))
//
// Everything an Arena returns is C memory (malloc'd, not seen by Go's garbage
// collector), so it may be passed to C and kept by C until Free. It must not be
// used after Free, and it must not hold Go pointers (the garbage collector does
// not scan C memory, so a Go pointer stored there can be freed under it).
//
// # Types across packages
//
// cgo types are per package: *C.char in your package is not *C.char here.
// So an Arena returns unsafe.Pointer, and the generic helpers speak your
// package's types: As[C.char](p) converts, Alloc[C.struct_foo](a) allocates a
// zeroed C struct, Make[*C.char](a, n) a zeroed C array (an argv, say).
//
// # Checked mode
//
// Built with -tags cgoguard_checked, every chunk is mmap'd and filled with
// 0xBE; Free fills it with 0xDB ("poison") and makes it inaccessible
// (PROT_NONE), keeping the address range reserved (quarantine: the last 4096
// blocks, at most 64 MiB). A read or write through a pointer that outlived
// Free then faults on the spot, in C or in Go, and a signal handler prints
//
//	cgoguard/carena: use after Free: address 0x7f... is 3 bytes into a block of 4096 bytes of an arena that was freed
//	freed at main.handle (/src/app/main.go:42) <- main.main (/src/app/main.go:12)
//	arena created at main.handle (/src/app/main.go:30) <- main.main (/src/app/main.go:12)
//
// before Go's own crash report ("signal SIGSEGV" for a fault in C,
// "unexpected fault address" in Go). The handler is installed at the first
// checked Free and passes every signal on to the handler that was there
// before, Go's. Without the tag, a use after Free reads
// whatever malloc put there next: the bug that this mode exists to surface.
// Checked mode also panics when Alloc or Make is given a type that holds Go
// pointers. It is for tests and debugging: every chunk costs a mmap.
//
// An Arena is not safe for concurrent use; give each goroutine its own.
package carena

/*
#include <stdlib.h>
*/
import "C"

import (
	"fmt"
	"math/bits"
	"reflect"
	"unsafe"
)

// DefaultChunkSize is the chunk size of the zero Arena and of New.
const DefaultChunkSize = 4096

// maxAlign is the alignment malloc guarantees on linux/amd64 (alignof
// max_align_t); Malloc, Calloc and CBytes return memory aligned to it.
const maxAlign = 16

// inlineBlocks is how many blocks an Arena tracks without a Go allocation.
const inlineBlocks = 4

// Arena hands out C memory that is all freed at once by Free. The zero value
// is an empty Arena with DefaultChunkSize chunks. An Arena must not be copied
// after first use (both copies would free the same chunks); go vet reports
// copies.
type Arena struct {
	_ noCopy

	base unsafe.Pointer // current chunk
	off  uintptr        // next free byte in it
	size uintptr        // its size

	chunk uintptr // chunk size; 0 means DefaultChunkSize

	nblocks int
	inline  [inlineBlocks]block
	more    []block // blocks past inlineBlocks; kept across Reset

	freed   bool
	checked bool      // mmap'd blocks, poisoned and protected on Free
	created []uintptr // checked mode: where the arena was created
	freedAt []uintptr // checked mode: where it was freed
}

// noCopy makes go vet's copylocks check report copies of an Arena.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

type block struct {
	p    unsafe.Pointer
	size uintptr
}

// New returns an empty Arena with DefaultChunkSize chunks. Use it when the
// arena must outlive the function that creates it; otherwise a local
// var a carena.Arena costs no Go allocation.
func New() *Arena { return NewSize(DefaultChunkSize) }

// NewSize returns an empty Arena that takes C memory in chunks of chunkSize
// bytes; an allocation larger than a quarter of that gets a block of its own.
func NewSize(chunkSize int) *Arena {
	if chunkSize < 64 {
		panic(fmt.Sprintf("carena: chunk size %d is below 64 bytes", chunkSize))
	}
	a := &Arena{chunk: uintptr(chunkSize)}
	a.init()
	return a
}

// init records what checked mode needs; it runs on the first allocation of a
// zero Arena too.
func (a *Arena) init() {
	if a.chunk == 0 {
		a.chunk = DefaultChunkSize
	}
	if checkedBuild && !a.checked && a.nblocks == 0 {
		a.checked = true
		a.created = callers()
	}
}

// CString returns a NUL-terminated copy of s in C memory, as C.CString does.
// Like C.CString, a NUL inside s ends the string as C will see it.
func (a *Arena) CString(s string) unsafe.Pointer {
	p := a.alloc(uintptr(len(s))+1, 1)
	copy(unsafe.Slice((*byte)(p), len(s)), s)
	*(*byte)(unsafe.Add(p, len(s))) = 0
	return p
}

// CBytes returns a copy of b in C memory (16-byte aligned), as C.CBytes does.
// An empty b gives a valid, unique pointer to zero bytes.
func (a *Arena) CBytes(b []byte) unsafe.Pointer {
	p := a.alloc(uintptr(len(b)), maxAlign)
	copy(unsafe.Slice((*byte)(p), len(b)), b)
	return p
}

// Malloc returns n uninitialized bytes of C memory, 16-byte aligned.
func (a *Arena) Malloc(n int) unsafe.Pointer {
	if n < 0 {
		panic(fmt.Sprintf("carena: Malloc(%d)", n))
	}
	return a.alloc(uintptr(n), maxAlign)
}

// Calloc returns count*size zeroed bytes of C memory, 16-byte aligned. It
// panics if count*size overflows, where C's calloc would return NULL.
func (a *Arena) Calloc(count, size int) unsafe.Pointer {
	if count < 0 || size < 0 {
		panic(fmt.Sprintf("carena: Calloc(%d, %d)", count, size))
	}
	hi, n := bits.Mul64(uint64(count), uint64(size))
	if hi != 0 || n > uint64(maxAllocSize) {
		panic(fmt.Sprintf("carena: Calloc(%d, %d) overflows", count, size))
	}
	return a.zeroed(uintptr(n), maxAlign)
}

const maxAllocSize = 1 << 46

func (a *Arena) zeroed(n, align uintptr) unsafe.Pointer {
	p := a.alloc(n, align)
	clear(unsafe.Slice((*byte)(p), n))
	return p
}

// alloc is the bump allocator: the fast path is a few instructions and no
// cgo call.
func (a *Arena) alloc(n, align uintptr) unsafe.Pointer {
	off := (a.off + align - 1) &^ (align - 1)
	if a.base != nil && off+n <= a.size && n != 0 {
		a.off = off + n
		return unsafe.Add(a.base, off)
	}
	return a.allocSlow(n, align)
}

func (a *Arena) allocSlow(n, align uintptr) unsafe.Pointer {
	if a.freed {
		panic(a.afterFree("allocation from"))
	}
	a.init()
	if n == 0 {
		// A unique pointer to nothing, like malloc(0) on glibc.
		n = 1
		off := (a.off + align - 1) &^ (align - 1)
		if a.base != nil && off+n <= a.size {
			a.off = off + n
			return unsafe.Add(a.base, off)
		}
	}
	if n > maxAllocSize {
		panic(fmt.Sprintf("carena: allocation of %d bytes", n))
	}
	if n > a.chunk/4 {
		// Oversize: a block of its own, so the current chunk stays in use.
		return a.newBlock(n)
	}
	a.base = a.newBlock(a.chunk)
	a.size = a.chunk
	a.off = n
	return a.base
}

func (a *Arena) newBlock(n uintptr) unsafe.Pointer {
	var p unsafe.Pointer
	if a.checked {
		p = checkedMap(n)
	} else {
		p = C.malloc(C.size_t(n)) // cgo's C.malloc panics instead of returning NULL
	}
	b := block{p, n}
	if a.nblocks < inlineBlocks {
		a.inline[a.nblocks] = b
	} else {
		a.more = append(a.more, b)
	}
	a.nblocks++
	return p
}

func (a *Arena) blockAt(i int) *block {
	if i < inlineBlocks {
		return &a.inline[i]
	}
	return &a.more[i-inlineBlocks]
}

// Free releases all the C memory of the arena. Every pointer it returned is
// invalid afterwards; allocating from a freed Arena panics. Free is
// idempotent, so an explicit Free before a deferred one is harmless.
func (a *Arena) Free() {
	if a.freed {
		return
	}
	if a.checked {
		a.freedAt = callers()
	}
	a.release(0)
	a.freed = true
	a.more = nil
}

// Reset releases all the arena's memory but its first chunk and makes the
// arena empty and usable again: a loop that fills and Resets one Arena makes
// no cgo call and no Go allocation once warm. Every pointer it returned
// before is invalid afterwards.
func (a *Arena) Reset() {
	if a.freed {
		panic(a.afterFree("Reset of"))
	}
	keep := 0
	if a.nblocks > 0 && !a.checked && a.inline[0].size == a.chunk {
		keep = 1
	}
	a.release(keep)
	if keep == 1 {
		a.base, a.off, a.size = a.inline[0].p, 0, a.chunk
	}
}

// release frees the blocks from index keep on.
func (a *Arena) release(keep int) {
	var site string
	if a.checked && a.nblocks > keep {
		site = a.sites()
	}
	for i := keep; i < a.nblocks; i++ {
		b := a.blockAt(i)
		if a.checked {
			checkedFree(b.p, b.size, site)
		} else {
			C.free(b.p)
		}
		*b = block{}
	}
	a.nblocks = keep
	a.more = a.more[:0]
	a.base, a.off, a.size = nil, 0, 0
}

// Len reports the bytes of C memory the arena holds (chunks and oversize
// blocks, used or not).
func (a *Arena) Len() int {
	n := uintptr(0)
	for i := 0; i < a.nblocks; i++ {
		n += a.blockAt(i).size
	}
	return int(n)
}

// As converts a pointer from an Arena to your package's C type, for example
// As[C.char](a.CString(s)) is a *C.char.
func As[T any](p unsafe.Pointer) *T { return (*T)(p) }

// Alloc returns a zeroed T in C memory, aligned for T: Alloc[C.struct_foo](a)
// is a *C.struct_foo that C may keep until a.Free. T must not contain Go
// pointers (checked mode panics if it does).
func Alloc[T any](a *Arena) *T {
	var zero T
	if a.checked || checkedBuild {
		mustBePointerFree(reflect.TypeFor[T]())
	}
	return (*T)(a.zeroed(unsafe.Sizeof(zero), max(unsafe.Alignof(zero), 1)))
}

// Make returns a zeroed C array of n T as a Go slice over it:
// argv := Make[*C.char](a, len(args)+1) is a NULL-terminated char*[] ready to
// fill, and &argv[0] is what C receives. T must not contain Go pointers.
func Make[T any](a *Arena, n int) []T {
	var zero T
	if n < 0 {
		panic(fmt.Sprintf("carena: Make(%d)", n))
	}
	if a.checked || checkedBuild {
		mustBePointerFree(reflect.TypeFor[T]())
	}
	hi, size := bits.Mul64(uint64(n), uint64(unsafe.Sizeof(zero)))
	if hi != 0 || size > maxAllocSize {
		panic(fmt.Sprintf("carena: Make(%d) overflows", n))
	}
	p := a.zeroed(uintptr(size), max(unsafe.Alignof(zero), 1))
	return unsafe.Slice((*T)(p), n)
}
