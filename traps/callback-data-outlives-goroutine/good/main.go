// Command good gives C a runtime/cgo.Handle instead of a pointer. The handle
// table keeps each job reachable until the callback has run and deleted the
// handle, however long ago the goroutine that made it ended. The job may now
// hold Go pointers (a string) because C never sees its memory.
package main

/*
#include <stdint.h>
void on_event(uintptr_t handle, int64_t id);
int fire_all(void);
*/
import "C"

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/cgo"
	"sync"
)

type job struct {
	id   int64
	name string
}

func nameOf(id int64) string { return fmt.Sprintf("job %d: resize image to 640x480", id) }

var firstWrong string

//export goCallback
func goCallback(h C.uintptr_t, id C.int64_t) C.int {
	handle := cgo.Handle(h)
	defer handle.Delete() // one event per registration: release the job
	j := handle.Value().(*job)
	if j.id == int64(id) && j.name == nameOf(int64(id)) {
		return 1
	}
	if firstWrong == "" {
		firstWrong = fmt.Sprintf("id=%d name=%q", j.id, j.name)
	}
	return 0
}

func worker(id int64, wg *sync.WaitGroup) {
	defer wg.Done()
	j := &job{id: id, name: nameOf(id)}
	C.on_event(C.uintptr_t(cgo.NewHandle(j)), C.int64_t(id))
}

var sink []byte

func work(n int) {
	for i := 0; i < n; i++ {
		b := make([]byte, 48)
		for k := range b {
			b[k] = 0x5a
		}
		sink = b
	}
}

func main() {
	jobs := flag.Int("jobs", 200, "jobs registered by goroutines that then end")
	churn := flag.Int("churn", 20000, "allocations before the events fire")
	flag.Parse()
	var wg sync.WaitGroup
	for i := 0; i < *jobs; i++ {
		wg.Add(1)
		go worker(int64(i+1), &wg)
	}
	wg.Wait()
	runtime.GC()
	work(*churn)
	runtime.GC()
	wrong := C.fire_all()
	fmt.Printf("jobs=%d\nwrong=%d\nexample=%q\n", *jobs, wrong, firstWrong)
}
