package tracker

import (
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// The test programs live in testdata/; lines the tracker must name carry a
// "// MARK:name" comment, so the expected file:line comes from the source.

var (
	buildMu  sync.Mutex
	built    = map[string]string{}
	buildDir string
)

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "tracker-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	buildDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// program builds testdata/<dir> (or a ../ path) with extra go build flags,
// once per test run.
func program(t testing.TB, dir string, flags ...string) string {
	t.Helper()
	key := dir + " " + strings.Join(flags, " ")
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[key]; ok {
		return p
	}
	out := filepath.Join(buildDir, fmt.Sprintf("prog-%d", len(built)))
	pkg := "./testdata/" + dir
	if strings.HasPrefix(dir, "../") {
		pkg = dir
	}
	args := append(append([]string{"build", "-o", out}, flags...), pkg)
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	built[key] = out
	return out
}

var marks = map[string]string{}
var marksOnce sync.Once

// mark returns "file:line" of the MARK comment named name.
func mark(t testing.TB, name string) string {
	t.Helper()
	marksOnce.Do(func() {
		files, _ := filepath.Glob("testdata/*/*.go")
		re := regexp.MustCompile(`// MARK:([\w-]+)`)
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				continue
			}
			abs, _ := filepath.Abs(f)
			sc := bufio.NewScanner(fh)
			for n := 1; sc.Scan(); n++ {
				if m := re.FindStringSubmatch(sc.Text()); m != nil {
					marks[m[1]] = fmt.Sprintf("%s:%d", abs, n)
				}
			}
			fh.Close()
		}
	})
	m, ok := marks[name]
	if !ok {
		t.Fatalf("no MARK:%s in testdata", name)
	}
	return m
}

func run(t *testing.T, prog string, o Options, args ...string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out strings.Builder
	if o.Stdout == nil {
		o.Stdout = &out
	}
	if o.Stderr == nil {
		o.Stderr = &out
	}
	res, err := Run(ctx, prog, args, o)
	if err != nil {
		t.Fatalf("Run %s %v: %v\n%s", prog, args, err, out.String())
	}
	if len(res.Reports) == 0 {
		t.Fatalf("no report")
	}
	return res
}

func text(r *Report) string {
	var sb strings.Builder
	r.WriteText(&sb)
	return sb.String()
}

// only returns the single finding of kind in the main report, failing
// the test if there is not exactly one finding in all.
func only(t *testing.T, res *Result, kind string) Finding {
	t.Helper()
	rep := res.Reports[0]
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != kind {
		t.Fatalf("want exactly one %s finding, got %d:\n%s", kind, len(rep.Findings), text(rep))
	}
	return rep.Findings[0]
}

func TestLeakNamesGoLine(t *testing.T) {
	prog := program(t, "prog")
	cases := []struct {
		scenario, mark, via string
		bytes               uint64
	}{
		{"cstring", "cstring", "C.CString", 14},
		{"cstring-drop", "cstring-drop", "C.CString", 8},
		{"cfunc", "cfunc", "C.make_buf", 64},
		{"chain", "chain", "C.grow_chain", 1024},
		{"aligned", "aligned", "C.aligned", 100},
		{"grow", "grow", "C.grow_big", 1<<20 + 2000*512},
		{"strdup", "strdup", "C.dup", 7},
		{"callback", "callback", "C.CString", 48},
	}
	for _, c := range cases {
		t.Run(c.scenario, func(t *testing.T) {
			res := run(t, prog, Options{}, c.scenario)
			f := only(t, res, KindLeak)
			if want := mark(t, c.mark); f.Site != want {
				t.Errorf("site %s, want %s\n%s", f.Site, want, text(res.Reports[0]))
			}
			if f.Alloc.Via != c.via || f.Bytes != c.bytes {
				t.Errorf("via %q, %d bytes; want %q, %d", f.Alloc.Via, f.Bytes, c.via, c.bytes)
			}
			if !strings.Contains(text(res.Reports[0]), "LEAK: ") {
				t.Errorf("text report lacks LEAK")
			}
		})
	}
}

func TestCallbackStackReachesOuterCaller(t *testing.T) {
	res := run(t, program(t, "prog"), Options{}, "callback")
	f := only(t, res, KindLeak)
	if !f.Alloc.Callback || f.Alloc.Truncated {
		t.Fatalf("callback %v truncated %v", f.Alloc.Callback, f.Alloc.Truncated)
	}
	// The Go frames on the far side of the C->Go->C hop: the Go line that
	// called C, and main.main.
	var pos []string
	for _, fr := range f.Alloc.Go {
		pos = append(pos, fr.Pos())
	}
	want := mark(t, "callback-outer")
	if !contains(pos, want) || f.Alloc.Go[len(f.Alloc.Go)-1].Func != "main.main" {
		t.Fatalf("stack %v lacks the outer caller %s or main.main", pos, want)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestFreedIsSilent(t *testing.T) {
	res := run(t, program(t, "prog"), Options{}, "freed")
	rep := res.Reports[0]
	if len(rep.Findings) != 0 {
		t.Fatalf("freed allocations reported:\n%s", text(rep))
	}
	// The scenario made 100 C.CString + 100 C.make_buf + 3 chain calls:
	// the tracker must have seen them, or silence proves nothing.
	if rep.Stats.Allocs < 203 || rep.Stats.Frees < 201 {
		t.Fatalf("tracker saw %d allocs, %d frees; want at least 203, 201", rep.Stats.Allocs, rep.Stats.Frees)
	}
}

func TestDoubleFree(t *testing.T) {
	res := run(t, program(t, "prog"), Options{}, "double-free")
	f := only(t, res, KindDoubleFree)
	for what, got := range map[string]string{
		"df-alloc": f.Alloc.Site().Pos(), "df-free1": f.Free.Site().Pos(), "df-free2": f.SecondFree.Site().Pos(),
	} {
		if want := mark(t, what); got != want {
			t.Errorf("%s at %s, want %s", what, got, want)
		}
	}
	if f.Site != mark(t, "df-free2") || f.Bytes != 6 {
		t.Errorf("site %s, %d bytes", f.Site, f.Bytes)
	}
	if res.ExitCode != 0 {
		t.Errorf("the program must go on after a double free (exit %d)", res.ExitCode)
	}
}

func TestRepeatedDoubleFreeGrouped(t *testing.T) {
	res := run(t, program(t, "prog"), Options{}, "double-free-loop")
	f := only(t, res, KindDoubleFree)
	if f.Count != 100 || f.Site != mark(t, "df-loop") {
		t.Fatalf("count %d at %s, want 100 at %s", f.Count, f.Site, mark(t, "df-loop"))
	}
}

func TestInvalidFree(t *testing.T) {
	res := run(t, program(t, "prog"), Options{}, "invalid-free")
	f := only(t, res, KindInvalidFree)
	if want := mark(t, "invalid"); f.Site != want {
		t.Fatalf("site %s, want %s", f.Site, want)
	}
	if res.ExitCode != 0 {
		t.Errorf("the program must go on after an invalid free (exit %d)", res.ExitCode)
	}
}

func TestWriteAfterFree(t *testing.T) {
	// A small quarantine so the scenario's later frees push the block out
	// and its poison is checked before exit.
	res := run(t, program(t, "prog"), Options{Quarantine: 64 * 256}, "waf")
	f := only(t, res, KindWriteAfterFree)
	if f.Alloc.Site().Pos() != mark(t, "waf-alloc") || f.Free.Site().Pos() != mark(t, "waf-free") {
		t.Fatalf("alloc %s free %s", f.Alloc.Site().Pos(), f.Free.Site().Pos())
	}
	if f.Offset != 3 || f.Bytes != 32 {
		t.Fatalf("offset %d size %d, want byte 3 of 32", f.Offset, f.Bytes)
	}
	// Without poisoning the same run is silent: the check is what finds it.
	res = run(t, program(t, "prog"), Options{Quarantine: 64 * 256, Poison: -1}, "waf")
	if n := len(res.Reports[0].Findings); n != 0 {
		t.Fatalf("poison off: %d findings", n)
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	res := run(t, program(t, "prog"), Options{}, "goroutines")
	f := only(t, res, KindLeak)
	// 8 goroutines x 1000 C.CString, every other one freed.
	if f.Blocks != 4000 || f.Bytes != 4000*11 || f.Site != mark(t, "goroutines") {
		t.Fatalf("%d blocks, %d bytes at %s", f.Blocks, f.Bytes, f.Site)
	}
}

func TestExitPaths(t *testing.T) {
	prog := program(t, "prog")
	for _, c := range []struct {
		how  string
		code int
		sig  syscall.Signal
	}{
		{"exit", 3, 0}, {"panic", 2, 0}, {"kill", -1, syscall.SIGKILL},
	} {
		t.Run(c.how, func(t *testing.T) {
			res := run(t, prog, Options{}, "cstring", c.how)
			if res.ExitCode != c.code || res.Signal != c.sig {
				t.Fatalf("exit %d signal %v, want %d %v", res.ExitCode, res.Signal, c.code, c.sig)
			}
			f := only(t, res, KindLeak)
			if f.Site != mark(t, "cstring") {
				t.Fatalf("site %s", f.Site)
			}
		})
	}
}

func TestChildProcess(t *testing.T) {
	res := run(t, program(t, "prog"), Options{}, "child")
	if len(res.Reports) != 2 || res.Reports[0].Child || !res.Reports[1].Child {
		t.Fatalf("want the program's report and one child's, got %d", len(res.Reports))
	}
	if n := len(res.Reports[0].Findings); n != 0 {
		t.Fatalf("parent: %d findings", n)
	}
	if f := res.Reports[1].Findings; len(f) != 1 || f[0].Site != mark(t, "cstring") {
		t.Fatalf("child: %+v", f)
	}
}

// TestDefaultSuppressions: os/user and the cgo resolver leave glibc's NSS
// caches allocated (measured: 13 blocks for user.Lookup, 3 for
// getaddrinfo here); the default suppressions hide exactly those.
func TestDefaultSuppressions(t *testing.T) {
	prog := program(t, "prog")
	env := append(os.Environ(), "GODEBUG=netdns=cgo")
	res := run(t, prog, Options{Env: env, NoDefaultSuppressions: true}, "nss")
	sites := map[string]bool{}
	for _, f := range res.Reports[0].Findings {
		if f.Kind != KindLeak || len(f.Alloc.Go) == 0 {
			t.Fatalf("unexpected finding:\n%s", text(res.Reports[0]))
		}
		sites[strings.SplitN(f.Alloc.Go[0].Func, ".", 2)[0]] = true
	}
	if len(sites) == 0 {
		t.Skip("this machine's NSS configuration caches nothing: nothing to suppress")
	}
	for s := range sites {
		if s != "os/user" && s != "net" {
			t.Fatalf("NSS leak attributed to %s", s)
		}
	}
	res = run(t, prog, Options{Env: env}, "nss")
	if rep := res.Reports[0]; len(rep.Findings) != 0 || rep.Suppressed == 0 {
		t.Fatalf("default suppressions: %d findings, %d suppressed:\n%s", len(rep.Findings), rep.Suppressed, text(rep))
	}
}

// TestThreadLocalDestructorNodeSuppressed: the list node glibc allocates
// for a C++ thread_local destructor (here registered from C, as libstdc++
// does) lives until the thread exits; by default it is not a leak.
func TestThreadLocalDestructorNodeSuppressed(t *testing.T) {
	prog := program(t, "prog")
	res := run(t, prog, Options{NoDefaultSuppressions: true}, "tlsdtor")
	f := only(t, res, KindLeak)
	if !strings.Contains(text(res.Reports[0]), "__cxa_thread_atexit_impl") {
		t.Fatalf("leak not from __cxa_thread_atexit_impl: %+v\n%s", f, text(res.Reports[0]))
	}
	res = run(t, prog, Options{}, "tlsdtor")
	if rep := res.Reports[0]; len(rep.Findings) != 0 || rep.Suppressed != 1 {
		t.Fatalf("default suppressions: %d findings, %d suppressed:\n%s", len(rep.Findings), rep.Suppressed, text(rep))
	}
}

func TestCThreadNeedsAll(t *testing.T) {
	prog := program(t, "prog")
	// A C thread's malloc has no goroutine, and the thread's TLS vector
	// (allocated by the loader inside C.c_thread_leak) is suppressed.
	res := run(t, prog, Options{}, "cthread")
	if n := len(res.Reports[0].Findings); n != 0 {
		t.Fatalf("default: %d findings:\n%s", n, text(res.Reports[0]))
	}
	res = run(t, prog, Options{All: true, NoDefaultSuppressions: true}, "cthread")
	var sizes []uint64
	for _, f := range res.Reports[0].Findings {
		sizes = append(sizes, f.Bytes)
	}
	found := false
	for _, f := range res.Reports[0].Findings {
		if f.Bytes == 77 && f.Alloc != nil && len(f.Alloc.Go) == 0 && f.Alloc.C != nil && f.Alloc.C.Func == "thread_main" {
			found = true
		}
	}
	if !found {
		t.Fatalf("-all did not report the C thread's 77-byte block (sizes %v):\n%s", sizes, text(res.Reports[0]))
	}
}

func TestLayouts(t *testing.T) {
	cases := []struct {
		name, dir, scenario, mark string
		flags                     []string
	}{
		{"pie", "prog", "cstring", "cstring", []string{"-buildmode=pie"}},
		{"internal-linking", "prog", "cstring", "cstring", []string{"-ldflags=-linkmode=internal"}},
		{"c-tls", "ctls", "", "ctls", nil},
		// The race detector's runtime leaves C allocations to glibc.
		{"race", "prog", "cstring", "cstring", []string{"-race"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prog := program(t, c.dir, c.flags...)
			var args []string
			if c.scenario != "" {
				args = []string{c.scenario}
			}
			res := run(t, prog, Options{}, args...)
			f := only(t, res, KindLeak)
			if f.Site != mark(t, c.mark) {
				t.Fatalf("site %s, want %s", f.Site, mark(t, c.mark))
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	// strip(1) keeps the build ID, so the unstripped file is provably the
	// same build.
	full := program(t, "prog")
	stripped := filepath.Join(buildDir, "prog-stripped")
	if msg, err := exec.Command("strip", "-o", stripped, full).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, msg)
	}
	_, err := Inspect(stripped, "")
	if err == nil || !strings.Contains(err.Error(), "--symbols") {
		t.Fatalf("stripped binary: err %v, want a hint about --symbols", err)
	}
	// With its unstripped twin it works and names the line.
	res := run(t, stripped, Options{Symbols: full}, "cstring")
	if f := only(t, res, KindLeak); f.Site != mark(t, "cstring") {
		t.Fatalf("site %s", f.Site)
	}
	// A different build as --symbols is refused.
	other := program(t, "prog", "-ldflags=-s -w")
	if _, err := Inspect(stripped, other); err == nil || !strings.Contains(err.Error(), "not the same build") {
		t.Fatalf("mismatched --symbols: %v", err)
	}
	// Sanitizer builds bring their own allocator.
	if _, err := Inspect(program(t, "prog", "-asan"), ""); err == nil || !strings.Contains(err.Error(), "-asan") {
		t.Fatalf("-asan binary: %v", err)
	}
	// Go programs without cgo are static: nothing to interpose.
	nocgo := filepath.Join(buildDir, "nocgo")
	cmd := exec.Command("go", "build", "-o", nocgo, "./testdata/nocgo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	if _, err := Inspect(nocgo, ""); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") || !errors.Is(err, ErrNoCgo) {
		t.Fatalf("cgo-less binary: %v", err)
	}
	// The same program with CGO_ENABLED=1 is static too, without runtime/cgo.
	cmd = exec.Command("go", "build", "-o", nocgo+"1", "./testdata/nocgo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	if _, err := Inspect(nocgo+"1", ""); !errors.Is(err, ErrNoCgo) {
		t.Fatalf("pure-Go binary built with CGO_ENABLED=1: %v", err)
	}
	// A cgo program linked with -static has runtime/cgo: a refusal, not ErrNoCgo.
	static := program(t, "prog", "-ldflags=-linkmode=external -extldflags=-static")
	if _, err := Inspect(static, ""); err == nil || errors.Is(err, ErrNoCgo) || !strings.Contains(err.Error(), "statically linked") {
		t.Fatalf("static cgo binary: %v", err)
	}
}

func TestGoVersionGate(t *testing.T) {
	for v, ok := range map[string]bool{"go1.22.5": false, "go1.23.0": true, "go1.26.8": true, "go1.24rc1": true, "devel go1.27-abc": true, "go2": false} {
		if err := checkGoVersion(v); (err == nil) != ok {
			t.Errorf("%s: err %v, want ok=%v", v, err, ok)
		}
	}
	if err := checkGoVersion("go1.22.5"); err == nil || !strings.Contains(err.Error(), "Go 1.23") {
		t.Errorf("refusal must name the minimum version: %v", err)
	}
	if runtime.GOARCH != "amd64" || runtime.GOOS != "linux" {
		t.Skip("linux/amd64 only")
	}
}

// TestStress: 8 threads x 10^6 iterations of mixed allocations and frees,
// every 1000th block leaked with a size that names its thread. A lost record
// would lower the count, a torn one change the bytes or split the site, a
// misattributed one move it to another line; a race in the free path would
// show up as a false double or invalid free.
func TestStress(t *testing.T) {
	if testing.Short() {
		t.Skip("16 million allocator calls")
	}
	res := run(t, program(t, "prog"), Options{Env: append(os.Environ(), "STRESS_N=1000000")}, "stress")
	f := only(t, res, KindLeak)
	// 1000 blocks per thread; thread g's are 100+g bytes.
	if f.Blocks != 8000 || f.Bytes != 1000*(100+101+102+103+104+105+106+107) || f.Site != mark(t, "stress-leak") {
		t.Fatalf("%d blocks, %d bytes at %s; want 8000, 828000 at %s", f.Blocks, f.Bytes, f.Site, mark(t, "stress-leak"))
	}
	if s := res.Reports[0].Stats; s.Allocs < 8_000_000 || s.Frees < 7_992_000 {
		t.Fatalf("tracker saw %d allocs, %d frees; want >= 8e6, 7.992e6", s.Allocs, s.Frees)
	}
}

func TestProfile(t *testing.T) {
	res := run(t, program(t, "prog"), Options{Profile: true}, "goroutines")
	if res.Profile == nil {
		t.Fatal("no profile")
	}
	var buf strings.Builder
	if err := res.Profile.WritePprof(&buf); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Parse(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("pprof cannot read it back: %v", err)
	}
	want := mark(t, "goroutines")
	found := false
	for _, s := range p.Sample {
		for _, l := range s.Location {
			for _, ln := range l.Line {
				if fmt.Sprintf("%s:%d", ln.Function.Filename, ln.Line) == want {
					// 8 goroutines x 1000 C.CString of 11 bytes; half freed.
					if s.Value[0] != 8000 || s.Value[1] != 88000 || s.Value[2] != 4000 || s.Value[3] != 44000 {
						t.Errorf("sample values %v, want [8000 88000 4000 44000]", s.Value)
					}
					if s.Location[0].Line[0].Function.Name != "C.CString" {
						t.Errorf("leaf %s, want C.CString", s.Location[0].Line[0].Function.Name)
					}
					found = true
				}
			}
		}
	}
	if !found {
		t.Fatalf("no sample at %s", want)
	}
}

// TestSampleRate runs with one block per 4 KiB sampled: the leaking site
// is still found at its Go line, the profile scales the sampled counts
// back to the true ones (2,000,000 bytes in 20,000 blocks; about 490
// samples, so 4.5% standard error: 25% is more than 5 sigma), the freed
// site, whose frees mostly meet unsampled blocks, reports nothing, and no
// free of an unsampled block is called invalid.
func TestSampleRate(t *testing.T) {
	res := run(t, program(t, "prog"), Options{SampleRate: 4096, Profile: true}, "sampled")
	rep := res.Reports[0]
	f := only(t, res, KindLeak)
	if want := mark(t, "sampled"); f.Site != want {
		t.Fatalf("site %s, want %s\n%s", f.Site, want, text(rep))
	}
	if rep.SampleRate != 4096 || !strings.Contains(text(rep), "sampled run") {
		t.Errorf("report does not say it is sampled (rate %d):\n%s", rep.SampleRate, text(rep))
	}
	// 220,000 blocks allocated in all: a sample is far fewer.
	if rep.Stats.Allocs > 20000 || f.Blocks == 0 || f.Blocks > 2000 {
		t.Errorf("%d blocks tracked, %d leaked blocks reported: not a sample", rep.Stats.Allocs, f.Blocks)
	}
	p := res.Profile.Profile()
	if p.Period != 4096 {
		t.Errorf("profile period %d, want 4096", p.Period)
	}
	want := mark(t, "sampled")
	found := false
	for _, s := range p.Sample {
		for _, l := range s.Location {
			for _, ln := range l.Line {
				if fmt.Sprintf("%s:%d", ln.Function.Filename, ln.Line) != want {
					continue
				}
				found = true
				objs, bytes := s.Value[2], s.Value[3]
				if objs < 15000 || objs > 25000 || bytes < 1500000 || bytes > 2500000 {
					t.Errorf("scaled in-use %d blocks, %d bytes; want about 20,000 and 2,000,000", objs, bytes)
				}
			}
		}
	}
	if !found {
		t.Fatalf("no profile sample at %s", want)
	}
}

// TestScale checks the sampling correction against a case worked by hand:
// 100-byte blocks at rate 100 are each sampled with probability 1-1/e.
func TestScale(t *testing.T) {
	objs, bytes := scale(632, 63200, 100)
	if objs < 999 || objs > 1000 || bytes < 99900 || bytes > 100100 {
		t.Errorf("scale(632, 63200, 100) = %d, %d; want about 1000, 100000", objs, bytes)
	}
	if o, b := scale(5, 500, 0); o != 5 || b != 500 {
		t.Errorf("rate 0 must not scale: %d, %d", o, b)
	}
}

// TestLoadSuppressions: comments and kinds are read; a pattern that would
// silently hide more than meant is refused with its line.
func TestLoadSuppressions(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "s.supp")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pats, err := LoadSuppressions(write("# glibc\nleak:(libc.so.6)  # caches\n\nmain.go:12\ndouble-free:mypkg.Close\n"))
	if err != nil || strings.Join(pats, "|") != "leak:(libc.so.6)|main.go:12|double-free:mypkg.Close" {
		t.Fatalf("LoadSuppressions = %q, %v", pats, err)
	}
	for body, want := range map[string]string{
		"main.main\nleak:\n":    "s.supp:2: \"leak:\" has no pattern after the kind",
		"lek:mypkg.Open\n":      "s.supp:1: unknown kind \"lek\"",
		"write-after-free:  \n": "no pattern after the kind",
	} {
		if _, err := LoadSuppressions(write(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", body, err, want)
		}
	}
	for _, p := range DefaultSuppressions {
		if err := checkSuppression(p); err != nil {
			t.Errorf("default suppression %q: %v", p, err)
		}
	}
}

// TestLibcInternalsNamed: with libc's detached debug symbols installed
// (libc6-dbg, which scripts/apt-packages.txt installs), the C caller of an
// allocation glibc makes internally has a name, so a suppression can be
// precise: here the message of a failed dlopen, suppressed by default.
func TestLibcInternalsNamed(t *testing.T) {
	libc, err := elf.Open("/lib/x86_64-linux-gnu/libc.so.6")
	if err != nil {
		t.Skipf("no glibc here: %v", err)
	}
	dbg := debugFile(libc)
	libc.Close()
	if dbg == nil {
		t.Skip("libc's debug symbols (libc6-dbg) are not installed")
	}
	dbg.Close()
	prog := program(t, "prog")
	// Two blocks: the message (allocated in ld.so, which has its symbols)
	// and libc's per-thread record of it (an internal function of libc).
	res := run(t, prog, Options{NoDefaultSuppressions: true}, "dlfail")
	var named bool
	for _, f := range res.Reports[0].Findings {
		if want := mark(t, "dlfail"); f.Kind != KindLeak || f.Site != want {
			t.Fatalf("finding %s at %s, want leaks at %s", f.Kind, f.Site, want)
		}
		if c := f.Alloc.C; c != nil && c.Func == "_dlerror_run (libc.so.6)" {
			named = true
		}
	}
	if !named {
		t.Fatalf("no leak with C caller _dlerror_run (libc.so.6):\n%s", text(res.Reports[0]))
	}
	res = run(t, prog, Options{}, "dlfail")
	if rep := res.Reports[0]; len(rep.Findings) != 0 || rep.Suppressed != 2 {
		t.Fatalf("default suppressions: %d findings, %d suppressed:\n%s", len(rep.Findings), rep.Suppressed, text(rep))
	}
}
