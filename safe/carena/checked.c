// C side of carena's checked mode (build tag cgoguard_checked): chunks are
// mmap'd so that Free can poison them and make them inaccessible, and a
// SIGSEGV/SIGBUS handler names the arena a faulting address belonged to
// before handing the signal on to Go's own handler.
#define _GNU_SOURCE
#include "checked.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void *carena_map(size_t n) {
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) return NULL;
	memset(p, CARENA_FRESH, n);
	return p;
}

void carena_unmap(void *p, size_t n) { munmap(p, n); }

int carena_poison(void *p, size_t n) {
	memset(p, CARENA_POISON, n);
	return mprotect(p, n, PROT_NONE);
}

struct quarantined {
	volatile uintptr_t lo, hi;
	char site[CARENA_SITE_LEN];
};

static struct quarantined quar[CARENA_QUARANTINE];
static struct sigaction prev_segv, prev_bus;
static volatile int installed;

void carena_quarantine_set(int slot, void *p, size_t n, const char *site) {
	struct quarantined *q = &quar[slot];
	// Close the slot before rewriting it: the handler may read it at any time.
	q->lo = 0;
	q->hi = 0;
	if (p == NULL) return;
	strncpy(q->site, site, CARENA_SITE_LEN - 1);
	q->site[CARENA_SITE_LEN - 1] = 0;
	q->hi = (uintptr_t)p + n;
	q->lo = (uintptr_t)p;
}

// Async-signal-safe formatting: no stdio in a signal handler.
static void put(const char *s) {
	ssize_t r = write(2, s, strlen(s));
	(void)r;
}
static void put_uint(uintptr_t v, int base) {
	char buf[32];
	int i = sizeof buf;
	buf[--i] = 0;
	do {
		buf[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16) {
		buf[--i] = 'x';
		buf[--i] = '0';
	}
	put(&buf[i]);
}

static void handler(int sig, siginfo_t *si, void *ctx) {
	uintptr_t a = (uintptr_t)si->si_addr;
	for (int i = 0; i < CARENA_QUARANTINE; i++) {
		uintptr_t lo = quar[i].lo, hi = quar[i].hi;
		if (lo != 0 && a >= lo && a < hi) {
			put("cgoguard/carena: use after Free: address ");
			put_uint(a, 16);
			put(" is ");
			put_uint(a - lo, 10);
			put(" bytes into a block of ");
			put_uint(hi - lo, 10);
			put(" bytes of an arena that was freed\n");
			put(quar[i].site);
			put("\n");
			break;
		}
	}
	// Hand on to whoever was there before (Go's handler), which prints the
	// goroutine traces and exits, or turns a fault in Go code into a panic.
	struct sigaction *prev = sig == SIGBUS ? &prev_bus : &prev_segv;
	if (prev->sa_flags & SA_SIGINFO) {
		prev->sa_sigaction(sig, si, ctx);
	} else if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN) {
		// Returning re-runs the faulting access, which now kills the process.
		sigaction(sig, prev, NULL);
	} else {
		prev->sa_handler(sig);
	}
}

int carena_install_handler(void) {
	if (installed) return 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	// SA_ONSTACK: Go runs goroutines on small stacks; the signal must use the
	// alternate stack that Go set up, as Go's own handler does.
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &prev_segv) != 0) return -1;
	if (sigaction(SIGBUS, &sa, &prev_bus) != 0) return -1;
	installed = 1;
	return 0;
}
