package gostringoncbytes

import (
	"strconv"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

func unquote(t *testing.T, r *trapt.Result, key string) string {
	t.Helper()
	v, ok := r.Value(key)
	if !ok {
		t.Fatalf("no %s in output:\n%v", key, r)
	}
	s, err := strconv.Unquote(v)
	if err != nil {
		t.Fatalf("%s=%s: %v", key, v, err)
	}
	return s
}

// TestOverRead shows C.GoString reading past the end of C.CBytes memory: the
// 24-byte payload comes back with the next chunk's size bytes, and a payload
// that reuses a freed chunk comes back with the tail of the credential that
// chunk held before. Good comes back exact.
func TestOverRead(t *testing.T) {
	bad := trapt.Run(t, trapt.Build(t, "bad"))
	good := trapt.Run(t, trapt.Build(t, "good"))
	if bad.ExitCode != 0 || good.ExitCode != 0 {
		t.Fatalf("bad: %v\ngood: %v", bad, good)
	}
	for _, r := range []*trapt.Result{bad, good} {
		for _, k := range []string{"fresh_prefix_ok", "reuse_prefix_ok"} {
			if v, _ := r.Value(k); v != "true" {
				t.Fatalf("%s: payload did not come back as a prefix of the string\n%v", k, r)
			}
		}
	}
	// The chunk after a 24-byte block starts with its size field, whose low
	// byte is odd (the PREV_INUSE bit): at least one extra byte, every run.
	fe := unquote(t, bad, "fresh_extra")
	if len(fe) == 0 {
		t.Errorf("bad: 24-byte payload came back exact; want malloc header bytes after it")
	}
	re, tail := unquote(t, bad, "reuse_extra"), unquote(t, bad, "secret_tail")
	if re != tail {
		t.Errorf("bad: reused chunk gave extra %q, want the stale credential tail %q", re, tail)
	}
	if unquote(t, good, "fresh_extra") != "" || unquote(t, good, "reuse_extra") != "" {
		t.Errorf("good: payload came back with extra bytes\n%v", good)
	}
	t.Logf("bad: fresh payload +%q (%d bytes); reused chunk +%q", fe, len(fe), re)
}
