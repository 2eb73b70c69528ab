#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "clib.h"

static char order[256];

void trace(const char *who) {
	if (order[0]) strncat(order, ",", sizeof order - strlen(order) - 1);
	strncat(order, who, sizeof order - strlen(order) - 1);
}

const char *trace_log(void) { return order; }

void lib_report(int n) { printf("c_report=%d\n", n); }

// write(2), not stdio: its output must not depend on the buffering it is testing.
static void say(const char *s) { ssize_t r = write(1, s, strlen(s)); (void)r; }

static int shut;

void lib_shutdown(void) {
	if (shut++) return;
	fflush(stdout);
	say("cleanup_ran=1\n");
}

static void at_exit(void) {
	say("atexit_ran=1\n");
	lib_shutdown();
}

__attribute__((constructor)) static void lib_init(void) {
	trace("c_ctor");
	atexit(at_exit);
}
