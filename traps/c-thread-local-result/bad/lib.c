#include <stdio.h>
#include <string.h>

#include "lib.h"

static __thread char last_error[64];

int lib_op(int id) {
	snprintf(last_error, sizeof last_error, "op %d failed", id);
	return -1;
}

const char *lib_last_error(void) { return last_error; }

int lib_op_error(int id, char *buf, int n) {
	int r = lib_op(id);
	snprintf(buf, (size_t)n, "%s", lib_last_error());
	return r;
}
