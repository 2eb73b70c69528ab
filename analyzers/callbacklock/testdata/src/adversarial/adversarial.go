// Package adversarial has callbacks that C calls under a lock and that look
// like the callback-blocks-under-c-lock cycle but are not, and some that are.
package adversarial

/*
#include <pthread.h>

extern void goReleasedFirst(void);
extern void goBuffered(void);
extern void goHop(void);
extern void goHotLock(void);
extern void goWarmLock(void);
extern void goEarly(int);
extern void goMacro(void);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int data;

#define LOCK() pthread_mutex_lock(&mu)
#define UNLOCK() pthread_mutex_unlock(&mu)

static void produce(int v) { LOCK(); data = v; UNLOCK(); }

// The lock is taken and released before the callback is called.
static void fire_after(void) {
	pthread_mutex_lock(&mu);
	data++;
	pthread_mutex_unlock(&mu);
	goReleasedFirst();
}

// Called under mu.
static void fire_locked(void) {
	pthread_mutex_lock(&mu);
	goBuffered();
	goHop();
	goHotLock();
	goWarmLock();
	pthread_mutex_unlock(&mu);
}

// An early return that unlocks: the callback on the other path is called
// with mu held.
static int fire_early(int v) {
	pthread_mutex_lock(&mu);
	if (v < 0) {
		pthread_mutex_unlock(&mu);
		return -1;
	}
	goEarly(v);
	pthread_mutex_unlock(&mu);
	return 0;
}

// A macro around the lock, and a goto cleanup.
static int fire_macro(int v) {
	int rc = -1;
	LOCK();
	if (v < 0) goto out;
	goMacro();
	rc = 0;
out:
	UNLOCK();
	return rc;
}
*/
import "C"

import "sync"

// --- C released mu before calling back: no cycle.

var relFirst = make(chan int)

//export goReleasedFirst
func goReleasedFirst() {
	<-relFirst
}

func feedRelFirst() {
	C.produce(1)
	relFirst <- 1
}

// --- a send on a buffered channel with room does not wait.

var events = make(chan int, 16)

//export goBuffered
func goBuffered() {
	events <- 1
}

func drainEvents() {
	C.produce(2)
	<-events
}

// --- a goroutine hop: the callback hands the value to a goroutine that
// drains the channel and then calls C; the drain does not come after a C
// call on every path (the first iteration), so the callback is not stuck.

var work = make(chan int)

//export goHop
func goHop() {
	work <- 1
}

func drainer() {
	for v := range work {
		C.produce(C.int(v))
	}
}

// --- two package-level instances of a struct with a mutex: the callback
// locks hot's, the C call is made holding cold's.

type cache struct {
	mu sync.Mutex
	n  int
}

var hot, cold cache

//export goHotLock
func goHotLock() {
	hot.mu.Lock()
	hot.n++
	hot.mu.Unlock()
}

func flushCold() {
	cold.mu.Lock()
	C.produce(C.int(cold.n))
	cold.mu.Unlock()
}

// --- the same variable's mutex on both sides: reported.

var warm cache

//export goWarmLock
func goWarmLock() {
	warm.mu.Lock() // want `goWarmLock blocks on warm.mu.Lock\(\) while its C caller fire_locked holds mu .* flushWarm holds warm.mu across C.produce`
	warm.n++
	warm.mu.Unlock()
}

func flushWarm() {
	warm.mu.Lock()
	C.produce(C.int(warm.n))
	warm.mu.Unlock()
}

// --- the cycle behind an early return and a macro with goto cleanup:
// reported.

var early = make(chan struct{})

//export goEarly
func goEarly(v C.int) {
	<-early // want `goEarly blocks on <-early while its C caller fire_early holds mu`
}

func releaseEarly() {
	C.produce(3)
	close(early)
}

var viaMacro = make(chan struct{})

//export goMacro
func goMacro() {
	<-viaMacro // want `goMacro blocks on <-viaMacro while its C caller fire_macro holds mu`
}

func releaseMacro() {
	C.produce(4)
	close(viaMacro)
}
