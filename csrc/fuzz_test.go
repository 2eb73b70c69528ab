package csrc

import (
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary C text to the model, as a .c file and as a
// preamble, and asks about every function the scanner sees. The model must
// not panic, must not hang, and every summary it gives must be well formed.
// Its seed corpus runs with the normal tests; explore with
//
//	go test ./csrc -run '^$' -fuzz FuzzLoad -fuzztime 5m
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"",
		"int x;",
		prelude + "char *f(void) { return malloc(1); }\n",
		"#include <stdlib.h>\nvoid f(char *p) { free(p); }\nstatic void *g; void h(void *p) { g = p; }\n",
		"static __thread char b[8]; char *f(void) { return b; }\n",
		"#include <missing.h>\nfoo_t *f(bar_t x) { return (foo_t *)x; }\n",
		"int f(void) { return 0 }\nint g(void) { return 1; }\n",
		"#if\nint f(char *p) { return 0; }\n",
		"#ifdef A\nint f(int a) {\n#else\nint f(long a) {\n#endif\n return (int)a; }\n",
		"extern \"C\" {\nint f(void);\n}\n",
		"/* cgoguard:owned my_free */ char *f(void);\nvoid g(char *); // cgoguard:frees 0\n",
		"/* cgoguard:keeps x */ void f(void *p);\n",
		"int (*getfn(void))(int) { return 0; }\nint f(a, b) int a; char *b; { return a; }\n",
		"#define BEGIN {\n#define END }\nint f(void) BEGIN return 1; END\n",
		"struct s { int a; } v = { 1 }; int *p = (int[]){1, 2}; int f(void) { return ({ int x = 1; x; }); }\n",
		"void f(char *p) { char *q = p; char *r = q; q = r; free(r); }\n",
		"char *f(int n) { return n ? f(n - 1) : malloc(1); }\n",
		"#define X(a) a##a\nint X(f)(void) { return 0; }\n",
		"}}}{{{;;;((()))\n#endif\n#else\n",
		"\"unterminated\n'x\n/* unterminated",
		"int f(void) { asm(\"nop\"); __asm__ volatile(\"\" ::: \"memory\"); return 0; }\n",
		"#include \"_cgo_export.h\"\nGoInt f(GoSlice s) { return s.len; }\n",
		prelude + "static pthread_mutex_t mu; static int g; static void *w(void *a) { pthread_mutex_lock(&mu); g++; pthread_mutex_unlock(&mu); return a; }\nint f(int x) { pthread_t t; if (pthread_mutex_trylock(&mu) == 0) { g = x; pthread_mutex_unlock(&mu); } switch (x) { case 1: goto out; default: g--; } out: return pthread_create(&t, 0, w, 0); }\n",
		"struct s { int *p; } gs; int ga[4]; int f(int i) { again: ga[i] = *gs.p; gs.p[i]++; for (;;) { if (i--) continue; break; } do { i++; } while (i < 3); if (i > 9) goto again; return (&gs)->p[0]; }\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 1<<16 {
			return
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "a.c"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		gofile := filepath.Join(dir, "p.go")
		names := map[string]bool{"malloc": true, "nosuch": true}
		fs := scanSource([]byte(src))
		for _, ch := range fs.chunks {
			for _, n := range ch.names {
				names[n] = true
			}
		}
		// Whole, as small files are parsed, and piecewise, as large ones:
		// when neither met a problem, they must agree.
		var got [2]map[string]string
		var probs [2][]string
		for k, small := range []int{smallUnit, 0} {
			m := load(Options{Dir: dir}, []Preamble{{GoFile: gofile, Pos: token.Position{Filename: gofile, Line: 2}, Text: src}}, []string{"a.c"}, small)
			got[k] = check(t, m, names)
			probs[k] = m.Problems()
		}
		if len(probs[0]) == 0 && len(probs[1]) == 0 {
			for n := range names {
				if got[0][n] != got[1][n] {
					t.Errorf("%s: parsed whole: %q, piecewise: %q", n, got[0][n], got[1][n])
				}
			}
		}
	})
}

// check asks the model about names and checks the answers' shape.
func check(t *testing.T, m *Model, names map[string]bool) map[string]string {
	out := map[string]string{}
	for n := range names {
		fn := m.Func(n)
		if fn == nil {
			out[n] = "nil"
			continue
		}
		out[n] = facts(fn)
		if fn.Name != n {
			t.Errorf("Func(%q).Name = %q", n, fn.Name)
		}
		checkEvidence(t, fn)
		if fn.ReturnsOwned != nil && fn.Dealloc == "" {
			t.Errorf("%s: owned without a deallocator", n)
		}
		m.Global(n)
		for _, a := range m.Accesses(n) {
			if len(a.Via) == 0 || a.Via[0] != n || a.Path == "" || a.Object == "" || !a.Read && !a.Write {
				t.Errorf("%s: bad access %+v", n, a)
			}
		}
	}
	for _, ts := range m.ThreadStarts() {
		if ts.Routine == "" || len(ts.Via) < 2 {
			t.Errorf("bad thread start %+v", ts)
		}
	}
	for _, p := range m.Problems() {
		if strings.Contains(p, "internal error") {
			t.Errorf("%s", p)
		}
	}
	return out
}
