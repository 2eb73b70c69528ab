package tracker

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lineOf returns "abs/file:N" of the first line of file containing substr.
func lineOf(t *testing.T, file, substr string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	abs, _ := filepath.Abs(file)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), substr) {
			return fmt.Sprintf("%s:%d", abs, n)
		}
	}
	t.Fatalf("%s: no line with %q", file, substr)
	return ""
}

// TestGallery runs the trap gallery's C-memory traps under the tracker: each
// bad program's bug is reported at the trap's line; the good program has no
// such finding.
func TestGallery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gallery's programs")
	}
	cases := []struct {
		trap, kind string
		args       []string
		// goLine and cLine locate the expected Go site and, for bugs in C
		// code, the C caller of the allocator or free.
		goLine, cLine string
		blocks        int
	}{
		{trap: "cstring-never-freed", kind: KindLeak, args: []string{"-n", "50"}, goLine: "C.CString(name)", blocks: 50},
		{trap: "c-result-never-freed", kind: KindLeak, args: []string{"-n", "50"}, goLine: "// trap:", blocks: 50},
		{trap: "close-and-finalizer-double-free", kind: KindDoubleFree, goLine: "// trap:"},
		// The race is forced by the program (race.h); the C free is the
		// trap line, the Go site the call of C.set_buffer. Both versions
		// keep their last buffers until exit on purpose, so only double
		// frees are compared here.
		{trap: "cached-pointer-double-free", kind: KindDoubleFree, goLine: "C.set_buffer(", cLine: "// trap:"},
	}
	for _, c := range cases {
		t.Run(c.trap, func(t *testing.T) {
			dir := filepath.Join("..", "traps", c.trap)
			bad := program(t, "../traps/"+c.trap+"/bad")
			res := run(t, bad, Options{}, c.args...)
			want := lineOf(t, filepath.Join(dir, "bad", "main.go"), c.goLine)
			var got []Finding
			for _, f := range res.Reports[0].Findings {
				if f.Kind == c.kind {
					got = append(got, f)
				}
			}
			if len(got) != 1 {
				t.Fatalf("bad: want one %s, got %d:\n%s", c.kind, len(got), text(res.Reports[0]))
			}
			f := got[0]
			if f.Site != want {
				t.Errorf("bad: %s at %s, want %s", c.kind, f.Site, want)
			}
			if c.blocks != 0 && f.Blocks != c.blocks {
				t.Errorf("bad: %d blocks, want %d", f.Blocks, c.blocks)
			}
			if c.cLine != "" {
				wantC := lineOf(t, filepath.Join(dir, "bad", "main.go"), c.cLine)
				if f.SecondFree == nil || f.SecondFree.C == nil || f.SecondFree.C.Pos() != wantC {
					t.Errorf("bad: C caller of the second free %+v, want %s", f.SecondFree, wantC)
				}
			}
			good := program(t, "../traps/"+c.trap+"/good")
			res = run(t, good, Options{}, c.args...)
			for _, f := range res.Reports[0].Findings {
				if f.Kind == c.kind {
					t.Errorf("good: %s reported:\n%s", c.kind, text(res.Reports[0]))
				}
			}
		})
	}
}
