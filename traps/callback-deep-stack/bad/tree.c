#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tree.h"
#include "_cgo_export.h"

node *tree_chain(int depth) {
	node *root = 0, **link = &root;
	for (int i = 0; i < depth; i++) {
		node *n = calloc(1, sizeof *n);
		n->id = i;
		*link = n;
		if (i + 1 < depth) {
			n->nchild = 1;
			n->child = calloc(1, sizeof *n->child);
			link = &n->child[0];
		}
	}
	return root;
}

void tree_free(node *n) {
	while (n) { // iterative: the chain may be deeper than any stack
		node *next = n->nchild ? n->child[0] : 0;
		free(n->child);
		free(n);
		n = next;
	}
}

int node_nchild(const node *n) { return n->nchild; }
node *node_child(const node *n, int i) { return n->child[i]; }

static __thread char *stack_hi; // top of this thread's stack
static __thread long stack_size;
static atomic_long used_max;

static void stack_bounds(void) {
	pthread_attr_t a;
	void *lo;
	size_t sz;
	if (stack_hi || pthread_getattr_np(pthread_self(), &a) != 0) return;
	pthread_attr_getstack(&a, &lo, &sz);
	pthread_attr_destroy(&a);
	stack_hi = (char *)lo + sz;
	stack_size = (long)sz;
}

long c_stack_size(void) { stack_bounds(); return stack_size; }

long c_stack_used(void) {
	char here;
	stack_bounds();
	long used = stack_hi - &here;
	for (long m = atomic_load(&used_max); used > m && !atomic_compare_exchange_weak(&used_max, &m, used);)
		;
	return used;
}

long c_stack_used_max(void) { return atomic_load(&used_max); }

int tree_visit_children(node *n, int depth) {
	char label[128]; // a typical small local: the child's printable label
	int sum = 0;
	if (depth % 256 == 0) {
		// Progress straight to fd 1, so the last line survives a crash.
		char line[128];
		long used = c_stack_used();
		int k = snprintf(line, sizeof line, "reached=%d\nc_stack_used=%ld\nthread_stack_size=%ld\n", depth, used, c_stack_size());
		write(1, line, k);
	}
	for (int i = 0; i < n->nchild; i++) {
		snprintf(label, sizeof label, "node %d", n->child[i]->id);
		sum += goVisit(n->child[i], depth + 1) + (label[0] == 'n' ? 0 : 1);
	}
	return sum;
}
