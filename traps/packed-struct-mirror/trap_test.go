package packedstructmirror

import (
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/traps/internal/trapt"
)

// TestEffect reads the same C memory through a hand-written mirror (bad) and
// through C's own offsets (good). The bad values are exact: each is the bytes
// that sit at Go's offset in C's packed layout.
func TestEffect(t *testing.T) {
	bad := trapt.Run(t, trapt.Build(t, "bad"))
	good := trapt.Run(t, trapt.Build(t, "good"))
	if bad.ExitCode != 0 || good.ExitCode != 0 {
		t.Fatalf("bad: %v\ngood: %v", bad, good)
	}
	truth := map[string]int64{
		"pkt0_flag": 1, "pkt0_id": 1000, "pkt0_len": 64,
		"pkt1_flag": 2, "pkt1_id": 2000, "pkt1_len": 128,
		"hdr_tag": 7, "hdr_stamp": 1700000000, "hdr_ver": 3,
		"rec0_kind": 1, "rec0_value": 1000, "rec1_kind": 2, "rec1_value": 2000,
	}
	// What the mirror reads, derived from C's bytes (little-endian):
	// packets at 0,7,14: [01][e8 03 00 00][40 00] [02][d0 07 00 00][80 00] [03][b8 0b 00 00][00 01]
	wrong := map[string]int64{
		"pkt0_id":   0x02004000, // bytes 4..7: id's top byte, len (40 00), next packet's flag
		"pkt0_len":  2000,       // bytes 8..9: the low half of packet 1's id
		"pkt1_flag": 128,        // byte 12: packet 1's len, because the mirror's stride is 12, not 7
		"pkt1_id":   11,         // bytes 16..19: the upper bytes of packet 2's id (3000 = 0x0bb8)
		"pkt1_len":  1,          // bytes 20..21: the high byte of packet 2's len (256)
		// hdr_t under pack(2) is tag@0 stamp@2 ver@10; the mirror reads stamp@8, ver@16.
		"hdr_stamp": 3 << 16, // bytes 8..15: stamp's zero top bytes, then ver (3) at byte 10
		"hdr_ver":   0,       // byte 16: past the 12-byte C header
		// rec_t is kind@0 value@8 (16 bytes); the mirror reads value@4, stride 8.
		"rec0_value": 0,   // the padding C inserted before value
		"rec1_kind":  232, // byte 8: the low byte of 1000 (0x3e8)
		"rec1_value": 0,   // bytes 12..15: padding
	}
	for _, k := range slices.Sorted(maps.Keys(truth)) {
		want := truth[k]
		if got := good.Int(t, k); got != want {
			t.Errorf("good: %s=%d, want %d", k, got, want)
		}
		b := bad.Int(t, k)
		if w, isWrong := wrong[k]; isWrong {
			if b != w {
				t.Errorf("bad: %s=%d, want the misread %d", k, b, w)
			}
			if b == want {
				t.Errorf("bad: %s read right (%d): the mirror should misplace it", k, b)
			}
			t.Logf("%s: C holds %d, the mirror reads %d", k, want, b)
		} else if b != want {
			// Fields before the first misplaced one (offset 0) are read right.
			t.Errorf("bad: %s=%d, want %d (offset 0 agrees in both layouts)", k, b, want)
		}
	}
	// Go's natural alignment pads the packed structs and under-aligns the over-aligned one.
	for _, s := range []struct {
		name      string
		goSz, cSz int64
	}{{"packet", 12, 7}, {"hdr", 24, 12}, {"rec", 8, 16}} {
		g, c := bad.Int(t, "go_sizeof_"+s.name), bad.Int(t, "c_sizeof_"+s.name)
		if g != s.goSz || c != s.cSz {
			t.Errorf("%s: Go mirror %d bytes, C %d; want %d and %d", s.name, g, c, s.goSz, s.cSz)
		}
	}
	if good.Int(t, "layout_ok") != 1 {
		t.Errorf("good: layout check did not pass")
	}
}

// TestCgoDropsMisalignedFields shows that cgo's own type cannot be used for
// packed fields either: cmd/cgo turns them into padding, so the program does
// not compile.
func TestCgoDropsMisalignedFields(t *testing.T) {
	cmd := exec.Command("go", "build", "-o", t.TempDir()+"/fa", "./testdata/fieldaccess")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("testdata/fieldaccess compiled; cgo was expected to drop packet_t.id, packet_t.len and hdr_t.stamp")
	}
	for _, f := range []string{"p.id undefined", "p.len undefined", "h.stamp undefined"} {
		if !strings.Contains(string(out), f) {
			t.Errorf("build output lacks %q:\n%s", f, out)
		}
	}
	for _, f := range []string{"p.flag", "h.tag", "h.ver"} {
		if strings.Contains(string(out), f+" undefined") {
			t.Errorf("aligned field %s was dropped too:\n%s", f, out)
		}
	}
	t.Logf("go build ./testdata/fieldaccess:\n%s", out)
}
