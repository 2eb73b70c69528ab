// Command semantics checks the seed's claims about the two mutexes on this
// toolchain: what Go's sync.Mutex and glibc's pthread_mutex_t do when unlocked
// twice or unlocked by a goroutine/thread that did not lock them. Each -mode
// runs one experiment and prints key=value lines; modes that die are run as
// subprocesses by the test.
package main

/*
#cgo LDFLAGS: -lpthread
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>

struct unlock_result { int rc1, rc2, relock; };

// double_unlock locks and unlocks a mutex of the given type, unlocks it once
// more, and reports the return codes and whether it can be locked again.
static struct unlock_result double_unlock(int type) {
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	struct unlock_result r;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, type);
	pthread_mutex_init(&m, &a);
	pthread_mutex_lock(&m);
	r.rc1 = pthread_mutex_unlock(&m);
	r.rc2 = pthread_mutex_unlock(&m);
	r.relock = pthread_mutex_trylock(&m);
	return r;
}

static pthread_mutex_t cross_m;

static void *unlock_other(void *arg) {
	int *rc = arg;
	rc[0] = pthread_mutex_unlock(&cross_m);  // this thread never locked it
	rc[1] = pthread_mutex_trylock(&cross_m); // 0: this thread now "holds" it too
	return 0;
}

// cross_unlock locks a mutex of the given type in this thread and has another
// thread unlock it; it reports that thread's unlock and trylock results.
static void cross_unlock(int type, int rc[2]) {
	pthread_mutexattr_t a;
	pthread_t t;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, type);
	pthread_mutex_init(&cross_m, &a);
	pthread_mutex_lock(&cross_m);
	pthread_create(&t, 0, unlock_other, rc);
	pthread_join(t, 0);
}

static int type_default(void) { return PTHREAD_MUTEX_DEFAULT; }
static int type_errorcheck(void) { return PTHREAD_MUTEX_ERRORCHECK; }
*/
import "C"

import (
	"flag"
	"fmt"
	"os"
	"sync"
)

func main() {
	mode := flag.String("mode", "", "go-double-unlock | go-cross-unlock | c-double-unlock | c-cross-unlock")
	flag.Parse()
	switch *mode {
	case "go-double-unlock":
		// The seed calls this a panic. If it were one, recover would see it.
		defer func() {
			if r := recover(); r != nil {
				fmt.Printf("recovered=%v\n", r)
			}
		}()
		var mu sync.Mutex
		mu.Lock()
		mu.Unlock()
		fmt.Println("first_unlock=ok")
		mu.Unlock()
		fmt.Println("second_unlock=returned")
	case "go-cross-unlock":
		// sync.Mutex has no owner: another goroutine may unlock it (documented).
		var mu sync.Mutex
		mu.Lock()
		done := make(chan bool)
		go func() {
			mu.Unlock()
			done <- mu.TryLock()
		}()
		fmt.Printf("other_goroutine_unlock=ok\nrelock_after=%v\n", <-done)
	case "c-double-unlock":
		for _, tc := range []struct {
			name string
			typ  C.int
		}{{"default", C.type_default()}, {"errorcheck", C.type_errorcheck()}} {
			r := C.double_unlock(tc.typ)
			fmt.Printf("%s_rc1=%d\n%s_rc2=%d\n%s_relock=%d\n", tc.name, r.rc1, tc.name, r.rc2, tc.name, r.relock)
		}
		fmt.Printf("eperm=%d\n", C.EPERM)
	case "c-cross-unlock":
		for _, tc := range []struct {
			name string
			typ  C.int
		}{{"default", C.type_default()}, {"errorcheck", C.type_errorcheck()}} {
			var rc [2]C.int
			C.cross_unlock(tc.typ, &rc[0])
			fmt.Printf("%s_unlock_rc=%d\n%s_trylock_rc=%d\n", tc.name, rc[0], tc.name, rc[1])
		}
		fmt.Printf("eperm=%d\n", C.EPERM)
	default:
		fmt.Fprintln(os.Stderr, "unknown -mode")
		os.Exit(2)
	}
}
