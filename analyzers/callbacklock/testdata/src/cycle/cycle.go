// Package cycle has Go callbacks that C calls under its mutex, some of
// which wait for Go code that needs the same mutex.
package cycle

/*
#include <pthread.h>

extern void goWaitForData(void);
extern void goWaitFree(void);
extern void goNoBlock(void);
extern void goTryOnly(void);
extern void goUnlocked(void);
extern void goLockMu(void);
extern void goIgnored(void);
extern void goViaHelper(void);
extern void goWaitGroup(void);
extern void goEscaped(void);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t other = PTHREAD_MUTEX_INITIALIZER;
static int data;

// --- the gallery's shape.
static void with_lock(void) {
	pthread_mutex_lock(&mu);
	goWaitForData();
	pthread_mutex_unlock(&mu);
}

static void produce(int v) {
	pthread_mutex_lock(&mu);
	data = v;
	pthread_mutex_unlock(&mu);
}

// A C function that takes another lock.
static void produce_other(int v) {
	pthread_mutex_lock(&other);
	data = v;
	pthread_mutex_unlock(&other);
}

// Takes mu on some paths only.
static void maybe_produce(int v) {
	if (v > 0) {
		pthread_mutex_lock(&mu);
		data = v;
		pthread_mutex_unlock(&mu);
	}
}

static void lock_helper(void) { pthread_mutex_lock(&mu); }
static void unlock_helper(void) { pthread_mutex_unlock(&mu); }

static void fire_all(void) {
	lock_helper();
	goWaitFree();
	goNoBlock();
	goTryOnly();
	goLockMu();
	goIgnored();
	goViaHelper();
	goWaitGroup();
	goEscaped();
	unlock_helper();
}

static void fire_unlocked(void) {
	goUnlocked();
}

extern void goPreClosed(void);
static void fire_pre(void) {
	pthread_mutex_lock(&mu);
	goPreClosed();
	pthread_mutex_unlock(&mu);
}

// A read-write lock: readers do not exclude each other, a writer does.
extern void goUnderReadLock(void);
extern void goUnderReadLock2(void);
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static void read_and_call(void) {
	pthread_rwlock_rdlock(&rw);
	goUnderReadLock();
	goUnderReadLock2();
	pthread_rwlock_unlock(&rw);
}
static int read_value(void) { pthread_rwlock_rdlock(&rw); int v = data; pthread_rwlock_unlock(&rw); return v; }
static void write_value(int v) { pthread_rwlock_wrlock(&rw); data = v; pthread_rwlock_unlock(&rw); }
*/
import "C"

import (
	"sync"
	"time"
)

// --- the gallery's shape: reported.

var ready = make(chan struct{})

//export goWaitForData
func goWaitForData() {
	<-ready // want `goWaitForData blocks on <-ready while its C caller with_lock holds mu \(taken at cycle.go:25\), calling it at cycle.go:26; ready is closed only after C.produce, which takes mu \(cycle.go:31\): neither side can go on`
}

func signaller() {
	go func() {
		C.with_lock()
	}()
	go func() {
		C.produce(42)
		close(ready)
	}()
}

// --- the signaller takes no C lock (or only another one): the callback
// just waits, no cycle.

var free = make(chan int)

//export goWaitFree
func goWaitFree() {
	<-free
}

func feedFree() {
	C.produce_other(1)
	free <- 1
}

// --- a callback that does not block.

var counter int

//export goNoBlock
func goNoBlock() {
	counter++
}

// --- a select with a default: does not block.

var wanted = make(chan struct{})

//export goTryOnly
func goTryOnly() {
	select {
	case wanted <- struct{}{}:
	default:
	}
}

func drainWanted() {
	C.produce(1)
	<-wanted
}

// --- called with no C lock held.

var unlockedReady = make(chan struct{})

//export goUnlocked
func goUnlocked() {
	<-unlockedReady
}

func releaseUnlocked() {
	C.produce(2)
	close(unlockedReady)
	C.fire_unlocked()
}

// --- a Go mutex: the callback locks it, and a Go function holds it
// across a C call that takes mu: reported.

var state struct {
	mu sync.Mutex
	n  int
}

//export goLockMu
func goLockMu() {
	state.mu.Lock() // want `goLockMu blocks on state.mu.Lock\(\) while its C caller fire_all holds mu \(taken at cycle.go:52\), calling it at cycle.go:60; update holds state.mu across C.produce, which takes mu \(cycle.go:31\)`
	state.n++
	state.mu.Unlock()
}

func update() {
	state.mu.Lock()
	C.produce(C.int(state.n))
	state.mu.Unlock()
}

// --- suppressed, with a reason.

var ignored = make(chan struct{})

//export goIgnored
func goIgnored() {
	//cgoguard:ignore callbacklock the library releases mu around this hook in the version we link
	<-ignored
}

func releaseIgnored() {
	C.produce(3)
	close(ignored)
}

// --- blocking in a helper, released after a C call on some paths only
// (silent), and a timeout in a select (silent).

var maybeReady = make(chan struct{})

//export goViaHelper
func goViaHelper() {
	waitMaybe()
	select {
	case <-ready:
	case <-time.After(time.Second):
	}
}

func waitMaybe() { <-maybeReady }

func releaseMaybe(v int) {
	C.maybe_produce(C.int(v)) // takes mu only when v > 0
	close(maybeReady)
}

// --- a WaitGroup whose Done comes only after C.produce: reported at the
// callback's call of the helper that waits.

var wg sync.WaitGroup

//export goWaitGroup
func goWaitGroup() {
	waitAll() // want `goWaitGroup blocks on wg.Wait\(\) \(in waitAll\) while its C caller fire_all holds mu .*; wg is Done only after C.produce`
}

func waitAll() { wg.Wait() }

func worker() {
	wg.Add(1)
	go func() {
		C.produce(4)
		wg.Done()
	}()
}

// --- a channel handed to other code: its releases cannot all be seen.

var escaped = make(chan struct{})

//export goEscaped
func goEscaped() {
	<-escaped
}

func releaseEscaped() {
	C.produce(5)
	close(escaped)
	register(escaped)
}

func register(ch chan struct{}) { _ = ch }

// --- closed before the C call that calls back: the receive does not wait.

var preReady = make(chan struct{})

//export goPreClosed
func goPreClosed() {
	<-preReady
}

func preClose() {
	C.produce(6)
	close(preReady)
	C.fire_pre()
}

// --- C holds a read lock; the releaser takes it in read mode too (silent)
// or in write mode (reported).

var afterRead = make(chan struct{})

//export goUnderReadLock
func goUnderReadLock() {
	<-afterRead
}

func releaseAfterRead() {
	C.read_value()
	close(afterRead)
}

var afterWrite = make(chan struct{})

//export goUnderReadLock2
func goUnderReadLock2() {
	<-afterWrite // want `goUnderReadLock2 blocks on <-afterWrite while its C caller read_and_call holds rw .*; afterWrite is closed only after C.write_value, which takes rw`
}

func releaseAfterWrite() {
	C.write_value(1)
	close(afterWrite)
}
