package cgopanicsymbol

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// TestEffect: bad links and starts (the symbol is there) but dies with a
// fatal runtime error when C calls _cgo_panic as a C function; good enters it
// through crosscall2 and Go recovers the panic with C's message.
func TestEffect(t *testing.T) {
	bad := trapt.Run(t, trapt.Build(t, "bad"))
	good := trapt.Run(t, trapt.Build(t, "good"))

	if bad.Int(t, "linked") != 1 {
		t.Errorf("bad did not start")
	}
	if bad.ExitCode != 2 || !strings.Contains(bad.Stderr, "fatal error:") {
		t.Errorf("bad: want a fatal runtime error (exit 2), got %v", bad)
	}
	if _, ok := bad.Value("recovered"); ok {
		t.Errorf("bad: recover caught the panic; a fatal error cannot be recovered:\n%s", bad.Stdout)
	}
	if strings.Contains(bad.Stderr, "undefined symbol") {
		t.Errorf("bad: unexpected undefined symbol:\n%s", bad.Stderr)
	}
	t.Logf("bad: exit %d, %s", bad.ExitCode, line(bad.Stderr, "fatal error"))

	if good.ExitCode != 0 {
		t.Fatalf("good: %v", good)
	}
	if v, _ := good.Value("recovered"); v != "boom" {
		t.Errorf("good: recovered %q, want boom", v)
	}
	if good.Int(t, "cgo_panic_dlsym") != 1 {
		t.Errorf("good: dlsym(RTLD_DEFAULT, \"_cgo_panic\") failed")
	}
}

// TestSymbolIsDefinedAndExported shows that runtime/cgo defines _cgo_panic as
// a Go function and that every cgo executable exports it, global and strong
// (nm type T; a weak symbol would be W), in its dynamic symbol table.
func TestSymbolIsDefinedAndExported(t *testing.T) {
	root := goEnv(t, "GOROOT")
	src, err := os.ReadFile(filepath.Join(root, "src/runtime/cgo/callbacks.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"//go:cgo_export_dynamic _cgo_panic", "func _cgo_panic("} {
		if !strings.Contains(string(src), want) {
			t.Errorf("runtime/cgo/callbacks.go lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "src/runtime/cgo/gcc_64.c")); err == nil {
		t.Errorf("runtime/cgo/gcc_64.c exists; the README says the seed's file does not")
	}

	bin := trapt.Build(t, "good")
	out, err := exec.Command("nm", "-D", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("nm -D: %v\n%s", err, out)
	}
	for _, sym := range []string{"_cgo_panic", "crosscall2"} {
		if !regexp.MustCompile(`(?m)^[0-9a-f]+ T ` + sym + `$`).Match(out) {
			t.Errorf("%s is not a defined global text symbol in the dynamic symbol table:\n%s", sym, grep(out, "cgo|crosscall"))
		}
	}
	t.Logf("nm -D good:\n%s", grep(out, "_cgo_panic|crosscall2$"))
}

// TestLegacyPluginResolves builds a C shared library that leaves _cgo_panic
// and crosscall2 undefined (the "old C library" of the seed) and has the good
// program dlopen it with RTLD_NOW: the references resolve against the Go
// executable and the library's panic reaches Go's recover.
func TestLegacyPluginResolves(t *testing.T) {
	so := filepath.Join(t.TempDir(), "plugin.so")
	cc(t, "-shared", "-fPIC", "-o", so, "testdata/plugin/plugin.c")
	out, err := exec.Command("nm", "-D", so).CombinedOutput()
	if err != nil {
		t.Fatalf("nm -D: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^\s+U _cgo_panic$`).Match(out) {
		t.Fatalf("plugin.so does not leave _cgo_panic undefined:\n%s", out)
	}
	r := trapt.Run(t, trapt.Build(t, "good"), "-plugin", so)
	if r.ExitCode != 0 || r.Int(t, "plugin_loaded") != 1 {
		t.Fatalf("good -plugin: %v", r)
	}
	if v, _ := r.Value("plugin_recovered"); v != "boom" {
		t.Errorf("plugin's panic: recovered %q, want boom", v)
	}
}

// TestCSharedLoadedByDlopen builds a Go c-shared library and loads it from a
// C program with dlopen(RTLD_NOW): no undefined symbol, and the exported
// function works (the call enters Go through crosscall2).
func TestCSharedLoadedByDlopen(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libgo.so")
	if out, err := exec.Command("go", "build", "-buildmode=c-shared", "-o", lib, "./testdata/shlib").CombinedOutput(); err != nil {
		t.Fatalf("go build -buildmode=c-shared: %v\n%s", err, out)
	}
	loader := filepath.Join(dir, "loader")
	cc(t, "-o", loader, "testdata/loader.c", "-ldl")
	r := trapt.Run(t, loader, lib)
	if r.ExitCode != 0 {
		t.Fatalf("loader: %v", r)
	}
	if r.Int(t, "add") != 5 || r.Int(t, "cgo_panic_found") != 1 {
		t.Errorf("loader: %s", r.Stdout)
	}
	out, _ := exec.Command("nm", "-D", lib).CombinedOutput()
	if !regexp.MustCompile(`(?m)^[0-9a-f]+ T _cgo_panic$`).Match(out) {
		t.Errorf("libgo.so does not define _cgo_panic:\n%s", grep(out, "cgo"))
	}
}

func cc(t *testing.T, args ...string) {
	t.Helper()
	c := strings.Fields(goEnv(t, "CC"))
	if out, err := exec.Command(c[0], append(c[1:], args...)...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", c[0], args, err, out)
	}
}

func goEnv(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command("go", "env", key).Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env %s: %v", key, err)
	}
	return strings.TrimSpace(string(out))
}

func grep(b []byte, pattern string) string {
	re := regexp.MustCompile(pattern)
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if re.MatchString(l) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func line(s, substr string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			return l
		}
	}
	return ""
}
