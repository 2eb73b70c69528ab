package cgohandleneverdeleted

import (
	"strconv"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// TestEffect: every handle that is never deleted pins its value in the
// runtime/cgo handle table. bad's Go heap (HeapAlloc after a GC) grows by at
// least the 1 KiB payload per call, and none of its requests is collected;
// good's heap stays flat and every request is collected.
func TestEffect(t *testing.T) {
	for _, n := range []int64{2000, 8000} {
		arg := strconv.FormatInt(n, 10)
		bad := trapt.Run(t, trapt.Build(t, "bad"), "-n", arg)
		good := trapt.Run(t, trapt.Build(t, "good"), "-n", arg)
		if bad.ExitCode != 0 || good.ExitCode != 0 {
			t.Fatalf("bad: %v\ngood: %v", bad, good)
		}
		// Both compute the same results: the handles work either way.
		if b, g := bad.Int(t, "checksum"), good.Int(t, "checksum"); b != g || b != n*(n-1)/2 {
			t.Errorf("n=%d: checksums bad %d, good %d, want %d", n, b, g, n*(n-1)/2)
		}
		if g := bad.Int(t, "heap_growth"); g < 1024*n {
			t.Errorf("bad, n=%d: Go heap grew %d bytes, want at least %d (the 1 KiB payload of every call)", n, g, 1024*n)
		}
		if c := bad.Int(t, "collected"); c != 0 {
			t.Errorf("bad, n=%d: %d requests collected, want 0: the handle table pins them", n, c)
		}
		// The flat part: the handle table's own structure, independent of n.
		if g := good.Int(t, "heap_growth"); g > 256<<10 {
			t.Errorf("good, n=%d: Go heap grew %d bytes, want a small constant", n, g)
		}
		if c := good.Int(t, "collected"); c != n {
			t.Errorf("good, n=%d: %d of %d requests collected", n, c, n)
		}
		t.Logf("n=%d: bad grew %d bytes (%d per call), collected %d; good grew %d, collected %d",
			n, bad.Int(t, "heap_growth"), bad.Int(t, "heap_growth")/n, bad.Int(t, "collected"),
			good.Int(t, "heap_growth"), good.Int(t, "collected"))
	}
}
