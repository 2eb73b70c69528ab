// C side of the safe/ packages' tests, examples and benchmarks.
#ifndef CGOGUARD_CTEST_H
#define CGOGUARD_CTEST_H

#include <stddef.h>
#include <stdint.h>

// A record as a C library might declare it: mixed sizes, so natural alignment
// puts padding after id_kind and flags.
struct ctest_record {
	uint8_t  id_kind;
	int32_t  id_num;
	char     id_name[16];
	double   id_score;
	uint8_t  id_flags;
	int64_t  id_stamp;
};

// The same fields packed: a Go struct cannot reproduce this layout.
struct __attribute__((packed)) ctest_packed {
	uint8_t  flag;
	uint32_t id;
	uint16_t len;
};

// Does nothing: the cost of a cgo call itself.
void ctest_noop(void);

// Sleep in C: the archetypal blocking C call.
void ctest_usleep(unsigned us);

// Size of a NUL-terminated C string (reads until the NUL, like any C API).
size_t ctest_strlen(const char *s);

// Sum of the bytes of buf[0..n): a C consumer of a byte buffer.
unsigned ctest_sum(const void *buf, size_t n);

// Fill a struct ctest_record from C.
void ctest_fill_record(struct ctest_record *r);

// Buffer of n writable bytes that ends exactly at a PROT_NONE page, so one
// byte read past it faults instead of reading a neighbour silently.
void *ctest_guarded(size_t n);
void ctest_guarded_free(void *p, size_t n);

// Thread-local state, as C libraries keep it (errno, last-error strings).
void ctest_fail(const char *msg);
const char *ctest_last_error(void);
int ctest_gettid(void);

// A flag that a C call waits on while Go code must run to set it.
int ctest_wait_flag(unsigned timeout_ms);
void ctest_set_flag(void);
void ctest_clear_flag(void);

// Calls back into Go with a handle, as a C library calls a registered callback.
void ctest_call_with_handle(uintptr_t h);

// Gives the calling thread per-thread C state with a destructor, as a C
// library's thread-local cache has; the destructor runs when the thread exits.
void ctest_tls_arm(void);

// How many such destructors have run.
int ctest_tls_destroyed(void);

#endif
