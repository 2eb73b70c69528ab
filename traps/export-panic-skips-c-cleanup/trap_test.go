package exportpanicskipsccleanup

import (
	"strconv"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// TestEffect: a panic recovered above the C frames skips the C code after the
// callback. bad leaks one record (1,000 bytes of malloc, a 1,008-byte chunk)
// per panicking call and leaves the store's mutex locked; good, whose
// callback recovers and returns a code, leaks nothing and unlocks.
func TestEffect(t *testing.T) {
	for _, n := range []int64{1000, 4000} {
		bad := trapt.Run(t, trapt.Build(t, "bad"), "-n", strconv.FormatInt(n, 10))
		good := trapt.Run(t, trapt.Build(t, "good"), "-n", strconv.FormatInt(n, 10))
		if bad.ExitCode != 0 || good.ExitCode != 0 {
			t.Fatalf("bad: %v\ngood: %v", bad, good)
		}
		for name, r := range map[string]*trapt.Result{"bad": bad, "good": good} {
			if r.Int(t, "failed") != n {
				t.Errorf("%s: %d of %d calls failed, want all (every value is invalid)", name, r.Int(t, "failed"), n)
			}
		}
		rec := bad.Int(t, "record")
		if g := bad.Int(t, "heap_growth"); g < rec*n {
			t.Errorf("bad, n=%d: C heap grew %d bytes, want at least %d (one %d-byte record per call)", n, g, rec*n, rec)
		}
		// A few chunks may stay in glibc's per-thread caches (counted as in
		// use by mallinfo2): a small constant, not one per call.
		if g := good.Int(t, "heap_growth"); g > 16<<10 {
			t.Errorf("good, n=%d: C heap grew %d bytes, want at most a few cached chunks", n, g)
		}
		t.Logf("n=%d: bad leaked %d bytes, good %d", n, bad.Int(t, "heap_growth"), good.Int(t, "heap_growth"))

		if bad.Int(t, "lock_busy") != 1 {
			t.Errorf("bad: the store's mutex is free after the panic; want it left locked (trylock EBUSY)")
		}
		if v, _ := bad.Value("update_err"); v != "recovered: invalid key -1" {
			t.Errorf("bad: update_err=%q, want the recovered panic", v)
		}
		if good.Int(t, "lock_busy") != 0 || good.Int(t, "update_ok") != 1 {
			t.Errorf("good: the store is not usable after a failed update:\n%s", good.Stdout)
		}
		if v, _ := good.Value("update_err"); v != "rc 22" {
			t.Errorf("good: update_err=%q, want rc 22", v)
		}
	}
}
