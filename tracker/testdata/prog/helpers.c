// C side of the tracker test scenarios.
#include "_cgo_export.h"

#include <stdlib.h>
#include <string.h>
#include <pthread.h>

char *make_buf(int n) {
	char *p = malloc(n);
	memset(p, 'x', n);
	return p;
}

void poke(char *p) { p[3] = 42; }

size_t name_len(const char *s) { return strlen(s); }

void *grow_chain(void) {
	int *p = calloc(4, sizeof(int));
	p = realloc(p, 64 * sizeof(int));
	p = realloc(p, 256 * sizeof(int));
	return p;
}

void *aligned(void) {
	void *p = NULL;
	if (posix_memalign(&p, 64, 100) != 0) return NULL;
	return p;
}

char *dup(const char *s) { return strdup(s); }

void *volatile thread_block;

void *thread_main(void *arg) {
	(void)arg;
	thread_block = malloc(77); // leaked by a C thread: no Go stack
	return NULL;
}

void c_thread_leak(void) {
	pthread_t t;
	pthread_create(&t, NULL, thread_main, NULL);
	pthread_join(t, NULL);
}

void call_back(int n) { goCallback(n); }

// grow_big grows a 1 MiB buffer 2000 times by 512 bytes, and a small one
// byte by byte: realloc patterns that must stay cheap under the tracker.
void *grow_big(void) {
	char *p = malloc(1 << 20);
	for (int i = 1; i <= 2000; i++)
		p = realloc(p, (1 << 20) + i * 512);
	char *q = malloc(16);
	for (int i = 1; i <= 5000; i++)
		q = realloc(q, 16 + i);
	free(q);
	return p;
}

// register_tls_dtor does what C++ does for a thread_local object with a
// destructor: glibc allocates a list node, freed when the thread exits.
extern int __cxa_thread_atexit_impl(void (*dtor)(void *), void *obj, void *dso);
static void tls_dtor(void *obj) { (void)obj; }
static int tls_obj; // not __thread: the internal-linking test links this file, and Go's linker takes no TLS relocations
void register_tls_dtor(void) { __cxa_thread_atexit_impl(tls_dtor, &tls_obj, NULL); } // NULL: the main program (no __dso_handle under internal linking)

// dl_fail makes glibc keep a failed dlopen's message for this thread: it
// allocates it in libc's internal functions, which only a debug symbol
// table names.
#include <dlfcn.h>
int dl_fail(void) { return dlopen("/nonexistent/cgoguard-no-such-lib.so", RTLD_NOW) == NULL; }
