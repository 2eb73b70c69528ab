package closeandfinalizerdoublefree

import (
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// ledger pairs the "open=<p>" and "free=<p>" lines that the C library writes:
// it returns how many handles were opened, how many frees released an open
// handle, and how many freed a handle that was not open (double frees). A
// pointer may be opened again after it is freed: malloc reuses chunks.
func ledger(stdout string) (opened, freed, double int) {
	open := map[string]bool{}
	for _, l := range strings.Split(stdout, "\n") {
		k, p, _ := strings.Cut(strings.TrimSpace(l), "=")
		switch k {
		case "open":
			opened++
			open[p] = true
		case "free":
			if open[p] {
				freed++
				delete(open, p)
			} else {
				double++
			}
		}
	}
	return
}

// noTcache turns off glibc's per-thread cache. With it on, glibc notices a
// double free only if the second free runs on the OS thread that did the
// first; the finalizer goroutine runs on whichever thread the scheduler picks.
const noTcache = "GLIBC_TUNABLES=glibc.malloc.tcache_count=0"

// TestEffect: bad frees its handle twice in every run (Close, then the
// finalizer). glibc aborts when it notices; when it does not, the process
// carries on with a corrupted heap. With the per-thread cache off, glibc
// notices every time. good frees each handle exactly once.
func TestEffect(t *testing.T) {
	bad := trapt.Build(t, "bad")
	aborted := 0
	const runs = 4
	for range runs {
		r := trapt.Run(t, bad)
		if o, f, d := ledger(r.Stdout); o != 1 || f != 1 || d != 1 {
			t.Errorf("bad: opened %d, freed %d, freed again %d; want 1, 1, 1 (Close, then the finalizer)\n%v", o, f, d, r)
		}
		switch {
		case glibcAbort(r):
			aborted++
		case r.ExitCode == 0 && strings.Contains(r.Stdout, "survived=1"):
			// The double free went unnoticed: the chunk now sits in two threads' caches.
		default:
			t.Errorf("bad: neither a glibc abort nor a clean exit:\n%v", r)
		}
	}
	t.Logf("bad, default glibc: double free in %d of %d runs; glibc aborted %d, missed %d", runs, runs, aborted, runs-aborted)

	r := trapt.RunOpts(t, trapt.Options{Env: []string{noTcache}}, bad)
	if !glibcAbort(r) {
		t.Errorf("bad without tcache: want glibc's double free abort, got %v", r)
	}
	t.Logf("bad without tcache: exit %d, %s", r.ExitCode, firstLine(r.Stderr))

	good := trapt.Build(t, "good")
	for _, env := range [][]string{nil, {noTcache}} {
		r := trapt.RunOpts(t, trapt.Options{Env: env}, good)
		if r.ExitCode != 0 {
			t.Fatalf("good %v: %v", env, r)
		}
		if o, f, d := ledger(r.Stdout); o != 2 || f != 2 || d != 0 {
			t.Errorf("good %v: opened %d, freed %d, freed again %d; want 2, 2, 0\n%v", env, o, f, d, r)
		}
		if r.Int(t, "released_by_cleanup") != 1 {
			t.Errorf("good %v: the forgotten Conn was not released by its cleanup", env)
		}
	}
}

// glibcAbort reports whether glibc found a double free and called abort():
// Go's signal handler reports the SIGABRT and exits with status 2.
func glibcAbort(r *trapt.Result) bool {
	return r.ExitCode == 2 && strings.Contains(r.Stderr, "SIGABRT: abort") && strings.Contains(r.Stderr, "double free")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
