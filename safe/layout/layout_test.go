package layout

//lint:file-ignore U1000 test types are read through reflection only

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/safe/internal/ctest"
)

type fakeT struct{ errs []string }

func (f *fakeT) Helper()           {}
func (f *fakeT) Error(args ...any) { f.errs = append(f.errs, fmt.Sprint(args...)) }

// The mirror that cgo -godefs wrote matches the cgo type, and the cgo type
// matches the C compiler's sizeof.
func TestGeneratedMirrorMatches(t *testing.T) {
	Check(t, ctest.RecordMirror{}, ctest.Record{})
	if s := int(unsafeSizeof[ctest.Record]()); s != ctest.SizeofRecord {
		t.Fatalf("cgo type is %d bytes, C sizeof %d", s, ctest.SizeofRecord)
	}
}

// The generated mirror is what cgo -godefs produces from today's header.
func TestGeneratedMirrorIsUpToDate(t *testing.T) {
	dir := filepath.Join("..", "internal", "ctest")
	cmd := exec.Command("go", "tool", "cgo", "-godefs", "-objdir", t.TempDir(), "godefs_input.go")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cgo -godefs: %v\n%s", err, stderr.String())
	}
	fresh, err := format.Source(out)
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(filepath.Join(dir, "zmirror_linux_amd64.go"))
	if err != nil {
		t.Fatal(err)
	}
	// Line 2 records the command line, which names the temporary objdir.
	dropCmd := func(b []byte) string {
		lines := strings.Split(string(b), "\n")
		return strings.Join(append(lines[:1:1], lines[2:]...), "\n")
	}
	if dropCmd(fresh) != dropCmd(have) {
		t.Fatalf("zmirror_linux_amd64.go is stale; run go generate in %s. Fresh output:\n%s", dir, fresh)
	}
}

// A hand-written mirror with the classic mistakes: Go int for C int, float32
// for double, a field forgotten.
type badRecord struct {
	Kind  uint8
	Num   int
	Name  [16]byte
	Score float32
	Stamp int64
}

func TestWrongMirrorIsReported(t *testing.T) {
	ft := &fakeT{}
	if Check(ft, badRecord{}, &ctest.Record{}) || len(ft.errs) != 1 {
		t.Fatalf("Check passed a wrong mirror: %v", ft.errs)
	}
	msg := ft.errs[0]
	t.Logf("the report:\n%s", msg)
	for _, want := range []string{
		"layout: Go layout.badRecord does not match C struct ctest_record:",
		"size: Go 48 bytes, C 48 bytes", // not reported: sizes happen to agree
		"Num: Go size 8 (int), C size 4 (id_num C.int)",
		"Name: Go offset 16, C offset 8 (id_name)",
		"Score: Go size 4 (float32), C size 8 (id_score C.double)",
		"Stamp: Go offset 40, C offset 40",
		"C field id_flags (offset 32, size 1) has no Go counterpart",
		"✗   Num       8       8     int          id_num    4       4     C.int",
	} {
		has := strings.Contains(msg, want)
		if strings.HasPrefix(want, "size:") || strings.HasPrefix(want, "Stamp:") {
			if has {
				t.Errorf("report has %q, which is not a difference", want)
			}
			continue
		}
		if !has {
			t.Errorf("report lacks %q", want)
		}
	}
}

// A field named differently is matched with Map; one left out on purpose
// with IgnoreC. Same size, wrong kind is still caught.
type renamed struct {
	Kind       uint8
	Identifier int32
	Name       [16]int8
	Score      int64 // right size, wrong kind
	Flags      uint8
	Stamp      int64
}

func TestMapAndKinds(t *testing.T) {
	err := Compare(renamed{}, ctest.Record{}, Map("Identifier", "id_num"))
	if err == nil || !strings.Contains(err.Error(), "Score: Go int64 is an integer, C id_score is a float") {
		t.Fatalf("Compare = %v", err)
	}
	type partial struct {
		Kind uint8
		Num  int32
		Name [16]int8
	}
	err = Compare(partial{}, ctest.Record{}, IgnoreC("id_score"), IgnoreC("id_flags"), IgnoreC("id_stamp"))
	if err == nil || strings.Contains(err.Error(), "no Go counterpart") || !strings.Contains(err.Error(), "size: Go 24 bytes, C 48 bytes") {
		t.Fatalf("partial: %v", err)
	}
}

// The packed struct: cgo turns its misaligned fields into padding, and no Go
// struct can reproduce them (Go has no //go:pack).
type packedMirror struct {
	Flag uint8
	ID   uint32
	Len  uint16
}

func TestPackedStructCannotBeMirrored(t *testing.T) {
	err := Compare(packedMirror{}, ctest.Packed{})
	if err == nil {
		t.Fatal("a Go struct matched a packed C struct")
	}
	for _, want := range []string{
		"size: Go 12 bytes, C 7 bytes",
		"alignment: Go 4, C 1",
		"Go field ID (offset 4) lies in padding that cgo put where it could not represent C fields (offsets 1-6",
		"(cgo padding)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report lacks %q:\n%v", want, err)
		}
	}
	if ctest.SizeofPacked != 7 {
		t.Fatalf("C sizeof = %d", ctest.SizeofPacked)
	}
}

type hdr struct {
	Kind uint16
	Len  uint16
}
type chdr struct {
	kind uint16
	len  uint32
}

func TestNestedStructs(t *testing.T) {
	type goMsg struct {
		Hdr  hdr
		Body [8]byte
	}
	type cMsg struct {
		hdr  chdr
		body [8]byte
	}
	err := Compare(goMsg{}, cMsg{})
	if err == nil || !strings.Contains(err.Error(), "Hdr: Go size 4 (layout.hdr), C size 8") {
		t.Fatalf("nested: %v", err)
	}
	type cMsgOK struct {
		hdr  hdr
		body [8]byte
	}
	if err := Compare(&goMsg{}, cMsgOK{}); err != nil {
		t.Fatal(err)
	}
	type cMsgSwapped struct {
		hdr struct {
			len  uint16
			kind uint16
		}
		body [8]byte
	}
	err = Compare(goMsg{}, cMsgSwapped{})
	if err == nil || !strings.Contains(err.Error(), "Hdr.Kind: Go offset 0, C offset 2 (hdr.kind)") {
		t.Fatalf("nested swapped: %v", err)
	}
	if err := Compare(1, cMsg{}); err == nil {
		t.Fatal("non-struct accepted")
	}
}

func TestCommonPrefix(t *testing.T) {
	type timespec struct{ tv_sec, tv_nsec int64 }
	type goTimespec struct{ Sec, Nsec int64 }
	if err := Compare(goTimespec{}, timespec{}); err != nil {
		t.Fatal(err)
	}
}
