// plugin.c is a C library of the SWIG kind: it leaves _cgo_panic and
// crosscall2 undefined and expects the Go program that loads it to define
// them. Built with: cc -shared -fPIC -o plugin.so plugin.c
#include <stddef.h>

extern void crosscall2(void (*fn)(void *), void *a, int c, size_t ctxt);
extern void _cgo_panic(void *a);

void plugin_fail(const char *msg) {
	struct { const char *p; } a;
	a.p = msg;
	crosscall2(_cgo_panic, &a, (int)sizeof a, 0);
}
