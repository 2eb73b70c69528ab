package cgate_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cgoguard/cgoguard/safe/cgate"
	"github.com/cgoguard/cgoguard/safe/internal/ctest"
)

// A hundred requests, each needing a blocking C call, share a gate of 4: at
// most 4 threads are ever held in C, the others wait in Go. In your package
// the closure would hold the C call itself, e.g. func() { rc = C.query(q) }.
func Example() {
	gate := cgate.New(4)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			err := gate.Do(ctx, func() { ctest.Usleep(100) })
			if err != nil {
				fmt.Println("gave up waiting:", err) // the C call never started
			}
		})
	}
	wg.Wait()
	st := gate.Stats()
	fmt.Println(st.Passes, st.InFlight, st.Waiting)
	// Output: 100 0 0
}
