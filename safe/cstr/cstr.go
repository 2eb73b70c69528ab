// Package cstr converts between C strings and Go strings without reading or
// writing past the memory it is given.
//
// cgo's own conversions trust the C side completely:
//
//   - C.GoString(p) reads until it finds a NUL, however far away that is; an
//     unterminated buffer makes it read the neighbouring memory, or fault.
//   - C.GoStringN(p, n) copies exactly n bytes, NULs included: for a
//     char name[16] holding "abc" it returns "abc\x00" plus 12 bytes of
//     whatever was left there.
//   - Filling a fixed char[N] from Go by hand invites the off-by-one that
//     drops the terminating NUL.
//
// cstr asks for the bound and stays inside it:
//
//	name := cstr.FromChars(rec.name[:])      // [16]C.char: up to the first NUL
//	msg := cstr.String(unsafe.Pointer(p), n) // char *p with n readable bytes
//	raw := cstr.Bytes(unsafe.Pointer(p), n)  // exactly n bytes, a copy
//	err := cstr.ToChars(rec.name[:], s)      // Go string into char[N], NUL-terminated
//
// Pointers are unsafe.Pointer because cgo types are per package; the
// generic functions accept any package's C.char arrays (C.char is int8 on
// linux/amd64, uint8 on some other platforms; both work).
//
// The bound is the caller's promise: [p, p+capacity) must be readable. Within
// it, the search for the NUL may use vector loads that, like the Go runtime's
// own bytes.IndexByte, touch bytes past the end only within the same memory
// page; that can never fault and their values are ignored.
package cstr

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

// Errors returned by ToChars and CopyTo.
var (
	// ErrTruncated: the string did not fit; the destination holds its longest
	// byte prefix that fits (a UTF-8 character may be cut), NUL-terminated,
	// as snprintf would leave it.
	ErrTruncated = errors.New("cstr: string truncated to fit the C buffer")
	// ErrNUL: the string contains a NUL byte, so C would see only the part
	// before it; nothing was copied (the destination holds "").
	ErrNUL = errors.New("cstr: string contains a NUL byte")
)

func checkLen(fn string, p unsafe.Pointer, n int) {
	if n < 0 {
		panic(fmt.Sprintf("cstr.%s: negative length %d", fn, n))
	}
	if p == nil && n > 0 {
		panic(fmt.Sprintf("cstr.%s: nil pointer with length %d", fn, n))
	}
}

// String returns the C string at p: its bytes up to the first NUL, reading at
// most capacity bytes. If there is no NUL within capacity it returns all
// capacity bytes (StringOK tells the two apart). A nil p gives "".
func String(p unsafe.Pointer, capacity int) string {
	s, _ := StringOK(p, capacity)
	return s
}

// StringOK is String, and also reports whether a NUL was found within
// capacity, that is, whether the C string was properly terminated.
func StringOK(p unsafe.Pointer, capacity int) (string, bool) {
	if p == nil {
		return "", true
	}
	checkLen("StringOK", p, capacity)
	b := unsafe.Slice((*byte)(p), capacity)
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i]), true
	}
	return string(b), false
}

// FromChars returns the C string held in a fixed-size C char array, given as
// a slice of it (arr[:]): the bytes before the first NUL, or all of them if
// there is none.
func FromChars[E ~int8 | ~uint8](arr []E) string {
	if len(arr) == 0 {
		return ""
	}
	s, _ := StringOK(unsafe.Pointer(&arr[0]), len(arr))
	return s
}

// Bytes returns a Go copy of exactly n bytes at p, NULs included: for
// buffers whose length C reports separately.
func Bytes(p unsafe.Pointer, n int) []byte {
	checkLen("Bytes", p, n)
	if n == 0 {
		return []byte{}
	}
	return bytes.Clone(unsafe.Slice((*byte)(p), n))
}

// StringN returns exactly n bytes at p as a string, NULs included: C.GoStringN
// with its arguments checked. Use it only where n is the string's real length
// (not a buffer's capacity: that is String).
func StringN(p unsafe.Pointer, n int) string {
	checkLen("StringN", p, n)
	return string(unsafe.Slice((*byte)(p), n))
}

// ToChars copies s into a fixed-size C char array, given as a slice of it
// (arr[:]), and NUL-terminates it. It returns ErrTruncated if s needed more
// than len(arr)-1 bytes and ErrNUL if s contains a NUL.
func ToChars[E ~int8 | ~uint8](arr []E, s string) error {
	if len(arr) == 0 {
		return ErrTruncated
	}
	return CopyTo(unsafe.Pointer(&arr[0]), len(arr), s)
}

// CopyTo copies s into the C buffer of capacity bytes at p and NUL-terminates
// it, writing nothing outside [p, p+capacity). Errors as for ToChars.
func CopyTo(p unsafe.Pointer, capacity int, s string) error {
	checkLen("CopyTo", p, capacity)
	if capacity == 0 {
		return ErrTruncated
	}
	dst := unsafe.Slice((*byte)(p), capacity)
	if strings.IndexByte(s, 0) >= 0 {
		dst[0] = 0
		return ErrNUL
	}
	n := copy(dst[:capacity-1], s)
	dst[n] = 0
	if n < len(s) {
		return ErrTruncated
	}
	return nil
}
