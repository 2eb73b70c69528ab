// Command bad calls a blocking Go callback while C holds a mutex. The Go code
// that would unblock the callback needs the same C mutex, so neither side can
// go on: a lock-order deadlock between C and Go. (Not the seed's "scheduler
// deadlock": with -scheduler, 16 C threads block inside Go callbacks while
// the rest of the program runs on.)
package main

/*
#include <pthread.h>
#include <stdint.h>

extern void goWaitForData(void);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int data;

// with_lock runs the Go callback while holding mu, as a C library that calls
// user hooks under its own lock does.
static void with_lock(void) {
	pthread_mutex_lock(&mu);
	goWaitForData();
	pthread_mutex_unlock(&mu);
}

// produce is how Go code hands data to the library: it takes mu.
static void produce(int v) {
	pthread_mutex_lock(&mu);
	data = v;
	pthread_mutex_unlock(&mu);
}

// C threads that call a blocking Go callback (the -scheduler experiment).
extern void goBlock(void);
static void *caller(void *arg) { goBlock(); return NULL; }
static int start_callers(int n) {
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, caller, NULL) != 0) return i;
		pthread_detach(t);
	}
	return n;
}
*/
import "C"

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

var ready = make(chan struct{})

//export goWaitForData
func goWaitForData() {
	<-ready // trap: blocks while C holds mu; the producer below needs mu to make progress
}

var (
	release  = make(chan struct{})
	returned sync.WaitGroup
)

//export goBlock
func goBlock() {
	<-release
	returned.Done()
}

func main() {
	scheduler := flag.Bool("scheduler", false, "block C threads inside Go callbacks and measure that Go keeps running")
	flag.Parse()
	if *scheduler {
		schedulerExperiment()
		return
	}
	done := make(chan struct{})
	go func() {
		C.with_lock()
		close(done)
	}()
	go func() {
		time.Sleep(50 * time.Millisecond) // let with_lock take mu first
		C.produce(42)                     // blocks on mu forever
		close(ready)
	}()
	select {
	case <-done:
		fmt.Println("deadlock=0")
	case <-time.After(2 * time.Second):
		// Watchdog: report the deadlock instead of hanging the test.
		fmt.Println("deadlock=1")
		os.Exit(3)
	}
}

// schedulerExperiment refutes the seed: 16 C threads sit blocked in a Go
// callback while a pure-Go goroutine keeps counting; then all return.
func schedulerExperiment() {
	const n = 16
	returned.Add(n)
	started := int(C.start_callers(n))
	var ticks atomic.Int64
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				ticks.Add(1)
			}
		}
	}()
	time.Sleep(200 * time.Millisecond) // all n callbacks are blocked by now
	close(release)
	returned.Wait()
	close(stop)
	fmt.Printf("callers=%d\ncallbacks_returned=%d\nticks_while_blocked=%d\n", started, n, ticks.Load())
}
