// Command detect runs the tracker's scenario program (tracker/testdata/prog)
// under cgoguard, a -asan build and valgrind, and prints what each finds and
// whether it names the Go line that allocated or freed the block (the line
// marked "// MARK:" in the source) — measured, not assumed.
//
//	go run ./bench/tracker/detect
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/cgoguard/cgoguard/tracker"
)

type scenario struct {
	arg, kind, mark string
	// what each other tool prints when it finds the bug
	asan, valgrind string
}

var scenarios = []scenario{
	{"cstring-drop", tracker.KindLeak, "cstring-drop", "LeakSanitizer", "8 bytes in 1 blocks"},
	{"cstring", tracker.KindLeak, "cstring", "LeakSanitizer", "14 bytes in 1 blocks"},
	{"cfunc", tracker.KindLeak, "cfunc", "LeakSanitizer", "64 bytes in 1 blocks"},
	{"strdup", tracker.KindLeak, "strdup", "LeakSanitizer", "7 bytes in 1 blocks"},
	{"callback", tracker.KindLeak, "callback", "LeakSanitizer", "48 bytes in 3 blocks"},
	{"double-free", tracker.KindDoubleFree, "df-free2", "attempting double-free", "Invalid free()"},
	{"invalid-free", tracker.KindInvalidFree, "invalid", "attempting free on address which was not malloc", "Invalid free()"},
	{"waf", tracker.KindWriteAfterFree, "waf-free", "heap-use-after-free", "Invalid write"},
	{"freed", "", "", "ERROR:", "definitely lost: 1"},
}

func main() {
	dir, err := os.MkdirTemp("", "tracker-detect-")
	check(err)
	defer os.RemoveAll(dir)
	plain, asan := filepath.Join(dir, "prog"), filepath.Join(dir, "prog-asan")
	build(plain)
	build(asan, "-asan")
	marks := readMarks("tracker/testdata/prog")
	fmt.Println("| scenario | cgoguard run | go build -asan | valgrind |")
	fmt.Println("|---|---|---|---|")
	for _, s := range scenarios {
		line := marks[s.mark]
		cg := cgoguard(plain, s, line)
		as := other(exec.Command(asan, s.arg), s.asan, line)
		vg := other(exec.Command("valgrind", "--leak-check=full", "--show-leak-kinds=all", plain, s.arg), s.valgrind, line)
		if s.kind == "" {
			// The clean scenario: any report is a false positive.
			as = clean(exec.Command(asan, s.arg), s.asan)
			vg = clean(exec.Command("valgrind", "--leak-check=full", plain, s.arg), s.valgrind)
		}
		name := s.arg
		if s.kind != "" {
			name += " (" + s.kind + ")"
		} else {
			name += " (all freed: must be silent)"
		}
		fmt.Printf("| %s | %s | %s | %s |\n", name, cg, as, vg)
	}
	fmt.Println("\nfound: the tool reports the bug; line: its report names the Go file:line (main.go:N) of the marked line.")
}

func cgoguard(bin string, s scenario, line string) string {
	o := tracker.Options{}
	if s.arg == "waf" {
		o.Quarantine = 16384 // as in the tracker's test: later frees push the block out
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := tracker.Run(ctx, bin, []string{s.arg}, o)
	if err != nil {
		return "error: " + err.Error()
	}
	if s.kind == "" {
		if res.Findings() == 0 {
			return "silent"
		}
		return fmt.Sprintf("**%d false reports**", res.Findings())
	}
	for _, f := range res.Reports[0].Findings {
		if f.Kind == s.kind {
			if strings.HasSuffix(f.Site, line) {
				return "found, line"
			}
			return "found, no line (" + f.Site + ")"
		}
	}
	return "missed"
}

func other(cmd *exec.Cmd, marker, line string) string {
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), marker) {
		return "missed"
	}
	if strings.Contains(string(out), line) {
		return "found, line"
	}
	return "found, no line"
}

func clean(cmd *exec.Cmd, marker string) string {
	out, _ := cmd.CombinedOutput()
	if strings.Contains(string(out), marker) {
		return "**false report**"
	}
	return "silent"
}

// readMarks maps each "// MARK:name" in dir's Go files to "main.go:N".
func readMarks(dir string) map[string]string {
	out := map[string]string{}
	re := regexp.MustCompile(`// MARK:([\w-]+)`)
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		fh, err := os.Open(f)
		check(err)
		sc := bufio.NewScanner(fh)
		for n := 1; sc.Scan(); n++ {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				out[m[1]] = fmt.Sprintf("%s:%d", filepath.Base(f), n)
			}
		}
		fh.Close()
	}
	return out
}

func build(out string, flags ...string) {
	args := append(append([]string{"build", "-o", out}, flags...), "./tracker/testdata/prog")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go %s: %v\n%s", strings.Join(args, " "), err, msg)
		os.Exit(1)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
