package cstringneverfreed

import (
	"strconv"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// TestEffect shows the leak as C-heap growth proportional to the call count:
// 33 bytes of string (plus malloc's chunk header) per call in bad, none in good.
func TestEffect(t *testing.T) {
	for _, n := range []int64{5000, 20000} {
		bad := trapt.Run(t, trapt.Build(t, "bad"), "-n", itoa(n))
		good := trapt.Run(t, trapt.Build(t, "good"), "-n", itoa(n))
		if bad.ExitCode != 0 || good.ExitCode != 0 {
			t.Fatalf("bad: %v\ngood: %v", bad, good)
		}
		// Each C.CString of a 32-byte string takes a 48-byte malloc chunk (33 bytes rounded up plus the header).
		if g := bad.Int(t, "heap_growth"); g < 33*n {
			t.Errorf("bad, n=%d: C heap grew %d bytes, want at least %d (33 per call)", n, g, 33*n)
		}
		// Not zero: a thread the runtime starts during the loop mallocs its
		// own bookkeeping (glibc's per-thread cache and TLS vector), a few
		// hundred bytes each, whatever n is. A leak grows with n.
		if g := good.Int(t, "heap_growth"); g > 64<<10 {
			t.Errorf("good, n=%d: C heap grew %d bytes, want no growth with n", n, g)
		}
		t.Logf("n=%d: bad grew %d bytes, good grew %d", n, bad.Int(t, "heap_growth"), good.Int(t, "heap_growth"))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
