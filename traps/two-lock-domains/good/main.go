// Command good keeps one lock domain: the goroutines update the C counter only
// through the C library's own function, which takes the same pthread_mutex_t
// as the library's pthreads. No Go lock guards C state.
package main

/*
#cgo LDFLAGS: -lpthread
#include <pthread.h>

// The C library's shared state and its lock.
static pthread_mutex_t c_mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

// c_incr is the only way to update counter, from C and from Go alike.
static void c_incr(void) {
	pthread_mutex_lock(&c_mu);
	counter++;
	pthread_mutex_unlock(&c_mu);
}

// c_read takes the lock too, so a reader sees a value some update left.
static long c_read(void) {
	pthread_mutex_lock(&c_mu);
	long v = counter;
	pthread_mutex_unlock(&c_mu);
	return v;
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

func main() {
	gs := flag.Int("goroutines", 2, "goroutines incrementing from Go")
	ts := flag.Int("threads", 2, "pthreads incrementing from C")
	n := flag.Int("n", 1000000, "increments per goroutine and per pthread")
	rounds := flag.Int("rounds", 1, "rounds to run (all of them: good never loses an update)")
	flag.Parse()

	// The same rounds as bad, all of them run.
	var want, got int64
	round := 0
	for round < *rounds {
		round++
		before := int64(C.c_read())
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
					C.c_incr() // the same pthread mutex the C threads take
				}
			}()
		}
		wg.Wait()
		C.join_c_workers(C.int(started))
		want += int64(*gs+*ts) * int64(*n)
		got += int64(C.c_read()) - before // every writer has finished
	}
	fmt.Printf("rounds=%d\n", round)
	fmt.Printf("expected=%d\nfinal=%d\nlost=%d\n", want, got, want-got)
}
