// Package trapt builds and runs the gallery's bad and good programs for the
// gallery's tests. Programs are run as subprocesses so that a trap that aborts,
// deadlocks or exhausts threads cannot take the test binary down with it.
//
// Programs report what they measured as "key=value" lines on standard output;
// tests read them with Result.Int and Result.Value.
package trapt

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildMu sync.Mutex
	built   = map[string]string{} // key: dir + flags; value: binary path
	tmpDir  string
)

// Build compiles the main package in dir (relative to the test's working
// directory) with "go build" and the given extra flags, and returns the path of
// the binary. Binaries are cached for the life of the test process.
func Build(t testing.TB, dir string, flags ...string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	key := abs + "\x00" + strings.Join(flags, "\x00")
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := built[key]; ok {
		return bin
	}
	if tmpDir == "" {
		// Not t.TempDir: the cache outlives one test.
		tmpDir, err = os.MkdirTemp("", "trapt-")
		if err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(tmpDir, strconv.Itoa(len(built))+"-"+filepath.Base(filepath.Dir(abs))+"-"+filepath.Base(abs))
	args := append([]string{"build", "-o", bin}, flags...)
	args = append(args, ".")
	cmd := exec.Command("go", args...)
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, out)
	}
	built[key] = bin
	return bin
}

// Result is what one run of a program produced.
type Result struct {
	Stdout, Stderr string
	ExitCode       int            // -1 when killed by a signal or the timeout
	Signal         syscall.Signal // the signal that ended the process, if any
	TimedOut       bool
	Duration       time.Duration
	values         map[string]string
}

// Options tune Run. The zero value runs with a 60 s timeout and the test
// process's environment.
type Options struct {
	Timeout time.Duration
	Env     []string // extra KEY=VALUE entries
	Dir     string
}

// Run runs bin with args and returns its result. It never fails the test for a
// non-zero exit: a crash is often the effect being shown.
func Run(t testing.TB, bin string, args ...string) *Result {
	t.Helper()
	return RunOpts(t, Options{}, bin, args...)
}

// RunOpts is Run with options.
func RunOpts(t testing.TB, o Options, bin string, args ...string) *Result {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), o.Env...)
	cmd.Dir = o.Dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := &Result{Stdout: stdout.String(), Stderr: stderr.String(), Duration: time.Since(start)}
	r.TimedOut = ctx.Err() != nil
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.ExitCode = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Signal = ws.Signal()
		}
	default:
		t.Fatalf("run %s: %v", bin, err)
	}
	r.values = parseValues(r.Stdout)
	return r
}

func parseValues(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && k != "" && !strings.ContainsAny(k, " \t") {
			m[k] = v
		}
	}
	return m
}

// Value returns the value the program printed as "key=value" and whether it did.
func (r *Result) Value(key string) (string, bool) {
	v, ok := r.values[key]
	return v, ok
}

// Int returns the integer the program printed as "key=N"; it fails the test
// when the key is missing or not an integer.
func (r *Result) Int(t testing.TB, key string) int64 {
	t.Helper()
	v, ok := r.values[key]
	if !ok {
		t.Fatalf("program did not report %q\nstdout:\n%s\nstderr:\n%s", key, r.Stdout, r.Stderr)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", key, v, err)
	}
	return n
}

// String describes the result for failure messages.
func (r *Result) String() string {
	return "exit=" + strconv.Itoa(r.ExitCode) + " signal=" + r.Signal.String() +
		"\n--- stdout\n" + r.Stdout + "\n--- stderr\n" + r.Stderr
}
