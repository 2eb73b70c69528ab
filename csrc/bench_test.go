package csrc

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
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

// BenchmarkSQLite runs the model on a real cgo package with a real
// amalgamation, github.com/mattn/go-sqlite3 (sqlite3-binding.c, 263k
// lines), when it is in the module cache: Load, then the summaries of the
// C functions its sqlite3.go calls.
func BenchmarkSQLite(b *testing.B) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		b.Skip(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "github.com/mattn/go-sqlite3@v1.14.*"))
	if len(dirs) == 0 {
		b.Skip("github.com/mattn/go-sqlite3 is not in the module cache")
	}
	dir := dirs[len(dirs)-1]
	pre, err := goPreamble(filepath.Join(dir, "sqlite3.go"))
	if err != nil {
		b.Skip(err)
	}
	calls := strings.Fields(`_sqlite3_open_v2 sqlite3_close_v2 sqlite3_errmsg sqlite3_errcode sqlite3_exec
		_sqlite3_prepare_v2_internal _sqlite3_step_internal _sqlite3_step_row_internal sqlite3_finalize
		sqlite3_reset sqlite3_clear_bindings _sqlite3_bind_text sqlite3_bind_int64 sqlite3_column_text
		sqlite3_column_count sqlite3_create_collation sqlite3_update_hook sqlite3_commit_hook
		sqlite3_set_authorizer sqlite3_interrupt sqlite3_get_autocommit _sqlite3_limit free`)
	files := []string{"sqlite3-binding.c", "sqlite3-binding.h", "sqlite3ext.h"}
	run := func(b *testing.B, all bool) {
		for range b.N {
			m := Load(Options{Dir: dir}, []Preamble{pre}, files)
			if all {
				for _, t := range m.tus {
					t.full, t.allBodies = true, true
				}
			}
			for _, fn := range calls {
				if f := m.Func(fn); f == nil || f.Partial != "" {
					b.Fatalf("%s: %+v; problems %v", fn, f, m.Problems())
				}
			}
			if f := m.Func("sqlite3_update_hook"); facts(f) != "stores:1>0 stores:2>0" {
				b.Fatalf("sqlite3_update_hook: %q", facts(f))
			}
		}
	}
	b.Run("lazy", func(b *testing.B) { run(b, false) })
	b.Run("whole-file", func(b *testing.B) { run(b, true) })
	// What lockdomains adds when it must look: the thread start routines
	// (found through sqlite3ThreadCreate) with their accesses, and the
	// accesses of every C function go-sqlite3 calls.
	b.Run("lazy+locks", func(b *testing.B) {
		for range b.N {
			m := Load(Options{Dir: dir}, []Preamble{pre}, files)
			for _, fn := range calls {
				m.Func(fn)
			}
			if ts := m.ThreadStarts(); len(ts) != 3 {
				b.Fatalf("thread starts: %d", len(ts))
			}
			for _, fn := range calls {
				m.Accesses(fn)
			}
		}
	})
	// What callbacklock adds: the C calls of go-sqlite3's exports (found by
	// a text search for each, none of them called directly by SQLite: it
	// calls them through function pointers) and the locks every C function
	// go-sqlite3 calls takes.
	exports := strings.Fields(`authorizerTrampoline callbackTrampoline commitHookTrampoline compareTrampoline
		doneTrampoline goMDestroy goMInit goVBestIndex goVClose goVColumn goVEof goVFilter goVNext goVOpen
		goVRelease goVRowid goVUpdate preUpdateHookTrampoline rollbackHookTrampoline stepTrampoline
		traceCallbackTrampoline unlock_notify_callback unlock_notify_wait updateHookTrampoline`)
	b.Run("lazy+callbacks", func(b *testing.B) {
		for range b.N {
			m := Load(Options{Dir: dir, Exports: exports}, []Preamble{pre}, files)
			for _, fn := range calls {
				m.Func(fn)
			}
			m.Callbacks()
			for _, fn := range calls {
				m.Acquires(fn)
			}
		}
	})
}

// goPreamble returns the cgo preamble of a Go file, with its lines as cgo
// sees them (cmd/cgo's commentText).
func goPreamble(path string) (Preamble, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.ImportsOnly)
	if err != nil {
		return Preamble{}, err
	}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, s := range gd.Specs {
			is, ok := s.(*ast.ImportSpec)
			if !ok || is.Path.Value != `"C"` {
				continue
			}
			doc := is.Doc
			if doc == nil {
				doc = gd.Doc
			}
			if doc == nil {
				break
			}
			var text strings.Builder
			for _, c := range doc.List {
				if c.Text[1] == '/' {
					text.WriteString(c.Text[2:] + "\n")
				} else {
					text.WriteString(c.Text[2 : len(c.Text)-2])
				}
			}
			return Preamble{GoFile: path, Pos: fset.Position(doc.Pos()), Text: text.String()}, nil
		}
	}
	return Preamble{}, fmt.Errorf("%s: no preamble", path)
}

// BenchmarkNewConfig is the once-per-process cost of learning the host C
// compiler's predefined macros and include paths (it runs the host cpp).
func BenchmarkNewConfig(b *testing.B) {
	for range b.N {
		if _, err := cc.NewConfig("linux", "amd64"); err != nil {
			b.Skip(err)
		}
	}
}
