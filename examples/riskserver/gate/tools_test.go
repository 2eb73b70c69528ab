package gate

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/tracker"
)

// moduleRoot returns the directory of go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// build builds a package of this module into a test directory (an ordinary
// build, with the symbols the tracker needs).
func build(t *testing.T, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

var probeLine = regexp.MustCompile(`leaked_blocks=(\d+) leaked_bytes=(\d+) threads_before=(\d+) threads_after=(\d+)`)

// Gate 3: hot reload under load, under the run-time tracker. The service
// leaves nothing after any number of reloads and frees nothing twice; the
// two naive designs leak more with every reload, which shows the check can
// fail.
func TestHotReloadUnderTracker(t *testing.T) {
	bin := build(t, "./examples/riskserver/internal/reloadprobe")
	run := func(mode string, reloads int) (blocks, newThreads int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var out, errb bytes.Buffer
		res, err := tracker.Run(ctx, bin, []string{"-mode", mode, "-reloads", strconv.Itoa(reloads)},
			tracker.Options{Stdout: &out, Stderr: &errb})
		if err != nil {
			t.Fatalf("tracker: %v", err)
		}
		if res.ExitCode != 0 {
			t.Fatalf("%s: exit %d\n%s%s", mode, res.ExitCode, out.String(), errb.String())
		}
		for _, rep := range res.Reports {
			for _, f := range rep.Findings {
				if f.Kind != tracker.KindLeak {
					t.Errorf("%s: %s at %s", mode, f.Kind, f.Site)
				}
			}
		}
		m := probeLine.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("%s: no result line in %q", mode, out.String())
		}
		blocks, _ = strconv.Atoi(m[1])
		before, _ := strconv.Atoi(m[3])
		after, _ := strconv.Atoi(m[4])
		t.Logf("%-11s %2d reloads: %4d blocks, %6s bytes leaked; OS threads %d -> %d", mode, reloads, blocks, m[2], before, after)
		return blocks, after - before
	}
	for _, n := range []int{3, 9} {
		b, th := run("service", n)
		if b != 0 {
			t.Errorf("service: %d blocks leaked by %d reloads", b, n)
		}
		// Each model has 2 threads: if they outlived their model, n reloads
		// would add 2n (measured: 12 for 3 with the threads left running).
		// The Go runtime may add an idle thread or two of its own.
		if th > n {
			t.Errorf("service: %d more OS threads after %d reloads", th, n)
		}
	}
	for _, mode := range []string{"otherthread", "noclose"} {
		few, _ := run(mode, 3)
		many, _ := run(mode, 9)
		if few == 0 || many <= few {
			t.Errorf("%s: %d blocks after 3 reloads, %d after 9: want a leak that grows", mode, few, many)
		}
	}
}

// Gate 4: cgoguard vet finds nothing in the service, with the project's
// knowledge of XGBoost (cgoguard.json: XGBGetLastError is thread-local),
// and finds the thread-local bug in the negative control.
func TestVetClean(t *testing.T) {
	bin := build(t, "./cmd/cgoguard")
	root := moduleRoot(t)
	vet := func(pkg string) (string, int) {
		cmd := exec.Command(bin, "vet", "-config", "examples/riskserver/cgoguard.json", pkg)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	if out, code := vet("./examples/riskserver/..."); code != 0 || out != "" {
		t.Errorf("cgoguard vet ./examples/riskserver/...: exit %d\n%s", code, out)
	}
	src, err := os.ReadFile(filepath.Join(root, "examples/riskserver/gate/testdata/badtl/bad.go"))
	if err != nil {
		t.Fatal(err)
	}
	line := 0
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, "// MARK:") {
			line = i + 1
		}
	}
	out, code := vet("./examples/riskserver/gate/testdata/badtl")
	want := "examples/riskserver/gate/testdata/badtl/bad.go:" + strconv.Itoa(line) + ":"
	if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "[cthreadlocal]") {
		t.Errorf("negative control: exit %d, want a cthreadlocal finding at %s\n%s", code, want, out)
	}
}
