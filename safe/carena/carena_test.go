package carena

//lint:file-ignore U1000 test types are read through reflection and unsafe.Sizeof only

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unsafe"

	"github.com/cgoguard/cgoguard/safe/internal/ctest"
	"github.com/cgoguard/cgoguard/tracker"
)

// TestMain runs a crash scenario when the test binary is re-executed for it,
// so that a program that faults dies in a subprocess, not in the test run.
func TestMain(m *testing.M) {
	if sc := os.Getenv("CARENA_SCENARIO"); sc != "" {
		runScenario(sc)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runScenario allocates a string, frees its arena, then reads it again.
func runScenario(sc string) {
	var a *Arena
	if strings.HasSuffix(sc, "-unchecked") {
		a = &Arena{}
	} else {
		a = newChecked()
	}
	p := a.CString("hello, arena")
	fmt.Println("before Free, C sees length", ctest.Strlen(p))
	freeHere(a)
	switch {
	case strings.HasPrefix(sc, "uaf-c"):
		fmt.Println("after Free, C sees length", ctest.Strlen(p))
	case strings.HasPrefix(sc, "uaf-go"):
		fmt.Println("after Free, Go reads byte", *(*byte)(p))
	case strings.HasPrefix(sc, "no-uaf"):
		fmt.Println("not touched after Free")
	}
}

// freeHere is a named frame for the report to point at.
func freeHere(a *Arena) { a.Free() }

func scenario(t *testing.T, name string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CARENA_SCENARIO="+name, "GOTRACEBACK=single")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestCheckedReportsUseAfterFreeInC(t *testing.T) {
	out, err := scenario(t, "uaf-c")
	if err == nil {
		t.Fatalf("use after Free in C did not fail:\n%s", out)
	}
	for _, want := range []string{
		"before Free, C sees length 12",
		"cgoguard/carena: use after Free: address 0x",
		"0 bytes into a block of 4096 bytes",
		"freed at github.com/cgoguard/cgoguard/safe/carena.freeHere (",
		"carena_test.go:",
		"arena created at github.com/cgoguard/cgoguard/safe/carena.runScenario",
		"SIGSEGV", // Go's own report follows ours
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "after Free, C sees") {
		t.Errorf("the stale read returned instead of faulting:\n%s", out)
	}
}

func TestCheckedReportsUseAfterFreeInGo(t *testing.T) {
	out, err := scenario(t, "uaf-go")
	if err == nil {
		t.Fatalf("use after Free in Go did not fail:\n%s", out)
	}
	for _, want := range []string{"cgoguard/carena: use after Free", "freed at github.com/cgoguard/cgoguard/safe/carena.freeHere", "unexpected fault address"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckedQuietWithoutUseAfterFree(t *testing.T) {
	out, err := scenario(t, "no-uaf")
	if err != nil || strings.Contains(out, "use after Free") || !strings.Contains(out, "not touched after Free") {
		t.Fatalf("err=%v, output:\n%s", err, out)
	}
}

// Without checked mode the same bug is silent: the freed chunk is still
// mapped and C reads whatever is there now. This is why the mode exists.
func TestUncheckedUseAfterFreeIsSilent(t *testing.T) {
	skipIfChecked(t)
	out, err := scenario(t, "uaf-c-unchecked")
	if err != nil {
		t.Fatalf("unchecked use after Free crashed (%v); expected it to pass unnoticed:\n%s", err, out)
	}
	if !strings.Contains(out, "after Free, C sees length") || strings.Contains(out, "cgoguard/carena") {
		t.Fatalf("output:\n%s", out)
	}
}

// TestCheckedBuildTag proves that -tags cgoguard_checked switches every arena,
// including the zero Arena, to checked mode: it re-runs this package's checked
// tests in a binary built with the tag.
func TestCheckedBuildTag(t *testing.T) {
	if Checked {
		var a Arena
		a.CString("x")
		if !a.isChecked() {
			t.Fatal("zero Arena is not checked in a cgoguard_checked build")
		}
		a.Free()
		return
	}
	if testing.Short() {
		t.Skip("builds the package a second time")
	}
	cmd := exec.Command("go", "test", "-count=1", "-tags", "cgoguard_checked", "-v", ".")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("checked build: %v\n%s", err, out)
	}
	for _, want := range []string{"--- PASS: TestCheckedBuildTag", "--- PASS: TestCheckedReportsUseAfterFreeInC"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("checked build output lacks %q:\n%s", want, out)
		}
	}
}

// skipIfChecked skips what is specific to the default build: in a
// cgoguard_checked build every arena is checked, mmaps its chunks and keeps
// none across Reset.
func skipIfChecked(t *testing.T) {
	if Checked {
		t.Skip("default-build behaviour; this is a cgoguard_checked build")
	}
}

func TestStringsReachC(t *testing.T) {
	var a Arena
	defer a.Free()
	var ptrs []unsafe.Pointer
	var want []string
	for i := range 300 { // several chunks
		s := strings.Repeat("x", i%40) + fmt.Sprint(i)
		want = append(want, s)
		ptrs = append(ptrs, a.CString(s))
	}
	for i, p := range ptrs {
		if got := ctest.Strlen(p); got != len(want[i]) {
			t.Fatalf("C strlen of string %d = %d, want %d", i, got, len(want[i]))
		}
		if got := unsafe.String((*byte)(p), len(want[i])); got != want[i] {
			t.Fatalf("string %d = %q, want %q", i, got, want[i])
		}
	}
	if a.Len() < 2*DefaultChunkSize {
		t.Fatalf("300 strings fit in %d bytes?", a.Len())
	}
}

func TestBuffersAlignmentAndOversize(t *testing.T) {
	a := NewSize(256)
	defer a.Free()
	a.CString("odd") // misalign the bump pointer
	data := []byte{1, 2, 3, 250}
	p := a.CBytes(data)
	if uintptr(p)%16 != 0 {
		t.Errorf("CBytes not 16-byte aligned: %p", p)
	}
	if got := ctest.Sum(p, len(data)); got != 256 {
		t.Errorf("C sum = %d, want 256", got)
	}
	m := a.Malloc(10)
	if uintptr(m)%16 != 0 {
		t.Errorf("Malloc not aligned: %p", m)
	}
	before := a.Len()
	big := a.Calloc(1000, 8) // oversize: a block of its own
	if a.Len() != before+8000 {
		t.Errorf("oversize Calloc: arena grew %d bytes, want 8000", a.Len()-before)
	}
	for i, b := range unsafe.Slice((*byte)(big), 8000) {
		if b != 0 {
			t.Fatalf("Calloc byte %d = %d", i, b)
		}
	}
	// The current chunk survived the oversize block.
	q := a.Malloc(16)
	if uintptr(q) < uintptr(m) || uintptr(q) >= uintptr(m)+256 {
		t.Errorf("small allocation after oversize left the chunk: %p vs %p", q, m)
	}
	if p0, p1 := a.Malloc(0), a.Malloc(0); p0 == p1 {
		t.Error("two Malloc(0) share a pointer")
	}
}

func TestTypedHelpers(t *testing.T) {
	var a Arena
	defer a.Free()
	r := Alloc[ctest.Record](&a)
	if uintptr(unsafe.Pointer(r))%unsafe.Alignof(*r) != 0 {
		t.Fatalf("misaligned record %p", r)
	}
	ctest.FillRecord(r)
	if got, want := ctest.RecordString(r), `kind=7 num=-42 name="from C" score=2.5 flags=0x81 stamp=1700000000123`; got != want {
		t.Fatalf("record filled by C = %s, want %s", got, want)
	}
	argv := Make[unsafe.Pointer](&a, 3)
	argv[0], argv[1] = a.CString("prog"), a.CString("-v")
	if argv[2] != nil || ctest.Strlen(argv[0]) != 4 {
		t.Fatalf("argv = %v", argv)
	}
	if As[byte](argv[1]) != (*byte)(argv[1]) {
		t.Fatal("As changed the pointer")
	}
}

func TestAllocRejectsGoPointersWhenChecked(t *testing.T) {
	a := newChecked()
	defer a.Free()
	type bad struct {
		n    int
		name string
	}
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(fmt.Sprint(r), "carena.bad.name holds Go pointers") {
			t.Fatalf("recover() = %v", r)
		}
	}()
	Alloc[bad](a)
}

func TestUseOfArenaAfterFreePanics(t *testing.T) {
	var a Arena
	a.CString("x")
	a.Free()
	a.Free() // idempotent
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "after Free") {
			t.Fatalf("recover() = %v", r)
		}
	}()
	a.CString("y")
}

func TestCallocOverflowPanics(t *testing.T) {
	var a Arena
	defer a.Free()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "overflows") {
			t.Fatalf("recover() = %v", r)
		}
	}()
	a.Calloc(1<<40, 1<<40)
}

// Free returns every byte to C: the C heap goes back to where it was. The raw
// pattern without its C.free leaks, and the same measurement shows it.
func TestFreeReleasesCMemory(t *testing.T) {
	if tracker.Tracked() {
		// Under cgoguard test the quarantine keeps freed blocks in use
		// for glibc, so mallinfo cannot show the frees; the tracker
		// checks them itself, block by block.
		tracker.VerifyNone(t)
		for range 100 {
			var a Arena
			for i := range 100 {
				a.CString(fmt.Sprint("string number ", i))
			}
			a.CBytes(make([]byte, 10000))
			a.Free()
		}
		return
	}
	base := ctest.HeapInUse()
	for range 100 {
		var a Arena
		for i := range 100 {
			a.CString(fmt.Sprint("string number ", i))
		}
		a.CBytes(make([]byte, 10000))
		a.Free()
	}
	if d := ctest.HeapInUse() - base; d > 64<<10 {
		t.Errorf("C heap grew by %d bytes after 100 freed arenas", d)
	}
	leaked := make([]unsafe.Pointer, 0, 1000)
	for range 1000 {
		leaked = append(leaked, ctest.RawNewCString("string that nobody frees"))
	}
	if d := ctest.HeapInUse() - base; d < 1000*25 {
		t.Errorf("leaking 1000 C strings grew the heap by only %d bytes: the measurement cannot see leaks", d)
	}
	for _, p := range leaked {
		ctest.RawFree(p)
	}
}

var shortStrings = func() []string {
	ss := make([]string, 16)
	for i := range ss {
		ss[i] = fmt.Sprintf("key-%02d", i)
	}
	return ss
}()

// No Go allocation per CString: a stack Arena with 16 strings allocates
// nothing in Go, and a reused one makes no cgo call either.
func TestNoGoAllocationPerCString(t *testing.T) {
	skipIfChecked(t)
	if n := testing.AllocsPerRun(100, func() { scope16(shortStrings) }); n != 0 {
		t.Errorf("a scope of 16 CStrings made %v Go allocations, want 0", n)
	}
	a := New()
	defer a.Free()
	if n := testing.AllocsPerRun(100, func() {
		for _, s := range shortStrings {
			a.CString(s)
		}
		a.Reset()
	}); n != 0 {
		t.Errorf("Reset loop made %v Go allocations, want 0", n)
	}
}

func TestResetKeepsFirstChunk(t *testing.T) {
	skipIfChecked(t)
	a := New()
	defer a.Free()
	p := a.CString("a")
	for range 50 {
		a.CString(strings.Repeat("b", 900)) // several chunks and oversize blocks
	}
	a.Reset()
	if a.Len() != DefaultChunkSize {
		t.Fatalf("after Reset the arena holds %d bytes, want one chunk", a.Len())
	}
	if q := a.CString("c"); q != p {
		t.Fatalf("Reset did not reuse the first chunk: %p vs %p", q, p)
	}
}

// scope16 is the pattern the benchmarks compare: 16 C strings for one call.
func scope16(ss []string) int {
	var a Arena
	n := 0
	for _, s := range ss {
		n += int(*(*byte)(a.CString(s)))
	}
	a.Free()
	return n
}

var sink int

func BenchmarkScope16(b *testing.B) {
	b.Run("raw-cgo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += ctest.RawCStringScope(shortStrings)
		}
	})
	b.Run("arena", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink += scope16(shortStrings)
		}
	})
	b.Run("arena-reset", func(b *testing.B) {
		b.ReportAllocs()
		a := New()
		defer a.Free()
		for b.Loop() {
			for _, s := range shortStrings {
				sink += int(*(*byte)(a.CString(s)))
			}
			a.Reset()
		}
	})
}
