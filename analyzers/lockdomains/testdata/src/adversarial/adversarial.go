// Package adversarial has correct code that a lock-domain check could
// mistake for two lock domains, and bugs it should still find.
package adversarial

/*
#cgo LDFLAGS: -lpthread
#include <pthread.h>
#include <stdatomic.h>
#include "lockutil.h"

// 1. The library's threads use a different global than the one Go serialises.
static pthread_mutex_t t_mu = PTHREAD_MUTEX_INITIALIZER;
static long t_ticks;
static long parse_state;
static void *ticker(void *a) { for (;;) { pthread_mutex_lock(&t_mu); t_ticks++; pthread_mutex_unlock(&t_mu); } return a; }
static void start_ticker(void) { pthread_t t; pthread_create(&t, 0, ticker, 0); }
static void parse_step(void) { parse_state++; }

// 2. C threads read a global that Go writes through a locked entry point (a macro).
#define LOCK(m) do { pthread_mutex_lock(&(m)); } while (0)
#define UNLOCK(m) pthread_mutex_unlock(&(m))
static pthread_mutex_t cfg_mu = PTHREAD_MUTEX_INITIALIZER;
static int cfg_level;
static void *cfg_reader(void *a) { int l; for (;;) { LOCK(cfg_mu); l = cfg_level; UNLOCK(cfg_mu); (void)l; } return a; }
static void start_cfg(void) { pthread_t t; pthread_create(&t, 0, cfg_reader, 0); }
static void set_level(int l) { LOCK(cfg_mu); cfg_level = l; UNLOCK(cfg_mu); }

// 3. Early returns with unlock, and goto cleanup.
static int set_level_checked(int l) {
	pthread_mutex_lock(&cfg_mu);
	if (l < 0) { pthread_mutex_unlock(&cfg_mu); return -1; }
	cfg_level = l;
	pthread_mutex_unlock(&cfg_mu);
	return 0;
}
static int set_level_goto(int l) {
	int rc = -1;
	pthread_mutex_lock(&cfg_mu);
	if (l < 0) goto out;
	if (l > 100) goto out;
	cfg_level = l;
	rc = 0;
out:
	pthread_mutex_unlock(&cfg_mu);
	return rc;
}

// 4. A lock taken by a static inline helper from a header.
static long h_count;
static void *h_worker(void *a) { for (;;) { h_lock(); h_count++; h_unlock(); } return a; }
static void start_h(void) { pthread_t t; pthread_create(&t, 0, h_worker, 0); }
static void h_reset(void) { h_lock(); h_count = 0; h_unlock(); }
static void h_reset_bad(void) { h_count = 0; }

// 5. Lock in begin(), unlock in end(): Go brackets the raw accessor.
static pthread_mutex_t be_mu = PTHREAD_MUTEX_INITIALIZER;
static long be_val;
static void *be_worker(void *a) { for (;;) { pthread_mutex_lock(&be_mu); be_val++; pthread_mutex_unlock(&be_mu); } return a; }
static void start_be(void) { pthread_t t; pthread_create(&t, 0, be_worker, 0); }
static void lib_begin(void) { pthread_mutex_lock(&be_mu); }
static void lib_end(void) { pthread_mutex_unlock(&be_mu); }
static void be_set(long v) { be_val = v; }

// 6. Workers accumulate under a mutex; the function that starts them reads
// the total after joining them.
static pthread_mutex_t sum_mu = PTHREAD_MUTEX_INITIALIZER;
static long sum_total;
static void *summer(void *a) { pthread_mutex_lock(&sum_mu); sum_total += (long)a; pthread_mutex_unlock(&sum_mu); return 0; }
static long run_batch(int n) {
	pthread_t ts[8];
	int i;
	sum_total = 0;
	for (i = 0; i < n && i < 8; i++) pthread_create(&ts[i], 0, summer, (void *)(long)i);
	for (i = 0; i < n && i < 8; i++) pthread_join(ts[i], 0);
	return sum_total;
}

// 7. Setup in a helper before the thread is started.
static pthread_mutex_t job_mu = PTHREAD_MUTEX_INITIALIZER;
static int job_limit;
static void *jobber(void *a) { for (;;) { pthread_mutex_lock(&job_mu); if (job_limit > 0) job_limit--; pthread_mutex_unlock(&job_mu); } return a; }
static void job_setup(int n) { job_limit = n; }
static void job_start(int n) { pthread_t t; job_setup(n); pthread_create(&t, 0, jobber, 0); }

// 8. C11 atomics: every access to an _Atomic object is atomic.
static pthread_mutex_t at_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic long at_count;
static atomic_int at_flag;
static void *at_worker(void *a) { for (;;) { pthread_mutex_lock(&at_mu); at_count++; at_flag = 1; pthread_mutex_unlock(&at_mu); } return a; }
static void start_at(void) { pthread_t t; pthread_create(&t, 0, at_worker, 0); }
static long at_get(void) { return at_count; }
static void at_clear(void) { at_flag = 0; }
static long gnu_atomic_get(void) { return __atomic_load_n(&t_ticks, __ATOMIC_SEQ_CST); }

// 9. Thread-local state.
static __thread long tl_a;
static _Thread_local long tl_b;
static void *tl_worker(void *a) { for (;;) { pthread_mutex_lock(&t_mu); tl_a++; tl_b++; pthread_mutex_unlock(&t_mu); } return a; }
static void start_tl(void) { pthread_t t; pthread_create(&t, 0, tl_worker, 0); }
static void tl_set(long v) { tl_a = v; tl_b = v; }

// 10. A recursive mutex: a helper relocks it while the caller holds it.
static pthread_mutex_t rec_mu;
static long rec_val;
static void rec_log(void) { pthread_mutex_lock(&rec_mu); pthread_mutex_unlock(&rec_mu); }
static void *rec_worker(void *a) { for (;;) { pthread_mutex_lock(&rec_mu); rec_val++; pthread_mutex_unlock(&rec_mu); } return a; }
static void start_rec(void) { pthread_t t; pthread_create(&t, 0, rec_worker, 0); }
static void rec_set(long v) { pthread_mutex_lock(&rec_mu); rec_log(); rec_val = v; pthread_mutex_unlock(&rec_mu); }

// 11. Locks in an array, by shard.
static pthread_mutex_t shard_mu[4] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER };
static long shard_val[4];
static void *shard_worker(void *a) { long i = (long)a & 3; for (;;) { pthread_mutex_lock(&shard_mu[i]); shard_val[i]++; pthread_mutex_unlock(&shard_mu[i]); } return a; }
static void start_shard(void) { pthread_t t; pthread_create(&t, 0, shard_worker, 0); }
static long shard_get(int i) { long v; pthread_mutex_lock(&shard_mu[i & 3]); v = shard_val[i & 3]; pthread_mutex_unlock(&shard_mu[i & 3]); return v; }
static long shard_get_bad(int i) { return shard_val[i & 3]; }

// 12. A trylock loop in the thread: held after the loop.
static pthread_mutex_t spin_mu = PTHREAD_MUTEX_INITIALIZER;
static long spin_val;
static void *spinner(void *a) { for (;;) { while (pthread_mutex_trylock(&spin_mu) != 0) ; spin_val++; pthread_mutex_unlock(&spin_mu); } return a; }
static void start_spin(void) { pthread_t t; pthread_create(&t, 0, spinner, 0); }
static void spin_set(long v) { spin_val = v; }
static void spin_set_locked(long v) { while (pthread_mutex_trylock(&spin_mu)) ; spin_val = v; pthread_mutex_unlock(&spin_mu); }

// 13. Go configures, then starts the threads, in one Go function.
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static int pool_size;
static void *pooler(void *a) { for (;;) { pthread_mutex_lock(&pool_mu); if (pool_size) pool_size--; pthread_mutex_unlock(&pool_mu); } return a; }
static void pool_configure(int n) { pool_size = n; }
static void pool_start(void) { pthread_t t; pthread_create(&t, 0, pooler, 0); }
*/
import "C"

import "sync"

var mu sync.Mutex

// 1: Go serialises parse_state; the C threads touch t_ticks only.
func parse() {
	mu.Lock()
	C.parse_step()
	mu.Unlock()
}

// 2: the locked entry point, through macros.
func setLevel(l int) {
	mu.Lock()
	C.set_level(C.int(l))
	mu.Unlock()
}

// 3: early return and goto cleanup keep the lock on the access.
func setLevelChecked(l int) {
	mu.Lock()
	C.set_level_checked(C.int(l))
	C.set_level_goto(C.int(l))
	mu.Unlock()
}

// 4: the header's inline helpers take h_mu.
func hReset() {
	mu.Lock()
	C.h_reset()
	C.h_reset_bad() // want `C.h_reset_bad writes C state h_count with no C lock, under Go mutex mu only, while C threads running h_worker`
	mu.Unlock()
}

// 5: the C lock is taken by one cgo call and released by another.
func beSet(v int64) {
	mu.Lock()
	C.lib_begin()
	C.be_set(C.long(v))
	C.lib_end()
	mu.Unlock()
}

// 5b: after lib_end the accessor is unlocked again: reported.
func beSetLate(v int64) {
	mu.Lock()
	C.lib_begin()
	C.lib_end()
	C.be_set(C.long(v)) // want `C.be_set writes C state be_val with no C lock, under Go mutex mu only, while C threads running be_worker`
	mu.Unlock()
}

// 6: the total is read after the join.
func runBatch(n int) int64 {
	mu.Lock()
	defer mu.Unlock()
	return int64(C.run_batch(C.int(n)))
}

// 7: set up before the thread starts.
func jobStart(n int) {
	mu.Lock()
	C.job_start(C.int(n))
	mu.Unlock()
}

// 8: atomics.
func atomics() int64 {
	mu.Lock()
	defer mu.Unlock()
	C.at_clear()
	_ = C.gnu_atomic_get()
	return int64(C.at_get())
}

// 9: thread-local.
func tlSet() {
	mu.Lock()
	C.tl_set(1)
	mu.Unlock()
}

// 10: recursive mutex.
func recSet() {
	mu.Lock()
	C.rec_set(1)
	mu.Unlock()
}

// 11: sharded locks: the right shard lock (silent), none (reported).
func shards() {
	mu.Lock()
	C.shard_get(1)
	C.shard_get_bad(1) // want `C.shard_get_bad reads C state shard_val\[\] with no C lock, under Go mutex mu only`
	mu.Unlock()
}

// 12: the thread takes spin_mu by a trylock loop.
func spin() {
	mu.Lock()
	C.spin_set_locked(1)
	C.spin_set(1) // want `C.spin_set writes C state spin_val with no C lock, under Go mutex mu only, while C threads running spinner`
	mu.Unlock()
}

// 13: configure, then start, under the Go mutex.
func poolStart(n int) {
	mu.Lock()
	defer mu.Unlock()
	C.pool_configure(C.int(n))
	C.pool_start()
}

// 13b: reconfiguring after the start races with the threads: reported.
func poolRestart(n int) {
	mu.Lock()
	defer mu.Unlock()
	C.pool_start()
	C.pool_configure(C.int(n)) // want `C.pool_configure writes C state pool_size with no C lock, under Go mutex mu only, while C threads running pooler`
}

// 13c: in a loop, the second configure runs while the first threads do: reported.
func poolLoop(n int) {
	mu.Lock()
	defer mu.Unlock()
	for i := 0; i < n; i++ {
		C.pool_configure(C.int(n)) // want `C.pool_configure writes C state pool_size with no C lock, under Go mutex mu only, while C threads running pooler`
		C.pool_start()
	}
}

func start() {
	C.start_ticker()
	C.start_cfg()
	C.start_h()
	C.start_be()
	C.start_at()
	C.start_tl()
	C.start_rec()
	C.start_shard()
	C.start_spin()
}
