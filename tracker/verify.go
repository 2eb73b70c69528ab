package tracker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// ErrNotTracked is returned by Mark when the process does not run under the
// tracker (cgoguard test or cgoguard run), whose interposer keeps the
// records the in-process checks read.
var ErrNotTracked = errors.New("not running under the cgoguard tracker (use cgoguard test)")

// TestingT is the part of testing.TB that VerifyNone uses.
type TestingT interface {
	Helper()
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
}

// VerifyNone checks that the C blocks that Go code allocates from now until
// the end of the test are all freed by then. Call it at the start of a test:
//
//	func TestParse(t *testing.T) {
//		tracker.VerifyNone(t)
//		...
//	}
//
// Each leak fails the test with the Go stack that allocated it. The check
// needs the tracker's interposer in the process, which cgoguard test
// provides; under a plain go test it logs that and checks nothing. It costs
// nothing until called. Like goleak, it cannot tell tests apart that run in
// parallel: blocks allocated by a parallel test count too.
func VerifyNone(t TestingT) {
	t.Helper()
	m, err := Mark()
	if err != nil {
		if errors.Is(err, ErrNotTracked) {
			t.Logf("tracker.VerifyNone: %v; C leaks not checked", err)
			return
		}
		t.Errorf("tracker.VerifyNone: %v", err)
		return
	}
	t.Cleanup(func() {
		t.Helper()
		fs, err := m.Leaks()
		if err != nil {
			t.Errorf("tracker.VerifyNone: %v", err)
			return
		}
		for _, f := range fs {
			var sb strings.Builder
			(&Report{Findings: []Finding{f}}).writeFinding(&sb, f)
			t.Errorf("C memory leaked by this test:\n%s", sb.String())
		}
	})
}

// Marker is a point in the run; Leaks reports the blocks allocated since.
type Marker struct {
	path  string
	epoch uint32
}

var (
	selfOnce sync.Once
	selfSym  *Symbolizer
	selfErr  error
)

// recordPath is this process's record file, or "" when the process does
// not run under the tracker.
func recordPath() string {
	dir := os.Getenv("CGOGUARD_DIR")
	if dir == "" || !strings.Contains(os.Getenv("LD_PRELOAD"), "tracker-") {
		return ""
	}
	return filepath.Join(dir, "trk."+strconv.Itoa(os.Getpid()))
}

// Tracked reports whether this process runs under the tracker's
// interposer. Tests that measure the C heap with glibc's own statistics
// need it: the tracker's quarantine holds freed blocks back, so glibc
// counts them as in use until they leave it.
func Tracked() bool {
	p := recordPath()
	if p == "" {
		return false
	}
	_, err := os.Stat(p) // absent when the interposer declined this binary
	return err == nil
}

// Mark starts a new epoch in this process's tracker records.
func Mark() (*Marker, error) {
	path := recordPath()
	if path == "" {
		return nil, ErrNotTracked
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, ErrNotTracked // the interposer declined this binary
		}
		return nil, err
	}
	defer f.Close()
	hdr, err := syscall.Mmap(int(f.Fd()), 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	defer syscall.Munmap(hdr)
	if string(hdr[:8]) != recMagic {
		return nil, fmt.Errorf("%s: not a tracker record file", path)
	}
	// The interposer stamps each block with the epoch current at its
	// allocation (header offset 88).
	e := atomic.AddUint64((*uint64)(unsafe.Pointer(&hdr[88])), 1)
	return &Marker{path: path, epoch: uint32(e)}, nil
}

// Leaks returns, grouped by allocation site, the blocks that Go code
// allocated since m and that are still allocated, with the default
// suppressions applied.
func (m *Marker) Leaks() ([]Finding, error) {
	selfOnce.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			selfErr = err
			return
		}
		selfSym, selfErr = NewSymbolizer(exe)
	})
	if selfErr != nil {
		return nil, selfErr
	}
	rec, err := readRecords(m.path)
	if err != nil {
		return nil, err
	}
	rec.Errs = nil // bad frees are the exit report's
	b := &builder{sym: selfSym, rec: rec, memo: map[uint32]*Stack{}}
	b.libs.maps = rec.Maps
	rep := b.reportFiltered("", DefaultSuppressions, false, func(n *rawNode) bool {
		return n.AStack != 0 && n.Epoch >= m.epoch
	})
	return rep.Findings, nil
}
