package main

import (
	"bytes"
	"crypto/sha256"
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

	"github.com/cgoguard/cgoguard/knowledge"
)

var vetCommand = &command{
	name:  "vet",
	usage: "cgoguard vet [-json | -sarif] [-fix] [-tags list] [-config file] [-baseline file | -write-baseline file] [-v] [packages]",
	short: "report cgo bugs: C memory leaks, double frees, use after free, over-reads, ...",
	long: `Vet analyses Go packages that use cgo (default: ./...) and reports, for each
finding, file:line:col, the message with the facts that prove it, and the check's
name in brackets. Every check is documented in docs/checks.md.

It runs the same analyzers that "go vet -vettool=$(which cgoguard)" runs, through
go vet itself, so results, build tags and the build cache are go vet's.

	-json          print findings as JSON (go vet's shape)
	-sarif         print findings as SARIF 2.1.0 (GitHub code scanning)
	-fix           apply the suggested fixes to the source files
	-tags list     build tags, as for go build
	-config file   C library knowledge (allocator pairs, blocking calls, ...);
	               default: cgoguard.json in the current directory, if present
	-baseline file report only findings not recorded in file (written by
	               -write-baseline): adopt cgoguard on code with known findings
	               and fail only on new ones. Entries match by check, file and
	               message, not by line; paths are relative to the file's directory
	-write-baseline file
	               record the current findings in file and exit 0
	-v             also print analysis notes (e.g. C files that could not be parsed)

Suppress a finding with //cgoguard:ignore <check> <reason>.
Exit status: 0 no findings, 1 findings, 2 usage or internal error.`,
	run: runVet,
}

// diagnostic is one finding in go vet's JSON shape.
type diagnostic struct {
	Category string `json:"category,omitempty"`
	Posn     string `json:"posn"`
	End      string `json:"end,omitempty"`
	Message  string `json:"message"`
	Fixes    []struct {
		Message string `json:"message"`
		Edits   []edit `json:"edits"`
	} `json:"suggested_fixes,omitempty"`
	Related []struct {
		Posn    string `json:"posn"`
		Message string `json:"message"`
	} `json:"related,omitempty"`
	pkg, check string
}

type edit struct {
	Filename   string `json:"filename"`
	Start, End int
	New        string `json:"new"`
}

func runVet(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print findings as JSON")
	asSARIF := fs.Bool("sarif", false, "print findings as SARIF 2.1.0")
	fix := fs.Bool("fix", false, "apply suggested fixes")
	tags := fs.String("tags", "", "build tags")
	config := fs.String("config", "", "knowledge config file (default cgoguard.json if present)")
	verbose := fs.Bool("v", false, "print analysis notes")
	baseline := fs.String("baseline", "", "report only findings not in this baseline file")
	writeBase := fs.String("write-baseline", "", "record the current findings in this file")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *asJSON && *asSARIF {
		fmt.Fprintln(stderr, "cgoguard vet: -json and -sarif are exclusive")
		return exitError
	}
	if *baseline != "" && *writeBase != "" {
		fmt.Fprintln(stderr, "cgoguard vet: -baseline and -write-baseline are exclusive")
		return exitError
	}
	var base map[baselineKey]int
	if *baseline != "" {
		// Read before the analysis: a broken baseline must not cost a run
		// and then fail it.
		b, err := readBaseline(*baseline)
		if err != nil {
			fmt.Fprintf(stderr, "cgoguard vet: %v\n", err)
			return exitError
		}
		base = b
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "cgoguard vet: %v\n", err)
		return exitError
	}
	env := os.Environ()
	if *config == "" {
		if _, err := os.Stat("cgoguard.json"); err == nil {
			*config = "cgoguard.json"
		}
	}
	var configArgs []string
	if *config != "" {
		// A corrupt config is reported once; the analysis goes on with the
		// built-in knowledge rather than losing the whole run.
		if _, err := knowledge.LoadConfig(*config); err != nil {
			fmt.Fprintf(stderr, "cgoguard vet: config ignored: %v\n", err)
		} else if abs, err := filepath.Abs(*config); err == nil {
			data, _ := os.ReadFile(abs)
			configArgs = []string{"-" + configFlag + "=" + abs, fmt.Sprintf("-%s=%x", configHashFlag, sha256.Sum256(data))}
		}
	}
	if *verbose {
		env = append(env, "CGOGUARD_VERBOSE=1")
		// The partial analysis runs in this process.
		os.Setenv("CGOGUARD_VERBOSE", "1")
	}
	pkgs := fs.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	vetArgs := append([]string{"vet", "-vettool=" + self, "-json"}, configArgs...)
	if *tags != "" {
		vetArgs = append(vetArgs, "-tags="+*tags)
	}
	vetArgs = append(vetArgs, pkgs...)
	cmd := exec.Command("go", vetArgs...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	runErr := cmd.Run()

	diags, problems, analysed := decodeVetJSON(&out)
	var ee *exec.ExitError
	if runErr != nil && !errors.As(runErr, &ee) {
		fmt.Fprintf(stderr, "cgoguard vet: running go vet: %v\n", runErr)
		return exitError
	}
	// When go vet fails, its stderr names the packages it could not build or
	// analyse: pass them on, one line each, and keep the others' findings.
	// When it succeeds, stderr holds only C compiler warnings and -v's
	// analysis notes: shown with -v, and not problems.
	if runErr != nil {
		problems = append(vetProblems(errOut.String()), problems...)
	} else if *verbose {
		for _, n := range vetProblems(errOut.String()) {
			fmt.Fprintln(stderr, n)
		}
	}
	if runErr != nil {
		// Packages go vet could not cgo-process: analyse their raw files.
		more, notes := analysePartially(pkgs, *tags, analysed)
		diags = append(diags, more...)
		problems = append(problems, notes...)
	}
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if *writeBase != "" {
		if err := writeBaseline(*writeBase, baseRoot(*writeBase), diags); err != nil {
			fmt.Fprintf(stderr, "cgoguard vet: -write-baseline: %v\n", err)
			return exitError
		}
		fmt.Fprintf(stderr, "cgoguard vet: recorded %d findings in %s\n", len(diags), *writeBase)
		if len(problems) > 0 {
			return exitError
		}
		return exitClean
	}
	if base != nil {
		fresh, known, stale := filterBaseline(baseRoot(*baseline), diags, base)
		diags = fresh
		if known > 0 {
			fmt.Fprintf(stderr, "cgoguard vet: %d findings recorded in %s not shown\n", known, *baseline)
		}
		if stale > 0 {
			fmt.Fprintf(stderr, "cgoguard vet: %d entries of %s match no finding any more (fixed?); -write-baseline refreshes it\n", stale, *baseline)
		}
	}

	switch {
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "\t")
		enc.Encode(diags)
	case *asSARIF:
		writeSARIF(stdout, diags)
	default:
		wd, _ := os.Getwd()
		for _, d := range diags {
			fmt.Fprintf(stdout, "%s: %s [%s]\n", relPosn(wd, d.Posn), d.Message, d.check)
			for _, r := range d.Related {
				fmt.Fprintf(stdout, "\t%s: %s\n", relPosn(wd, r.Posn), r.Message)
			}
		}
	}
	if *fix {
		n, err := applyFixes(diags)
		if err != nil {
			fmt.Fprintf(stderr, "cgoguard vet: -fix: %v\n", err)
			return exitError
		}
		fmt.Fprintf(stderr, "cgoguard vet: applied %d fixes\n", n)
	}
	switch {
	case len(diags) > 0:
		return exitFindings
	case len(problems) > 0:
		return exitError
	}
	return exitClean
}

// decodeVetJSON reads go vet -json's stream: one object per package, mapping
// package → analyzer → findings, or → {"error": "..."}.
func decodeVetJSON(r io.Reader) ([]diagnostic, []string, map[string]bool) {
	var diags []diagnostic
	var problems []string
	analysed := map[string]bool{}
	dec := json.NewDecoder(r)
	for {
		var tree map[string]map[string]json.RawMessage
		if err := dec.Decode(&tree); err == io.EOF {
			break
		} else if err != nil {
			problems = append(problems, "cgoguard vet: unreadable go vet output: "+err.Error())
			break
		}
		for pkg, byAnalyzer := range tree {
			if i := strings.Index(pkg, " ["); i >= 0 {
				analysed[pkg[:i]] = true // "p [p.test]": p with its tests
			}
			analysed[pkg] = true
			for analyzer, raw := range byAnalyzer {
				var ds []diagnostic
				if err := json.Unmarshal(raw, &ds); err != nil {
					var e struct{ Error string }
					json.Unmarshal(raw, &e)
					problems = append(problems, fmt.Sprintf("%s: internal error in %s: %s", pkg, analyzer, e.Error))
					continue
				}
				for _, d := range ds {
					d.pkg, d.check = pkg, analyzer
					diags = append(diags, d)
				}
			}
		}
	}
	sort.SliceStable(diags, func(i, j int) bool {
		if diags[i].Posn != diags[j].Posn {
			return lessPosn(diags[i].Posn, diags[j].Posn)
		}
		return diags[i].check < diags[j].check
	})
	// A package analysed twice (with and without its tests) reports twice.
	var uniq []diagnostic
	seen := map[string]bool{}
	for _, d := range diags {
		k := d.Posn + "\x00" + d.check + "\x00" + d.Message
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, d)
		}
	}
	return uniq, problems, analysed
}

// vetProblems condenses go vet's stderr into one line per failing package.
func vetProblems(s string) []string {
	var out []string
	pkg := ""
	for _, line := range strings.Split(s, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "# "):
			pkg = strings.TrimPrefix(line, "# ")
		default:
			if pkg != "" {
				line = pkg + ": " + strings.TrimSpace(line)
			}
			out = append(out, "cgoguard vet: "+line)
		}
	}
	return out
}

func relPosn(wd, posn string) string {
	if wd != "" {
		if rel, err := filepath.Rel(wd, posn); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return posn
}

// lessPosn orders "file:line:col" by file, then numerically.
func lessPosn(a, b string) bool {
	fa, la, ca := splitPosn(a)
	fb, lb, cb := splitPosn(b)
	if fa != fb {
		return fa < fb
	}
	if la != lb {
		return la < lb
	}
	return ca < cb
}

func splitPosn(p string) (file string, line, col int) {
	i := strings.LastIndex(p, ":")
	j := strings.LastIndex(p[:max(i, 0)], ":")
	if i < 0 || j < 0 {
		return p, 0, 0
	}
	fmt.Sscanf(p[j+1:i], "%d", &line)
	fmt.Sscanf(p[i+1:], "%d", &col)
	return p[:j], line, col
}

// applyFixes applies each finding's first suggested fix. Edits are applied per
// file from the end backwards; an edit overlapping an earlier one is skipped.
func applyFixes(diags []diagnostic) (int, error) {
	byFile := map[string][]edit{}
	applied := 0
	for _, d := range diags {
		if len(d.Fixes) == 0 {
			continue
		}
		for _, e := range d.Fixes[0].Edits {
			byFile[e.Filename] = append(byFile[e.Filename], e)
		}
		applied++
	}
	for file, edits := range byFile {
		src, err := os.ReadFile(file)
		if err != nil {
			return 0, err
		}
		sort.Slice(edits, func(i, j int) bool { return edits[i].Start > edits[j].Start })
		limit := len(src) + 1
		for _, e := range edits {
			if e.End > limit || e.Start > e.End || e.End > len(src) {
				continue // overlaps an edit already applied, or stale
			}
			src = append(src[:e.Start], append([]byte(e.New), src[e.End:]...)...)
			limit = e.Start
		}
		if err := os.WriteFile(file, src, 0o644); err != nil {
			return 0, err
		}
	}
	return applied, nil
}
