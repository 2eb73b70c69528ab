package handle

//lint:file-ignore U1000 state.buf exists for its size

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"strings"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/safe/internal/ctest"
)

// fakeT records what VerifyNone reports.
type fakeT struct{ errs []string }

func (f *fakeT) Helper()           {}
func (f *fakeT) Error(args ...any) { f.errs = append(f.errs, fmt.Sprint(args...)) }

type state struct {
	calls int
	buf   [1 << 16]byte // big enough that keeping it alive matters
}

func panicMessage(f func()) (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	f()
	return ""
}

// The value travels to C as uintptr_t and comes back typed in the callback.
func TestRoundTripThroughC(t *testing.T) {
	defer VerifyNone(t, IgnoreCurrent())
	st := &state{}
	h := New(st)
	ctest.Callback = func(v uintptr) { FromC[*state](v).Value().calls++ }
	defer func() { ctest.Callback = nil }()
	for range 3 {
		ctest.CallWithHandle(h.C())
	}
	h.Delete()
	if st.calls != 3 {
		t.Fatalf("calls = %d", st.calls)
	}
}

// The trap: a raw cgo.Handle that is never deleted keeps its value alive for
// good, and nothing can list it. The wrapped one is listed, with its origin.
func TestLeakIsReported(t *testing.T) {
	// Raw: the value is never collected, silently.
	collected := make(chan struct{})
	raw := &state{}
	runtime.AddCleanup(raw, func(ch chan struct{}) { close(ch) }, collected)
	_ = cgo.NewHandle(raw) // leaked
	raw = nil
	if gcUntil(collected) {
		t.Fatal("the value of a leaked cgo.Handle was collected?")
	}

	// Wrapped: VerifyNone names the leak and the line that made it.
	base := IgnoreCurrent()
	h := New(&state{}) // the leak
	ft := &fakeT{}
	VerifyNone(ft, base)
	if len(ft.errs) != 1 {
		t.Fatalf("VerifyNone reported %d errors, want 1", len(ft.errs))
	}
	msg := ft.errs[0]
	for _, want := range []string{"1 live handle(s) never deleted", fmt.Sprintf("handle %d holding a *handle.state", h.C()), "handle.TestLeakIsReported", "handle_test.go:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("report lacks %q:\n%s", want, msg)
		}
	}
	// Deleted: clean, and the value can be collected again.
	h.Delete()
	ft = &fakeT{}
	VerifyNone(ft, base)
	if len(ft.errs) != 0 {
		t.Fatalf("after Delete: %v", ft.errs)
	}
	freed := make(chan struct{})
	v := &state{}
	runtime.AddCleanup(v, func(ch chan struct{}) { close(ch) }, freed)
	h2 := New(v)
	v = nil
	h2.Delete()
	if !gcUntil(freed) {
		t.Fatal("value of a deleted handle was never collected")
	}
}

// gcUntil runs GCs until ch closes (true) or a few rounds pass (false).
func gcUntil(ch chan struct{}) bool {
	for range 10 {
		runtime.GC()
		select {
		case <-ch:
			return true
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false
}

func TestWrongTypeNamesBothTypes(t *testing.T) {
	h := New("a string")
	defer h.Delete()
	// Raw cgo: the assertion fails without saying where the handle came from.
	raw := panicMessage(func() { _ = cgo.Handle(h.C()).Value().(*state) })
	if !strings.Contains(raw, "interface {} is string, not *handle.state") {
		t.Fatalf("raw message: %s", raw)
	}
	msg := panicMessage(func() { FromC[*state](h.C()).Value() })
	for _, want := range []string{"as a *handle.state, but it holds a string", "created at", "handle.TestWrongTypeNamesBothTypes"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestDeleteOnce(t *testing.T) {
	h := New(1)
	h.Delete()
	// Raw cgo says only that the handle is invalid.
	if raw := panicMessage(func() { cgo.Handle(h.C()).Delete() }); !strings.Contains(raw, "misuse of an invalid Handle") {
		t.Fatalf("raw: %s", raw)
	}
	for _, f := range []func(){h.Delete, func() { h.Value() }} {
		msg := panicMessage(f)
		if !strings.Contains(msg, "already deleted at") || !strings.Contains(msg, "handle.TestDeleteOnce") {
			t.Errorf("message: %s", msg)
		}
	}
	if msg := panicMessage(func() { Handle[int]{}.Value() }); !strings.Contains(msg, "zero Handle[int]") {
		t.Errorf("zero handle: %s", msg)
	}
}

func TestInterfaceTypes(t *testing.T) {
	h := New[error](nil)
	defer h.Delete()
	if h.Value() != nil {
		t.Fatal("nil error")
	}
	h2 := New[fmt.Stringer](time.Second)
	defer h2.Delete()
	if h2.Value().String() != "1s" {
		t.Fatal(h2.Value())
	}
}

func TestWithoutStacks(t *testing.T) {
	prev := RecordStacks(false)
	defer RecordStacks(prev)
	base := IgnoreCurrent()
	h := New(2)
	err := Find(base)
	h.Delete()
	if err == nil || !strings.Contains(err.Error(), "stacks not recorded") {
		t.Fatalf("Find = %v", err)
	}
	if Find(base) != nil {
		t.Fatal("after Delete")
	}
}

type fakeM struct{ leak bool }

func (m fakeM) Run() int {
	if m.leak {
		New("left behind")
	}
	return 0
}

func TestVerifyTestMain(t *testing.T) {
	var code int
	prev := exit
	exit = func(c int) { code = c }
	defer func() { exit = prev }()
	base := IgnoreCurrent()
	VerifyTestMain(fakeM{}, base)
	if code != 0 {
		t.Fatalf("clean run exit %d", code)
	}
	VerifyTestMain(fakeM{leak: true}, base)
	if code != 1 {
		t.Fatalf("leaky run exit %d", code)
	}
	for _, in := range Live() {
		if in.Type == "string" {
			FromC[string](in.ID).Delete()
		}
	}
}

var sinkH uintptr

func BenchmarkNewDelete(b *testing.B) {
	v := &state{}
	b.Run("raw-cgo.Handle", func(b *testing.B) {
		for b.Loop() {
			h := cgo.NewHandle(v)
			sinkH += uintptr(h)
			h.Delete()
		}
	})
	b.Run("Handle", func(b *testing.B) {
		prev := RecordStacks(false)
		defer RecordStacks(prev)
		for b.Loop() {
			h := New(v)
			sinkH += h.C()
			h.Delete()
		}
	})
	b.Run("Handle-with-stacks", func(b *testing.B) {
		prev := RecordStacks(true)
		defer RecordStacks(prev)
		for b.Loop() {
			h := New(v)
			sinkH += h.C()
			h.Delete()
		}
	})
}

func BenchmarkValue(b *testing.B) {
	v := &state{}
	raw := cgo.NewHandle(v)
	defer raw.Delete()
	h := New(v)
	defer h.Delete()
	b.Run("raw-cgo.Handle", func(b *testing.B) {
		for b.Loop() {
			sinkH += uintptr(raw.Value().(*state).calls)
		}
	})
	b.Run("Handle", func(b *testing.B) {
		for b.Loop() {
			sinkH += uintptr(FromC[*state](h.C()).Value().calls)
		}
	})
}
