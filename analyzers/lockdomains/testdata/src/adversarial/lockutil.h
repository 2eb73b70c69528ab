#include <pthread.h>

// A lock hidden behind static inline helpers in a header.
static pthread_mutex_t h_mu = PTHREAD_MUTEX_INITIALIZER;
static inline void h_lock(void) { pthread_mutex_lock(&h_mu); }
static inline void h_unlock(void) { pthread_mutex_unlock(&h_mu); }
