// Package tracker is cgoguard's run-time C-memory tracker. It runs a cgo
// program with an LD_PRELOAD interposer on the malloc family (package
// preload) and reports every C block leaked, freed twice, freed while not
// allocated, or written after free, with the Go stack (file:line) of the
// goroutine whose C call allocated or freed it.
//
// The interposer reads the goroutine from thread-local storage using offsets
// that Inspect computes from the target binary, walks its frame pointers,
// and writes records to a shared file mapping that Run reads after the
// process ends, so reports survive os.Exit, panics and SIGKILL.
package tracker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/cgoguard/cgoguard/tracker/preload"
)

// Defaults for Options.
const (
	DefaultQuarantine = 16 << 20 // bytes of freed blocks held back to catch double frees
	DefaultPoison     = 4096     // bytes of each freed block poisoned to catch writes after free
	DefaultDepth      = 64       // Go frames recorded per stack
)

// Options configure Run.
type Options struct {
	// Symbols names an unstripped build of the program when the program
	// itself is stripped.
	Symbols string
	// Quarantine is the number of bytes of freed blocks held back before
	// they are really freed, to recognise double frees and writes after
	// free. 0 means DefaultQuarantine; negative disables the quarantine.
	Quarantine int64
	// Poison is how many bytes of each freed block are poisoned and checked
	// when it leaves the quarantine. 0 means DefaultPoison; negative disables.
	Poison int64
	// Depth limits the Go frames recorded per stack (0: DefaultDepth, max 64).
	Depth int
	// Profile counts allocations per stack for a C-heap profile.
	Profile bool
	// SampleRate, when positive, tracks only a sample of the allocations:
	// on average one block per SampleRate bytes allocated, drawn like
	// runtime.MemProfileRate's samples. For long runs and profiles: the
	// cost of the untracked blocks is close to nothing, leaks are found
	// with a probability that grows with the bytes a site leaks, double
	// frees and writes after free only for sampled blocks, and invalid
	// frees are not reported (an unknown pointer may be an unsampled
	// block). 0 tracks every block.
	SampleRate int64
	// Suppressions are patterns (see LoadSuppressions); DefaultSuppressions
	// are added unless NoDefaultSuppressions.
	Suppressions          []string
	NoDefaultSuppressions bool
	// All also reports blocks allocated outside a goroutine's cgo call (C
	// threads, library start-up), which have no Go stack.
	All bool
	// Dir keeps the record files there instead of a temporary directory.
	Dir string
	// Stdin, Stdout and Stderr of the program (nil: none, discarded).
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Env is the program's environment (nil: this process's).
	Env []string
}

func (o *Options) quarantine() int64 {
	switch {
	case o.Quarantine == 0:
		return DefaultQuarantine
	case o.Quarantine < 0:
		return 0
	}
	return o.Quarantine
}

func (o *Options) poison() int64 {
	switch {
	case o.Poison == 0:
		return DefaultPoison
	case o.Poison < 0:
		return 0
	}
	return o.Poison
}

func (o *Options) depth() int {
	if o.Depth <= 0 || o.Depth > DefaultDepth {
		return DefaultDepth
	}
	return o.Depth
}

// Result is the outcome of Run.
type Result struct {
	// ExitCode is the program's exit status, -1 when a signal killed it.
	ExitCode int
	// Signal is the signal that killed the program, if one did.
	Signal syscall.Signal
	// Reports has one report per process that ran the binary: the program
	// first, then children that re-executed it.
	Reports []*Report
	// Profile holds the per-stack counts when Options.Profile was set.
	Profile *ProfileData
}

// Findings counts the findings of all reports.
func (r *Result) Findings() int {
	n := 0
	for _, rep := range r.Reports {
		n += len(rep.Findings)
	}
	return n
}

// Run runs program with args under the tracker and returns its reports.
// The error is non-nil only when the tracker itself failed (unsupported
// binary, no compiler, unreadable records); the program's own failure is
// in Result.
func Run(ctx context.Context, program string, args []string, o Options) (*Result, error) {
	path, err := exec.LookPath(program)
	if err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	layout, err := Inspect(path, o.Symbols)
	if err != nil {
		return nil, err
	}
	lib, err := preload.Path()
	if err != nil {
		return nil, err
	}
	dir := o.Dir
	if dir == "" {
		dir, err = os.MkdirTemp(recordsBase(), "cgoguard-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}

	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Args[0] = program
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = trackerEnv(env, lib, dir, layout.conf(&o))

	// Signals meant for the program (Ctrl-C) must not kill the reporter
	// first: forward them and report when the program ends.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	werr := cmd.Wait()
	close(done)
	res := &Result{}
	if ps := cmd.ProcessState; ps != nil {
		res.ExitCode = ps.ExitCode()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Signal = ws.Signal()
		}
	} else if werr != nil {
		return nil, werr
	}
	mainPID := cmd.Process.Pid
	if err := collect(res, dir, mainPID, layout, &o); err != nil {
		return res, err
	}
	return res, nil
}

// recordsBase prefers a memory file system for the record files: they are
// written on every allocation.
func recordsBase() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if f, err := os.CreateTemp("/dev/shm", ".cgoguard-probe-"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return "/dev/shm"
		}
	}
	return os.TempDir()
}

func trackerEnv(env []string, lib, dir, conf string) []string {
	out := make([]string, 0, len(env)+3)
	pre := lib
	for _, kv := range env {
		switch {
		case strings.HasPrefix(kv, "LD_PRELOAD="):
			if v := strings.TrimPrefix(kv, "LD_PRELOAD="); v != "" {
				pre = lib + ":" + v
			}
		case strings.HasPrefix(kv, "CGOGUARD_DIR="), strings.HasPrefix(kv, "CGOGUARD_CONF="):
		default:
			out = append(out, kv)
		}
	}
	return append(out, "LD_PRELOAD="+pre, "CGOGUARD_DIR="+dir, "CGOGUARD_CONF="+conf)
}

// collect reads every record file in dir into res.
func collect(res *Result, dir string, mainPID int, layout *Layout, o *Options) error {
	files, _ := filepath.Glob(filepath.Join(dir, "trk.*"))
	type proc struct {
		pid  int
		path string
	}
	var procs []proc
	for _, f := range files {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(f), "trk."))
		if err == nil {
			procs = append(procs, proc{pid, f})
		}
	}
	sort.Slice(procs, func(i, j int) bool {
		if (procs[i].pid == mainPID) != (procs[j].pid == mainPID) {
			return procs[i].pid == mainPID
		}
		return procs[i].pid < procs[j].pid
	})
	if len(procs) == 0 || procs[0].pid != mainPID {
		return errors.New("the tracker did not start in the program (was LD_PRELOAD ignored? setuid binaries and static binaries ignore it)")
	}
	sym, err := NewSymbolizer(layout.Symbols)
	if err != nil {
		return err
	}
	pats := append([]string{}, o.Suppressions...)
	if !o.NoDefaultSuppressions {
		pats = append(pats, DefaultSuppressions...)
	}
	for _, p := range procs {
		rec, err := readRecords(p.path)
		if err != nil {
			return fmt.Errorf("pid %d: %v", p.pid, err)
		}
		b := &builder{sym: sym, rec: rec, memo: map[uint32]*Stack{}}
		b.libs.maps = libraryMaps(rec.Maps, layout.Binary)
		rep := b.report(layout.Binary, pats, o.All)
		rep.Child = p.pid != mainPID
		res.Reports = append(res.Reports, rep)
		if o.Profile && p.pid == mainPID {
			res.Profile = b.profileData()
		}
	}
	return nil
}
