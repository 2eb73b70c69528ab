// conv.h declares a C library written for 32-bit Windows habits: every
// function is stdcall. On x86-64 gcc ignores the attribute (with a warning):
// there is one calling convention, the System V AMD64 ABI.
#include <stdint.h>

#define STDCALL __attribute__((stdcall))

typedef struct { double x, y; } vec2;      // 16 bytes: passed in two SSE registers
typedef struct { int64_t a, b, c; } triple; // 24 bytes: passed and returned in memory

int64_t STDCALL sum10(int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4,
		int64_t a5, int64_t a6, int64_t a7, int64_t a8, int64_t a9);
double STDCALL mix(int a, double b, float c, int64_t d, double e, double f,
		double g, double h, double i, double j, double k);
vec2 STDCALL vcombine(vec2 a, vec2 b);
triple STDCALL tcombine(triple a, triple b, int k);
