// Package checks is the documentation of every cgoguard check, kept as data:
// the analyzers take their Doc from here, and docs/checks.md and the SARIF
// rule descriptions are generated from it, so the three never disagree.
package checks

import (
	"fmt"
	"sort"
	"strings"
)

// Severity of a check's findings.
type Severity string

// Severities, as SARIF levels.
const (
	Error   Severity = "error"   // memory corruption or a crash
	Warning Severity = "warning" // a leak or a resource exhausted over time
)

// Check documents one check.
type Check struct {
	Name     string   // analyzer name, used in //cgoguard:ignore and output
	Title    string   // one line
	Severity Severity //
	Text     string   // teaches the trap: what goes wrong, why, what to write
	Rule     string   // the cgo rule or runtime fact it enforces, cited in docs
	Traps    []string // gallery entries it catches
}

// Doc returns the analyzer documentation: the title, a blank line, the text.
func (c *Check) Doc() string { return c.Title + "\n\n" + c.Text }

// URL is where the check is documented.
func (c *Check) URL() string {
	return "https://github.com/cgoguard/cgoguard/blob/main/docs/checks.md#" + c.Name
}

var registry = map[string]*Check{}

func register(cs ...*Check) {
	for _, c := range cs {
		if _, dup := registry[c.Name]; dup {
			panic("checks: duplicate " + c.Name)
		}
		registry[c.Name] = c
	}
}

// Lookup returns the named check; it panics for an unknown name, which is a
// programming error in an analyzer.
func Lookup(name string) *Check {
	c, ok := registry[name]
	if !ok {
		panic("checks: unknown check " + name)
	}
	return c
}

// Exists reports whether a check of that name is documented.
func Exists(name string) bool { _, ok := registry[name]; return ok }

// All returns every check, sorted by name.
func All() []*Check {
	out := make([]*Check, 0, len(registry))
	for _, c := range registry {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Markdown renders docs/checks.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString("# cgoguard checks\n\nGenerated from package `checks` by `go run ./cmd/cgoguard checks -markdown > docs/checks.md`; do not edit by hand.\n\n")
	b.WriteString("Suppress a finding with `//cgoguard:ignore <check> <reason>` on the line, the line above, or in the function's doc comment. A directive without a reason suppresses nothing.\n\n")
	b.WriteString("| check | severity | title |\n|---|---|---|\n")
	for _, c := range All() {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s |\n", c.Name, c.Name, c.Severity, c.Title)
	}
	for _, c := range All() {
		fmt.Fprintf(&b, "\n## %s\n\n**%s** (%s)\n\n%s\n", c.Name, c.Title, c.Severity, strings.TrimSpace(c.Text))
		if c.Rule != "" {
			fmt.Fprintf(&b, "\n*Rule:* %s\n", c.Rule)
		}
		if len(c.Traps) > 0 {
			var links []string
			for _, t := range c.Traps {
				links = append(links, fmt.Sprintf("[%s](../traps/%s)", t, t))
			}
			fmt.Fprintf(&b, "\n*Gallery:* %s\n", strings.Join(links, ", "))
		}
	}
	return b.String()
}
