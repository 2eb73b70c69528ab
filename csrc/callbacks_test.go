package csrc

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// callbackFacts renders callbacks canonically, sorted:
// "caller>…>callee:export[held]{may}".
func callbackFacts(cbs []*CallbackCall) []string {
	var out []string
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
	for _, c := range cbs {
		out = append(out, fmt.Sprintf("%s:%s[%s]{%s}", strings.Join(c.Via, ">"), c.Export, names(c.Held), names(c.MayHold)))
	}
	slices.Sort(out)
	return out
}

const cbPrelude = lockPrelude + "extern void goCB(void);\nextern int goOther(int);\n"

var callbackCases = []struct {
	name, src string
	want      []string
}{
	{"under a lock", `void f(void) { pthread_mutex_lock(&mu); goCB(); pthread_mutex_unlock(&mu); }`,
		[]string{"f:goCB[mu]{mu}"}},
	{"no lock", `void f(void) { goCB(); }`, []string{"f:goCB[]{}"}},
	{"after the unlock", `void f(void) { pthread_mutex_lock(&mu); g = 1; pthread_mutex_unlock(&mu); goCB(); }`,
		[]string{"f:goCB[]{}"}},
	{"lock on one branch", `void f(int x) { if (x) pthread_mutex_lock(&mu); goCB(); if (x) pthread_mutex_unlock(&mu); }`,
		[]string{"f:goCB[]{mu}"}},
	{"through a helper", `static void fire(void) { goOther(1); }
void f(void) { pthread_mutex_lock(&lib.mu); fire(); pthread_mutex_unlock(&lib.mu); }`,
		[]string{"f>fire:goOther[lib.mu]{lib.mu}", "fire:goOther[]{}"}},
	{"helper that drops the lock around the call", `static void fire(void) { pthread_mutex_unlock(&mu); goCB(); pthread_mutex_lock(&mu); }
void f(void) { pthread_mutex_lock(&mu); fire(); pthread_mutex_unlock(&mu); }`,
		[]string{"f>fire:goCB[]{mu}", "fire:goCB[]{}"}}, // MayHold keeps mu, as Access.MayHold does
	{"lock helper with parameter", `static void lk(pthread_mutex_t *m) { pthread_mutex_lock(m); }
static void ulk(pthread_mutex_t *m) { pthread_mutex_unlock(m); }
void f(void) { lk(&mu2); goCB(); ulk(&mu2); }`,
		[]string{"f:goCB[mu2]{mu2}"}},
	{"a C function of that name is not Go", `void goCB(void) { g = 1; }
void f(void) { pthread_mutex_lock(&mu); goCB(); pthread_mutex_unlock(&mu); }`, nil},
	{"function pointer is no call", `static void (*hook)(void) = goCB;
void f(void) { pthread_mutex_lock(&mu); hook(); pthread_mutex_unlock(&mu); }`, nil},
}

func TestCallbacks(t *testing.T) {
	for _, c := range callbackCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			files := writeFiles(t, dir, map[string]string{"a.c": cbPrelude + c.src + "\n"})
			m := Load(Options{Dir: dir, Exports: []string{"goCB", "goOther"}}, nil, files)
			cbs := m.Callbacks()
			if got := callbackFacts(cbs); !slices.Equal(got, c.want) {
				t.Errorf("callbacks = %q, want %q", got, c.want)
			}
			for _, cb := range cbs {
				if cb.Caller != cb.Via[0] || !cb.Pos.IsValid() || cb.Note == "" {
					t.Errorf("bad evidence: %+v", cb)
				}
				for _, l := range cb.Held {
					if l.Evidence == nil || !l.Evidence.Pos.IsValid() || l.Evidence.Via[0] != cb.Caller {
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

// TestCallbacksWithoutExports: a model that knows no exports records no
// calls, whatever the C code calls.
func TestCallbacksWithoutExports(t *testing.T) {
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{"a.c": cbPrelude + `void f(void) { pthread_mutex_lock(&mu); goCB(); pthread_mutex_unlock(&mu); }` + "\n"})
	m := Load(Options{Dir: dir}, nil, files)
	if cbs := m.Callbacks(); len(cbs) != 0 {
		t.Errorf("callbacks: %q", callbackFacts(cbs))
	}
	// The accesses are what they were without exports.
	if got := accessFacts(m.Accesses("f")); got != "" {
		t.Errorf("accesses: %q", got)
	}
}

// TestCallbacksFromExportHeader: a .c file that calls the export through
// cgo's _cgo_export.h, with the callback's evidence at the call.
func TestCallbacksFromExportHeader(t *testing.T) {
	dir := t.TempDir()
	src := `#include <pthread.h>
#include "_cgo_export.h"
static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
void run(void) {
	pthread_mutex_lock(&lk);
	goCB();
	pthread_mutex_unlock(&lk);
}
`
	files := writeFiles(t, dir, map[string]string{"a.c": src})
	m := Load(Options{Dir: dir, Exports: []string{"goCB"}}, nil, files)
	cbs := m.Callbacks()
	if got := callbackFacts(cbs); !slices.Equal(got, []string{"run:goCB[lk]{lk}"}) {
		t.Fatalf("callbacks = %q; problems %v", got, m.Problems())
	}
	cb := cbs[0]
	if cb.Pos.Line != 6 || filepath.Base(cb.Pos.Filename) != "a.c" {
		t.Errorf("call at %v", cb.Pos)
	}
	if e := cb.Held[0].Evidence; e.Pos.Line != 5 || !slices.Equal(e.Via, []string{"run", "pthread_mutex_lock"}) {
		t.Errorf("lock evidence %v via %v", e.Pos, e.Via)
	}
}

func TestAcquires(t *testing.T) {
	dir := t.TempDir()
	src := lockPrelude + `static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static void lk(pthread_mutex_t *m) { pthread_mutex_lock(m); }
static void ulk(pthread_mutex_t *m) { pthread_mutex_unlock(m); }
static void put(int v) {
	lk(&mu2);
	g = v;
	ulk(&mu2);
}
void produce(int v) {
	pthread_mutex_lock(&mu);
	put(v);
	pthread_mutex_unlock(&mu);
}
void try_only(void) { if (pthread_mutex_trylock(&mu) == 0) pthread_mutex_unlock(&mu); }
int reader(void) { pthread_rwlock_rdlock(&rw); int v = g; pthread_rwlock_unlock(&rw); return v; }
void writer(void) { pthread_rwlock_rdlock(&rw); pthread_rwlock_unlock(&rw); pthread_rwlock_wrlock(&rw); pthread_rwlock_unlock(&rw); }
void maybe(int x) { if (x) { pthread_mutex_lock(&mu); g = x; pthread_mutex_unlock(&mu); } }
void param(pthread_mutex_t *m) { lk(m); ulk(m); }
void unknown(struct obj *o) { pthread_mutex_lock(&o->mu); pthread_mutex_unlock(&o->mu); }
int none(void) { return g; }
`
	files := writeFiles(t, dir, map[string]string{"a.c": src})
	m := Load(Options{Dir: dir}, nil, files)
	facts := func(fn string) string {
		var s []string
		for _, a := range m.Acquires(fn) {
			x := a.Name
			if a.ID == "" {
				x += "?"
			}
			if a.Shared {
				x += "(r)"
			}
			if !a.Always {
				x += "(some paths)"
			}
			s = append(s, x)
		}
		return strings.Join(s, ",")
	}
	for fn, want := range map[string]string{
		"produce":  "mu,mu2",
		"try_only": "", // a trylock does not wait
		"reader":   "rw(r)",
		"writer":   "rw", // read and write mode: write
		"param":    "",   // the Go caller's pointer: not nameable
		"unknown":  "&o->mu?(some paths)",
		"maybe":    "mu(some paths)",
		"none":     "",
	} {
		if got := facts(fn); got != want {
			t.Errorf("Acquires(%s) = %q, want %q", fn, got, want)
		}
	}
	base := strings.Count(lockPrelude, "\n")
	for _, a := range m.Acquires("produce") {
		e := a.Evidence
		switch a.Name {
		case "mu":
			if e.Pos.Line != base+10 || !slices.Equal(e.Via, []string{"produce", "pthread_mutex_lock"}) {
				t.Errorf("mu taken at %v via %v", e.Pos, e.Via)
			}
		case "mu2":
			if e.Pos.Line != base+5 || !slices.Equal(e.Via, []string{"produce", "put", "lk"}) || e.Note != "lk(&mu2)" {
				t.Errorf("mu2 taken at %v via %v (%s)", e.Pos, e.Via, e.Note)
			}
		}
	}
	if p := m.Problems(); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
}
