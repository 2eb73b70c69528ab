package golangci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golangci/plugin-module-register/register"
	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/analyzers/suite"
	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/knowledge"
)

func names(as []*analysis.Analyzer) []string {
	var ns []string
	for _, a := range as {
		ns = append(ns, a.Name)
	}
	return ns
}

// build runs the constructor golangci-lint finds by name, as golangci-lint
// does, and returns the analyzers; it restores cgoview.DB afterwards.
func build(t *testing.T, conf any) ([]*analysis.Analyzer, error) {
	t.Helper()
	old := cgoview.DB
	t.Cleanup(func() { cgoview.DB = old })
	newPlugin, err := register.GetPlugin("cgoguard")
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlugin(conf)
	if err != nil {
		return nil, err
	}
	if m := p.GetLoadMode(); m != register.LoadModeTypesInfo {
		t.Errorf("load mode %q, want %q", m, register.LoadModeTypesInfo)
	}
	return p.BuildAnalyzers()
}

func TestAllByDefault(t *testing.T) {
	t.Chdir(t.TempDir()) // no cgoguard.json here
	as, err := build(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(as), names(suite.All()); !slices.Equal(got, want) {
		t.Errorf("analyzers %v, want %v", got, want)
	}
	if cgoview.DB != knowledge.Base {
		t.Error("without a config the built-in knowledge should be used")
	}
}

func TestChecks(t *testing.T) {
	t.Chdir(t.TempDir())
	as, err := build(t, map[string]any{"checks": []any{"cdoublefree", "cmemleak", "cdoublefree"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(as), []string{"cdoublefree", "cmemleak"}; !slices.Equal(got, want) {
		t.Errorf("analyzers %v, want %v", got, want)
	}

	_, err = build(t, map[string]any{"checks": []any{"cmemleak", "memleak"}})
	if err == nil || !strings.Contains(err.Error(), `unknown check "memleak"`) || !strings.Contains(err.Error(), "cmemleak") {
		t.Errorf("unknown check: err = %v, want it named and the known ones listed", err)
	}
}

func TestMisspeltSetting(t *testing.T) {
	_, err := build(t, map[string]any{"check": []any{"cmemleak"}})
	if err == nil || !strings.Contains(err.Error(), "check") {
		t.Errorf("err = %v, want an unknown-field error", err)
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if _, ok := knowledge.Base.Allocator("lib_make"); ok {
		t.Fatal("test needs an allocator the built-in knowledge lacks")
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("lib.json", `{"allocators": {"lib_make": "lib_release"}}`)
	if _, err := build(t, map[string]any{"config": "lib.json"}); err != nil {
		t.Fatal(err)
	}
	if a, ok := cgoview.DB.Allocator("lib_make"); !ok || a.Dealloc != "lib_release" {
		t.Errorf("config not applied: lib_make = %+v, %v", a, ok)
	}

	// cgoguard.json in the working directory is the default, as for cgoguard vet.
	write("cgoguard.json", `{"allocators": {"other_make": "other_free"}}`)
	if _, err := build(t, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := cgoview.DB.Allocator("other_make"); !ok {
		t.Error("cgoguard.json not read by default")
	}

	write("bad.json", `{"allocaters": {}}`)
	if _, err := build(t, map[string]any{"config": "bad.json"}); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("bad config: err = %v, want one naming the file", err)
	}
	if _, err := build(t, map[string]any{"config": "missing.json"}); err == nil {
		t.Error("missing config: no error")
	}
}

// golangciVersion is the golangci-lint release the end-to-end test builds;
// docs/integrations.md names the same one. v2.15.0 is built with Go 1.26 and
// uses plugin-module-register v0.1.2 and x/tools v0.52.0, as this module does.
const golangciVersion = "v2.15.0"

// golangciRepo is the address `golangci-lint custom` clones its source from.
const golangciRepo = "https://github.com/golangci/golangci-lint.git"

// The linted module. The markers name the lines where cmemleak must report.
const leakGo = `package bad

/*
#include <stdlib.h>
#include <string.h>

static size_t name_len(const char *s) { return strlen(s); }

// Known to cgoguard only through cgoguard.json.
typedef struct lib_obj lib_obj;
lib_obj *lib_make(int n);
void lib_release(lib_obj *o);
int lib_size(lib_obj *o);
*/
import "C"

func NameLen(s string) int {
	cs := C.CString(s)         // ALLOC:cstring
	return int(C.name_len(cs)) // MARK:cstring
}

func Size(n int) int {
	o := C.lib_make(C.int(n)) // ALLOC:libmake
	return int(C.lib_size(o)) // MARK:libmake
}
`

const cleanGo = `package good

/*
#include <stdlib.h>
#include <string.h>

static size_t name_len(const char *s) { return strlen(s); }

typedef struct lib_obj lib_obj;
lib_obj *lib_make(int n);
void lib_release(lib_obj *o);
int lib_size(lib_obj *o);
*/
import "C"

import "unsafe"

func NameLen(s string) int {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	return int(C.name_len(cs))
}

func Size(n int) int {
	o := C.lib_make(C.int(n))
	defer C.lib_release(o)
	return int(C.lib_size(o))
}
`

const golangciYML = `version: "2"
linters:
  default: none
  enable:
    - cgoguard
  settings:
    custom:
      cgoguard:
        type: module
        description: finds the bugs of Go and C mixed programming
        settings:
          config: cgoguard.json
%s`

// TestGolangciLintCustom builds a golangci-lint with the plugin by
// `golangci-lint custom`, as a user would, and lints a cgo module with it.
//
// This machine reaches the Go module proxy but not GitHub, and
// `golangci-lint custom` git-clones golangci-lint's source. The test
// therefore makes a git repository of the same release from the module
// proxy's copy (checksum-verified by the go command) and points git's
// url.<base>.insteadOf at it, through the GIT_CONFIG_* variables that
// `custom` passes on to git. Everything else (plugin import, replace
// directive, go mod tidy, go build) is golangci-lint's own code.
//
// It runs when CGOGUARD_GOLANGCI=1, as scripts/test.sh (and so CI) sets
// it; a plain go test skips it: on a new 2-core machine, building
// golangci-lint and then the custom binary took about 4.5 minutes (45 to 105 s
// with a warm build cache); docs/integrations.md has the figures.
func TestGolangciLintCustom(t *testing.T) {
	if testing.Short() {
		t.Skip("builds golangci-lint: minutes")
	}
	if os.Getenv("CGOGUARD_GOLANGCI") != "1" {
		t.Skip("builds golangci-lint (about 4.5 minutes on a cold build cache): set CGOGUARD_GOLANGCI=1 to run")
	}
	for _, tool := range []string{"go", "git", "gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed: %v", tool, err)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	env := append(os.Environ(), "GOBIN="+bin, "GOLANGCI_LINT_CACHE="+filepath.Join(tmp, "lintcache"))
	run := func(dir string, extraEnv []string, name string, args ...string) ([]byte, error) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(slices.Clip(env), extraEnv...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		t.Logf("%s %s: %.1fs", name, strings.Join(args, " "), time.Since(start).Seconds())
		if err != nil {
			err = fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
		}
		return out, err
	}
	must := func(out []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	// The release's source as a local git repository with its tag.
	var mod struct{ Dir string }
	if err := json.Unmarshal(must(run(tmp, nil, "go", "mod", "download", "-json", "github.com/golangci/golangci-lint/v2@"+golangciVersion)), &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download: %v (dir %q)", err, mod.Dir)
	}
	mirror := filepath.Join(tmp, "golangci-lint-src")
	if err := os.CopyFS(mirror, os.DirFS(mod.Dir)); err != nil {
		t.Fatal(err)
	}
	git := []string{"-c", "user.name=cgoguard test", "-c", "user.email=test@invalid", "-c", "commit.gpgsign=false"}
	must(run(mirror, nil, "git", "init", "-q"))
	must(run(mirror, nil, "git", "add", "-A"))
	must(run(mirror, nil, "git", append(git, "commit", "-q", "-m", golangciVersion)...))
	must(run(mirror, nil, "git", "tag", golangciVersion))
	redirect := []string{
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=url.file://" + filepath.ToSlash(mirror) + ".insteadOf",
		"GIT_CONFIG_VALUE_0=" + golangciRepo,
	}

	// golangci-lint itself, then the custom binary with the plugin.
	must(run(tmp, nil, "go", "install", "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@"+golangciVersion))
	build := filepath.Join(tmp, "build")
	customYML := fmt.Sprintf(`version: %s
name: custom-gcl
destination: %s
plugins:
  - module: github.com/cgoguard/cgoguard
    import: github.com/cgoguard/cgoguard/golangci
    path: %s
`, golangciVersion, bin, root)
	writeFiles(t, build, map[string]string{".custom-gcl.yml": customYML})
	start := time.Now()
	must(run(build, redirect, filepath.Join(bin, "golangci-lint"), "custom", "-v"))
	t.Logf("golangci-lint custom (clone, go mod tidy, go build): %.1fs", time.Since(start).Seconds())
	custom := filepath.Join(bin, "custom-gcl")

	// The linted module.
	lint := filepath.Join(tmp, "lintme")
	writeFiles(t, lint, map[string]string{
		"go.mod":        "module example.com/lintme\n\ngo 1.26\n",
		"bad/leak.go":   leakGo,
		"good/clean.go": cleanGo,
		"cgoguard.json": `{"allocators": {"lib_make": "lib_release"}}`,
		".golangci.yml": fmt.Sprintf(golangciYML, ""),
		"doublefree-only.yml": fmt.Sprintf(golangciYML, `          checks:
            - cdoublefree
`),
	})
	// golangci-lint turns a diagnostic's related information into an issue
	// of its own: each leak gives the finding at the return and a note at
	// the allocation.
	want := map[int]string{} // line → the start of the issue's text
	for i, l := range strings.Split(leakGo, "\n") {
		if _, m, ok := strings.Cut(l, "// MARK:"); ok {
			want[i+1] = "cmemleak: this return may be reached without freeing " + map[string]string{
				"cstring": "cs, allocated by C.CString",
				"libmake": "o, allocated by C.lib_make", // known only from cgoguard.json
			}[m]
		}
		if _, _, ok := strings.Cut(l, "// ALLOC:"); ok {
			want[i+1] = "cmemleak(related information): allocated here"
		}
	}
	if len(want) != 4 {
		t.Fatalf("markers: %v", want)
	}

	issues, code := lintRun(t, run, custom, lint, "./...")
	if code != 1 {
		t.Errorf("findings: exit code %d, want 1", code)
	}
	seen := map[int]bool{}
	for _, is := range issues {
		where := fmt.Sprintf("%s:%d", filepath.ToSlash(is.Pos.Filename), is.Pos.Line)
		t.Logf("%s: %s (%s)", where, is.Text, is.FromLinter)
		prefix, ok := want[is.Pos.Line]
		if is.FromLinter != "cgoguard" || where != fmt.Sprintf("bad/leak.go:%d", is.Pos.Line) || !ok || !strings.HasPrefix(is.Text, prefix) || seen[is.Pos.Line] {
			t.Errorf("unexpected issue %s: %s (%s)", where, is.Text, is.FromLinter)
		}
		seen[is.Pos.Line] = true
	}
	for line, prefix := range want {
		if !seen[line] {
			t.Errorf("missing at bad/leak.go:%d: %s", line, prefix)
		}
	}

	// A C function defined in one of the package's .c files (not in the
	// preamble) is summarised too: its malloc'd result leaks in Name.
	writeFiles(t, lint, map[string]string{
		"cfile/lib.c": "#include <stdlib.h>\n#include <string.h>\nchar *make_name(void) { char *s = malloc(8); strcpy(s, \"name\"); return s; }\n",
		"cfile/use.go": `package cfile

/*
char *make_name(void);
*/
import "C"

// Name leaks the C string: C.GoString copies it and the block is dropped.
func Name() string {
	return C.GoString(C.make_name())
}
`,
	})
	issues, _ = lintRun(t, run, custom, lint, "./cfile/...")
	found := false
	for _, is := range issues {
		if filepath.ToSlash(is.Pos.Filename) == "cfile/use.go" && is.Pos.Line == 10 && strings.Contains(is.Text, "returned by C.make_name") {
			found = true
		}
	}
	if !found {
		t.Errorf("no cmemleak for C.make_name (defined in cfile/lib.c): %+v", issues)
	}

	if issues, code := lintRun(t, run, custom, lint, "./good/..."); len(issues) != 0 || code != 0 {
		t.Errorf("clean code: exit %d, issues %+v", code, issues)
	}
	// The checks setting reaches the analyzers: with only cdoublefree the
	// leaks are not reported.
	if issues, code := lintRun(t, run, custom, lint, "-c", "doublefree-only.yml", "./bad/..."); len(issues) != 0 || code != 0 {
		t.Errorf("checks: [cdoublefree]: exit %d, issues %+v", code, issues)
	}
}

type issue struct {
	FromLinter string
	Text       string
	Pos        struct {
		Filename string
		Line     int
	}
}

// lintRun runs the custom golangci-lint with JSON output and returns its
// issues and exit code (1 means issues were found).
func lintRun(t *testing.T, run func(string, []string, string, ...string) ([]byte, error), custom, dir string, args ...string) ([]issue, int) {
	t.Helper()
	out, err := run(dir, nil, custom, append([]string{"run", "--output.json.path=stdout", "--show-stats=false"}, args...)...)
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatal(err)
		}
		code = 1
	}
	var res struct{ Issues []issue }
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&res); err != nil {
		t.Fatalf("golangci-lint output: %v\n%s", err, out)
	}
	return res.Issues, code
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
