// Command bad guards one C counter with two locks: the C library's
// pthread_mutex_t (taken by its own pthreads) and a Go sync.Mutex (taken by the
// goroutines). Each side excludes only itself, so a goroutine and a C thread
// can read-modify-write the counter at the same time and lose increments.
package main

/*
#cgo LDFLAGS: -lpthread
#include <pthread.h>

// The C library's shared state and its lock.
static pthread_mutex_t c_mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

// Raw accessors the library also exports; it documents that callers must
// serialize them, and the Go binding does, but with its own lock.
static long counter_get(void) { return counter; }
static void counter_set(long v) { counter = v; }

// c_incr is the library's own, correctly locked, update.
static void c_incr(void) {
	pthread_mutex_lock(&c_mu);
	counter++;
	pthread_mutex_unlock(&c_mu);
}

static void *c_worker(void *arg) {
	long n = (long)arg;
	for (long i = 0; i < n; i++) c_incr();
	return 0;
}

static pthread_t workers[64];

// start_c_workers starts k pthreads that each increment n times.
static int start_c_workers(int k, long n) {
	if (k > 64) k = 64;
	for (int i = 0; i < k; i++)
		if (pthread_create(&workers[i], 0, c_worker, (void *)n) != 0) return i;
	return k;
}

static void join_c_workers(int k) {
	for (int i = 0; i < k; i++) pthread_join(workers[i], 0);
}
*/
import "C"

import (
	"flag"
	"fmt"
	"os"
	"sync"
)

var mu sync.Mutex // the Go side's lock: the C threads never take it

func goIncr() {
	mu.Lock()
	C.counter_set(C.counter_get() + 1) // trap: serialized by sync.Mutex only; the C threads hold c_mu, so neither lock excludes the other side
	mu.Unlock()
}

func main() {
	gs := flag.Int("goroutines", 2, "goroutines incrementing from Go")
	ts := flag.Int("threads", 2, "pthreads incrementing from C")
	n := flag.Int("n", 1000000, "increments per goroutine and per pthread")
	rounds := flag.Int("rounds", 1, "most rounds to run; stops after the first round that loses an update")
	flag.Parse()

	// Lost updates need the two sides to interleave, which a busy machine may
	// not allow in one short round, so rounds repeat (bounded) until one loses.
	var want, got int64
	round := 0
	for round < *rounds {
		round++
		before := int64(C.counter_get())
		started := int(C.start_c_workers(C.int(*ts), C.long(*n)))
		if started != *ts {
			fmt.Fprintf(os.Stderr, "started %d of %d pthreads\n", started, *ts)
			os.Exit(1)
		}
		var wg sync.WaitGroup
		for g := 0; g < *gs; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < *n; i++ {
					goIncr()
				}
			}()
		}
		wg.Wait()
		C.join_c_workers(C.int(started))
		want += int64(*gs+*ts) * int64(*n)
		got += int64(C.counter_get()) - before // every writer has finished
		if got < want {
			break
		}
	}
	fmt.Printf("rounds=%d\n", round)
	fmt.Printf("expected=%d\nfinal=%d\nlost=%d\n", want, got, want-got)
}
