// race_window is test instrumentation placed inside the window that the code
// around it already has: it holds each caller until a second caller arrives
// (or 10 s pass), so that two concurrent calls overlap there on every run
// instead of once in a while. It can be passed again (a new generation):
// set_buffer passes it once more after its free, so that on a loaded machine
// one caller cannot run ahead and malloc the freed block back before the
// other's free, which would turn the double free into a free of a live block.
#include <sched.h>
#include <time.h>

static int race_arrived, race_generation, race_timeouts;

static void race_window(void) {
	int gen = __atomic_load_n(&race_generation, __ATOMIC_ACQUIRE);
	if (__atomic_add_fetch(&race_arrived, 1, __ATOMIC_ACQ_REL) == 2) {
		__atomic_store_n(&race_arrived, 0, __ATOMIC_RELAXED);
		__atomic_add_fetch(&race_generation, 1, __ATOMIC_RELEASE);
		return;
	}
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (__atomic_load_n(&race_generation, __ATOMIC_ACQUIRE) == gen) {
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= 10) {
			__atomic_add_fetch(&race_timeouts, 1, __ATOMIC_RELAXED);
			return;
		}
	}
}
