#define _GNU_SOURCE
#include "ctest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "_cgo_export.h"

void ctest_noop(void) {}
void ctest_usleep(unsigned us) { usleep(us); }

size_t ctest_strlen(const char *s) { return strlen(s); }

unsigned ctest_sum(const void *buf, size_t n) {
	const unsigned char *b = buf;
	unsigned s = 0;
	for (size_t i = 0; i < n; i++) s += b[i];
	return s;
}

void ctest_fill_record(struct ctest_record *r) {
	r->id_kind = 7;
	r->id_num = -42;
	snprintf(r->id_name, sizeof r->id_name, "%s", "from C");
	r->id_score = 2.5;
	r->id_flags = 0x81;
	r->id_stamp = 1700000000123LL;
}

static size_t page_round(size_t n) {
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	return (n + pg - 1) / pg * pg;
}

void *ctest_guarded(size_t n) {
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = page_round(n);
	char *base = mmap(NULL, body + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) return NULL;
	mprotect(base + body, pg, PROT_NONE);
	memset(base, 'x', body);
	return base + body - n;
}

void ctest_guarded_free(void *p, size_t n) {
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = page_round(n);
	char *base = (char *)p + n - body;
	munmap(base, body + pg);
}

static __thread char last_error[128];

void ctest_fail(const char *msg) { snprintf(last_error, sizeof last_error, "%s", msg); }
const char *ctest_last_error(void) { return last_error; }
int ctest_gettid(void) { return (int)syscall(SYS_gettid); }

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static atomic_int tls_destroyed;
static void tls_destroy(void *p) { (void)p; atomic_fetch_add(&tls_destroyed, 1); }
static void tls_make_key(void) { pthread_key_create(&tls_key, tls_destroy); }
void ctest_tls_arm(void) {
	pthread_once(&tls_once, tls_make_key);
	static int marker;
	pthread_setspecific(tls_key, &marker);
}
int ctest_tls_destroyed(void) { return atomic_load(&tls_destroyed); }

static atomic_int flag;

int ctest_wait_flag(unsigned timeout_ms) {
	for (unsigned waited = 0; waited < timeout_ms; waited++) {
		if (atomic_load(&flag)) return 1;
		usleep(1000);
	}
	return atomic_load(&flag);
}
void ctest_set_flag(void) { atomic_store(&flag, 1); }
void ctest_clear_flag(void) { atomic_store(&flag, 0); }

void ctest_call_with_handle(uintptr_t h) { ctestGoCallback(h); }
