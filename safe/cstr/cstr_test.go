package cstr

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unsafe"

	"github.com/cgoguard/cgoguard/safe/internal/ctest"
)

func TestMain(m *testing.M) {
	if os.Getenv("CSTR_SCENARIO") == "gostring-unterminated" {
		// 8 bytes with no NUL, right before an inaccessible page.
		p := ctest.Guarded(8)
		println("read", len(ctest.RawGoString(p)), "bytes")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The trap: C.GoString on an unterminated buffer reads past it; here the next
// page is inaccessible, so it faults (elsewhere it silently returns garbage).
func TestGoStringReadsPastUnterminatedBuffer(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CSTR_SCENARIO=gostring-unterminated")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "SIGSEGV") {
		t.Fatalf("C.GoString on an unterminated guarded buffer: err=%v\n%s", err, out)
	}
}

// The fix: String stops at the capacity, right at the guard page.
func TestStringStaysInsideCapacity(t *testing.T) {
	for _, n := range []int{1, 7, 8, 15, 16, 31, 32, 33, 100, 4096} {
		p := ctest.Guarded(n)
		s, ok := StringOK(p, n)
		if ok || s != strings.Repeat("x", n) {
			t.Errorf("n=%d: StringOK = %d bytes, %v; want all %d, false", n, len(s), ok, n)
		}
		// Terminated within the buffer.
		*(*byte)(unsafe.Add(p, n/2)) = 0
		if s, ok := StringOK(p, n); !ok || s != strings.Repeat("x", n/2) {
			t.Errorf("n=%d: StringOK = %q, %v", n, s, ok)
		}
		ctest.FreeGuarded(p, n)
	}
	if s := String(nil, 10); s != "" {
		t.Errorf("String(nil) = %q", s)
	}
}

// The trap: C.GoStringN copies the whole capacity, NUL and leftovers included.
// FromChars stops at the NUL.
func TestFixedArray(t *testing.T) {
	var r ctest.Record
	name := ctest.RecordName(&r)
	for i := range name {
		name[i] = 'Z' // leftovers from an earlier, longer name
	}
	ctest.FillRecord(&r) // writes "from C\0" into char id_name[16]
	raw := ctest.RawGoStringN(unsafe.Pointer(&name[0]), len(name))
	if raw != "from C\x00ZZZZZZZZZ" {
		t.Fatalf("C.GoStringN = %q; the trap did not show", raw)
	}
	if got := FromChars(name); got != "from C" {
		t.Fatalf("FromChars = %q, want %q", got, "from C")
	}
	// No NUL at all: the whole array, and nothing past it.
	for i := range name {
		name[i] = 'y'
	}
	if got := FromChars(name); got != strings.Repeat("y", 16) {
		t.Fatalf("unterminated FromChars = %q", got)
	}
	if FromChars([]byte{}) != "" {
		t.Fatal("empty array")
	}
}

func TestToChars(t *testing.T) {
	var r ctest.Record
	name := ctest.RecordName(&r)
	if err := ToChars(name, "gopher"); err != nil {
		t.Fatal(err)
	}
	if n := ctest.Strlen(unsafe.Pointer(&name[0])); n != 6 {
		t.Fatalf("C strlen = %d", n)
	}
	long := strings.Repeat("abcdefgh", 4)
	if err := ToChars(name, long); !errors.Is(err, ErrTruncated) {
		t.Fatalf("long string: %v", err)
	}
	if got := FromChars(name); got != long[:15] {
		t.Fatalf("truncated to %q", got)
	}
	if err := ToChars(name, "a\x00b"); !errors.Is(err, ErrNUL) || FromChars(name) != "" {
		t.Fatalf("embedded NUL: %v, %q", err, FromChars(name))
	}
	// Exactly at the guard page: writing len-1 bytes and the NUL must not fault.
	p := ctest.Guarded(4)
	defer ctest.FreeGuarded(p, 4)
	if err := CopyTo(p, 4, "abcdef"); !errors.Is(err, ErrTruncated) || String(p, 4) != "abc" {
		t.Fatalf("CopyTo guarded: %v %q", err, String(p, 4))
	}
}

func TestBytesAndStringN(t *testing.T) {
	p := ctest.Guarded(5)
	defer ctest.FreeGuarded(p, 5)
	copy(unsafe.Slice((*byte)(p), 5), "a\x00b\x00c")
	if b := Bytes(p, 5); string(b) != "a\x00b\x00c" {
		t.Fatalf("Bytes = %q", b)
	}
	if s := StringN(p, 5); s != "a\x00b\x00c" {
		t.Fatalf("StringN = %q", s)
	}
	b := Bytes(p, 5)
	b[0] = 'z' // a copy: C memory untouched
	if *(*byte)(p) != 'a' {
		t.Fatal("Bytes aliases C memory")
	}
	for _, f := range []func(){
		func() { Bytes(nil, 3) },
		func() { StringN(p, -1) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(r.(string), "cstr.") {
					t.Errorf("recover() = %v", r)
				}
			}()
			f()
		}()
	}
}

var sinkS string

func BenchmarkString16(b *testing.B) {
	p := ctest.RawNewCString("sixteen chars!!!")
	defer ctest.RawFree(p)
	b.Run("raw-C.GoString", func(b *testing.B) {
		for b.Loop() {
			sinkS = ctest.RawGoString(p)
		}
	})
	b.Run("cstr.String", func(b *testing.B) {
		for b.Loop() {
			sinkS = String(p, 64)
		}
	})
}

func BenchmarkFixedArray(b *testing.B) {
	var r ctest.Record
	ctest.FillRecord(&r)
	name := ctest.RecordName(&r)
	b.Run("raw-C.GoStringN-then-cut", func(b *testing.B) {
		for b.Loop() {
			s := ctest.RawGoStringN(unsafe.Pointer(&name[0]), len(name))
			if i := strings.IndexByte(s, 0); i >= 0 {
				s = s[:i]
			}
			sinkS = s
		}
	})
	b.Run("cstr.FromChars", func(b *testing.B) {
		for b.Loop() {
			sinkS = FromChars(name)
		}
	})
}
