#ifndef CGOGUARD_CARENA_CHECKED_H
#define CGOGUARD_CARENA_CHECKED_H
#include <stddef.h>

#define CARENA_POISON 0xDB     // freed memory (if it cannot be protected)
#define CARENA_FRESH 0xBE      // allocated, not yet written
#define CARENA_QUARANTINE 4096 // freed blocks kept mapped and inaccessible
#define CARENA_SITE_LEN 512

void *carena_map(size_t n);
void carena_unmap(void *p, size_t n);
int carena_poison(void *p, size_t n);
void carena_quarantine_set(int slot, void *p, size_t n, const char *site);
int carena_install_handler(void);
#endif
