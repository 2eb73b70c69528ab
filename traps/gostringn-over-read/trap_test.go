package gostringnoverread

import (
	"strconv"
	"strings"
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

// TestOverRead shows C.GoStringN copying exactly n bytes: with n taken from a
// lying header, the Go string holds the 16-byte body and then the session key
// stored after it. Good rejects the message.
func TestOverRead(t *testing.T) {
	bad := trapt.Run(t, trapt.Build(t, "bad"))
	good := trapt.Run(t, trapt.Build(t, "good"))
	if bad.ExitCode != 0 || good.ExitCode != 0 {
		t.Fatalf("bad: %v\ngood: %v", bad, good)
	}
	for _, r := range []*trapt.Result{bad, good} {
		if b := unquote(t, r, "honest_body"); b != "ping" {
			t.Errorf("honest message read as %q, want \"ping\"", b)
		}
	}
	if n := bad.Int(t, "lying_len"); n != 44 {
		t.Errorf("bad: Go string has %d bytes, want exactly the claimed 44", n)
	}
	lb := unquote(t, bad, "lying_body")
	if !strings.Contains(lb, "sk_live_4f9a2c7e1b8d3a6f") || !strings.HasPrefix(lb, "ping\x00") {
		t.Errorf("bad: body %q does not carry the adjacent session key", lb)
	}
	// The seed says n is "at most n bytes": it is exactly n, NULs included.
	if n := bad.Int(t, "hi_len"); n != 10 {
		t.Errorf("bad: GoStringN(CString(\"hi\"), 10) has %d bytes, want 10", n)
	}
	if v, _ := good.Value("leaks_key"); v != "false" || unquote(t, good, "lying_body") != "" {
		t.Errorf("good: lying message produced a body\n%v", good)
	}
	if e := unquote(t, good, "lying_err"); !strings.Contains(e, "claims 44") {
		t.Errorf("good: lying message not rejected: %q", e)
	}
	t.Logf("bad: lying message read as %q", lb)
}

// TestFaultAtPageEnd checks the seed's "SIGBUS" claim: an over-read only
// faults when it runs into an unmapped page, and then it is a SIGSEGV inside
// the runtime's memmove, fatal (not a recoverable panic).
func TestFaultAtPageEnd(t *testing.T) {
	bad := trapt.Run(t, trapt.Build(t, "bad"), "-guard")
	if bad.ExitCode != 2 || !strings.Contains(bad.Stderr, "unexpected fault address") ||
		!strings.Contains(bad.Stderr, "SIGSEGV") || strings.Contains(bad.Stderr, "SIGBUS") {
		t.Errorf("bad -guard: want a fatal SIGSEGV fault in memmove, got %v", bad)
	}
	if _, ok := bad.Value("len"); ok {
		t.Errorf("bad -guard: the copy returned")
	}
	good := trapt.Run(t, trapt.Build(t, "good"), "-guard")
	if good.ExitCode != 0 || good.Int(t, "len") != 16 {
		t.Errorf("good -guard: want the 16-byte buffer read, got %v", good)
	}
}
