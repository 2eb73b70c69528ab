// An event registry in the style of a C event loop: callers register a
// user-data pointer, and the loop later calls back into Go with it.
#include <stdint.h>
#include "_cgo_export.h"

enum { MAX_ENTRIES = 1024 };

static struct {
	void *data;
	int64_t id;
} entries[MAX_ENTRIES];
static int count;

// on_event keeps data until fire_all: C holds the pointer after the call returns.
void on_event(void *data, int64_t id) {
	if (count < MAX_ENTRIES) {
		entries[count].data = data;
		entries[count].id = id;
		count++;
	}
}

// fire_all runs every registered callback and returns how many saw wrong data.
int fire_all(void) {
	int wrong = 0;
	for (int i = 0; i < count; i++) {
		if (!goCallback(entries[i].data, entries[i].id)) {
			wrong++;
		}
	}
	count = 0;
	return wrong;
}
