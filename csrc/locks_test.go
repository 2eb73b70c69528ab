package csrc

import (
	"fmt"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/knowledge"
)

// accessFacts renders accesses canonically, one per entry, in order:
// "path:rw[held]{may}" with the locks by name ("?" marks an unnamed one).
func accessFacts(as []*Access) string {
	var out []string
	for _, a := range as {
		rw := ""
		if a.Read {
			rw += "r"
		}
		if a.Write {
			rw += "w"
		}
		names := func(ls []Lock) string {
			var s []string
			for _, l := range ls {
				n := l.Name
				if l.ID == "" {
					n += "?"
				}
				s = append(s, n)
			}
			return strings.Join(s, ",")
		}
		out = append(out, fmt.Sprintf("%s:%s[%s]{%s}", a.Path, rw, names(a.Held), names(a.MayHold)))
	}
	return strings.Join(out, " ")
}

const lockPrelude = prelude + `static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mu2 = PTHREAD_MUTEX_INITIALIZER;
static int g, g2;
struct obj { pthread_mutex_t mu; int n; struct obj *next; };
static struct obj lib;
struct obj *cur;
`

var lockCases = []struct {
	name, src, fn, want string
}{
	{"unlocked read", `int f(void) { return g; }`, "f", "g:r[]{}"},
	{"unlocked write", `void f(int v) { g = v; }`, "f", "g:w[]{}"},
	{"locked update", `void f(void) { pthread_mutex_lock(&mu); g++; pthread_mutex_unlock(&mu); }`, "f", "g:rw[mu]{mu}"},
	{"after unlock", `void f(void) { pthread_mutex_lock(&mu); g = 1; pthread_mutex_unlock(&mu); g2 = 2; }`, "f", "g:w[mu]{mu} g2:w[]{}"},
	{"compound assignment", `void f(void) { g += 2; }`, "f", "g:rw[]{}"},
	{"two locks", `void f(void) { pthread_mutex_lock(&mu); pthread_mutex_lock(&mu2); g = 1; pthread_mutex_unlock(&mu2); g2 = 1; pthread_mutex_unlock(&mu); }`, "f",
		"g:w[mu,mu2]{mu,mu2} g2:w[mu]{mu}"},
	{"lock on one branch", `void f(int x) { if (x) pthread_mutex_lock(&mu); g = 1; if (x) pthread_mutex_unlock(&mu); }`, "f", "g:w[]{mu}"},
	{"lock on both branches", `void f(int x) { if (x) { pthread_mutex_lock(&mu); g = 1; } else { pthread_mutex_lock(&mu); g = 2; } g2 = g; pthread_mutex_unlock(&mu); }`, "f",
		"g:w[mu]{mu} g2:w[mu]{mu} g:r[mu]{mu}"},
	{"trylock == 0", `void f(void) { if (pthread_mutex_trylock(&mu) == 0) { g = 1; pthread_mutex_unlock(&mu); } }`, "f", "g:w[mu]{mu}"},
	{"trylock !", `void f(void) { if (!pthread_mutex_trylock(&mu)) { g = 1; pthread_mutex_unlock(&mu); } }`, "f", "g:w[mu]{mu}"},
	{"trylock failure returns", `void f(void) { if (pthread_mutex_trylock(&mu) != 0) return; g = 1; pthread_mutex_unlock(&mu); }`, "f", "g:w[mu]{mu}"},
	{"trylock failure branch", `void f(void) { if (pthread_mutex_trylock(&mu)) { g2 = 1; return; } g = 1; pthread_mutex_unlock(&mu); }`, "f", "g2:w[]{mu} g:w[mu]{mu}"},
	{"trylock unchecked", `void f(void) { pthread_mutex_trylock(&mu); g = 1; pthread_mutex_unlock(&mu); }`, "f", "g:w[]{mu}"},
	{"goto cleanup", `int f(int x) { pthread_mutex_lock(&mu); if (x) goto out; g = 1; out: pthread_mutex_unlock(&mu); g2 = 1; return 0; }`, "f", "g:w[mu]{mu} g2:w[]{}"},
	{"goto into unlocked", `int f(int x) { if (x) goto out; pthread_mutex_lock(&mu); out: g = 1; pthread_mutex_unlock(&mu); return 0; }`, "f", "g:w[]{mu}"},
	{"backward goto", `void f(int x) { again: g = 1; pthread_mutex_lock(&mu); g2 = 1; if (x--) goto again; pthread_mutex_unlock(&mu); }`, "f", "g:w[]{mu} g2:w[mu]{mu}"},
	{"loop", `void f(int n) { for (int i = 0; i < n; i++) { pthread_mutex_lock(&mu); g++; pthread_mutex_unlock(&mu); } g2 = 1; }`, "f", "g:rw[mu]{mu} g2:w[]{}"},
	{"lock inside loop kept", `void f(int n) { while (n--) { pthread_mutex_lock(&mu); if (g) break; pthread_mutex_unlock(&mu); } g2 = 1; }`, "f", "g:r[mu]{mu} g2:w[]{mu}"},
	{"switch", `void f(int x) { switch (x) { case 1: pthread_mutex_lock(&mu); g = 1; pthread_mutex_unlock(&mu); break; default: g2 = 1; } g = 2; }`, "f",
		"g:w[mu]{mu} g2:w[]{} g:w[]{}"},
	{"field of global", `void f(void) { pthread_mutex_lock(&lib.mu); lib.n++; pthread_mutex_unlock(&lib.mu); }`, "f", "lib.n:rw[lib.mu]{lib.mu}"},
	{"global pointer", `void f(void) { cur->n = 1; }`, "f", "cur:r[]{} cur->n:w[]{}"},
	{"lock through global pointer", `void f(void) { pthread_mutex_lock(&cur->mu); cur->n = 1; pthread_mutex_unlock(&cur->mu); }`, "f",
		"cur:r[]{} cur:r[cur->mu]{cur->mu} cur->n:w[cur->mu]{cur->mu}"}, // the first read of cur computes &cur->mu
	{"unknown lock", `void f(struct obj *p) { pthread_mutex_lock(&p->mu); g = 1; pthread_mutex_unlock(&p->mu); g2 = 1; }`, "f", "g:w[&p->mu?]{&p->mu?} g2:w[]{}"},
	{"unknown unlock releases all", `void f(struct obj *p) { pthread_mutex_lock(&mu); pthread_mutex_unlock(&p->mu); g = 1; pthread_mutex_unlock(&mu); }`, "f", "g:w[]{mu}"},
	{"local lock pointer", `void f(void) { pthread_mutex_t *m = &mu; pthread_mutex_lock(m); g = 1; pthread_mutex_unlock(m); }`, "f", "g:w[mu]{mu}"},
	{"address is no access", `void f(void) { __atomic_fetch_add(&g, 1, __ATOMIC_SEQ_CST); memset(&lib, 0, sizeof lib); }`, "f", ""},
	{"array element", `static int tab[8]; void f(int i) { tab[i] = 1; }`, "f", "tab[]:w[]{}"},
	{"static local", `int f(void) { static int calls; return ++calls; }`, "f", "calls:rw[]{}"},
	{"thread-local is not shared", `static __thread int t; void f(void) { t = 1; }`, "f", ""},
	{"local shadows global", `void f(void) { int g = 0; g++; }`, "f", ""},
	{"callee under caller's lock", `static void inc(void) { g++; } void f(void) { pthread_mutex_lock(&mu); inc(); pthread_mutex_unlock(&mu); inc(); }`, "f",
		"g:rw[mu]{mu} g:rw[]{}"},
	{"lock helper", `static void lk(void) { pthread_mutex_lock(&mu); } static void ulk(void) { pthread_mutex_unlock(&mu); }
void f(void) { lk(); g = 1; ulk(); g2 = 2; }`, "f", "g:w[mu]{mu} g2:w[]{}"},
	{"callee releases before its access", `static void drop(void) { pthread_mutex_unlock(&mu); g = 1; pthread_mutex_lock(&mu); }
void f(void) { pthread_mutex_lock(&mu); drop(); g2 = 1; pthread_mutex_unlock(&mu); }`, "f", "g:w[]{mu} g2:w[mu]{mu}"},
	{"lock helper with parameter", `static void lk(pthread_mutex_t *m) { pthread_mutex_lock(m); } static void ulk(pthread_mutex_t *m) { pthread_mutex_unlock(m); }
void f(void) { lk(&mu); g = 1; ulk(&mu); g2 = 1; }`, "f", "g:w[mu]{mu} g2:w[]{}"},
	{"lock helper with parameter, two levels", `static void lk(pthread_mutex_t *m) { pthread_mutex_lock(m); } static void lk2(pthread_mutex_t *m) { lk(m); }
static void ulk(pthread_mutex_t *m) { pthread_mutex_unlock(m); }
void f(void) { lk2(&lib.mu); g = 1; ulk(&lib.mu); g2 = 1; }`, "f", "g:w[lib.mu]{lib.mu} g2:w[]{}"},
	{"lock helper with an unnamed lock", `static void lk(pthread_mutex_t *m) { pthread_mutex_lock(m); } static void ulk(pthread_mutex_t *m) { pthread_mutex_unlock(m); }
void f(struct obj *p) { pthread_mutex_lock(&mu); lk(&p->mu); g = 1; ulk(&p->mu); g2 = 1; pthread_mutex_unlock(&mu); }`, "f", "g:w[&p->mu?,mu]{&p->mu?,mu} g2:w[mu]{mu}"}, // releasing the unnamed lock it took (the same expression) leaves mu held: were they one lock, it would be recursive
	{"access in a helper given the lock", `static void bump(pthread_mutex_t *m) { pthread_mutex_lock(m); g++; pthread_mutex_unlock(m); }
void f(void) { bump(&mu2); }`, "f", "g:rw[mu2]{mu2}"},
	{"recursion", `void f(int n) { if (n) f(n - 1); g = n; }`, "f", "g:w[]{}"},
	// A callee that takes and releases the lock its caller holds (a
	// recursive mutex; any other would deadlock) leaves it held.
	{"callee relocks a held lock", `static void logit(void) { pthread_mutex_lock(&mu); g2 = 0; pthread_mutex_unlock(&mu); }
void f(void) { pthread_mutex_lock(&mu); logit(); g = 1; pthread_mutex_unlock(&mu); }`, "f", "g2:w[mu]{mu} g:w[mu]{mu}"},
	{"callee releases the caller's lock", `static void drop(void) { pthread_mutex_unlock(&mu); }
void f(void) { pthread_mutex_lock(&mu); drop(); g = 1; }`, "f", "g:w[]{}"},
	{"trylock loop", `void f(void) { while (pthread_mutex_trylock(&mu) != 0) ; g = 1; pthread_mutex_unlock(&mu); }`, "f", "g:w[mu]{mu}"},
	{"C11 mtx", `#include <threads.h>
static mtx_t cm;
void f(void) { mtx_lock(&cm); g = 1; mtx_unlock(&cm); g2 = 1; }`, "f", "g:w[cm]{cm} g2:w[]{}"},
	{"trylock do-while", `void f(void) { do { g2 = 1; } while (pthread_mutex_trylock(&mu)); g = 1; pthread_mutex_unlock(&mu); }`, "f", "g2:w[]{mu} g:w[mu]{mu}"},
	{"trylock for body", `void f(void) { for (; pthread_mutex_trylock(&mu) == 0; ) { g = 1; pthread_mutex_unlock(&mu); } g2 = 1; }`, "f", "g:w[mu]{mu} g2:w[]{mu}"},
	{"atomic objects", `#include <stdatomic.h>
static _Atomic long ac; static _Atomic(int) ac2; static atomic_int af; static _Atomic long aa[4]; static long _Atomic *ap;
void f(void) { ac++; ac2 = 1; af = 2; aa[1]++; ap = 0; }`, "f", "ap:w[]{}"},
}

func TestAccesses(t *testing.T) {
	for _, c := range lockCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			files := writeFiles(t, dir, map[string]string{"a.c": lockPrelude + c.src + "\n"})
			m := Load(Options{Dir: dir}, nil, files)
			as := m.Accesses(c.fn)
			if got := accessFacts(as); got != c.want {
				t.Errorf("accesses = %q, want %q", got, c.want)
			}
			for _, a := range as {
				if len(a.Via) == 0 || a.Via[0] != c.fn || !a.Pos.IsValid() || a.Note == "" {
					t.Errorf("bad evidence for %s: %+v", a.Path, a.Evidence)
				}
				for _, l := range a.Held {
					if l.Evidence == nil || !l.Evidence.Pos.IsValid() || l.Evidence.Via[0] != c.fn {
						t.Errorf("bad lock evidence for %s: %+v", l.Name, l.Evidence)
					}
				}
			}
			if p := m.Problems(); len(p) > 0 {
				t.Errorf("problems: %v", p)
			}
		})
	}
}

// TestAccessEvidence checks positions and call chains of an access and of
// the lock held there, across a helper.
func TestAccessEvidence(t *testing.T) {
	dir := t.TempDir()
	src := lockPrelude + `static void lk(void) {
	pthread_mutex_lock(&mu);
}
static void bump(void) {
	g++;
}
void f(void) {
	lk();
	bump();
	pthread_mutex_unlock(&mu);
}
`
	files := writeFiles(t, dir, map[string]string{"a.c": src})
	m := Load(Options{Dir: dir}, nil, files)
	as := m.Accesses("f")
	if len(as) != 1 {
		t.Fatalf("accesses: %s", accessFacts(as))
	}
	base := strings.Count(lockPrelude, "\n")
	a := as[0]
	if !slices.Equal(a.Via, []string{"f", "bump"}) || a.Pos.Line != base+5 || filepath.Base(a.Pos.Filename) != "a.c" {
		t.Errorf("access evidence %v via %v at %v", a.Note, a.Via, a.Pos)
	}
	if len(a.Held) != 1 {
		t.Fatalf("held: %v", a.Held)
	}
	if e := a.Held[0].Evidence; !slices.Equal(e.Via, []string{"f", "lk", "pthread_mutex_lock"}) || e.Pos.Line != base+2 {
		t.Errorf("lock evidence %v via %v at %v", e.Note, e.Via, e.Pos)
	}
}

func TestOverlaps(t *testing.T) {
	dir := t.TempDir()
	src := lockPrelude + `void whole(void) { struct obj o = {0}; lib = o; }
void field(void) { lib.n = 1; }
void other(void) { lib.next = 0; }
void ptr(void) { cur = 0; }
void pointee(void) { cur->n = 2; }
`
	files := writeFiles(t, dir, map[string]string{"a.c": src})
	m := Load(Options{Dir: dir}, nil, files)
	one := func(fn string) *Access {
		as := m.Accesses(fn)
		for _, a := range as {
			if a.Write {
				return a
			}
		}
		t.Fatalf("%s: no write in %s", fn, accessFacts(as))
		return nil
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"whole", "field", true},
		{"field", "other", false},
		{"field", "field", true},
		{"ptr", "pointee", false}, // the pointer variable is not what it points to
		{"whole", "ptr", false},
	} {
		if got := one(c.a).Overlaps(one(c.b)); got != c.want {
			t.Errorf("%s overlaps %s = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestExcludes(t *testing.T) {
	mu := Lock{ID: "mu", Name: "mu"}
	mu2 := Lock{ID: "mu2", Name: "mu2"}
	unknown := Lock{Name: "p->mu"}
	for _, c := range []struct {
		l    Lock
		may  []Lock
		want bool
	}{
		{mu, nil, true},
		{mu, []Lock{mu2}, true},
		{mu, []Lock{mu}, false},
		{mu, []Lock{unknown}, false},
		{unknown, nil, true},
		{unknown, []Lock{mu2}, false},
	} {
		if got := Excludes(c.l, c.may); got != c.want {
			t.Errorf("Excludes(%s, %v) = %v", c.l.Name, c.may, got)
		}
	}
}

// TestThreadStarts finds start routines passed to pthread_create directly
// and through a wrapper, with what they access.
func TestThreadStarts(t *testing.T) {
	dir := t.TempDir()
	src := lockPrelude + `static void incr(void) { pthread_mutex_lock(&mu); g++; pthread_mutex_unlock(&mu); }
static void *worker(void *arg) { incr(); return 0; }
static void *other(void *arg) { g2 = 1; return arg; }
static pthread_t th[4];
int start(void) { return pthread_create(&th[0], 0, worker, 0); }
static int spawn(void *(*fn)(void *), void *a) { pthread_t t; return pthread_create(&t, 0, fn, a); }
int start2(void) { return spawn(other, 0); }
int unrelated(void) { return g; }
`
	files := writeFiles(t, dir, map[string]string{"a.c": src})
	m := Load(Options{Dir: dir}, nil, files)
	ts := m.ThreadStarts()
	var got []string
	for _, s := range ts {
		got = append(got, fmt.Sprintf("%s<-%s:%s", s.Routine, strings.Join(s.Via, ">"), accessFacts(s.Accesses)))
		if !s.Pos.IsValid() {
			t.Errorf("%s: no position", s.Routine)
		}
	}
	slices.Sort(got)
	want := []string{
		"other<-start2>spawn>pthread_create:g2:w[]{}",
		"worker<-start>pthread_create:g:rw[mu]{mu}",
	}
	if !slices.Equal(got, want) {
		t.Errorf("thread starts:\n got %q\nwant %q", got, want)
	}
	if p := m.Problems(); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
}

// TestRunning: the threads a function starts, and which of them may run at
// each of its accesses: none before the start (setup, also in a helper),
// the thread after it, none after a join or a loop of joins.
func TestRunning(t *testing.T) {
	dir := t.TempDir()
	src := lockPrelude + `static void *worker(void *arg) { pthread_mutex_lock(&mu); g++; pthread_mutex_unlock(&mu); return 0; }
static int spawn(void *(*fn)(void *), void *a) { pthread_t t; return pthread_create(&t, 0, fn, a); }
static void setup(void) { g = 0; }
int batch(int n) {
	pthread_t th[4];
	int i;
	setup();
	for (i = 0; i < n; i++) pthread_create(&th[i], 0, worker, 0);
	g2 = 1;
	for (i = 0; i < n; i++) pthread_join(th[i], 0);
	return g;
}
void wrapped(void) { g = 1; spawn(worker, 0); g2 = 2; }
`
	files := writeFiles(t, dir, map[string]string{"a.c": src})
	m := Load(Options{Dir: dir}, nil, files)
	keys := map[string]string{}
	for _, ts := range m.ThreadStarts() {
		keys[ts.Key] = ts.Via[0]
	}
	for _, c := range []struct{ fn, want string }{
		{"batch", "g:w[] g2:w[batch] g:r[]"},
		{"wrapped", "g:w[] g2:w[wrapped]"},
	} {
		starts := m.Starts(c.fn)
		if len(starts) != 1 || keys[starts[0]] != c.fn {
			t.Errorf("Starts(%s) = %q, want the one thread it starts (of %v)", c.fn, starts, keys)
		}
		var got []string
		for _, a := range m.Accesses(c.fn) {
			var run []string
			for _, r := range a.Running {
				run = append(run, keys[r])
			}
			rw := "r"
			if a.Write {
				rw = "w"
			}
			got = append(got, fmt.Sprintf("%s:%s[%s]", a.Path, rw, strings.Join(run, ",")))
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%s: running at the accesses = %q, want %q", c.fn, g, c.want)
		}
	}
}

// TestConfiguredLocks: a library's own lock functions and thread starter,
// known only from a configuration, count like pthread's.
func TestConfiguredLocks(t *testing.T) {
	cfg, err := knowledge.ParseConfig([]byte(`{"locks": {"lib_enter": "lock", "lib_leave": "unlock"}, "threadCreators": {"lib_spawn": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := lockPrelude + `struct lib_mutex;
extern struct lib_mutex *big_lock;
void lib_enter(struct lib_mutex *);
void lib_leave(struct lib_mutex *);
int lib_spawn(void *ctx, void (*fn)(void *));
static void task(void *ctx) { lib_enter(big_lock); g++; lib_leave(big_lock); }
int start(void) { return lib_spawn(0, task); }
`
	files := writeFiles(t, dir, map[string]string{"a.c": src})
	m := Load(Options{Dir: dir, DB: knowledge.Base.With(cfg)}, nil, files)
	ts := m.ThreadStarts()
	if len(ts) != 1 || ts[0].Routine != "task" {
		t.Fatalf("thread starts: %+v", ts)
	}
	if got := accessFacts(ts[0].Accesses); got != "big_lock:r[]{} g:rw[*big_lock]{*big_lock} big_lock:r[*big_lock]{*big_lock}" {
		t.Errorf("task: %s", got)
	}
}

// TestThreadStartsInIncludedC: a preamble that #includes a library's .c
// files (as bindings that build a bundled library do) starts the threads
// those files start, and a lock helper taking the mutex as a parameter
// names the caller's mutex.
func TestThreadStartsInIncludedC(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"lib/impl.c": `#include <pthread.h>
static pthread_mutex_t hot_lock = PTHREAD_MUTEX_INITIALIZER;
static int events;
static void lk(pthread_mutex_t *m) { pthread_mutex_lock(m); }
static void ulk(pthread_mutex_t *m) { pthread_mutex_unlock(m); }
static void *monitor(void *arg) { lk(&hot_lock); events++; ulk(&hot_lock); return arg; }
int lib_start(void) { pthread_t t; return pthread_create(&t, 0, monitor, 0); }
`})
	gofile := filepath.Join(dir, "p.go")
	pre := Preamble{GoFile: gofile, Pos: token.Position{Filename: gofile, Line: 3}, Text: "#cgo CFLAGS: -I${SRCDIR}/lib\n#include \"impl.c\"\n"}
	m := Load(Options{Dir: dir}, []Preamble{pre}, nil)
	ts := m.ThreadStarts()
	if len(ts) != 1 || ts[0].Routine != "monitor" {
		t.Fatalf("thread starts: %+v; problems %v", ts, m.Problems())
	}
	if got := accessFacts(ts[0].Accesses); got != "events:rw[hot_lock]{hot_lock}" {
		t.Errorf("monitor: %s", got)
	}
	if l := ts[0].Accesses[0].Held[0]; l.Evidence == nil || l.Evidence.Note != "lk(&hot_lock)" {
		t.Errorf("lock evidence: %+v", l.Evidence)
	}
}
