#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "tree.h"

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
