/* A library's public header, outside the package that includes it. */
#include <string.h>

/* lib_msg is filled by the library; it keeps len <= sizeof body. */
struct lib_msg {
	unsigned len;
	char body[16];
};

static inline void lib_fill(struct lib_msg *m, const char *s) {
	size_t n = strlen(s);
	if (n > sizeof m->body)
		n = sizeof m->body;
	memcpy(m->body, s, n);
	m->len = (unsigned)n;
}
