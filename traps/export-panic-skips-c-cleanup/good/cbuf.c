#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "cbuf.h"
#include "_cgo_export.h"

static pthread_mutex_t store_mu = PTHREAD_MUTEX_INITIALIZER;
static int store_value;

enum { RECORD = 1000 };

int store_update(int key) {
	char rec[32];
	snprintf(rec, sizeof rec, "key %d", key);
	pthread_mutex_lock(&store_mu);
	int rc = goValidate(key, rec); // if Go panics through here, the unlock below never runs
	if (rc == 0) store_value = key;
	pthread_mutex_unlock(&store_mu);
	return rc;
}

int transform(int n) {
	char *rec = malloc(RECORD);
	snprintf(rec, RECORD, "record %d", n);
	int rc = goValidate(n, rec); // if Go panics through here, the free below never runs
	free(rec);
	return rc;
}

int store_lock_busy(void) {
	int rc = pthread_mutex_trylock(&store_mu);
	if (rc == 0) {
		pthread_mutex_unlock(&store_mu);
		return 0;
	}
	return rc == EBUSY;
}

size_t record_size(void) { return RECORD; }
