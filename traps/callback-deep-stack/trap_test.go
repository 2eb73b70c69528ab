package callbackdeepstack

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// TestCallbackStackGrows refutes the seed: Go code called back from C runs on
// the goroutine's stack, which grows as usual. 2,000 C->Go->C->Go nesting
// levels, each Go level with a 1 KiB local, then 4,000 more Go frames of 8 KiB
// inside the deepest callback: no "stack growth failed", no "bad stack state".
func TestCallbackStackGrows(t *testing.T) {
	r := trapt.Run(t, trapt.Build(t, "bad"), "-depth", "2000", "-gorecurse", "4000")
	if r.ExitCode != 0 {
		t.Fatalf("bad -depth 2000 -gorecurse 4000: %v", r)
	}
	if v, d := r.Int(t, "visited"), r.Int(t, "depth"); v != 2000 || d != 2000 {
		t.Errorf("visited %d nodes, depth %d; want 2000 and 2000", v, d)
	}
	if s := r.Int(t, "go_stack_at_leaf"); s < 4000*8192 {
		t.Errorf("goroutine stacks at the leaf: %d bytes, want >= %d (4,000 frames of 8 KiB)", s, 4000*8192)
	}
	t.Logf("2,000 nested callbacks + 4,000 x 8 KiB Go frames: goroutine stacks %d -> %d bytes; C stack used %d of %d",
		r.Int(t, "go_stack_before"), r.Int(t, "go_stack_at_leaf"), r.Int(t, "c_stack_used_max"), r.Int(t, "thread_stack_size"))
}

// TestThreadStackOverflow shows what is limited: the C frames of every nesting
// level stay on the thread's fixed stack. Bad is given a tree 1.5 times deeper
// than that stack holds (computed from its own per-level use) and dies with
// SIGSEGV near the end of the thread stack; good walks the same tree with the
// recursion in Go, and its C stack use stays flat.
func TestThreadStackOverflow(t *testing.T) {
	bad, good := trapt.Build(t, "bad"), trapt.Build(t, "good")
	r := trapt.Run(t, bad, "-depth", "2000")
	if r.ExitCode != 0 {
		t.Fatalf("bad -depth 2000: %v", r)
	}
	// The last progress line bad printed: the C stack in use at that depth.
	size := r.Int(t, "thread_stack_size")
	perLevel := r.Int(t, "c_stack_used") / max(r.Int(t, "reached"), 1)
	if perLevel <= 0 || size <= 0 {
		t.Fatalf("thread stack %d bytes, %d bytes per level: %v", size, perLevel, r)
	}
	need := 3 * size / (2 * perLevel)
	if need > 300000 {
		t.Skipf("thread stack of %d bytes would need %d levels; too deep for this test", size, need)
	}
	t.Logf("thread stack %d bytes, %d bytes of it per C->Go->C level: %d levels need 1.5 stacks", size, perLevel, need)

	r = trapt.Run(t, bad, "-depth", itoa(need))
	if r.ExitCode != 2 || !strings.Contains(r.Stderr, "SIGSEGV: segmentation violation") ||
		!strings.Contains(r.Stderr, "signal arrived during cgo execution") {
		t.Fatalf("bad -depth %d: want SIGSEGV in C, exit 2; got %v", need, r)
	}
	reached, used := r.Int(t, "reached"), r.Int(t, "c_stack_used")
	if reached >= need {
		t.Errorf("bad reached depth %d of %d before the crash", reached, need)
	}
	if used < size*9/10 {
		t.Errorf("bad crashed with %d of %d bytes of C stack used; want the stack exhausted", used, size)
	}
	t.Logf("bad: SIGSEGV after depth %d of %d, %d of %d bytes of C stack used", reached, need, used, size)

	r = trapt.Run(t, good, "-depth", itoa(need))
	if r.ExitCode != 0 {
		t.Fatalf("good -depth %d: %v", need, r)
	}
	if v := r.Int(t, "visited"); v != need {
		t.Errorf("good visited %d of %d nodes", v, need)
	}
	if u := r.Int(t, "c_stack_used_max"); u > 64<<10 {
		t.Errorf("good used %d bytes of C stack, want it flat (< 64 KiB)", u)
	}
	if s := r.Int(t, "go_stack_at_leaf"); s < need*1024 {
		t.Errorf("good: goroutine stacks %d bytes at the leaf, want >= %d (1 KiB per level)", s, need*1024)
	}
	t.Logf("good: visited %d, C stack used %d bytes, goroutine stacks %d bytes",
		r.Int(t, "visited"), r.Int(t, "c_stack_used_max"), r.Int(t, "go_stack_at_leaf"))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
