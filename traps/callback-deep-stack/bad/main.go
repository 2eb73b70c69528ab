// Command bad walks a deeply nested C tree the way libclang-style visitor APIs
// invite: C calls a Go visitor for each child, and the visitor descends by
// calling back into C. The Go side of every level grows the goroutine stack
// without trouble (the seed's claim is a myth), but the C side of every level
// stays on the thread's fixed-size stack, and deep input overflows it.
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
	goRecurse = flag.Int("gorecurse", 0, "extra Go recursion (8 KiB frames) inside the deepest callback")
)

// deep recurses in Go with an 8 KiB frame per level, inside a callback.
func deep(n int) int {
	var frame [8192]byte
	frame[n%len(frame)] = byte(n)
	if n == 0 {
		leafStack = goStackBytes()
		return int(frame[0])
	}
	return deep(n-1) + int(frame[n%len(frame)])
}

//export goVisit
func goVisit(n *C.node, depth C.int) C.int {
	var scratch [1024]byte // a big Go local: it lives on the goroutine stack, which grows
	scratch[int(depth)%len(scratch)] = byte(depth)
	maxDepth = max(maxDepth, int(depth))
	if C.node_nchild(n) == 0 {
		leafStack = goStackBytes()
		if *goRecurse > 0 {
			deep(*goRecurse)
		}
		return 1 + C.int(scratch[0])
	}
	return 1 + C.tree_visit_children(n, depth) // trap: each nesting level keeps its C frames on the thread's fixed stack; deep input overflows it
}

func main() {
	depth := flag.Int("depth", 1000, "nesting depth of the tree")
	flag.Parse()
	fmt.Printf("main_thread_stack_size=%d\ngo_stack_before=%d\n", C.c_stack_size(), goStackBytes())
	root := C.tree_chain(C.int(*depth))
	done := make(chan C.int)
	go func() { done <- 1 + C.tree_visit_children(root, 1) }()
	visited := <-done
	C.tree_free(root)
	fmt.Printf("visited=%d\ndepth=%d\nc_stack_used_max=%d\ngo_stack_at_leaf=%d\n",
		visited, maxDepth, C.c_stack_used_max(), leafStack)
}
