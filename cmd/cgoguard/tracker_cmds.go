package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cgoguard/cgoguard/tracker"
)

var testCommand = &command{
	name:  "test",
	usage: "cgoguard test [tracker flags] [go test flags] [packages]",
	short: "run go test under the C-memory tracker",
	long: `Test runs "go test" with every test binary under the C-memory tracker
(go test -exec "cgoguard run ..."). Each test binary that leaks C memory, frees a
block twice, frees a pointer that is not a live C block, or writes to a block after
freeing it fails, and its report names the Go file:line that allocated (and freed)
the block. Tests using tracker.VerifyNone check each test on its own. Test
binaries without cgo run untracked.

Tracker flags (all other flags and arguments go to go test; -count=1 is added
unless given, so cached results do not hide a run):

	-json                  print the reports as JSON on stdout (go test's output goes to stderr)
	-quarantine bytes      freed bytes held back to catch double frees (default 16 MiB; 0: off)
	-poison bytes          bytes poisoned per freed block to catch writes after free (default 4096; 0: off)
	-suppressions file     suppression patterns, one per line (see docs/tracker.md)
	-no-default-suppressions
	-all                   also report blocks allocated outside a goroutine's cgo call
	-profile dir           write a C-heap profile (pprof) per test binary into dir
	-sample-rate bytes     track one block per this many bytes on average, like
	                       runtime.MemProfileRate (default 0: every block); for long
	                       runs and profiles: findings then cover the sampled blocks only

Exit status: 0 clean, 1 findings or failing tests, 2 usage or internal error.`,
	run: runTest,
}

const runUsage = "cgoguard run [flags] [--] program [args]"

var runCommand = &command{
	name:  "run",
	usage: runUsage,
	short: "run a cgo binary under the C-memory tracker",
	long: `Run runs an unstripped cgo binary (linux/amd64, Go 1.23 or later, dynamically
linked) under the C-memory tracker and reports, when it ends, every C block still
allocated that a goroutine's C call allocated (a leak), every double free, invalid
free and write after free, each with the Go stack and file:line. Reports survive
os.Exit, panics and SIGKILL. The text report goes to stderr.

	-json                  print the report as JSON on stdout (after the program's own output)
	-o file                write the report (text, or JSON with -json) to file instead
	-symbols file          unstripped build of the same program, when the program is stripped
	-quarantine bytes      freed bytes held back to catch double frees (default 16 MiB; 0: off)
	-poison bytes          bytes poisoned per freed block to catch writes after free (default 4096; 0: off)
	-depth n               Go frames recorded per stack (default 64)
	-suppressions file     suppression patterns, one per line (see docs/tracker.md)
	-no-default-suppressions
	-all                   also report blocks allocated outside a goroutine's cgo call
	-profile file          write a C-heap profile (pprof format: go tool pprof file)
	-sample-rate bytes     track one block per this many bytes on average, like
	                       runtime.MemProfileRate (default 0: every block); for long
	                       runs and profiles: findings then cover the sampled blocks only

Exit status: 0 clean, 1 findings (or the program failed: non-zero exit or killed),
2 usage or internal error.`,
	run: runRun,
}

// trackerFlags are the flags run and test share.
type trackerFlags struct {
	json                  bool
	quarantine, poison    int64
	depth                 int
	suppressions          string
	noDefaultSuppressions bool
	all                   bool
	profile               string
	sampleRate            int64
}

func (tf *trackerFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&tf.json, "json", false, "print reports as JSON")
	fs.Int64Var(&tf.quarantine, "quarantine", tracker.DefaultQuarantine, "freed bytes held back (0: off)")
	fs.Int64Var(&tf.poison, "poison", tracker.DefaultPoison, "bytes poisoned per freed block (0: off)")
	fs.IntVar(&tf.depth, "depth", tracker.DefaultDepth, "Go frames per stack")
	fs.StringVar(&tf.suppressions, "suppressions", "", "suppression file")
	fs.BoolVar(&tf.noDefaultSuppressions, "no-default-suppressions", false, "drop the default suppressions")
	fs.BoolVar(&tf.all, "all", false, "report blocks without a Go stack too")
	fs.StringVar(&tf.profile, "profile", "", "C-heap profile output")
	fs.Int64Var(&tf.sampleRate, "sample-rate", 0, "track one block per this many bytes on average (0: every block)")
}

func (tf *trackerFlags) options() (tracker.Options, error) {
	o := tracker.Options{
		Quarantine:            tf.quarantine,
		Poison:                tf.poison,
		Depth:                 tf.depth,
		NoDefaultSuppressions: tf.noDefaultSuppressions,
		All:                   tf.all,
		Profile:               tf.profile != "",
		SampleRate:            tf.sampleRate,
	}
	// On the command line 0 means off; in Options 0 means the default.
	if tf.quarantine == 0 {
		o.Quarantine = -1
	}
	if tf.poison == 0 {
		o.Poison = -1
	}
	if tf.quarantine < 0 || tf.poison < 0 || tf.sampleRate < 0 || tf.depth < 1 || tf.depth > tracker.DefaultDepth {
		return o, fmt.Errorf("-quarantine, -poison and -sample-rate must be >= 0, -depth in 1..%d", tracker.DefaultDepth)
	}
	if tf.suppressions != "" {
		pats, err := tracker.LoadSuppressions(tf.suppressions)
		if err != nil {
			return o, err
		}
		o.Suppressions = pats
	}
	return o, nil
}

// execReport is what "run" writes for "test" when it runs as go test -exec.
type execReport struct {
	Dir      string            `json:"dir"`
	Binary   string            `json:"binary"`
	ExitCode int               `json:"exit_code"`
	Signal   string            `json:"signal,omitempty"`
	Reports  []*tracker.Report `json:"reports"`
	Error    string            `json:"error,omitempty"`
	// Untracked says why the binary ran without the tracker (a test
	// package without cgo): nothing to track, not an error.
	Untracked string `json:"untracked,omitempty"`
}

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf trackerFlags
	tf.register(fs)
	symbols := fs.String("symbols", "", "unstripped build of the program")
	outFile := fs.String("o", "", "write the report to this file")
	execDir := fs.String("exec-report-dir", "", "internal: used by cgoguard test")
	profileDir := fs.String("profile-dir", "", "internal: used by cgoguard test")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	rest := fs.Args()
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		fmt.Fprintln(stderr, "usage: "+runUsage)
		return exitError
	}
	o, err := tf.options()
	if err != nil {
		fmt.Fprintln(stderr, "cgoguard run:", err)
		return exitError
	}
	o.Symbols = *symbols
	if *profileDir != "" {
		o.Profile = true
		tf.profile = filepath.Join(*profileDir, fmt.Sprintf("%s-%d.pb.gz", filepath.Base(rest[0]), os.Getpid()))
	}
	o.Stdin, o.Stdout, o.Stderr = os.Stdin, os.Stdout, os.Stderr
	if *execDir != "" {
		// Under go test -exec the test binary's output must reach go test
		// unchanged; the report goes to stderr as well.
		o.Stdout, o.Stderr = stdout, stderr
	}
	res, err := tracker.Run(context.Background(), rest[0], rest[1:], o)
	if *execDir != "" && errors.Is(err, tracker.ErrNoCgo) {
		// go test ./... reaches pure-Go packages too: run them as go
		// test would, untracked.
		return runUntracked(*execDir, rest, stdout, stderr, err)
	}
	if *execDir != "" {
		writeExecReport(*execDir, rest[0], res, err)
	}
	if err != nil {
		fmt.Fprintln(stderr, "cgoguard run:", err)
		return exitError
	}
	if tf.profile != "" && res.Profile != nil {
		if err := writeProfile(tf.profile, res.Profile); err != nil {
			fmt.Fprintln(stderr, "cgoguard run:", err)
			return exitError
		}
	}
	out := stderr
	if tf.json {
		out = stdout
	}
	if *outFile != "" {
		f, err := os.Create(*outFile)
		if err != nil {
			fmt.Fprintln(stderr, "cgoguard run:", err)
			return exitError
		}
		defer f.Close()
		out = f
	}
	if tf.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.Encode(res.Reports)
	} else {
		for _, r := range res.Reports {
			r.WriteText(out)
		}
	}
	switch {
	case res.Findings() > 0:
		return exitFindings
	case res.Signal != 0:
		fmt.Fprintf(stderr, "cgoguard run: %s killed by %v\n", rest[0], res.Signal)
		return exitFindings
	case res.ExitCode != 0:
		if *execDir != "" {
			return res.ExitCode // go test reads the test binary's status
		}
		fmt.Fprintf(stderr, "cgoguard run: %s exited with status %d\n", rest[0], res.ExitCode)
		return exitFindings
	}
	return exitClean
}

// runUntracked runs a test binary that has no cgo as go test would, and
// records that it was not tracked.
func runUntracked(dir string, argv []string, stdout, stderr io.Writer, why error) int {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	err := cmd.Run()
	er := execReport{Binary: argv[0], Untracked: why.Error()}
	er.Dir, _ = os.Getwd()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		er.ExitCode = ee.ExitCode()
	case err != nil:
		er.Error = err.Error()
	}
	b, _ := json.Marshal(er)
	if f, ferr := os.CreateTemp(dir, "report-*.json"); ferr == nil {
		f.Write(b)
		f.Close()
	}
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(stderr, "cgoguard run:", err)
		return exitError
	}
	return er.ExitCode
}

func writeExecReport(dir, binary string, res *tracker.Result, err error) {
	er := execReport{Binary: binary}
	er.Dir, _ = os.Getwd()
	if err != nil {
		er.Error = err.Error()
	}
	if res != nil {
		er.ExitCode = res.ExitCode
		if res.Signal != 0 {
			er.Signal = res.Signal.String()
		}
		er.Reports = res.Reports
	}
	b, _ := json.Marshal(er)
	f, ferr := os.CreateTemp(dir, "report-*.json")
	if ferr != nil {
		return
	}
	f.Write(b)
	f.Close()
}

func newTrackerFlagSet(tf *trackerFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	tf.register(fs)
	return fs
}

func runTest(args []string, stdout, stderr io.Writer) int {
	var tf trackerFlags
	fs := newTrackerFlagSet(&tf)
	fs.SetOutput(stderr)
	ours, goArgs, err := splitTrackerFlags(fs, args)
	if err != nil {
		fmt.Fprintln(stderr, "cgoguard test:", err)
		return exitError
	}
	if err := fs.Parse(ours); err != nil {
		return exitError
	}
	if _, err := tf.options(); err != nil {
		fmt.Fprintln(stderr, "cgoguard test:", err)
		return exitError
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "cgoguard test:", err)
		return exitError
	}
	reports, err := os.MkdirTemp("", "cgoguard-test-")
	if err != nil {
		fmt.Fprintln(stderr, "cgoguard test:", err)
		return exitError
	}
	defer os.RemoveAll(reports)
	execArgs := []string{self, "run", "-exec-report-dir=" + reports}
	for _, a := range ours {
		switch {
		case a == "-json" || a == "--json" || strings.HasPrefix(a, "-profile") || strings.HasPrefix(a, "--profile"):
		case strings.HasPrefix(strings.TrimLeft(a, "-"), "suppressions="):
			// go test runs each binary in its package's directory: a
			// relative path must be made absolute here.
			abs, err := filepath.Abs(a[strings.Index(a, "=")+1:])
			if err != nil {
				fmt.Fprintln(stderr, "cgoguard test:", err)
				return exitError
			}
			execArgs = append(execArgs, "-suppressions="+abs)
		default:
			execArgs = append(execArgs, a)
		}
	}
	if tf.profile != "" {
		if err := os.MkdirAll(tf.profile, 0o755); err != nil {
			fmt.Fprintln(stderr, "cgoguard test:", err)
			return exitError
		}
		abs, _ := filepath.Abs(tf.profile)
		execArgs = append(execArgs, "-profile-dir="+abs)
	}
	execArgs = append(execArgs, "--")
	var quoted []string
	for _, a := range execArgs {
		quoted = append(quoted, shellQuote(a))
	}
	cmdArgs := []string{"test", "-exec", strings.Join(quoted, " ")}
	if !hasFlag(goArgs, "count") {
		cmdArgs = append(cmdArgs, "-count=1")
	}
	cmdArgs = append(cmdArgs, keepSymbols(goArgs)...)
	cmd := exec.Command("go", cmdArgs...)
	cmd.Stdin = os.Stdin
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if tf.json {
		cmd.Stdout = stderr
	}
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	runErr := cmd.Run()
	var ee *exec.ExitError
	if runErr != nil && !errors.As(runErr, &ee) {
		fmt.Fprintln(stderr, "cgoguard test:", runErr)
		return exitError
	}
	ers, err := readExecReports(reports)
	if err != nil {
		fmt.Fprintln(stderr, "cgoguard test:", err)
		return exitError
	}
	findings, binaries, untracked, trackerErrs := 0, 0, 0, 0
	for _, er := range ers {
		if er.Untracked != "" {
			untracked++
		} else {
			binaries++
		}
		if er.Error != "" {
			trackerErrs++
		}
		for _, r := range er.Reports {
			findings += len(r.Findings)
		}
	}
	if tf.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(ers)
	} else {
		fmt.Fprintf(stderr, "cgoguard test: %d test binar%s tracked, %d finding%s", binaries, map[bool]string{true: "y", false: "ies"}[binaries == 1], findings, map[bool]string{true: "", false: "s"}[findings == 1])
		if untracked > 0 {
			fmt.Fprintf(stderr, "; %d without cgo, run untracked", untracked)
		}
		fmt.Fprintln(stderr)
	}
	switch {
	case trackerErrs > 0:
		for _, er := range ers {
			if er.Error != "" {
				fmt.Fprintf(stderr, "cgoguard test: %s: %s\n", er.Dir, er.Error)
			}
		}
		return exitError
	case findings > 0 || runErr != nil:
		return exitFindings
	}
	return exitClean
}

func readExecReports(dir string) ([]execReport, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "report-*.json"))
	var out []execReport
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var er execReport
		if err := json.Unmarshal(b, &er); err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		out = append(out, er)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out, nil
}

// splitTrackerFlags separates the tracker's own flags from go test's.
func splitTrackerFlags(fs *flag.FlagSet, args []string) (ours, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			rest = append(rest, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		value, hasValue := "", false
		if j := strings.Index(name, "="); j >= 0 {
			name, value, hasValue = name[:j], name[j+1:], true
		}
		f := fs.Lookup(name)
		if f == nil {
			rest = append(rest, a)
			continue
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			ours = append(ours, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("flag -%s needs a value", name)
			}
			i++
			value = args[i]
		}
		ours = append(ours, "-"+name+"="+value)
	}
	return ours, rest, nil
}

// keepSymbols makes go test keep the symbols and DWARF of test binaries,
// which it strips (-s -w) unless asked to keep the binary: the tracker needs
// them. The linker takes the last -s and -w, and go test puts the user's
// -ldflags after its own.
func keepSymbols(args []string) []string {
	const keep = "-s=false -w=false"
	out := append([]string{}, args...)
	for i := 0; i < len(out); i++ {
		n := strings.TrimLeft(out[i], "-")
		if !strings.HasPrefix(out[i], "-") || (n != "ldflags" && !strings.HasPrefix(n, "ldflags=")) {
			continue
		}
		if n == "ldflags" && i+1 < len(out) {
			out[i+1] += " " + keep
		} else {
			out[i] += " " + keep
		}
		return out
	}
	return append([]string{"-ldflags=" + keep}, out...)
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		n := strings.TrimLeft(a, "-")
		if strings.HasPrefix(a, "-") && (n == name || strings.HasPrefix(n, name+"=")) {
			return true
		}
	}
	return false
}

// shellQuote quotes s for go test -exec, which splits its value into
// fields allowing single or double quotes around one, without escapes.
func shellQuote(s string) string {
	switch {
	case s != "" && !strings.ContainsAny(s, " \t\n'\""):
		return s
	case !strings.Contains(s, "'"):
		return "'" + s + "'"
	}
	return `"` + s + `"`
}

func writeProfile(path string, pd *tracker.ProfileData) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pd.WritePprof(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
