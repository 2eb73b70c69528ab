// Command good walks the same deeply nested C tree with the recursion in Go:
// it reads the tree through C accessors that return at once, so the thread's
// C stack stays flat, while the Go recursion (with the same big frames) grows
// the goroutine stack as deep as the input needs.
package main

/*
#include "tree.h"
*/
import "C"

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/metrics"
)

// The main goroutine keeps the main thread, whose stack differs (it grows up to
// RLIMIT_STACK); the walk runs in another goroutine, on a thread the runtime
// created with pthread's default stack size, like most cgo calls in a server.
func init() { runtime.LockOSThread() }

// goStackBytes is the heap memory reserved for goroutine stacks.
func goStackBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

var (
	maxDepth  int
	leafStack uint64
)

// walk visits n and its subtree and returns the number of nodes visited.
func walk(n *C.node, depth int) int {
	var scratch [1024]byte // the same big Go local as bad's visitor
	scratch[depth%len(scratch)] = byte(depth)
	maxDepth = max(maxDepth, depth)
	C.c_stack_used() // records how much C stack this call needed
	k := int(C.node_nchild(n))
	if k == 0 {
		leafStack = goStackBytes()
	}
	count := 1 + int(scratch[0])
	for i := 0; i < k; i++ {
		count += walk(C.node_child(n, C.int(i)), depth+1)
	}
	return count
}

func main() {
	depth := flag.Int("depth", 1000, "nesting depth of the tree")
	flag.Parse()
	fmt.Printf("main_thread_stack_size=%d\ngo_stack_before=%d\n", C.c_stack_size(), goStackBytes())
	root := C.tree_chain(C.int(*depth))
	done := make(chan int)
	go func() {
		fmt.Printf("thread_stack_size=%d\n", C.c_stack_size())
		done <- walk(root, 1)
	}()
	visited := <-done
	C.tree_free(root)
	fmt.Printf("visited=%d\ndepth=%d\nc_stack_used_max=%d\ngo_stack_at_leaf=%d\n",
		visited, maxDepth, C.c_stack_used_max(), leafStack)
}
