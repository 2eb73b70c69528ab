package checks

import (
	"os"
	"strings"
	"testing"
)

func TestDocsUpToDate(t *testing.T) {
	got, err := os.ReadFile("../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != Markdown() {
		t.Error("docs/checks.md is stale; regenerate with: go run ./cmd/cgoguard checks -markdown > docs/checks.md")
	}
}

func TestEveryCheckTeaches(t *testing.T) {
	for _, c := range All() {
		if c.Title == "" || len(c.Text) < 200 || !strings.Contains(c.Text, "Fix") {
			t.Errorf("%s: a check's text must explain the trap and the fix", c.Name)
		}
		switch c.Severity {
		case Error, Warning:
		default:
			t.Errorf("%s: severity %q", c.Name, c.Severity)
		}
	}
}
