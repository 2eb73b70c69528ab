package gopointertogopointer

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

const panicMsg = "panic: runtime error: argument of cgo function has Go pointer to unpinned Go pointer"

// TestPanicsAtTheCall: under the default GODEBUG=cgocheck=1 the call with a
// Go struct holding an unpinned Go pointer panics before C runs.
func TestPanicsAtTheCall(t *testing.T) {
	r := trapt.Run(t, trapt.Build(t, "bad"))
	if r.ExitCode != 2 || !strings.Contains(r.Stderr, panicMsg) {
		t.Fatalf("bad: want %q and exit 2, got %v", panicMsg, r)
	}
	if _, ok := r.Value("checksum"); ok {
		t.Errorf("bad: the call returned")
	}
	if !strings.Contains(r.Stdout, "calling") {
		t.Errorf("bad: did not start: %v", r)
	}
}

// TestOnlyARuntimeCheck: with cgocheck=0 the same binary runs and this call
// even computes the right value (the buffer is alive during the call): the
// rule is enforced by a run-time check, not by the compiler, and switching the
// check off hides the bug instead of fixing it.
func TestOnlyARuntimeCheck(t *testing.T) {
	r := trapt.RunOpts(t, trapt.Options{Env: []string{"GODEBUG=cgocheck=0"}}, trapt.Build(t, "bad"))
	if r.ExitCode != 0 {
		t.Fatalf("bad with cgocheck=0: %v", r)
	}
	if r.Int(t, "checksum") != r.Int(t, "want") {
		t.Errorf("bad with cgocheck=0: checksum %d, want %d", r.Int(t, "checksum"), r.Int(t, "want"))
	}
}

// TestGood: pinning the buffer, or building the request in C memory, passes
// the default check and gives the right checksum.
func TestGood(t *testing.T) {
	r := trapt.Run(t, trapt.Build(t, "good"))
	if r.ExitCode != 0 {
		t.Fatalf("good: %v", r)
	}
	w := r.Int(t, "want")
	if r.Int(t, "checksum") != w || r.Int(t, "copied") != w {
		t.Errorf("good: pinned %d, copied %d, want %d", r.Int(t, "checksum"), r.Int(t, "copied"), w)
	}
}

// TestVetSilent: go vet's cgocall analyzer does not report the call. It only
// warns about Go chan, map, func or slice types reaching C; a struct whose
// plain pointer field holds a Go pointer passes, so the run-time panic is the
// first warning.
func TestVetSilent(t *testing.T) {
	cmd := exec.Command("go", "vet", ".")
	cmd.Dir = "bad"
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("go vet on bad: want silence, got err=%v\n%s", err, out)
	}
}
