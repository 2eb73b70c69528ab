// The same small C tree library as bad's, used through its accessors only:
// no call from C back into Go.
#ifndef TREE_H
#define TREE_H

typedef struct node {
	int id;
	int nchild;
	struct node **child;
} node;

node *tree_chain(int depth); // a path of depth nodes: deeply nested input
void tree_free(node *root);
int node_nchild(const node *n);
node *node_child(const node *n, int i);

// c_stack_size is the size of the calling thread's stack; c_stack_used is how
// much of it lies above the caller's frame.
long c_stack_size(void);
long c_stack_used(void);
long c_stack_used_max(void); // the most c_stack_used has returned

#endif
