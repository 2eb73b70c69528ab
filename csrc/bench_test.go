package csrc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cc "modernc.org/cc/v4"
)

// genLarge writes a C file of about lines lines: many ordinary functions
// (locals, loops, calls between them, globals, a struct type) and three
// API functions, at the start, the middle and the end, that Go would call.
func genLarge(tb testing.TB, dir string, lines int) string {
	var b strings.Builder
	b.WriteString(`#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

typedef struct item { int key; char *name; struct item *next; } item_t;

char *api_open(size_t n) { char *p = malloc(n); if (p) memset(p, 0, n); return p; }
`)
	const perFunc = 12 // lines per generated function
	for i := 0; i*perFunc < lines-20; i++ {
		if i*perFunc == (lines/2)/perFunc*perFunc {
			b.WriteString("static void release(char *p) { free(p); }\nvoid api_close(char *p) { if (p) release(p); }\n")
		}
		fmt.Fprintf(&b, `static int g%d;
int f%d(item_t *it, int a) {
	int sum = a;
	for (int k = 0; k < a; k++) {
		sum += k * %d;
		if (it && it->key == k)
			sum -= f%d(it->next, k);
	}
	g%d = sum;
	return sum;
}

`, i, i, i, i/2, i)
	}
	b.WriteString("int api_wait(int s) { return (int)sleep((unsigned)s); }\n")
	path := filepath.Join(dir, "big.c")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkLargeFile measures Load plus the summaries of three functions of
// a 200,000-line C file in the package (what cgoguard does when Go calls
// three of its functions), against parsing the whole file.
func BenchmarkLargeFile(b *testing.B) {
	dir := b.TempDir()
	path := genLarge(b, dir, 200_000)
	data, _ := os.ReadFile(path)
	b.Logf("%s: %d lines, %d bytes", filepath.Base(path), strings.Count(string(data), "\n"), len(data))
	if _, err := config(); err != nil {
		b.Skip(err)
	}
	ask := func(b *testing.B, m *Model) {
		for fn, want := range map[string]string{"api_open": "owned:free", "api_close": "frees:0", "api_wait": "blocks"} {
			if f := m.Func(fn); f == nil || facts(f) != want {
				b.Fatalf("%s: %v", fn, f)
			}
		}
	}
	b.Run("lazy", func(b *testing.B) {
		ask(b, Load(Options{Dir: dir}, nil, []string{"big.c"})) // warm the header cache
		b.ResetTimer()
		for range b.N {
			ask(b, Load(Options{Dir: dir}, nil, []string{"big.c"}))
		}
	})
	b.Run("lazy-cold-headers", func(b *testing.B) {
		saved := srcCache
		defer func() { srcCache = saved }()
		for range b.N {
			srcCache = &cc.SourceCache{}
			ask(b, Load(Options{Dir: dir}, nil, []string{"big.c"}))
		}
	})
	b.Run("load-only", func(b *testing.B) {
		for range b.N {
			Load(Options{Dir: dir}, nil, []string{"big.c"})
		}
	})
	b.Run("whole-file", func(b *testing.B) {
		// The same questions with every body parsed: what laziness saves.
		for range b.N {
			m := Load(Options{Dir: dir}, nil, []string{"big.c"})
			for _, t := range m.tus {
				t.full, t.allBodies = true, true
			}
			ask(b, m)
		}
	})
}
