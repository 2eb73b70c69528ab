// Package handle gives runtime/cgo.Handle a type and a leak check.
//
// C cannot hold Go pointers, so Go values that C must refer back to (a
// callback's state, say) travel as handles: integers that map back to the
// value. runtime/cgo.Handle does this, but its Value is an any that the
// callback must assert, a forgotten Delete keeps the value alive forever, and
// nothing can list the handles that are still live. Handle[T] adds:
//
//   - a type: New(v) gives a Handle[T], Value returns a T, and a handle that
//     comes back from C as the wrong type fails with a message naming both
//     types and where the handle was made;
//   - Delete once: a second Delete, or a Value after Delete, panics with the
//     place of the first Delete (when stacks are recorded);
//   - leak accounting: Live lists the live handles with the stacks that created
//     them, and VerifyNone(t) fails a test that leaves any behind, in the style
//     of go.uber.org/goleak.
//
// A handle goes to C as a uintptr_t, never as a pointer:
//
//	h := handle.New(&state)
//	defer h.Delete()
//	C.register_callback(C.uintptr_t(h.C()))
//
//	//export goCallback
//	func goCallback(v C.uintptr_t) {
//		st := handle.FromC[*State](uintptr(v)).Value()
//		...
//	}
//
// and in tests:
//
//	func TestCallbacks(t *testing.T) {
//		defer handle.VerifyNone(t, handle.IgnoreCurrent())
//		...
//	}
//
// Creation stacks cost one to two microseconds per New and Delete, so they are recorded by
// default only in test binaries (testing.Testing); RecordStacks changes that.
package handle

import (
	"cmp"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"runtime/cgo"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Handle is a cgo.Handle that holds a T. The zero Handle is invalid.
type Handle[T any] struct{ h cgo.Handle }

type entry struct {
	typ     reflect.Type
	created []uintptr // nil unless stacks are recorded
}

var (
	stacks atomic.Bool

	mu   sync.Mutex
	live = map[cgo.Handle]entry{}
	// The last deleted handles (a ring), for the message of a second Delete.
	// cgo never reuses a handle number, so a dead number stays dead.
	graveyard = map[cgo.Handle][]uintptr{}
	graveRing [1024]cgo.Handle
	graveNext int
)

func init() { stacks.Store(testing.Testing()) }

// RecordStacks sets whether New records the creating stack (for Live,
// VerifyNone and misuse messages), and returns the previous setting.
func RecordStacks(on bool) bool { return stacks.Swap(on) }

// New returns a handle for v. Every handle must be deleted exactly once.
func New[T any](v T) Handle[T] {
	h := cgo.NewHandle(v)
	e := entry{typ: reflect.TypeFor[T]()}
	if stacks.Load() {
		e.created = callers()
	}
	mu.Lock()
	live[h] = e
	mu.Unlock()
	return Handle[T]{h}
}

func typeName[T any]() string { return reflect.TypeFor[T]().String() }

// FromC returns the Handle[T] for a value that C passed back (a uintptr_t
// that came from C()). It does not check anything; Value does.
func FromC[T any](v uintptr) Handle[T] { return Handle[T]{cgo.Handle(v)} }

// C returns the handle as an integer for C's uintptr_t: C.uintptr_t(h.C()).
// Do not turn it into a pointer; it is not one.
func (h Handle[T]) C() uintptr { return uintptr(h.h) }

// Value returns the value the handle holds. It panics, saying why, if the
// handle was deleted, never existed, or holds something other than a T.
func (h Handle[T]) Value() T {
	v, ok := h.lookup()
	if ok && v == nil { // New[T](nil) for an interface type T
		var zero T
		return zero
	}
	t, isT := v.(T)
	if !ok || !isT {
		panic(h.misuse("Value of", v, ok))
	}
	return t
}

// lookup asks cgo, turning its panic on an invalid handle into ok == false.
func (h Handle[T]) lookup() (v any, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = nil, false
		}
	}()
	return h.h.Value(), true
}

// Delete releases the handle: the value may then be garbage collected. It
// panics on a handle that is not live (deleted before, or never made by New).
func (h Handle[T]) Delete() {
	mu.Lock()
	_, ok := live[h.h]
	if ok {
		delete(live, h.h)
		var pcs []uintptr
		if stacks.Load() {
			pcs = callers()
		}
		bury(h.h, pcs)
	}
	mu.Unlock()
	if !ok {
		panic(h.misuse("Delete of", nil, false))
	}
	h.h.Delete()
}

func bury(h cgo.Handle, pcs []uintptr) {
	if old := graveRing[graveNext]; old != 0 {
		delete(graveyard, old)
	}
	graveRing[graveNext] = h
	graveNext = (graveNext + 1) % len(graveRing)
	graveyard[h] = pcs
}

func (h Handle[T]) misuse(what string, v any, found bool) string {
	want := typeName[T]()
	mu.Lock()
	e, isLive := live[h.h]
	deletedAt, dead := graveyard[h.h]
	mu.Unlock()
	switch {
	case h.h == 0:
		return fmt.Sprintf("handle: %s the zero Handle[%s]", what, want)
	case found || isLive:
		msg := fmt.Sprintf("handle: %s handle %d as a %s, but it holds a %T", what, h.h, want, v)
		if e.created != nil {
			msg += "; created at\n" + frames(e.created)
		}
		return msg
	case dead:
		msg := fmt.Sprintf("handle: %s handle %d, which was already deleted", what, h.h)
		if deletedAt != nil {
			msg += " at\n" + frames(deletedAt)
		}
		return msg
	default:
		return fmt.Sprintf("handle: %s handle %d, which is not live (deleted long ago, or not made by handle.New)", what, h.h)
	}
}

func callers() []uintptr {
	pcs := make([]uintptr, 32)
	return pcs[:runtime.Callers(3, pcs)]
}

func frames(pcs []uintptr) string {
	var b strings.Builder
	fs := runtime.CallersFrames(pcs)
	for {
		f, more := fs.Next()
		if strings.HasPrefix(f.Function, "runtime.") || strings.HasPrefix(f.Function, "testing.") {
			if !more {
				break
			}
			continue
		}
		fmt.Fprintf(&b, "\t%s\n\t\t%s:%d\n", f.Function, f.File, f.Line)
		if !more {
			break
		}
	}
	return b.String()
}

// Info describes a live handle.
type Info struct {
	ID    uintptr // the number C sees
	Type  string  // the T of its Handle[T]
	Stack string  // where New was called ("" if stacks were not recorded)
}

// Live returns the live handles made by New, oldest first.
func Live() []Info {
	mu.Lock()
	out := make([]Info, 0, len(live))
	for h, e := range live {
		in := Info{ID: uintptr(h), Type: e.typ.String()}
		if e.created != nil {
			in.Stack = frames(e.created)
		}
		out = append(out, in)
	}
	mu.Unlock()
	slices.SortFunc(out, func(a, b Info) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Option configures Find and VerifyNone.
type Option func(*opts)

type opts struct{ ignore map[uintptr]bool }

// IgnoreCurrent ignores the handles live when it is called. In
// defer handle.VerifyNone(t, handle.IgnoreCurrent()) that is the start of the
// test, since a deferred call's arguments are evaluated at once.
func IgnoreCurrent() Option {
	cur := map[uintptr]bool{}
	for _, in := range Live() {
		cur[in.ID] = true
	}
	return func(o *opts) {
		for id := range cur {
			o.ignore[id] = true
		}
	}
}

// Find returns an error listing the live handles, with their creation
// stacks, that the options do not ignore; nil if there are none.
func Find(options ...Option) error {
	o := opts{ignore: map[uintptr]bool{}}
	for _, opt := range options {
		opt(&o)
	}
	var leaked []Info
	for _, in := range Live() {
		if !o.ignore[in.ID] {
			leaked = append(leaked, in)
		}
	}
	if len(leaked) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "handle: %d live handle(s) never deleted:", len(leaked))
	for _, in := range leaked {
		fmt.Fprintf(&b, "\nhandle %d holding a %s", in.ID, in.Type)
		if in.Stack != "" {
			b.WriteString(", created at\n" + strings.TrimRight(in.Stack, "\n"))
		} else {
			b.WriteString(" (stacks not recorded: see RecordStacks)")
		}
	}
	return fmt.Errorf("%s", b.String())
}

// TestingT is the part of *testing.T that VerifyNone uses.
type TestingT interface {
	Helper()
	Error(args ...any)
}

// VerifyNone fails the test if any handle is live that the options do not
// ignore.
func VerifyNone(t TestingT, options ...Option) {
	t.Helper()
	if err := Find(options...); err != nil {
		t.Error(err)
	}
}

// TestingM is the part of *testing.M that VerifyTestMain uses.
type TestingM interface{ Run() int }

// VerifyTestMain runs a package's tests and then fails the run if handles
// are left: func TestMain(m *testing.M) { handle.VerifyTestMain(m) }.
func VerifyTestMain(m TestingM, options ...Option) {
	code := m.Run()
	if code == 0 {
		if err := Find(options...); err != nil {
			fmt.Println(err)
			code = 1
		}
	}
	exit(code)
}

var exit = os.Exit
