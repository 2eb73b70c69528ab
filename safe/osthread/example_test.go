package osthread_test

import (
	"context"
	"fmt"

	"github.com/cgoguard/cgoguard/safe/internal/ctest"
	"github.com/cgoguard/cgoguard/safe/osthread"
)

// A C library that reports errors through a thread-local "last error": the
// failing call and the read of its error must run on the same thread. In your
// package the closure would call C directly, e.g. C.lib_last_error().
func Example() {
	th := osthread.New()
	defer th.Close()

	var msg string
	err := th.Do(context.Background(), func() {
		ctest.Fail("no such table") // sets the thread's last error
		msg = ctest.LastError()     // read on the same thread: guaranteed
	})
	fmt.Println(msg, err)
	// Output: no such table <nil>
}

// A panic on the thread comes back to the caller of Do.
func ExampleThread_Do_panic() {
	th := osthread.New()
	defer th.Close()
	defer func() {
		pe := recover().(*osthread.PanicError)
		fmt.Println("recovered:", pe.Value)
	}()
	_ = th.Do(context.Background(), func() { panic("bad state") })
	// Output: recovered: bad state
}
