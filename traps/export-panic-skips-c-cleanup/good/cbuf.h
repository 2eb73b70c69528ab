// cbuf.h: a C library that calls back into Go while it holds a lock or a
// malloc'd buffer, and releases them after the callback returns.
#include <stddef.h>

int store_update(int key);     // locks the store, calls goValidate, unlocks
int transform(int n);          // mallocs a record, calls goValidate on it, frees it
int store_lock_busy(void);     // 1 if the store's mutex is held (trylock says EBUSY)
size_t record_size(void);
