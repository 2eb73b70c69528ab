package handle_test

import (
	"fmt"

	"github.com/cgoguard/cgoguard/safe/handle"
	"github.com/cgoguard/cgoguard/safe/internal/ctest"
)

type counter struct{ n int }

// A Go value that a C library calls back with: the handle goes to C as a
// uintptr_t and comes back typed. In your package the callback is an
// //export function and the call is C.lib_run(C.uintptr_t(h.C())).
func Example() {
	c := &counter{}
	h := handle.New(c)
	defer h.Delete()

	ctest.Callback = func(v uintptr) { handle.FromC[*counter](v).Value().n++ }
	ctest.CallWithHandle(h.C())
	ctest.CallWithHandle(h.C())
	fmt.Println(c.n)
	// Output: 2
}

// In a test: fail if the code under test leaves a handle behind.
func ExampleVerifyNone() {
	t := &printT{}
	base := handle.IgnoreCurrent() // usually: defer handle.VerifyNone(t, handle.IgnoreCurrent())

	h := handle.New("state for C")
	handle.VerifyNone(t, base) // reports the leak, with its creation stack
	h.Delete()
	handle.VerifyNone(t, base) // clean
	fmt.Println("reports:", t.n)
	// Output: reports: 1
}

type printT struct{ n int }

func (p *printT) Helper()      {}
func (p *printT) Error(...any) { p.n++ }
