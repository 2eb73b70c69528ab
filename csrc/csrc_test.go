package csrc

import (
	"fmt"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/knowledge"
)

// prelude is included by every summary case.
const prelude = `#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <pthread.h>
#include <errno.h>
`

// writeFiles writes name → content under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) []string {
	t.Helper()
	var names []string
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// facts renders a summary's facts canonically: "owned:free frees:0
// stores:1 blocks tls", sorted; "" when there are none.
func facts(f *Func) string {
	var out []string
	if f.ReturnsOwned != nil {
		out = append(out, "owned:"+f.Dealloc)
	}
	for i := range f.FreesParam {
		out = append(out, fmt.Sprintf("frees:%d", i))
	}
	for i := range f.StoresParam {
		if k, ok := f.StoresInto[i]; ok && k >= 0 {
			out = append(out, fmt.Sprintf("stores:%d>%d", i, k)) // into parameter k's memory
		} else {
			out = append(out, fmt.Sprintf("stores:%d", i))
		}
	}
	if f.MayBlock != nil {
		out = append(out, "blocks")
	}
	if f.ReturnsThreadLocal != nil {
		out = append(out, "tls")
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// checkEvidence verifies the shape of every piece of evidence of f.
func checkEvidence(t *testing.T, f *Func) {
	t.Helper()
	all := []*Evidence{f.ReturnsOwned, f.MayBlock, f.ReturnsThreadLocal}
	for _, e := range f.FreesParam {
		all = append(all, e)
	}
	for _, e := range f.StoresParam {
		all = append(all, e)
	}
	for _, e := range all {
		if e == nil {
			continue
		}
		if len(e.Via) == 0 || e.Via[0] != f.Name {
			t.Errorf("%s: evidence %q: Via %v does not start with the function", f.Name, e, e.Via)
		}
		if e.Note == "" {
			t.Errorf("%s: evidence without a note: %+v", f.Name, e)
		}
	}
}

type summaryCase struct {
	name  string
	src   string // the body of a.c, after prelude
	fn    string
	facts string // every fact expected, as rendered by facts; "" = none
}

var summaryCases = []summaryCase{
	// ReturnsOwned.
	{"malloc direct", `void *f(size_t n) { return malloc(n); }`, "f", "owned:free"},
	{"malloc through local", `char *f(void) { char *s = malloc(64); strcpy(s, "hi"); return s; }`, "f", "owned:free"},
	{"assigned later", `char *f(int n) { char *s; s = calloc(n, 1); return s; }`, "f", "owned:free"},
	{"strdup", `char *f(const char *p) { return strdup(p); }`, "f", "owned:free"},
	{"null on error path", `char *f(int n) { char *s = NULL; if (n > 0) s = malloc(n); if (!s) return NULL; return s; }`, "f", "owned:free"},
	{"conditional", `char *f(int n) { return n ? malloc(n) : 0; }`, "f", "owned:free"},
	{"cast", `char *f(int n) { return (char *)malloc(n); }`, "f", "owned:free"},
	{"transitive", `static char *mk(int n) { return malloc(n); } char *f(void) { char *p = mk(3); return p; }`, "f", "owned:free"},
	{"transitive twice", `char *a1(void) { return strdup("x"); } char *a2(void) { return a1(); } char *f(void) { return a2(); }`, "f", "owned:free"},
	{"recursion", `char *f(int n) { if (n == 0) return strdup("x"); return f(n - 1); }`, "f", ""}, // least fixed point: conservative
	{"mutual recursion", `char *g(int n); char *f(int n) { if (n) return g(n-1); return malloc(1); } char *g(int n) { return f(n); }`, "f", ""},
	{"realloc frees and owns", `char *f(char *p, size_t n) { return realloc(p, n); }`, "f", "frees:0 owned:free"},
	{"asprintf out parameter", `#define _GNU_SOURCE
char *f(int v) { char *s = NULL; if (asprintf(&s, "%d", v) < 0) return NULL; return s; }`, "f", "owned:free"},
	{"not owned: static buffer", `static char buf[64]; char *f(void) { strcpy(buf, "x"); return buf; }`, "f", ""},
	{"not owned: static local", `char *f(void) { static char b[8]; return b; }`, "f", ""},
	{"not owned: string literal", `const char *f(void) { return "hello"; }`, "f", ""},
	{"not owned: parameter", `char *f(char *p) { return p; }`, "f", ""},
	{"not owned: field of parameter", `struct s { char *name; }; char *f(struct s *p) { return p->name; }`, "f", ""},
	{"not owned: global pointer", `static char *cache; char *f(void) { if (!cache) cache = strdup("x"); return cache; }`, "f", ""},
	{"not owned: mixed", `static char b[4]; char *f(int n) { if (n > 4) return malloc(n); return b; }`, "f", ""},
	{"not owned: local also cached", `static char *last; char *f(void) { char *p = strdup("x"); last = p; return p; }`, "f", ""},
	{"not owned: interior pointer", `char *f(void) { char *p = malloc(8); return p + 1; }`, "f", ""},
	{"not owned: unknown function", `char *lookup(const char *); char *f(void) { return lookup("k"); }`, "f", ""},
	{"not owned: address of local", `int *f(void) { int x = 0; return &x; }`, "f", ""},

	// FreesParam.
	{"free", `void f(char *p) { free(p); }`, "f", "frees:0"},
	{"free cast second param", `void f(int n, char *p) { free((void *)p); }`, "f", "frees:1"},
	{"free if not null", `void f(char *p) { if (p) free(p); p = NULL; }`, "f", "frees:0"},
	{"free through alias", `void f(char *p) { char *q = p; free(q); }`, "f", "frees:0"},
	{"free transitive", `static void rel(void *x) { free(x); } void f(char *p) { rel(p); }`, "f", "frees:0"},
	{"not frees: local copy", `void f(const char *p) { char *c = strdup(p); puts(c); free(c); }`, "f", ""},
	{"not frees: field", `struct s { char *buf; }; void f(struct s *p) { free(p->buf); }`, "f", ""},
	{"not frees: reassigned", `void f(char *p) { p = strdup(p); free(p); }`, "f", ""},
	{"not frees: interior", `void f(char *p) { free(p + 1); }`, "f", ""},
	{"not frees: other param", `void f(char *p, char *q) { free(q); }`, "f", "frees:1"},

	// StoresParam.
	{"store global", `static void *cache; void f(void *p) { cache = p; }`, "f", "stores:0"},
	{"store static local", `void f(void *p) { static void *keep; keep = p; }`, "f", "stores:0"},
	{"store global array", `static void *slots[8]; void f(int i, void *p) { slots[i] = p; }`, "f", "stores:1"},
	{"store through global pointer", `struct n { void *d; }; struct n *head; void f(void *p) { head->d = p; }`, "f", "stores:0"},
	{"store field of other param", `struct s { char *data; }; void f(struct s *q, char *p) { q->data = p; }`, "f", "stores:1>0"},
	{"store through out param", `void f(char **out, char *p) { *out = p; }`, "f", "stores:1>0"},
	{"store deep field", `struct l { struct l *next; void *v; }; struct h { struct l *first; }; void f(struct h *h, void *p) { h->first->v = p; }`, "f", "stores:1>0"},
	{"store via callee into other param", `struct s { char *d; }; static void set(struct s *o, char *v) { o->d = v; } void f(char *p, struct s *q) { set(q, p); }`, "f", "stores:0>1"},
	{"store via callee into global", `struct s { char *d; }; static struct s g; static void set(struct s *o, char *v) { o->d = v; } void f(char *p) { set(&g, p); }`, "f", "stores:0"},
	{"store via callee into escaping heap object", `struct s { char *d; }; static struct s *last; static void set(struct s *o, char *v) { o->d = v; }
void f(char *p) { struct s *o = malloc(sizeof *o); set(o, p); last = o; }`, "f", "stores:0"},
	{"not stores: callee stores into a local", `struct acc { char *db; }; static void init(struct acc *a, char *db) { a->db = db; } int f(char *db) { struct acc x; init(&x, db); return x.db != 0; }`, "f", ""},
	{"not stores: callee stores into a freed heap object", `struct s { char *d; }; static void set(struct s *o, char *v) { o->d = v; }
void f(char *p) { struct s *o = malloc(sizeof *o); set(o, p); free(o); }`, "f", ""},
	{"store derived", `static char *pos; void f(char *p, int off) { pos = (char *)p + off; }`, "f", "stores:0"},
	{"store via local alias", `static char *g; void f(char *p) { char *q = p; g = q; }`, "f", "stores:0"},
	{"store into escaping heap object", `struct node { void *data; struct node *next; }; static struct node *list;
void f(void *p) { struct node *n = malloc(sizeof *n); n->data = p; n->next = list; list = n; }`, "f", "stores:0"},
	{"store into returned heap object", `struct box { void *v; }; struct box *f(void *p) { struct box *b = malloc(sizeof *b); b->v = p; return b; }`, "f", "owned:free stores:0"},
	{"pthread_create", `static void *run(void *a) { return a; } void f(void *arg) { pthread_t t; pthread_create(&t, NULL, run, arg); pthread_detach(t); }`, "f", "stores:0"},
	{"not stores: pthread_create then pthread_join", `static void *run(void *a) { return a; } void f(void *arg) { pthread_t t; pthread_create(&t, NULL, run, arg); pthread_join(t, NULL); }`, "f", "blocks"},
	{"store transitive", `static void *saved; static void keep(void *x) { saved = x; } void f(int a, void *p) { keep(p); }`, "f", "stores:1"},
	{"store via heap object handed to thread", `struct ctx { void *p; }; static void *run(void *a) { return a; }
void f(void *p) { struct ctx *c = malloc(sizeof *c); c->p = p; pthread_t t; pthread_create(&t, NULL, run, c); }`, "f", "stores:0"},
	{"not stores: local", `void f(char *p) { char *l = p; (void)l; }`, "f", ""},
	{"not stores: local struct", `struct s { char *a; }; int f(char *p) { struct s x; x.a = p; return x.a != 0; }`, "f", ""},
	{"not stores: heap object freed", `struct s { char *a; }; void f(char *p) { struct s *x = malloc(sizeof *x); x->a = p; free(x); }`, "f", ""},
	{"not stores: loaded value", `struct s { struct s *next; }; static struct s *g; void f(struct s *p) { g = p->next; }`, "f", ""},
	{"not stores: own memory", `struct s { struct s *self; }; void f(struct s *p) { p->self = p; }`, "f", ""},
	{"not stores: copy", `static char saved[64]; void f(const char *p) { strncpy(saved, p, sizeof saved - 1); }`, "f", ""},
	{"not stores: reassigned before store", `static char *g; void f(char *p) { p = strdup(p); g = p; }`, "f", ""},
	{"store by atomic exchange", `static char *cache; char *f(char *p) { return __atomic_exchange_n(&cache, p, __ATOMIC_ACQ_REL); }`, "f", "stores:0"},
	{"store by atomic store", `static void *slot; void f(void *p) { __atomic_store_n(&slot, p, __ATOMIC_RELEASE); }`, "f", "stores:0"},
	{"not stores: atomic store of a constant", `static void *slot; void f(void *p) { __atomic_store_n(&slot, 0, __ATOMIC_RELEASE); (void)p; }`, "f", ""},

	// Ownership handed over with a destructor.
	{"destructor argument", `typedef struct ctx ctx; void lib_result_text(ctx *c, const char *s, int n, void (*d)(void *)); void f(ctx *c, const char *s, int n) { lib_result_text(c, s, n, &free); }`, "f", "frees:1"},
	{"destructor argument without &", `typedef struct ctx ctx; void lib_result_text(ctx *c, const char *s, int n, void (*d)(void *)); void f(ctx *c, const char *s, int n) { lib_result_text(c, s, n, free); }`, "f", "frees:1"},
	{"not frees: transient destructor", `typedef struct ctx ctx; void lib_result_text(ctx *c, const char *s, int n, void (*d)(void *)); void f(ctx *c, const char *s, int n) { lib_result_text(c, s, n, (void (*)(void *))-1); }`, "f", ""},

	// MayBlock.
	{"sleep", `void f(void) { sleep(1); }`, "f", "blocks"},
	{"blocks transitively", `static void wait_a_bit(void) { usleep(10); } int f(int x) { if (x) wait_a_bit(); return x; }`, "f", "blocks"},
	{"mutex", `static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; void f(void) { pthread_mutex_lock(&mu); pthread_mutex_unlock(&mu); }`, "f", "blocks"},
	{"read", `int f(int fd, char *b) { return (int)read(fd, b, 10); }`, "f", "blocks"},
	{"not blocks: arithmetic", `int f(int x) { return x * 2; }`, "f", ""},
	{"not blocks: mention only", `const char *f(void) { /* sleep(1) */ return "sleep(1)"; }`, "f", ""},
	{"not blocks: function pointer", `int f(unsigned (*fn)(unsigned)) { return fn(1); }`, "f", ""},

	// ReturnsThreadLocal.
	{"thread-local array", `static __thread char buf[64]; char *f(void) { buf[0] = 0; return buf; }`, "f", "tls"},
	{"thread-local address", `static _Thread_local int counter; int *f(void) { return &counter; }`, "f", "tls"},
	{"thread-local static local", `const char *f(int e) { static __thread char m[32]; snprintf(m, sizeof m, "%d", e); return m; }`, "f", "tls"},
	{"thread-local element", `static __thread char buf[64]; char *f(void) { return &buf[0]; }`, "f", "tls"},
	{"strerror", `const char *f(int e) { return strerror(e); }`, "f", "tls"},
	{"thread-local transitive", `static __thread char b[8]; static char *g(void) { return b; } char *f(void) { char *r = g(); return r; }`, "f", "tls"},
	{"not tls: value", `static __thread int counter; int f(void) { return counter; }`, "f", ""},
	{"not tls: static", `static char b[8]; char *f(void) { return b; }`, "f", ""},
	{"not tls: copy", `char *f(int e) { return strdup(strerror(e)); }`, "f", "owned:free"},
}

func TestSummaries(t *testing.T) {
	for _, c := range summaryCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			files := writeFiles(t, dir, map[string]string{"a.c": prelude + c.src + "\n"})
			m := Load(Options{Dir: dir}, nil, files)
			f := m.Func(c.fn)
			if f == nil {
				t.Fatalf("Func(%q) = nil; problems: %v", c.fn, m.Problems())
			}
			if got := facts(f); got != c.facts {
				t.Errorf("facts = %q, want %q\n%s", got, c.facts, dump(f))
			}
			if !f.Defined || f.Partial != "" {
				t.Errorf("Defined=%v Partial=%q", f.Defined, f.Partial)
			}
			checkEvidence(t, f)
			if p := m.Problems(); len(p) > 0 {
				t.Errorf("problems: %v", p)
			}
		})
	}
}

func dump(f *Func) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%v defined=%v partial=%q\n", f.Name, f.Params, f.Defined, f.Partial)
	line := func(k string, e *Evidence) {
		if e != nil {
			fmt.Fprintf(&b, "  %s: %s\n", k, e)
		}
	}
	line("owned", f.ReturnsOwned)
	line("blocks", f.MayBlock)
	line("tls", f.ReturnsThreadLocal)
	for i, e := range f.FreesParam {
		line(fmt.Sprintf("frees %d", i), e)
	}
	for i, e := range f.StoresParam {
		line(fmt.Sprintf("stores %d", i), e)
	}
	return b.String()
}

// TestEvidence checks the call chains and positions that explain a fact.
func TestEvidence(t *testing.T) {
	dir := t.TempDir()
	src := prelude + `static char *make(int n) {
	char *s = malloc(n);
	return s;
}
char *get_message(void) { return make(64); }
void release(char *p) { free(p); }
void drop(char *q) { release(q); }
`
	files := writeFiles(t, dir, map[string]string{"a.c": src})
	m := Load(Options{Dir: dir}, nil, files)
	base := strings.Count(prelude, "\n")
	f := m.Func("get_message")
	if f == nil || f.ReturnsOwned == nil {
		t.Fatalf("get_message not owned: %+v", f)
	}
	e := f.ReturnsOwned
	if !slices.Equal(e.Via, []string{"get_message", "make", "malloc"}) {
		t.Errorf("Via = %v", e.Via)
	}
	if e.Pos.Filename != filepath.Join(dir, "a.c") || e.Pos.Line != base+2 {
		t.Errorf("Pos = %v, want a.c:%d (the malloc call)", e.Pos, base+2)
	}
	if want := filepath.Join(dir, "a.c"); f.Pos.Filename != want || f.Pos.Line != base+5 {
		t.Errorf("Func.Pos = %v, want %s:%d", f.Pos, want, base+5)
	}
	g := m.Func("drop")
	if g == nil || g.FreesParam[0] == nil {
		t.Fatalf("drop does not free its parameter: %+v", g)
	}
	if e := g.FreesParam[0]; !slices.Equal(e.Via, []string{"drop", "release", "free"}) || e.Pos.Line != base+6 {
		t.Errorf("drop frees: %v via %v at %v", e, e.Via, e.Pos)
	}
	if !slices.Equal(g.Params, []string{"q"}) {
		t.Errorf("Params = %v", g.Params)
	}
}

// TestDeclarations covers functions known by their declarations: attributes,
// annotations, the knowledge base and a project configuration.
func TestDeclarations(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{
		"lib.h": `#pragma once
char *lib_name(void) __attribute__((malloc));
__attribute__((malloc(lib_destroy, 2))) char *lib_make(void);
void lib_destroy(int flags, char *);
void lib_release(char *);
/* cgoguard:owned lib_buf_free */
char *lib_buf(int n);
void lib_buf_free(char *b); /* cgoguard:frees 0 */
// cgoguard:keeps 1
void lib_register(int id, void *ctx);
char *lib_plain(void);
int lib_wait(int ms);
`,
	})
	db := knowledge.Base.With(&knowledge.Config{
		Allocators: map[string]string{"lib_plain": "lib_release"},
		Blocking:   []string{"lib_wait"},
	})
	pre := Preamble{GoFile: filepath.Join(dir, "x.go"), Pos: token.Position{Line: 3}, Text: "#include <stdlib.h>\n#include \"lib.h\"\n"}
	m := Load(Options{DB: db, Dir: dir}, []Preamble{pre}, files)
	cases := []struct{ fn, facts string }{
		{"lib_name", "owned:free"},
		{"lib_make", "owned:lib_destroy"},
		{"lib_destroy", "frees:1"},
		{"lib_release", "frees:0"}, // the configured deallocator of lib_plain
		{"lib_buf", "owned:lib_buf_free"},
		{"lib_buf_free", "frees:0"},
		{"lib_register", "stores:1"},
		{"lib_plain", "owned:lib_release"},
		{"lib_wait", "blocks"},
		{"malloc", "owned:free"},
		{"free", "frees:0"},
		{"strerror", "tls"},
	}
	for _, c := range cases {
		f := m.Func(c.fn)
		if f == nil {
			t.Errorf("Func(%s) = nil", c.fn)
			continue
		}
		if got := facts(f); got != c.facts {
			t.Errorf("%s: facts = %q, want %q\n%s", c.fn, got, c.facts, dump(f))
		}
		if f.Defined {
			t.Errorf("%s: Defined without a body", c.fn)
		}
		checkEvidence(t, f)
	}
	if f := m.Func("lib_buf"); f != nil && f.ReturnsOwned != nil {
		if p := f.ReturnsOwned.Pos; p.Filename != filepath.Join(dir, "lib.h") || p.Line != 6 {
			t.Errorf("annotation evidence at %v, want lib.h:6", p)
		}
	}
	if f := m.Func("lib_register"); f != nil && !slices.Equal(f.Params, []string{"id", "ctx"}) {
		t.Errorf("lib_register params %v", f.Params)
	}
	if f := m.Func("no_such_function"); f != nil {
		t.Errorf("unknown function: %+v", f)
	}
	if p := m.Problems(); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
}

// TestPreamble checks a function defined in a preamble: positions are in the
// Go file, static functions are callable, #cgo lines are honoured.
func TestPreamble(t *testing.T) {
	dir := t.TempDir()
	gofile := filepath.Join(dir, "main.go")
	text := `#cgo CFLAGS: -DGREETING_LEN=64
#cgo windows CFLAGS: -DBROKEN=(
#include <stdlib.h>
#include <string.h>
static char *greet(void) {
	char *s = malloc(GREETING_LEN);
	strcpy(s, "hi");
	return s;
}
#ifdef BROKEN
#error windows only
#endif
`
	m := Load(Options{Dir: dir}, []Preamble{{GoFile: gofile, Pos: token.Position{Filename: gofile, Line: 4, Column: 1}, Text: text}}, nil)
	f := m.Func("greet")
	if f == nil || f.ReturnsOwned == nil {
		t.Fatalf("greet: %+v, problems %v", f, m.Problems())
	}
	if f.Pos.Filename != gofile || f.Pos.Line != 8 {
		t.Errorf("greet at %v, want %s:8", f.Pos, gofile)
	}
	if p := f.ReturnsOwned.Pos; p.Filename != gofile || p.Line != 9 {
		t.Errorf("malloc at %v, want %s:9", p, gofile)
	}
	if p := m.Problems(); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
}

// TestRealWorld is a package laid out like real ones: a library header in a
// subdirectory reached through #cgo CFLAGS -I, a .c file including it and
// cgo's _cgo_export.h, conditional compilation from -D, #pragma once.
func TestRealWorld(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{
		"include/ring/ring.h": `#pragma once
#include <stddef.h>
#include <stdint.h>
typedef struct ring ring_t;
typedef uint32_t ring_flags;
typedef void (*ring_cb)(void *user, const uint8_t *data, size_t n);
ring_t *ring_new(size_t cap, ring_flags flags);
void ring_free(ring_t *r);
int ring_on_data(ring_t *r, ring_cb cb, void *user);
const char *ring_last_error(void);
char *ring_describe(const ring_t *r);
int ring_wait(ring_t *r, int timeout_ms);
`,
		"ring.c": `#include <stdlib.h>
#include <stdio.h>
#include <poll.h>
#include "ring/ring.h"
#include "_cgo_export.h"

struct ring {
	uint8_t *buf;
	size_t cap;
	ring_cb cb;
	void *user;
	int fd;
};

static __thread char last_error[128];

static void set_error(const char *msg) {
	snprintf(last_error, sizeof last_error, "%s", msg);
}

ring_t *ring_new(size_t cap, ring_flags flags) {
	ring_t *r = calloc(1, sizeof *r);
	if (!r) {
		set_error("out of memory");
		return NULL;
	}
	r->buf = malloc(cap);
	r->cap = cap;
	(void)flags;
	return r;
}

void ring_free(ring_t *r) {
	if (!r)
		return;
	free(r->buf);
	free(r);
}

int ring_on_data(ring_t *r, ring_cb cb, void *user) {
	r->cb = cb;
	r->user = user;
	return 0;
}

const char *ring_last_error(void) { return last_error; }

char *ring_describe(const ring_t *r) {
	char *s = NULL;
#ifdef RING_VERBOSE
	if (asprintf(&s, "ring of %zu bytes", r->cap) < 0)
		return NULL;
#else
	s = malloc(16);
	if (s)
		snprintf(s, 16, "ring");
#endif
	return s;
}

int ring_wait(ring_t *r, int timeout_ms) {
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	return poll(&p, 1, timeout_ms);
}

GoInt ring_count(GoSlice s) { return s.len; }
`,
	})
	pre := Preamble{GoFile: filepath.Join(dir, "ring.go"), Pos: token.Position{Line: 3}, Text: `#cgo CFLAGS: -I${SRCDIR}/include -DRING_VERBOSE -D_GNU_SOURCE
#cgo LDFLAGS: -lm
#include <stdlib.h>
#include "ring/ring.h"
`}
	pre2 := Preamble{GoFile: filepath.Join(dir, "util.go"), Pos: token.Position{Line: 7}, Text: `#cgo CFLAGS: -Iinclude
#include <ring/ring.h>
static int ring_ok(ring_t *r) { return r != NULL; }
`}
	m := Load(Options{Dir: dir}, []Preamble{pre, pre2}, files)
	cases := []struct{ fn, facts string }{
		{"ring_new", "owned:free"},
		{"ring_free", "frees:0"},
		{"ring_on_data", "stores:1>0 stores:2>0"}, // the callback and its user data, in the ring
		{"ring_last_error", "tls"},
		{"ring_describe", "owned:free"},
		{"ring_wait", "blocks"},
		{"ring_ok", ""},
		{"ring_count", ""},
	}
	for _, c := range cases {
		f := m.Func(c.fn)
		if f == nil {
			t.Errorf("Func(%s) = nil", c.fn)
			continue
		}
		if got := facts(f); got != c.facts || !f.Defined || f.Partial != "" {
			t.Errorf("%s: facts = %q, want %q; defined=%v partial=%q\n%s", c.fn, got, c.facts, f.Defined, f.Partial, dump(f))
		}
		checkEvidence(t, f)
	}
	// -DRING_VERBOSE selected the asprintf branch.
	if f := m.Func("ring_describe"); f != nil && f.ReturnsOwned != nil && !slices.Contains(f.ReturnsOwned.Via, "asprintf") {
		t.Errorf("ring_describe: evidence %v, want the asprintf branch (-DRING_VERBOSE)", f.ReturnsOwned)
	}
	if f := m.Func("ring_ok"); f != nil && (f.Pos.Filename != pre2.GoFile || f.Pos.Line != 9) {
		t.Errorf("ring_ok at %v, want util.go:9", f.Pos)
	}
	if !m.Global("last_error") || m.Global("ring_new") || m.Global("nothing") {
		t.Errorf("Global: last_error=%v ring_new=%v nothing=%v", m.Global("last_error"), m.Global("ring_new"), m.Global("nothing"))
	}
	if p := m.Problems(); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
}

// TestMissingHeader: a header that is not installed. The file is
// summarised as far as it goes and the problem is reported.
func TestMissingHeader(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{"a.c": `#include <stdlib.h>
#include <zmq_not_installed.h>
#include "local_missing.h"

static zmq_ctx_t *shared;

char *dup_name(const zmq_msg_t *msg, size_t n) {
	char *s = malloc(n + 1);
	return s;
}

void keep_ctx(zmq_ctx_t *c) {
	shared = c;
}

int poke(zmq_sock_t *s) {
	return zmq_poke(s, (zmq_flags_t)1);
}
`})
	m := Load(Options{Dir: dir}, nil, files)
	for fn, want := range map[string]string{"dup_name": "owned:free", "keep_ctx": "stores:0", "poke": ""} {
		f := m.Func(fn)
		if f == nil {
			t.Errorf("%s: nil", fn)
			continue
		}
		if got := facts(f); got != want || !f.Defined {
			t.Errorf("%s: facts %q, want %q\n%s", fn, got, want, dump(f))
		}
	}
	probs := strings.Join(m.Problems(), "\n")
	for _, want := range []string{"a.c:2: header zmq_not_installed.h not found", `a.c:3: header local_missing.h not found`, "zmq_ctx_t is not declared"} {
		if !strings.Contains(probs, want) {
			t.Errorf("problems lack %q:\n%s", want, probs)
		}
	}
}

// TestSyntaxError: one broken function does not cost the others.
func TestSyntaxError(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{"a.c": `#include <stdlib.h>
char *good1(void) { return malloc(1); }
void broken(char *p) {
	free(p) +;
}
static void *saved;
void good2(void *p) { saved = p; }
int ext(int x) { return x @ 2; }
void good3(char *p) { free(p); }
`})
	m := Load(Options{Dir: dir}, nil, files)
	for fn, want := range map[string]string{"good1": "owned:free", "good2": "stores:0", "good3": "frees:0"} {
		f := m.Func(fn)
		if f == nil || facts(f) != want || f.Partial != "" {
			t.Errorf("%s: %v, want %q", fn, f, want)
		}
	}
	f := m.Func("broken")
	if f == nil || !f.Defined || f.Partial == "" || facts(f) != "" || !slices.Equal(f.Params, []string{"p"}) {
		t.Errorf("broken: %+v", f)
	}
	probs := strings.Join(m.Problems(), "\n")
	if !strings.Contains(probs, "a.c:4:") || !strings.Contains(probs, "broken") {
		t.Errorf("problems do not name the broken function:\n%s", probs)
	}
	// A caller of the broken function is partial too.
	dir2 := t.TempDir()
	files = writeFiles(t, dir2, map[string]string{"b.c": `void broken(void) { return +; }
void caller(void) { broken(); }
`})
	m = Load(Options{Dir: dir2}, nil, files)
	if f := m.Func("caller"); f == nil || f.Partial == "" {
		t.Errorf("caller of an unparsable function: %+v", f)
	}
}

// TestUnparsableFile: a file the parser cannot get through at all still
// yields its function names, marked partial.
func TestUnparsableFile(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{"a.c": `#if
int f(char *p) { return 0; }
`})
	m := Load(Options{Dir: dir}, nil, files)
	f := m.Func("f")
	if f == nil || !f.Defined || f.Partial == "" || !slices.Equal(f.Params, []string{"p"}) {
		t.Fatalf("f: %+v; problems %v", f, m.Problems())
	}
	if len(m.Problems()) == 0 {
		t.Error("no problem reported")
	}
}

// TestLazy: only what is asked about is parsed.
func TestLazy(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{"a.c": `#include <stdlib.h>
char *wanted(void) { return helper(); }
char *helper(void) { return malloc(1); }
void unwanted(void) { this is not C at all; }
` + filler(40)})
	m := load(Options{Dir: dir}, nil, files, 0) // as if the file were large
	if f := m.Func("wanted"); f == nil || facts(f) != "owned:free" {
		t.Fatalf("wanted: %v", f)
	}
	if p := m.Problems(); len(p) > 0 {
		t.Errorf("the unwanted function was parsed: %v", p)
	}
	if f := m.Func("unwanted"); f == nil || f.Partial == "" {
		t.Errorf("unwanted: %+v", f)
	}
	if len(m.Problems()) == 0 {
		t.Error("asking for the broken function reports no problem")
	}
}

// filler returns n unrelated functions: a unit mostly made of what nobody
// asks about, which the model parses piecewise.
func filler(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "int filler%d(int x) {\n\tint y = x * %d;\n\tfor (int i = 0; i < x; i++)\n\t\ty += i;\n\treturn y;\n}\n", i, i)
	}
	return b.String()
}

// TestConcurrent: Func and Global from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	var src strings.Builder
	src.WriteString(prelude)
	for i := range 20 {
		fmt.Fprintf(&src, "static void *g%d; void keep%d(void *p) { g%d = p; }\nchar *mk%d(void) { return strdup(\"x\"); }\n", i, i, i, i)
	}
	files := writeFiles(t, dir, map[string]string{"a.c": src.String()})
	m := Load(Options{Dir: dir}, nil, files)
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				k := (i + w*5) % 20
				if f := m.Func(fmt.Sprintf("keep%d", k)); f == nil || facts(f) != "stores:0" {
					errs <- fmt.Sprintf("keep%d: %v", k, f)
				}
				if f := m.Func(fmt.Sprintf("mk%d", k)); f == nil || facts(f) != "owned:free" {
					errs <- fmt.Sprintf("mk%d: %v", k, f)
				}
				if !m.Global(fmt.Sprintf("g%d", k)) {
					errs <- fmt.Sprintf("g%d not global", k)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestCgoFlags(t *testing.T) {
	text, flags, pkgs := cgoLines("#cgo CFLAGS: -I${SRCDIR}/inc -DA=1 '-DB=two words'\n#cgo !linux CFLAGS: -DNOT\n#cgo linux,amd64 CPPFLAGS: -DYES\n#cgo LDFLAGS: -lfoo\n#cgo pkg-config: zlib libzmq\nint x;\n")
	if !slices.Equal(pkgs, []string{"zlib", "libzmq"}) {
		t.Errorf("pkgs = %q", pkgs)
	}
	if want := []string{"-I${SRCDIR}/inc", "-DA=1", "-DB=two words", "-DYES"}; !slices.Equal(flags, want) {
		t.Errorf("flags = %q, want %q", flags, want)
	}
	if strings.Count(text, "\n") != 6 || !strings.HasSuffix(text, "int x;\n") || strings.Contains(text, "#cgo") {
		t.Errorf("text = %q", text)
	}
	var f tuFlags
	for _, fl := range []string{"-I", "rel", "-I/abs", "-isystem", "sys", "-DX", "-UY", "-std=c99"} {
		f.add(fl, "/pkg")
	}
	if !slices.Equal(f.include, []string{"/pkg/rel", "/abs"}) || !slices.Equal(f.system, []string{"/pkg/sys"}) ||
		f.defines.String() != "#define X 1\n#undef Y\n" || !slices.Equal(f.std, []string{"-std=c99"}) {
		t.Errorf("flags: %+v %q", f, f.defines.String())
	}
}

// TestSelfInclude: a header that includes itself without a guard makes the
// C front end recurse without bound; the model gives up on the unit and
// says so.
func TestSelfInclude(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{
		"loop.h": "#include \"loop.h\"\nint x;\n",
		"a.c":    "#include \"loop.h\"\nvoid f(char *p) { }\n",
	})
	m := Load(Options{Dir: dir}, nil, files)
	f := m.Func("f")
	if f == nil || f.Partial == "" || !f.Defined {
		t.Fatalf("f: %+v", f)
	}
	if probs := strings.Join(m.Problems(), "\n"); !strings.Contains(probs, "a.c") {
		t.Errorf("problems: %s", probs)
	}
}

// TestHasInclude: the stand-ins for missing headers do not make
// __has_include true, and a header missing deep in an include chain is
// reported too.
func TestHasInclude(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{
		"dep.h": "#include <deeply_missing.h>\ntypedef int dep_t;\n",
		"a.c": `#include <stdlib.h>
#include "dep.h"
#if __has_include(<surely_not_installed.h>)
void *f(void) { return 0; }
#else
void *f(void) { dep_t n = 4; return malloc(n); }
#endif
`,
	})
	m := Load(Options{Dir: dir}, nil, files)
	if f := m.Func("f"); f == nil || facts(f) != "owned:free" {
		t.Errorf("f: %v (the __has_include branch was taken?)", f)
	}
	probs := strings.Join(m.Problems(), "\n")
	if !strings.Contains(probs, "header deeply_missing.h not found") || strings.Contains(probs, "surely_not_installed") {
		t.Errorf("problems:\n%s", probs)
	}
}

// TestParseWatchdog shows what the sentinel is for: without it,
// modernc.org/cc/v4 spins forever on this input. The watchdog gives up on
// the unit instead. It runs in a subprocess, which takes the abandoned,
// spinning parser goroutine with it when it exits.
func TestParseWatchdog(t *testing.T) {
	if os.Getenv("CSRC_WATCHDOG_CHILD") == "1" {
		parseTimeout = func(int) time.Duration { return time.Second }
		noSentinel = os.Getenv("CSRC_NO_SENTINEL") == "1"
		dir := t.TempDir()
		files := writeFiles(t, dir, map[string]string{"a.c": "void f(char *p) { }\n* }\n"})
		m := Load(Options{Dir: dir}, nil, files)
		f := m.Func("f")
		fmt.Printf("partial=%q problems=%q\n", f.Partial, m.Problems())
		return
	}
	for _, noSent := range []string{"1", "0"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestParseWatchdog$", "-test.v")
		cmd.Env = append(os.Environ(), "CSRC_WATCHDOG_CHILD=1", "CSRC_NO_SENTINEL="+noSent)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		hung := strings.Contains(string(out), "did not finish")
		if noSent == "1" && !hung {
			t.Errorf("without the sentinel the parser was expected to hang:\n%s", out)
		}
		if noSent == "0" && hung {
			t.Errorf("with the sentinel the parser hung:\n%s", out)
		}
	}
}

// TestMacroDefinitions: definitions whose heads are made by macros are found,
// in a small unit (parsed whole) and in a large one (parsed on demand).
func TestMacroDefinitions(t *testing.T) {
	src := `#include <stdlib.h>
#include <string.h>
#define NAME(n) n
#define GETTER(n) char *get_##n(void) { return strdup(#n); }
char *NAME(plain)(void) { return malloc(4); }
GETTER(alpha)
static int unrelated(int x) { return x + 1; }
`
	for _, small := range []int{smallUnit, 0} {
		func() {
			dir := t.TempDir()
			files := writeFiles(t, dir, map[string]string{"a.c": src + filler(40)})
			m := load(Options{Dir: dir}, nil, files, small)
			for _, fn := range []string{"plain", "get_alpha"} {
				if f := m.Func(fn); f == nil || facts(f) != "owned:free" {
					t.Errorf("smallUnit=%d: %s: %v", small, fn, f)
				}
			}
			if f := m.Func("unrelated"); f == nil || facts(f) != "" {
				t.Errorf("unrelated: %v", f)
			}
			if f := m.Func("NAME"); f != nil {
				t.Errorf("a macro is not a function: %+v", f)
			}
		}()
	}
}

// TestDirectivesInDroppedChunks: a large unit is parsed in pieces; a
// definition or declaration left out still leaves its directives, which
// later code may depend on.
func TestDirectivesInDroppedChunks(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{"a.c": `#include <stdlib.h>
int a(void) {
#define BUF_SIZE 16
#define ITEM_T unsigned long
	return 1;
}
struct conf {
	int n;
#define CONF_T struct conf
};
#ifdef USE_ALT
char *pick(int x) {
#else
char *pick(long x) {
#endif
	return x ? malloc(BUF_SIZE) : NULL;
}
char *b(void) { CONF_T *cf = malloc(sizeof(CONF_T)); free(cf); ITEM_T n = BUF_SIZE; return malloc(n); }
int user(int x) { return x + a(); }
` + filler(40)})
	m := load(Options{Dir: dir}, nil, files, 0)
	for _, c := range []struct{ fn, facts string }{{"b", "owned:free"}, {"pick", "owned:free"}, {"user", ""}, {"a", ""}} {
		f := m.Func(c.fn)
		if f == nil || facts(f) != c.facts || !f.Defined || f.Partial != "" {
			t.Errorf("%s: %v, want %q", c.fn, f, c.facts)
		}
	}
	if p := m.Problems(); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
	if !slices.Equal(m.Func("pick").Params, []string{"x"}) {
		t.Errorf("pick params %v", m.Func("pick").Params)
	}
}

// TestFatalIncrement: when adding a definition to a unit parsed piecewise
// fails beyond repair (here: a macro that expands exponentially), what was
// parsed before still stands.
func TestFatalIncrement(t *testing.T) {
	var src strings.Builder
	src.WriteString("#include <stdlib.h>\n#define A0 x\n")
	for i := 1; i <= 24; i++ {
		fmt.Fprintf(&src, "#define A%d A%d + A%d\n", i, i-1, i-1)
	}
	src.WriteString(`char *good(void) { return malloc(1); }
int bomb(int x) { return A24; }
void other(char *p) { free(p); }
`)
	src.WriteString(filler(40))
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{"a.c": src.String()})
	m := load(Options{Dir: dir}, nil, files, 0)
	if f := m.Func("good"); f == nil || facts(f) != "owned:free" {
		t.Fatalf("good: %v", f)
	}
	if f := m.Func("bomb"); f == nil || f.Partial == "" {
		t.Errorf("bomb: %+v", f)
	}
	if f := m.Func("other"); f == nil || facts(f) != "frees:0" || f.Partial != "" {
		t.Errorf("other: %+v", f)
	}
	if probs := strings.Join(m.Problems(), "\n"); !strings.Contains(probs, "expansion limit") || !strings.Contains(probs, "bomb") {
		t.Errorf("problems:\n%s", probs)
	}
}

// TestAnnotations: where annotations go, and what happens to malformed ones.
func TestAnnotations(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{"a.c": `#include <stddef.h>
void pool_put(void *p);

/* cgoguard:frees 0 */
void rel(void *p) { pool_put(p); }

// cgoguard:keeps 0 1 -- both are kept by the registry
void reg(void *a, void *b);

void *pool_get(size_t n); // cgoguard:owned rel

/* cgoguard:keeps x */
void bad(void *p);

/* cgoguard:owned */
int not_a_function;

/* cgoguard:ignore this is for the Go side */
void plain(void *p);
`})
	m := Load(Options{Dir: dir}, nil, files)
	for _, c := range []struct{ fn, facts string }{
		{"rel", "frees:0"}, {"reg", "stores:0 stores:1"}, {"pool_get", "owned:rel"}, {"bad", ""}, {"plain", ""},
	} {
		if f := m.Func(c.fn); f == nil || facts(f) != c.facts {
			t.Errorf("%s: %v, want %q", c.fn, f, c.facts)
		}
	}
	probs := strings.Join(m.Problems(), "\n")
	for _, want := range []string{"a.c:12: cgoguard:keeps annotation ignored: cgoguard:keeps needs a parameter index",
		"a.c:15: cgoguard:owned annotation ignored: not beside a function declaration"} {
		if !strings.Contains(probs, want) {
			t.Errorf("problems lack %q:\n%s", want, probs)
		}
	}
	if n := len(m.Problems()); n != 2 {
		t.Errorf("%d problems, want the 2 above (cgoguard:ignore is not ours):\n%s", n, probs)
	}
}

// TestPkgConfig: #cgo pkg-config: flags find headers outside the default
// include path (FreeType's are in /usr/include/freetype2, and it includes
// them through macros: #include FT_FREETYPE_H).
func TestPkgConfig(t *testing.T) {
	if err := exec.Command("pkg-config", "--exists", "freetype2").Run(); err != nil {
		t.Skip("pkg-config or freetype2 development files not installed")
	}
	dir := t.TempDir()
	gofile := filepath.Join(dir, "ft.go")
	text := `#cgo pkg-config: freetype2
#include <ft2build.h>
#include FT_FREETYPE_H
static FT_Library lib;
static int ft_init(void) { return FT_Init_FreeType(&lib); }
`
	m := Load(Options{Dir: dir}, []Preamble{{GoFile: gofile, Pos: token.Position{Line: 3}, Text: text}}, nil)
	if f := m.Func("ft_init"); f == nil || facts(f) != "" || f.Partial != "" {
		t.Errorf("ft_init: %+v", f)
	}
	if f := m.Func("FT_Done_FreeType"); f == nil || f.Defined {
		t.Errorf("FT_Done_FreeType is declared in FreeType's headers: %+v", f)
	}
	if p := m.Problems(); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
	// Without the package's flags, the header is missing, and said so.
	m = Load(Options{Dir: dir}, []Preamble{{GoFile: gofile, Pos: token.Position{Line: 3}, Text: strings.Replace(text, "#cgo pkg-config: freetype2", "", 1)}}, nil)
	m.Func("ft_init")
	if p := strings.Join(m.Problems(), "\n"); !strings.Contains(p, "ft2build.h not found") {
		t.Errorf("problems without pkg-config: %s", p)
	}
}
