// Command bad registers, from short-lived goroutines, a pointer to each
// goroutine's job struct with a C event registry, and lets the goroutines end.
// When the C loop later calls back with the pointer, the job has been collected
// and its memory reused: the callback reads another object's bytes. cgocheck
// does not object to the registration (a Go pointer to pointer-free memory is a
// legal argument); only a job that itself holds a Go pointer makes the call
// panic (-nested).
package main

/*
#include <stdint.h>
void on_event(void *data, int64_t id);
int fire_all(void);

struct named_job { int64_t id; char *name; };
*/
import "C"

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// job is what a callback needs; it holds no Go pointers, so passing &j is legal.
type job struct {
	id   int64
	name [40]byte
}

func nameOf(id int64) [40]byte {
	var b [40]byte
	copy(b[:], fmt.Sprintf("job %d: resize image to 640x480", id))
	return b
}

var firstWrong string

//export goCallback
func goCallback(data unsafe.Pointer, id C.int64_t) C.int {
	j := (*job)(data)
	if j.id == int64(id) && j.name == nameOf(int64(id)) {
		return 1
	}
	if firstWrong == "" {
		firstWrong = fmt.Sprintf("id=%d name=%q", j.id, j.name[:])
	}
	return 0
}

// worker registers its job and returns; the goroutine ends at once.
func worker(id int64, wg *sync.WaitGroup) {
	defer wg.Done()
	j := job{id: id, name: nameOf(id)}
	C.on_event(unsafe.Pointer(&j), C.int64_t(id)) // trap: C keeps &j after the call; nothing keeps j alive once the goroutine ends
}

// nestedWorker is the seed's shape: the job carries its name as a pointer to Go memory.
func nestedWorker(id int64) {
	name := []byte("job name\x00")
	j := C.struct_named_job{id: C.int64_t(id), name: (*C.char)(unsafe.Pointer(&name[0]))}
	C.on_event(unsafe.Pointer(&j), C.int64_t(id)) // trap: &j is Go memory holding an unpinned Go pointer (j.name): cgocheck panics at the call
}

var sink []byte

// work is the rest of the program allocating: it reuses the freed memory.
func work(n int) {
	for i := 0; i < n; i++ {
		b := make([]byte, unsafe.Sizeof(job{}))
		for k := range b {
			b[k] = 0x5a
		}
		sink = b
	}
}

func main() {
	jobs := flag.Int("jobs", 200, "jobs registered by goroutines that then end")
	churn := flag.Int("churn", 20000, "allocations of the job's size before the events fire")
	nested := flag.Bool("nested", false, "register a job that holds a Go pointer")
	flag.Parse()
	if *nested {
		nestedWorker(1)
		fmt.Println("registered=true")
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < *jobs; i++ {
		wg.Add(1)
		go worker(int64(i+1), &wg)
	}
	wg.Wait()
	runtime.GC()
	work(*churn)
	runtime.GC() // no collection in progress while the callbacks run
	wrong := C.fire_all()
	fmt.Printf("jobs=%d\nwrong=%d\nexample=%q\n", *jobs, wrong, firstWrong)
}
