package ckeepsgopointer

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

const trials = 200

// TestEffect shows the kept Go pointer reading other data once the GC has
// freed the slice and the program has allocated again, and the good program
// (a C-owned copy) reading its request every time.
func TestEffect(t *testing.T) {
	bad := trapt.Run(t, trapt.Build(t, "bad"), "-trials", "200", "-churn", "10000")
	good := trapt.Run(t, trapt.Build(t, "good"), "-trials", "200", "-churn", "10000")
	if bad.ExitCode != 0 || good.ExitCode != 0 {
		t.Fatalf("bad: %v\ngood: %v", bad, good)
	}
	// Measured: 200 of 200. The bound leaves room for the allocator's choice
	// of span, which the program does not control.
	if w := bad.Int(t, "wrong"); w < trials*9/10 {
		t.Errorf("bad: flush saw the submitted request changed in %d of %d rounds, want at least 90%%", w, trials)
	}
	if ex, _ := bad.Value("example"); !strings.Contains(ex, "####") {
		t.Errorf("bad: example %s does not show the reusing allocation's bytes", ex)
	}
	if w := good.Int(t, "wrong"); w != 0 {
		t.Errorf("good: %d of %d rounds read a changed request, want 0", w, trials)
	}
	t.Logf("bad: %d/%d rounds read other data, e.g. %s; good: %d/%d",
		bad.Int(t, "wrong"), trials, must(bad.Value("example")), good.Int(t, "wrong"), trials)
}

// TestLooksFineWithoutAllocation is why the bug survives testing: the GC
// frees the slice but does not clear it, so until something else is
// allocated in its place C still reads the old bytes.
func TestLooksFineWithoutAllocation(t *testing.T) {
	r := trapt.Run(t, trapt.Build(t, "bad"), "-trials", "200", "-churn", "0")
	if r.ExitCode != 0 {
		t.Fatal(r)
	}
	if w := r.Int(t, "wrong"); w != 0 {
		t.Errorf("bad without allocation: %d of %d rounds changed, want 0 (freed Go memory keeps its bytes until reused)", w, trials)
	}
}

// TestCgocheck2Blind shows that even the complete pointer checking of
// GOEXPERIMENT=cgocheck2 does not report the bug: the call passes a Go
// pointer to pointer-free memory, which is allowed, and the keeping happens in
// C, where no Go write barrier runs. Building the runtime for the experiment
// takes about 10 s the first time, so -short skips it.
func TestCgocheck2Blind(t *testing.T) {
	if testing.Short() {
		t.Skip("rebuilds the standard library with GOEXPERIMENT=cgocheck2")
	}
	t.Setenv("GOEXPERIMENT", "cgocheck2")
	// The tag only gives this build its own entry in trapt's binary cache.
	bin := trapt.Build(t, "bad", "-tags", "cgocheck2build")
	if out, err := exec.Command("go", "version", "-m", bin).Output(); err != nil || !strings.Contains(string(out), "GOEXPERIMENT=cgocheck2") {
		t.Fatalf("binary not built with cgocheck2 (%v):\n%s", err, out)
	}
	r := trapt.Run(t, bin, "-trials", "200", "-churn", "10000")
	if r.ExitCode != 0 || strings.Contains(r.Stderr, "cgo") {
		t.Fatalf("cgocheck2 build: want a silent run, got %v", r)
	}
	if w := r.Int(t, "wrong"); w < trials*9/10 {
		t.Errorf("cgocheck2 build: %d of %d rounds wrong, want at least 90%%", w, trials)
	}
}

func must(s string, _ bool) string { return s }
