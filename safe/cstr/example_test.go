package cstr_test

import (
	"fmt"
	"unsafe"

	"github.com/cgoguard/cgoguard/safe/cstr"
	"github.com/cgoguard/cgoguard/safe/internal/ctest"
)

// A C struct with a char name[16] filled by C: FromChars takes the name up to
// its NUL. In your package: cstr.FromChars(rec.name[:]).
func ExampleFromChars() {
	var rec ctest.Record
	ctest.FillRecord(&rec)
	fmt.Printf("%q\n", cstr.FromChars(ctest.RecordName(&rec)))
	// Output: "from C"
}

// A C buffer whose size is known but whose termination is not trusted.
func ExampleStringOK() {
	p := ctest.Guarded(4) // 4 bytes "xxxx", no NUL, then an unreadable page
	defer ctest.FreeGuarded(p, 4)
	s, terminated := cstr.StringOK(p, 4)
	fmt.Println(s, terminated)
	// Output: xxxx false
}

// Filling a fixed char[16] from Go: always NUL-terminated, truncation reported.
func ExampleToChars() {
	var rec ctest.Record
	name := ctest.RecordName(&rec)
	err := cstr.ToChars(name, "a name longer than sixteen bytes")
	fmt.Println(cstr.FromChars(name), err, ctest.Strlen(unsafe.Pointer(&name[0])))
	// Output: a name longer t cstr: string truncated to fit the C buffer 15
}
