// The same event registry, keyed by an integer handle instead of a pointer.
#include <stdint.h>
#include "_cgo_export.h"

enum { MAX_ENTRIES = 1024 };

static struct {
	uintptr_t handle;
	int64_t id;
} entries[MAX_ENTRIES];
static int count;

// on_event keeps an integer: nothing for the Go GC to miss.
void on_event(uintptr_t handle, int64_t id) {
	if (count < MAX_ENTRIES) {
		entries[count].handle = handle;
		entries[count].id = id;
		count++;
	}
}

int fire_all(void) {
	int wrong = 0;
	for (int i = 0; i < count; i++) {
		if (!goCallback(entries[i].handle, entries[i].id)) {
			wrong++;
		}
	}
	count = 0;
	return wrong;
}
