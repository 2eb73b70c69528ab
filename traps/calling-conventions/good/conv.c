#include "conv.h"

// Each argument gets its own weight so that a swapped, dropped or shifted
// argument changes the result.
int64_t sum10(int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4,
		int64_t a5, int64_t a6, int64_t a7, int64_t a8, int64_t a9) {
	return a0 + 2 * a1 + 3 * a2 + 4 * a3 + 5 * a4 + 6 * a5 + 7 * a6 + 8 * a7 + 9 * a8 + 10 * a9;
}

double mix(int a, double b, float c, int64_t d, double e, double f,
		double g, double h, double i, double j, double k) {
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j + 11 * k;
}

vec2 vcombine(vec2 a, vec2 b) {
	vec2 r = {a.x + 2 * b.x, a.y * b.y};
	return r;
}

triple tcombine(triple a, triple b, int k) {
	triple r = {a.a + k * b.a, a.b - k * b.b, a.c * b.c + k};
	return r;
}
