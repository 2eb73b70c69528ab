package carena_test

import (
	"fmt"

	"github.com/cgoguard/cgoguard/safe/carena"
	"github.com/cgoguard/cgoguard/safe/internal/ctest"
)

// One arena for the C strings of one call: a single deferred Free releases
// them all, however the function returns. In your own cgo package you would
// write C.f(carena.As[C.char](a.CString(s))); here ctest stands in for C.
func Example() {
	var a carena.Arena
	defer a.Free()

	user := a.CString("gopher")
	host := a.CString("example.org")
	fmt.Println(ctest.Strlen(user), ctest.Strlen(host))
	// Output: 6 11
}

// An argv for a C main-like function: a NULL-terminated array of C strings,
// all in the arena.
func ExampleMake() {
	var a carena.Arena
	defer a.Free()

	args := []string{"grep", "-n", "needle"}
	argv := carena.Make[*byte](&a, len(args)+1) // in a cgo package: Make[*C.char]
	for i, s := range args {
		argv[i] = carena.As[byte](a.CString(s))
	}
	fmt.Println(len(argv), argv[len(args)] == nil)
	// Output: 4 true
}

// A loop that reuses one arena: Reset keeps the first chunk, so once warm the
// loop makes no cgo call and no Go allocation for its strings.
func ExampleArena_Reset() {
	a := carena.New()
	defer a.Free()
	total := 0
	for _, name := range []string{"a", "bb", "ccc"} {
		total += ctest.Strlen(a.CString(name))
		a.Reset()
	}
	fmt.Println(total)
	// Output: 6
}
