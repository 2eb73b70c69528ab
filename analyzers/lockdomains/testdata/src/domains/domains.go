// Package domains has a C library that runs its own threads, and Go code
// that reaches the library's state in right and wrong ways.
package domains

/*
#cgo LDFLAGS: -lpthread
#include <pthread.h>

// --- the gallery's shape: raw accessors, and a locked update for the threads.
static pthread_mutex_t c_mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static long counter_get(void) { return counter; }
static void counter_set(long v) { counter = v; }

static void c_incr(void) {
	pthread_mutex_lock(&c_mu);
	counter++;
	pthread_mutex_unlock(&c_mu);
}

static long c_read(void) {
	pthread_mutex_lock(&c_mu);
	long v = counter;
	pthread_mutex_unlock(&c_mu);
	return v;
}

static void *c_worker(void *arg) {
	for (long i = 0; i < (long)arg; i++) c_incr();
	return 0;
}

static pthread_t workers[4];

static int start_c_workers(long n) {
	for (int i = 0; i < 4; i++)
		if (pthread_create(&workers[i], 0, c_worker, (void *)n) != 0) return i;
	return 4;
}

// --- a lock taken by helper functions, a trylock, and a start wrapper.
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { long sum; long n; } stats;

static void lock_stats(void) { pthread_mutex_lock(&stats_mu); }
static void unlock_stats(void) { pthread_mutex_unlock(&stats_mu); }

static void stats_reset(void) { stats.sum = 0; stats.n = 0; }
static long stats_n(void) { long n; lock_stats(); n = stats.n; unlock_stats(); return n; }

static void *sampler(void *arg) {
	for (;;) {
		if (pthread_mutex_trylock(&stats_mu) != 0) continue;
		stats.sum += 1;
		stats.n++;
		pthread_mutex_unlock(&stats_mu);
	}
	return 0;
}

static int spawn(void *(*fn)(void *), void *arg) {
	pthread_t t;
	return pthread_create(&t, 0, fn, arg);
}

static void start_sampler(void) { spawn(sampler, 0); }

// --- state only Go touches: a non-thread-safe part serialised by Go.
static char last_name[64];
static int name_len;
static void set_name_len(int n) { name_len = n; }

// --- state C threads touch with no lock at all (not a lock-domain question).
static long hits;
static void *hitter(void *arg) { for (;;) hits++; return 0; }
static void start_hitter(void) { pthread_t t; pthread_create(&t, 0, hitter, 0); }
static long hits_get(void) { return hits; }

// --- the wrong C lock, and the right one on some paths only.
static pthread_mutex_t other_mu = PTHREAD_MUTEX_INITIALIZER;
static void counter_set_other(long v) { pthread_mutex_lock(&other_mu); counter = v; pthread_mutex_unlock(&other_mu); }
static void counter_set_maybe(long v, int locked) {
	if (locked) pthread_mutex_lock(&c_mu);
	counter = v;
	if (locked) pthread_mutex_unlock(&c_mu);
}

// --- state set up before the thread that uses it is started.
static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static int q_len;
static void *q_worker(void *arg) { for (;;) { pthread_mutex_lock(&q_mu); q_len--; pthread_mutex_unlock(&q_mu); } return 0; }
static void q_start(void) { pthread_t t; q_len = 0; pthread_create(&t, 0, q_worker, 0); }
static int q2_len;
static void *q2_worker(void *arg) { for (;;) { pthread_mutex_lock(&q_mu); q2_len--; pthread_mutex_unlock(&q_mu); } return 0; }
static void q_reset_late(void) { pthread_t t; pthread_create(&t, 0, q2_worker, 0); q2_len = 0; }

// --- a per-object lock the model cannot name on the Go-called side.
struct box { pthread_mutex_t mu; };
static void stats_reset_in(struct box *b) {
	pthread_mutex_lock(&b->mu);
	stats.n = 0;
	pthread_mutex_unlock(&b->mu);
}
*/
import "C"

import "sync"

var mu sync.Mutex

// goIncr is the gallery's bug: the Go mutex excludes goroutines, not the C threads.
func goIncr() {
	mu.Lock()
	C.counter_set(C.counter_get() + 1) // want `C.counter_set writes C state counter with no C lock, under Go mutex mu only, while C threads running c_worker \(started by pthread_create in start_c_workers at domains.go:38\) update it holding C mutex c_mu: the two locks do not exclude each other, so updates can be lost. C: counter_set writes counter at domains.go:14; c_incr updates counter \(via c_worker → c_incr\) at domains.go:18, c_mu taken by pthread_mutex_lock\(&c_mu\) in c_incr at domains.go:17. Reach counter only through C code that takes c_mu \(such as c_incr, or a C wrapper that takes it\) instead of guarding it with a Go mutex` `C.counter_get reads C state counter with no C lock, under Go mutex mu only`
	mu.Unlock()
}

// goIncrDeferred holds the lock to the return.
func goIncrDeferred() long {
	mu.Lock()
	defer mu.Unlock()
	return long(C.counter_get()) // want `C.counter_get reads C state counter with no C lock, under Go mutex mu only`
}

type long = int64

// incrLocked uses the library's own locked entry point: one lock domain.
func incrLocked() int64 {
	mu.Lock() // pointless, but harmless
	C.c_incr()
	v := C.c_read()
	mu.Unlock()
	return int64(v)
}

// before and after the threads run, with no Go lock: ordered by thread
// creation and join, which is not visible statically: not reported.
func unlocked() int64 {
	return int64(C.counter_get())
}

// resetStats writes the sampler's state under a Go mutex; the sampler holds
// stats_mu, taken by a trylock, and is started through a wrapper.
func resetStats() {
	mu.Lock()
	C.stats_reset() // want `C.stats_reset writes C state stats.sum with no C lock, under Go mutex mu only, while C threads running sampler \(started by pthread_create, called through start_sampler → spawn at domains.go:67\) update it holding C mutex stats_mu: .* C: stats_reset writes stats.sum at domains.go:49; sampler updates stats.sum at domains.go:55, stats_mu taken by pthread_mutex_trylock\(&stats_mu\) in sampler at domains.go:54. Reach stats.sum only through C code that takes stats_mu \(a C wrapper that takes it\) instead`
	mu.Unlock()
}

// statsN goes through the helpers that take stats_mu: correct.
func statsN() int64 {
	mu.Lock()
	defer mu.Unlock()
	return int64(C.stats_n())
}

// resetIn holds a lock the model cannot name (it may be stats_mu): not reported.
func resetIn(b *C.struct_box) {
	mu.Lock()
	C.stats_reset_in(b)
	mu.Unlock()
}

// setNameLen serialises a non-thread-safe part of the library with a Go
// mutex; no C thread touches it: correct, not reported.
func setNameLen(n int) {
	mu.Lock()
	C.set_name_len(C.int(n))
	mu.Unlock()
}

// hits is incremented by a C thread with no lock: a race inside C that a
// Go mutex cannot fix either, but not two lock domains: not reported.
func hitsGet() int64 {
	mu.Lock()
	defer mu.Unlock()
	return int64(C.hits_get())
}

type client struct {
	mu sync.RWMutex
}

// read holds the read lock: still not the C threads' lock.
func (c *client) read() int64 {
	c.mu.RLock()
	v := C.counter_get() // want `C.counter_get reads C state counter with no C lock, under Go mutex c.mu only`
	c.mu.RUnlock()
	return int64(v)
}

// set calls store with the lock held; store is only called so.
func (c *client) set(v int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store(v)
}

func (c *client) store(v int64) {
	C.counter_set(C.long(v)) // want `C.counter_set writes C state counter with no C lock, under Go mutex c.mu \(held by every caller\) only`
}

// qStart sets q_len before it starts the thread that uses it: ordered by
// pthread_create, not reported. qResetLate writes it after: reported.
func qStart() {
	mu.Lock()
	C.q_start()
	C.q_reset_late() // want `C.q_reset_late writes C state q2_len with no C lock, under Go mutex mu only, while C threads running q2_worker`
	mu.Unlock()
}

// setOther holds a C mutex, but not the threads' one: reported.
// setMaybe may hold c_mu (when locked != 0): the model cannot tell, not reported.
func setOther(v int64) {
	mu.Lock()
	C.counter_set_other(C.long(v)) // want `C.counter_set_other writes C state counter without c_mu, under Go mutex mu only`
	C.counter_set_maybe(C.long(v), 1)
	mu.Unlock()
}

// ignored is known and accepted.
func ignored() {
	mu.Lock()
	//cgoguard:ignore lockdomains the threads are joined before this runs in tests
	C.counter_set(0)
	mu.Unlock()
}

// start starts the threads; not under a lock.
func start() {
	C.start_c_workers(10)
	C.start_sampler()
	C.start_hitter()
}
