package twolockdomains

import (
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// run runs a program with the given workers, 200,000 increments each per
// round, and returns (expected, final, lost, rounds).
func run(t *testing.T, bin, goroutines, threads, rounds string) (int64, int64, int64, int64) {
	t.Helper()
	r := trapt.Run(t, bin, "-goroutines", goroutines, "-threads", threads, "-n", "200000", "-rounds", rounds)
	if r.ExitCode != 0 {
		t.Fatalf("%s: %v", bin, r)
	}
	return r.Int(t, "expected"), r.Int(t, "final"), r.Int(t, "lost"), r.Int(t, "rounds")
}

// TestEffect: two goroutines (sync.Mutex) and two pthreads (pthread_mutex_t)
// each add 200,000 to one C counter per round. With two lock domains
// increments are lost; with one (every access through the C function that
// takes the C mutex) none are. The controls show each lock works on its own
// side. Bad stops at the first round that loses (on 2 free cores, round 1; on
// one core pinned with taskset, within 7 of 20 in our runs).
func TestEffect(t *testing.T) {
	bad, good := trapt.Build(t, "bad"), trapt.Build(t, "good")

	// Controls: each lock domain alone is correct.
	if _, _, lost, _ := run(t, bad, "4", "0", "3"); lost != 0 {
		t.Errorf("bad, goroutines only: lost %d increments, want 0 (sync.Mutex alone works)", lost)
	}
	if _, _, lost, _ := run(t, bad, "0", "4", "3"); lost != 0 {
		t.Errorf("bad, pthreads only: lost %d increments, want 0 (pthread_mutex_t alone works)", lost)
	}

	// Mixed: the two locks do not exclude each other.
	want, final, lost, rounds := run(t, bad, "2", "2", "20")
	if lost <= 0 || final >= want {
		t.Errorf("bad, 2 goroutines + 2 pthreads, %d rounds: final %d of %d, want lost updates", rounds, final, want)
	}
	t.Logf("bad:  %d round(s), expected %d, final %d, lost %d (%.1f%%)", rounds, want, final, lost, 100*float64(lost)/float64(want))

	want, final, lost, rounds = run(t, good, "2", "2", "5")
	if lost != 0 || final != want {
		t.Errorf("good, 2 goroutines + 2 pthreads: final %d of %d, want every increment", final, want)
	}
	t.Logf("good: %d round(s), expected %d, final %d, lost %d", rounds, want, final, lost)
}

// TestSeedSemantics checks what the seed says about the two mutexes.
func TestSeedSemantics(t *testing.T) {
	bin := trapt.Build(t, "semantics")

	// Seed: Unlock of an unlocked sync.Mutex "panics". It is a fatal error
	// (internal/sync calls runtime.fatal): recover never sees it, exit code 2.
	r := trapt.Run(t, bin, "-mode", "go-double-unlock")
	if r.ExitCode != 2 || !strings.Contains(r.Stderr, "fatal error: sync: unlock of unlocked mutex") {
		t.Errorf("go double unlock: want fatal error and exit 2, got %v", r)
	}
	if _, ok := r.Value("recovered"); ok {
		t.Errorf("go double unlock was recovered; the seed would be right: %v", r)
	}
	if _, ok := r.Value("second_unlock"); ok {
		t.Errorf("second Unlock returned: %v", r)
	}

	// Seed: sync.Mutex tracks ownership. It has none: another goroutine may
	// unlock it, as sync.Mutex's doc says.
	r = trapt.Run(t, bin, "-mode", "go-cross-unlock")
	if v, _ := r.Value("other_goroutine_unlock"); r.ExitCode != 0 || v != "ok" {
		t.Errorf("go cross unlock: want success, got %v", r)
	}

	// Seed: a second pthread_mutex_unlock "may SIGSEGV or corrupt memory". In
	// glibc the default type returns 0 silently; ERRORCHECK returns EPERM.
	r = trapt.Run(t, bin, "-mode", "c-double-unlock")
	if r.ExitCode != 0 {
		t.Fatalf("c double unlock crashed: %v", r)
	}
	eperm := r.Int(t, "eperm")
	if rc := r.Int(t, "default_rc2"); rc != 0 {
		t.Errorf("default mutex, second unlock: rc %d, want 0 (silent)", rc)
	}
	if rc := r.Int(t, "errorcheck_rc2"); rc != eperm {
		t.Errorf("errorcheck mutex, second unlock: rc %d, want EPERM %d", rc, eperm)
	}

	// The real danger with the default type: a thread that never locked the
	// mutex unlocks it (rc 0) and takes it while the owner still thinks it
	// holds it: mutual exclusion is gone without any error.
	r = trapt.Run(t, bin, "-mode", "c-cross-unlock")
	if r.ExitCode != 0 {
		t.Fatalf("c cross unlock crashed: %v", r)
	}
	if u, l := r.Int(t, "default_unlock_rc"), r.Int(t, "default_trylock_rc"); u != 0 || l != 0 {
		t.Errorf("default mutex, unlock by non-owner: unlock rc %d, trylock rc %d, want 0 and 0", u, l)
	}
	if u := r.Int(t, "errorcheck_unlock_rc"); u != eperm {
		t.Errorf("errorcheck mutex, unlock by non-owner: rc %d, want EPERM %d", u, eperm)
	}
}
