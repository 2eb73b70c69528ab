package cresultneverfreed

import (
	"strconv"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// TestEffect shows the leak as C-heap growth proportional to the call count:
// every call of bad loses the 64-byte block get_message returned; good frees it.
func TestEffect(t *testing.T) {
	bad, good := trapt.Build(t, "bad"), trapt.Build(t, "good")
	perCall := map[int64]int64{}
	for _, n := range []int64{5000, 20000} {
		b := trapt.Run(t, bad, "-n", strconv.FormatInt(n, 10))
		g := trapt.Run(t, good, "-n", strconv.FormatInt(n, 10))
		if b.ExitCode != 0 || g.ExitCode != 0 {
			t.Fatalf("bad: %v\ngood: %v", b, g)
		}
		// Both really called C and got the message: 12 characters a call.
		for _, r := range []*trapt.Result{b, g} {
			if c := r.Int(t, "chars"); c != 12*n {
				t.Fatalf("n=%d: read %d characters, want %d", n, c, 12*n)
			}
		}
		bg, gg := b.Int(t, "heap_growth"), g.Int(t, "heap_growth")
		if bg < 64*n {
			t.Errorf("bad, n=%d: C heap grew %d bytes, want at least %d (64 per call)", n, bg, 64*n)
		}
		// Not zero: a thread the runtime starts during the loop mallocs its
		// own bookkeeping (glibc's per-thread cache and TLS vector), whatever
		// n is. A leak grows with n.
		if gg > 64<<10 {
			t.Errorf("good, n=%d: C heap grew %d bytes, want no growth with n", n, gg)
		}
		perCall[n] = bg / n
		t.Logf("n=%d: bad grew %d bytes (%d a call), good grew %d", n, bg, bg/n, gg)
	}
	// Linear: the same cost per call at both sizes (to a byte or two: the
	// per-thread bookkeeping above spreads over the calls).
	if d := perCall[5000] - perCall[20000]; d < -2 || d > 2 {
		t.Errorf("bad: %d bytes a call at n=5000 but %d at n=20000, want the same (linear growth)", perCall[5000], perCall[20000])
	}
}
