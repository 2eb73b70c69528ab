#include <stdlib.h>
char *make_buf(int n);
void poke(char *p);
void *grow_chain(void);
void *aligned(void);
char *dup(const char *s);
void c_thread_leak(void);
void register_tls_dtor(void);
int dl_fail(void);
void call_back(int n);
size_t name_len(const char *s);
void *grow_big(void);
