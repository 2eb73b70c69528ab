package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const leakySrc = `package leaky

/*
#include <stdlib.h>
#include <string.h>
static size_t name_len(const char *s) { return strlen(s); }
*/
import "C"

import "unsafe"

var _ unsafe.Pointer

func NameLen(name string) int {
	cs := C.CString(name)
	return int(C.name_len(cs))
}
`

// module writes a one-package module with the given source into a temp dir.
func module(t *testing.T, src string) string {
	dir := t.TempDir()
	for name, data := range map[string]string{"go.mod": "module leaky\n\ngo 1.26\n", "leaky.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func run(t *testing.T, dir, bin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// TestFix: -fix inserts the deferred free, after which the package is clean.
func TestFix(t *testing.T) {
	bin := buildSelf(t)
	dir := module(t, leakySrc)
	out, code := run(t, dir, bin, "vet", "-fix", ".")
	if code != exitFindings || !strings.Contains(out, "applied 1 fixes") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	src, _ := os.ReadFile(filepath.Join(dir, "leaky.go"))
	if !strings.Contains(string(src), "cs := C.CString(name)\n\tdefer C.free(unsafe.Pointer(cs))\n") {
		t.Fatalf("fix not applied:\n%s", src)
	}
	if out, code := run(t, dir, bin, "vet", "."); code != exitClean {
		t.Fatalf("after -fix: exit %d\n%s", code, out)
	}
}

// TestOutputs: text, JSON and SARIF carry the same finding; go vet -vettool
// runs the same analyzers; exit codes follow go vet.
func TestOutputs(t *testing.T) {
	bin := buildSelf(t)
	dir := module(t, leakySrc)

	out, code := run(t, dir, bin, "vet", ".")
	if code != exitFindings || !strings.Contains(out, "leaky.go:16:2: this return may be reached without freeing cs") || !strings.Contains(out, "[cmemleak]") {
		t.Errorf("text: exit %d\n%s", code, out)
	}

	cmd := exec.Command(bin, "vet", "-json", ".")
	cmd.Dir = dir
	js, _ := cmd.Output()
	var diags []diagnostic
	if err := json.Unmarshal(js, &diags); err != nil || len(diags) != 1 || diags[0].Category != "cmemleak" {
		t.Errorf("json: %v %+v\n%s", err, diags, js)
	}

	cmd = exec.Command(bin, "vet", "-sarif", ".")
	cmd.Dir = dir
	sa, _ := cmd.Output()
	var log struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID    string
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(sa, &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("sarif: %v\n%s", err, sa)
	}
	r := log.Runs[0]
	if len(r.Results) != 1 || r.Results[0].RuleID != "cmemleak" || r.Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != "leaky.go" ||
		r.Results[0].Locations[0].PhysicalLocation.Region.StartLine != 16 || len(r.Tool.Driver.Rules) < 4 {
		t.Errorf("sarif content:\n%s", sa)
	}

	// The same analyzers through go vet.
	out, code = run(t, dir, "go", "vet", "-vettool="+bin, ".")
	if code == 0 || !strings.Contains(out, "leaky.go:16:2: this return may be reached without freeing cs") {
		t.Errorf("go vet -vettool: exit %d\n%s", code, out)
	}

	// Clean code: exit 0, no output.
	clean := strings.Replace(leakySrc, "cs := C.CString(name)\n", "cs := C.CString(name)\n\tdefer C.free(unsafe.Pointer(cs))\n", 1)
	if out, code := run(t, module(t, clean), bin, "vet", "."); code != exitClean || out != "" {
		t.Errorf("clean: exit %d\n%s", code, out)
	}
	// Usage errors: exit 2.
	if _, code := run(t, dir, bin, "vet", "-json", "-sarif", "."); code != exitError {
		t.Errorf("-json -sarif: exit %d, want %d", code, exitError)
	}
	if _, code := run(t, dir, bin, "nosuchcommand"); code != exitError {
		t.Errorf("unknown command: exit %d, want %d", code, exitError)
	}
}

// TestCorruptConfig: a config that does not parse is reported once and the
// analysis goes on with the built-in knowledge.
func TestCorruptConfig(t *testing.T) {
	bin := buildSelf(t)
	dir := module(t, leakySrc)
	os.WriteFile(filepath.Join(dir, "cgoguard.json"), []byte(`{"allocators": {"x": `), 0o644)
	out, code := run(t, dir, bin, "vet", ".")
	if code != exitFindings || !strings.Contains(out, "config ignored") || !strings.Contains(out, "[cmemleak]") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// TestConfigChangeReruns: the config is part of go vet's cache key (a flag
// with its content hash), so editing it changes the result at once.
func TestConfigChangeReruns(t *testing.T) {
	bin := buildSelf(t)
	src := `package leaky

/*
typedef struct obj obj;
obj *lib_make(int n);
void lib_release(obj *o);
int lib_size(obj *o);
*/
import "C"

func Size(n int) int {
	o := C.lib_make(C.int(n))
	return int(C.lib_size(o))
}
`
	dir := module(t, src)
	cfg := filepath.Join(dir, "cgoguard.json")
	os.WriteFile(cfg, []byte(`{"allocators": {"lib_make": "lib_release"}}`), 0o644)
	if out, code := run(t, dir, bin, "vet", "."); code != exitFindings || !strings.Contains(out, "allocated by C.lib_make") {
		t.Fatalf("with the allocator configured: exit %d\n%s", code, out)
	}
	os.WriteFile(cfg, []byte(`{}`), 0o644)
	if out, code := run(t, dir, bin, "vet", "."); code != exitClean {
		t.Fatalf("after removing it from the config: exit %d (stale cache?)\n%s", code, out)
	}
}

// TestBaseline: a recorded finding stays hidden when code around it moves,
// a new one of the same kind in the same file shows, a fixed one is
// reported as stale, and a corrupt baseline is an error, not a clean run.
func TestBaseline(t *testing.T) {
	bin := buildSelf(t)
	dir := module(t, leakySrc)
	base := filepath.Join(dir, "cgoguard-baseline.json")

	out, code := run(t, dir, bin, "vet", "-write-baseline", base, ".")
	if code != exitClean || !strings.Contains(out, "recorded 1 findings") {
		t.Fatalf("-write-baseline: exit %d\n%s", code, out)
	}
	out, code = run(t, dir, bin, "vet", "-baseline", base, ".")
	if code != exitClean || !strings.Contains(out, "1 findings recorded in") {
		t.Fatalf("same code: exit %d\n%s", code, out)
	}

	// Lines move: still the recorded finding.
	moved := strings.Replace(leakySrc, "func NameLen", "// A comment.\n// Another.\nfunc NameLen", 1)
	write(t, dir, "leaky.go", moved)
	if out, code := run(t, dir, bin, "vet", "-baseline", base, "."); code != exitClean {
		t.Fatalf("moved code: exit %d\n%s", code, out)
	}

	// A second leak of the same kind in the same file: shown, the first not.
	two := moved + `
func NameLen2(name string) int {
	cs := C.CString(name)
	return int(C.name_len(cs))
}
`
	write(t, dir, "leaky.go", two)
	out, code = run(t, dir, bin, "vet", "-baseline", base, ".")
	if code != exitFindings || strings.Count(out, "[cmemleak]") != 1 || !strings.Contains(out, "leaky.go:23:") {
		t.Fatalf("new finding: exit %d\n%s", code, out)
	}

	// Both fixed: clean, and the baseline entry is stale.
	write(t, dir, "leaky.go", strings.ReplaceAll(two, "cs := C.CString(name)\n", "cs := C.CString(name)\n\tdefer C.free(unsafe.Pointer(cs))\n"))
	out, code = run(t, dir, bin, "vet", "-baseline", base, ".")
	if code != exitClean || !strings.Contains(out, "1 entries of") {
		t.Fatalf("fixed: exit %d\n%s", code, out)
	}

	write(t, dir, "cgoguard-baseline.json", "{not json")
	if out, code := run(t, dir, bin, "vet", "-baseline", base, "."); code != exitError || !strings.Contains(out, "not a cgoguard baseline") {
		t.Fatalf("corrupt baseline: exit %d\n%s", code, out)
	}
}

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestVerboseNotesAreNotProblems: -v prints analysis notes (here the
// lockdomains note for a cgo call under a Go mutex), and a clean package
// still exits 0.
func TestVerboseNotesAreNotProblems(t *testing.T) {
	bin := buildSelf(t)
	dir := module(t, `package leaky

/*
static int counter;
static void bump(void) { counter++; }
*/
import "C"

import "sync"

var mu sync.Mutex

// Bump serialises a C library that is not thread-safe with a Go mutex: correct.
func Bump() {
	mu.Lock()
	defer mu.Unlock()
	C.bump()
}
`)
	out, code := run(t, dir, bin, "vet", "-v", ".")
	if code != exitClean || !strings.Contains(out, "lockdomains: 1 cgo calls under a Go mutex") {
		t.Fatalf("vet -v on a clean package: exit %d\n%s", code, out)
	}
}
