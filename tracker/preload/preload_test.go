package preload

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBuildsWarningFree compiles the interposer with -Werror, and checks the
// cached library exports exactly the allocator entry points.
func TestBuildsWarningFree(t *testing.T) {
	src := filepath.Join(t.TempDir(), "tracker.c")
	if err := os.WriteFile(src, Source(), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, cflags...), "-Werror", "-o", filepath.Join(t.TempDir(), "t.so"), src)
	if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc -Werror: %v\n%s", err, out)
	}
	lib, err := Path()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"malloc": true, "free": true, "calloc": true, "realloc": true, "reallocarray": true,
		"memalign": true, "aligned_alloc": true, "posix_memalign": true, "valloc": true, "pvalloc": true}
	got := map[string]bool{}
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF && elf.ST_TYPE(s.Info) == elf.STT_FUNC && elf.ST_BIND(s.Info) == elf.STB_GLOBAL {
			got[s.Name] = true
		}
	}
	for n := range want {
		if !got[n] {
			t.Errorf("%s not exported", n)
		}
	}
	for n := range got {
		if !want[n] {
			t.Errorf("unexpected export %s", n)
		}
	}
}
