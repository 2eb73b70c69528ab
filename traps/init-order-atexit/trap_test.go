package initorderatexit

import (
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// TestInitOrder: in an executable, C constructors run before any Go init
// (libc's start-up calls them before it calls the Go runtime's main).
func TestInitOrder(t *testing.T) {
	for _, dir := range []string{"bad", "good"} {
		r := trapt.Run(t, trapt.Build(t, dir))
		if v, _ := r.Value("order"); v != "c_ctor,go_init,go_main" {
			t.Errorf("%s: order=%q, want c_ctor,go_init,go_main\n%v", dir, v, r)
		}
	}
}

// TestEffect: when a Go program returns from main or calls os.Exit, C's
// atexit handlers do not run, C's stdout buffer (full buffering: stdout is a
// pipe here) is lost, and finalizers do not run. The good program's explicit
// shutdown flushes and cleans up; libc's exit runs the atexit handler but
// skips Go's defers.
func TestEffect(t *testing.T) {
	bad := trapt.Build(t, "bad")
	for _, mode := range []string{"return", "osexit"} {
		r := trapt.Run(t, bad, "-exit", mode)
		if r.ExitCode != 0 {
			t.Fatalf("bad -exit %s: %v", mode, r)
		}
		for _, lost := range []string{"c_report", "atexit_ran", "cleanup_ran", "finalizer_ran"} {
			if v, ok := r.Value(lost); ok {
				t.Errorf("bad -exit %s: %s=%s appeared; Go's exit should skip it", mode, lost, v)
			}
		}
		t.Logf("bad -exit %s: stdout %q", mode, r.Stdout)
	}
	// The report was written, into C's buffer: with stdout line-buffered by
	// stdbuf (it presets setvbuf through LD_PRELOAD) the same binary shows it.
	if r := trapt.Run(t, "stdbuf", "-oL", bad); r.Int(t, "c_report") != 42 {
		t.Errorf("bad under stdbuf -oL: c_report missing:\n%v", r)
	}

	good := trapt.Build(t, "good")
	r := trapt.Run(t, good)
	if r.ExitCode != 0 {
		t.Fatalf("good: %v", r)
	}
	for k, want := range map[string]int64{"c_report": 42, "closed": 1, "cleanup_ran": 1} {
		if got := r.Int(t, k); got != want {
			t.Errorf("good: %s=%d, want %d", k, got, want)
		}
	}
	if _, ok := r.Value("atexit_ran"); ok {
		t.Errorf("good: the atexit handler ran after a Go return:\n%s", r.Stdout)
	}
	// Explicit shutdown runs after Close and flushes C's buffer before its own line.
	if i, j := strings.Index(r.Stdout, "c_report="), strings.Index(r.Stdout, "cleanup_ran="); i < 0 || j < i {
		t.Errorf("good: want c_report before cleanup_ran:\n%s", r.Stdout)
	}
	t.Logf("good: stdout %q", r.Stdout)

	r = trapt.Run(t, good, "-exit", "cexit")
	if r.ExitCode != 0 {
		t.Fatalf("good -exit cexit: %v", r)
	}
	for _, k := range []string{"atexit_ran", "c_report", "cleanup_ran"} {
		if _, ok := r.Value(k); !ok {
			t.Errorf("good -exit cexit: %s missing; libc's exit should run atexit and flush stdio:\n%s", k, r.Stdout)
		}
	}
	if _, ok := r.Value("closed"); ok {
		t.Errorf("good -exit cexit: a Go defer ran; libc's exit should skip them")
	}
	t.Logf("good -exit cexit: stdout %q", r.Stdout)
}
