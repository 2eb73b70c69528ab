package fanout

/*
#include <unistd.h>

static int fds[2];

// wait_reply blocks in read(2), like a client waiting for its server.
static int wait_reply(void) { char c; return (int)read(fds[0], &c, 1); }

// nap sleeps through a helper.
static void doze(void) { usleep(1000); }
static void nap(void) { doze(); }

static int add(int a, int b) { return a + b; }

#include <pthread.h>
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static void c_incr(void) { pthread_mutex_lock(&mu); counter++; pthread_mutex_unlock(&mu); }
*/
import "C"

import (
	"context"
	"net/http"
	"sync"

	"github.com/cgoguard/cgoguard/safe/cgate"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

// --- unbounded: reported.

func perIteration(n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			C.wait_reply() // want `C.wait_reply may block its thread \(C: calls read, which may block its thread \(via wait_reply → read\) at fanout.go:9\), and it runs in a goroutine started in each iteration of the loop at line 38 \(its bound i < n is not a constant\). Other goroutines keep running .*"fatal error: thread exhaustion"`
		}()
	}
	wg.Wait()
}

func perValue(reqs chan int) {
	for range reqs {
		go func() {
			C.nap() // want `C.nap may block its thread \(C: calls usleep, which may block its thread \(via nap → doze → usleep\) at fanout.go:12\).*a range over a channel: one per value received`
		}()
	}
}

func serveForever(accept func() int) {
	for {
		c := accept()
		go handle(c) // want `handle calls C.wait_reply may block its thread .*in each iteration of the loop at line 57 \(a loop without end\)`
	}
}

func handle(c int) { // want handle:"blocksInC"
	_ = c
	C.wait_reply()
}

func perItem(items []string) {
	var wg sync.WaitGroup
	for range items {
		wg.Go(func() {
			query() // want `query calls C.wait_reply may block its thread.*one per element of items`
		})
	}
	wg.Wait()
}

func query() int { // want query:"blocksInC"
	return int(C.wait_reply())
}

func groupNoLimit(items []int) error {
	var g errgroup.Group
	for range items {
		g.Go(func() error {
			C.nap() // want `C.nap may block its thread`
			return nil
		})
	}
	return g.Wait()
}

func rangeInt(n int) {
	for range n {
		go C.add(1, 2)
		go func() { C.wait_reply() }() // want `a range over n, not a constant`
	}
}

// serveHTTP is an HTTP handler: one goroutine per connection.
func serveHTTP(w http.ResponseWriter, r *http.Request) { // want serveHTTP:"blocksInC"
	C.wait_reply() // want `C.wait_reply may block its thread .*it runs in serveHTTP, an HTTP handler`
}

type server struct{}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	go func() {
		C.nap() // want `C.nap may block its thread .*in a goroutine started for each HTTP request`
	}()
}

func register(mux *http.ServeMux) {
	mux.HandleFunc("/q", func(w http.ResponseWriter, r *http.Request) {
		query() // want `query calls C.wait_reply may block its thread .*it runs in this handler, an HTTP handler`
	})
}

// --- bounded or not blocking: silent.

func semaphoreInside(n int) {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			C.wait_reply()
		}()
	}
	wg.Wait()
}

func semaphoreBefore(n int) {
	sem := make(chan struct{}, 8)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			C.wait_reply()
		}()
	}
}

func workers(nworkers int, jobs chan int) {
	for i := 0; i < nworkers; i++ {
		go func() {
			for range jobs {
				C.wait_reply()
			}
		}()
	}
}

func fixedCount() {
	for i := 0; i < 4; i++ {
		go func() { C.wait_reply() }()
	}
	var pool [3]int
	for range pool {
		go C.nap()
	}
	for _, name := range []string{"a", "b"} {
		go func() { _ = name; C.nap() }()
	}
}

func mutexInside(n int) {
	var mu sync.Mutex
	for i := 0; i < n; i++ {
		go func() {
			mu.Lock()
			defer mu.Unlock()
			C.wait_reply()
		}()
	}
}

var gate = cgate.New(8)

func gated(ctx context.Context, n int) {
	for i := 0; i < n; i++ {
		go func() {
			gate.Do(ctx, func() { C.wait_reply() })
		}()
		go func() {
			if gate.Enter(ctx) != nil {
				return
			}
			defer gate.Leave()
			C.nap()
		}()
	}
}

func weighted(ctx context.Context, n int) {
	s := semaphore.NewWeighted(4)
	for i := 0; i < n; i++ {
		go func() {
			s.Acquire(ctx, 1)
			defer s.Release(1)
			C.wait_reply()
		}()
	}
}

func groupLimit(items []int) error {
	var g errgroup.Group
	g.SetLimit(8)
	for range items {
		g.Go(func() error {
			C.nap()
			return nil
		})
	}
	return g.Wait()
}

func notBlocking(n int) {
	for i := 0; i < n; i++ {
		go func() { C.add(1, 2) }()
	}
}

func once() {
	go func() { C.wait_reply() }()
}

func resultSent(n int, out chan int) {
	for i := 0; i < n; i++ {
		go func() {
			out <- int(C.wait_reply()) // want `C.wait_reply may block its thread`
		}()
	}
}

func ignored(n int) {
	for i := 0; i < n; i++ {
		go func() {
			//cgoguard:ignore blockingfanout n is at most 4, checked by the caller
			C.wait_reply()
		}()
	}
}

// loopers starts k workers that each call in a loop: the pool's size.
func loopers(k, n int) {
	for g := 0; g < k; g++ {
		go func() {
			for i := 0; i < n; i++ {
				C.wait_reply()
			}
		}()
	}
}

// perItemRetry starts a goroutine per item; the retry loop does not make it a pool.
func perItemRetry(items []int) {
	for range items {
		go func() {
			for try := 0; try < 3; try++ {
				C.wait_reply() // want `C.wait_reply may block its thread`
			}
		}()
	}
}

// locked only waits for a C mutex: a short critical section, not reported.
func locked(n int) {
	for i := 0; i < n; i++ {
		go func() { C.c_incr() }()
	}
}
