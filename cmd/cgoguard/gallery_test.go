package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/traps"
)

// planned are check names a trap may list before the check exists; the run-time
// tracker is checked by the tracker's own tests.
var planned = map[string]bool{
	"tracker": true, "gopointerkept": true, "nestedgopointer": true, "handlepin": true, "structlayout": true,
	"blockingfanout": true, "exportpanic": true, "finalizerclose": true, "cthreadlocal": true,
}

// buildSelf builds cgoguard for tests that run it as users do.
func buildSelf(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cgoguard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestGallery runs "cgoguard vet" over the trap gallery, as the README's
// first command does, and checks both sides: each trap's static checks report
// its bad program on a line marked "// trap:", and no check reports any good
// program.
func TestGallery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and vets the whole gallery")
	}
	bin := buildSelf(t)
	root, _ := filepath.Abs("../..")
	cmd := exec.Command(bin, "vet", "-json", "./traps/...")
	cmd.Dir = root
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() != exitFindings {
		t.Fatalf("cgoguard vet: exit %d\n%s", ee.ExitCode(), ee.Stderr)
	}
	var diags []diagnostic
	if err := json.Unmarshal(out, &diags); err != nil {
		t.Fatalf("decoding output: %v\n%s", err, out)
	}
	all, err := traps.All()
	if err != nil {
		t.Fatal(err)
	}
	// Only bad programs may be reported: good ones, and helper programs such
	// as a trap's semantics/ experiment, are correct code.
	for _, d := range diags {
		if !strings.Contains(d.Posn, "/bad/") {
			t.Errorf("reported outside a bad/ program: %s: %s [%s]", d.Posn, d.Message, d.Category)
		}
	}
	for _, tr := range all {
		dir := filepath.Join(root, "traps", tr.ID)
		marked := trapLines(t, filepath.Join(dir, "bad"))
		for _, c := range tr.Checks {
			if !checks.Exists(c) {
				if !planned[c] {
					t.Errorf("%s: trap.json lists unknown check %q", tr.ID, c)
				}
				continue
			}
			found := false
			for _, d := range diags {
				if d.check == "" {
					d.check = d.Category
				}
				if d.Category != c || !strings.HasPrefix(d.Posn, filepath.Join(dir, "bad")+"/") {
					continue
				}
				posns := []string{d.Posn}
				for _, r := range d.Related {
					posns = append(posns, r.Posn)
				}
				for _, p := range posns {
					if file, line, _ := splitPosn(p); marked[file][line] {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%s: %s reports nothing on a line marked // trap: in bad/", tr.ID, c)
			}
		}
		for _, d := range diags {
			if strings.HasPrefix(d.Posn, filepath.Join(dir, "good")+"/") {
				t.Errorf("%s: good program reported: %s: %s [%s]", tr.ID, d.Posn, d.Message, d.Category)
			}
		}
	}
}

// trapLines returns, per file, the lines of dir's Go files marked "// trap:".
func trapLines(t *testing.T, dir string) map[string]map[int]bool {
	out := map[string]map[int]bool{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for n := 1; sc.Scan(); n++ {
			if strings.Contains(sc.Text(), "// trap:") {
				if out[f] == nil {
					out[f] = map[int]bool{}
				}
				out[f][n] = true
			}
		}
		fh.Close()
	}
	return out
}

// TestPartial: a package whose C header is missing cannot be cgo-processed,
// so go vet skips it; cgoguard vet analyses its raw files, reports the leak,
// and says the analysis was partial.
func TestPartial(t *testing.T) {
	bin := buildSelf(t)
	cmd := exec.Command(bin, "vet", "./testdata/partial")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitFindings {
		t.Fatalf("want exit %d, got %v\n%s", exitFindings, err, out)
	}
	for _, want := range []string{
		"testdata/partial/partial.go:17:3: this return may be reached without freeing cs",
		"[cmemleak]",
		"cgo processing failed; analysed from the raw files with C types unknown (partial: 1 findings)",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "partial.go:2") {
		t.Errorf("Clean reported:\n%s", out)
	}
}
