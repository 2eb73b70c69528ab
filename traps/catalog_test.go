package traps

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCatalog checks that every trap folder is complete: data, README, a bad
// and a good program, and a test that runs them.
func TestCatalog(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("empty gallery")
	}
	seen := map[string]bool{}
	for _, tr := range all {
		seen[tr.ID] = true
		for _, p := range []string{"README.md", "bad", "good"} {
			if _, err := os.Stat(filepath.Join(tr.ID, p)); err != nil {
				t.Errorf("%s: %v", tr.ID, err)
			}
		}
		tests, _ := filepath.Glob(filepath.Join(tr.ID, "*_test.go"))
		if len(tests) == 0 {
			t.Errorf("%s: no test runs the bad and good programs", tr.ID)
		}
	}
	// Every folder with a bad/ program must be in the catalog.
	dirs, _ := filepath.Glob("*/bad")
	for _, d := range dirs {
		if id := filepath.Dir(d); !seen[id] {
			t.Errorf("%s has a bad/ program but no trap.json", id)
		}
	}
}

// TestDocsUpToDate keeps docs/traps.md generated from the catalog.
func TestDocsUpToDate(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	want := Markdown(all)
	got, err := os.ReadFile("../docs/traps.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("docs/traps.md is stale; regenerate it with: go run ./cmd/cgoguard traps -markdown > docs/traps.md")
	}
}
