#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conn.h"

// An uncommon size (a 240-byte chunk), so that no small allocation of the Go
// runtime is likely to reuse the chunk between two frees.
struct conn { int fd; char scratch[228]; };

// say logs an event with write(2), not stdio: the line must be out before a
// possible abort.
static void say(const char *what, const void *p) {
	char line[64];
	int n = snprintf(line, sizeof line, "%s=%p\n", what, p);
	ssize_t r = write(1, line, n);
	(void)r;
}

conn_t *conn_open(int fd) {
	conn_t *c = malloc(sizeof *c);
	memset(c, 0, sizeof *c);
	c->fd = fd;
	say("open", c);
	return c;
}

void conn_close(conn_t *c) {
	say("free", c);
	free(c);
}
