package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the cgoguard binary and returns stdout, stderr and the exit code.
func runCLI(t *testing.T, bin string, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// markLine returns "file:N" (file relative to the repository root) of the
// line of file containing mark.
func markLine(t *testing.T, file, mark string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../..", file))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, mark) {
			return fmt.Sprintf("%s:%d", file, i+1)
		}
	}
	t.Fatalf("%s: no %s", file, mark)
	return ""
}

func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cgoguard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestTrackerTest runs "cgoguard test" on a cgo package whose test leaks on
// demand: clean exits 0; a leak exits 1 and the report names the Go line.
func TestTrackerTest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test under the tracker")
	}
	bin := buildCLI(t)
	pkg := "./tracker/testdata/leakypkg"
	leakLine := markLine(t, "tracker/testdata/leakypkg/leaky.go", "MARK:pkg-leak")

	_, stderr, code := runCLI(t, bin, nil, "test", pkg)
	if code != exitClean {
		t.Fatalf("clean package: exit %d\n%s", code, stderr)
	}

	stdout, stderr, code := runCLI(t, bin, []string{"LEAKYPKG=leak"}, "test", "-json", pkg)
	if code != exitFindings {
		t.Fatalf("leaking package: exit %d\n%s", code, stderr)
	}
	var ers []execReport
	if err := json.Unmarshal([]byte(stdout), &ers); err != nil {
		t.Fatalf("-json output: %v\n%s", err, stdout)
	}
	if len(ers) != 1 || len(ers[0].Reports) == 0 || len(ers[0].Reports[0].Findings) != 1 {
		t.Fatalf("want one finding in one report, got %s", stdout)
	}
	if f := ers[0].Reports[0].Findings[0]; f.Kind != "leak" || !strings.HasSuffix(f.Site, leakLine) {
		t.Fatalf("finding %s at %s, want a leak at %s", f.Kind, f.Site, leakLine)
	}
	// The text report reached go test's output too.
	if !strings.Contains(stderr, "LEAK: ") || !strings.Contains(stderr, leakLine) {
		t.Fatalf("text report missing from go test output:\n%s", stderr)
	}

	// -sample-rate reaches the interposer through go test -exec: at one
	// block per byte every block is sampled, so the leak is still found.
	stdout, stderr, code = runCLI(t, bin, []string{"LEAKYPKG=leak"}, "test", "-json", "-sample-rate", "1", pkg)
	if code != exitFindings || !strings.Contains(stdout, `"sample_rate": 1`) || !strings.Contains(stderr, leakLine) {
		t.Fatalf("-sample-rate 1: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// tracker.VerifyNone fails the one test that leaked.
	stdout, stderr, code = runCLI(t, bin, []string{"LEAKYPKG=verify"}, "test", "-v", "-run", "TestVerify", pkg)
	if code != exitFindings || !strings.Contains(stdout, "--- FAIL: TestVerify") || !strings.Contains(stdout, "C memory leaked by this test") {
		t.Fatalf("VerifyNone: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestTrackerRun runs "cgoguard run" on a leaking program and on a clean one.
func TestTrackerRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cgo programs")
	}
	bin := buildCLI(t)
	prog := filepath.Join(t.TempDir(), "prog")
	if out, err := exec.Command("go", "build", "-o", prog, "../../tracker/testdata/prog").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	_, stderr, code := runCLI(t, bin, nil, "run", "--", prog, "freed")
	if code != exitClean || strings.Contains(stderr, "LEAK") {
		t.Fatalf("freed: exit %d\n%s", code, stderr)
	}
	_, stderr, code = runCLI(t, bin, nil, "run", prog, "double-free")
	if df := markLine(t, "tracker/testdata/prog/main.go", "MARK:df-free2"); code != exitFindings || !strings.Contains(stderr, "DOUBLE FREE") || !strings.Contains(stderr, df) {
		t.Fatalf("double free: exit %d\n%s", code, stderr)
	}
	// -quarantine=0 turns the quarantine off: the double free is no longer
	// recognised as such (and glibc would abort), so only check the flag
	// reaches the interposer on a leak run.
	stdout, _, code := runCLI(t, bin, nil, "run", "-json", "-quarantine=0", prog, "cstring")
	if code != exitFindings || !strings.Contains(stdout, `"kind": "leak"`) {
		t.Fatalf("json leak: exit %d\n%s", code, stdout)
	}
	// The program's own failure is not hidden.
	_, stderr, code = runCLI(t, bin, nil, "run", prog, "exit")
	if code != exitFindings || !strings.Contains(stderr, "exited with status 3") {
		t.Fatalf("exit 3: exit %d\n%s", code, stderr)
	}
	// Usage errors.
	if _, _, code = runCLI(t, bin, nil, "run"); code != exitError {
		t.Fatalf("no program: exit %d", code)
	}
	if _, stderr, code = runCLI(t, bin, nil, "run", "/bin/true"); code != exitError || !strings.Contains(stderr, "not a Go binary") {
		t.Fatalf("non-Go program: exit %d\n%s", code, stderr)
	}
}

func TestSplitTrackerFlags(t *testing.T) {
	var tf trackerFlags
	fs := newTrackerFlagSet(&tf)
	ours, rest, err := splitTrackerFlags(fs, []string{"-json", "-v", "-quarantine", "100", "-run", "X", "--all", "./...", "-ldflags=-X a=b"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ours, " ") != "-json -quarantine=100 --all" || strings.Join(rest, " ") != "-v -run X ./... -ldflags=-X a=b" {
		t.Fatalf("ours %q rest %q", ours, rest)
	}
	if got := keepSymbols(rest); got[4] != "-ldflags=-X a=b -s=false -w=false" {
		t.Fatalf("keepSymbols: %q", got)
	}
	if got := keepSymbols([]string{"./..."}); got[0] != "-ldflags=-s=false -w=false" {
		t.Fatalf("keepSymbols: %q", got)
	}
}

// TestSafePackagesUnderTracker runs the safe primitives' own tests under
// the tracker: the packages meant to make C memory safe must leak nothing,
// free nothing twice and write to nothing freed, in every test.
func TestSafePackagesUnderTracker(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test under the tracker")
	}
	bin := buildCLI(t)
	_, stderr, code := runCLI(t, bin, nil, "test", "./safe/...")
	if code != exitClean || !strings.Contains(stderr, "0 findings") {
		t.Fatalf("cgoguard test ./safe/...: exit %d\n%s", code, stderr)
	}
}

// TestTrackerTestPureGo: a test package without cgo runs untracked (go
// test ./... reaches such packages), and its failures still count.
func TestTrackerTestPureGo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test under the tracker")
	}
	bin := buildCLI(t)
	pkg := "./cmd/cgoguard/testdata/purego"
	_, stderr, code := runCLI(t, bin, nil, "test", pkg, "./tracker/testdata/leakypkg")
	if code != exitClean || !strings.Contains(stderr, "1 test binary tracked, 0 findings; 1 without cgo, run untracked") {
		t.Fatalf("pure-Go package: exit %d\n%s", code, stderr)
	}
	stdout, stderr, code := runCLI(t, bin, []string{"PUREGO=fail"}, "test", pkg)
	if code != exitFindings || !strings.Contains(stdout, "Double(2) = 4, want 5") {
		t.Fatalf("failing pure-Go test: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestTrackerTestRelativeSuppressions: -suppressions names a file relative
// to where cgoguard test runs, although go test runs each binary in its
// package's directory.
func TestTrackerTestRelativeSuppressions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test under the tracker")
	}
	bin := buildCLI(t)
	supp := filepath.Join(t.TempDir(), "leaky.supp")
	if err := os.WriteFile(supp, []byte("leak:github.com/cgoguard/cgoguard/tracker/testdata/leakypkg.Leak\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	rel, err := filepath.Rel(root, supp) // relative to where runCLI runs cgoguard
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, bin, []string{"LEAKYPKG=leak"}, "test", "-suppressions", rel, "./tracker/testdata/leakypkg")
	if code != exitClean {
		t.Fatalf("suppressed leak: exit %d\n%s", code, stderr)
	}
}
