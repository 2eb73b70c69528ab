// Package traps is the gallery of Go↔C traps from the seed article and from
// the field. Each trap lives in its own folder with a README, a bad and a good
// program and a test that shows the observable difference; its facts (seed
// section, verdict, fix, the checks that catch it) are kept as data in the
// folder's trap.json so that "cgoguard traps" and docs/traps.md are generated
// from one source.
package traps

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed */trap.json
var files embed.FS

// Verdict says whether the seed's claim holds on today's Go.
type Verdict string

// The verdicts a trap can have.
const (
	Real   Verdict = "real"   // the trap exists as the seed describes it
	Partly Verdict = "partly" // the trap exists, but the seed's account is wrong in part
	Myth   Verdict = "myth"   // the claim does not hold on Go 1.26
)

// Trap is one gallery entry.
type Trap struct {
	ID       string   `json:"id"`       // the folder name: what goes wrong
	Seed     string   `json:"seed"`     // seed section, e.g. "§2.3", or "field"
	Title    string   `json:"title"`    // one line
	Claim    string   `json:"claim"`    // the seed's claim, one line
	Verdict  Verdict  `json:"verdict"`  // real, partly or myth
	Reality  string   `json:"reality"`  // what really happens on Go 1.26 linux/amd64
	Evidence string   `json:"evidence"` // the experiment (test name and figures) that shows it
	Fix      string   `json:"fix"`      // what to write instead
	Checks   []string `json:"checks"`   // cgoguard checks that catch it (static or run-time)
}

// All returns every trap in the gallery, ordered by seed section then ID.
// It fails only if a trap.json is malformed, which the gallery's tests forbid.
func All() ([]Trap, error) {
	dirs, err := fs.Glob(files, "*/trap.json")
	if err != nil {
		return nil, err
	}
	var out []Trap
	for _, name := range dirs {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var t Trap
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if err := t.validate(path.Dir(name)); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := sectionKey(out[i].Seed), sectionKey(out[j].Seed)
		if a != b {
			return a < b
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (t *Trap) validate(dir string) error {
	if t.ID != dir {
		return fmt.Errorf("id %q differs from folder %q", t.ID, dir)
	}
	switch t.Verdict {
	case Real, Partly, Myth:
	default:
		return fmt.Errorf("verdict %q is not real, partly or myth", t.Verdict)
	}
	for field, v := range map[string]string{"seed": t.Seed, "title": t.Title, "claim": t.Claim, "reality": t.Reality, "evidence": t.Evidence, "fix": t.Fix} {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("%s is empty", field)
		}
	}
	return nil
}

// sectionKey orders "§2.10" after "§2.9" and "field" after every section.
func sectionKey(s string) string {
	s = strings.TrimPrefix(s, "§")
	major, minor, hasMinor := strings.Cut(s, ".")
	if !hasMinor {
		minor = "0" // a whole chapter, e.g. "§1"
	}
	a, err1 := strconv.Atoi(major)
	b, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil {
		return "9999" + s
	}
	return fmt.Sprintf("%04d.%04d", a, b)
}

// Markdown renders the gallery as the table of docs/traps.md.
func Markdown(all []Trap) string {
	var b strings.Builder
	b.WriteString("# The trap gallery\n\n")
	b.WriteString("Generated from `traps/*/trap.json` by `go run ./cmd/cgoguard traps -markdown > docs/traps.md`; do not edit by hand.\n")
	b.WriteString("Each trap has a folder under [`traps/`](../traps) with a README, a bad and a good program, and a test that shows the difference.\n\n")
	b.WriteString("| trap | seed | claim | verdict | what really happens | evidence | fix | caught by |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ") }
	for _, t := range all {
		checks := "—"
		if len(t.Checks) > 0 {
			checks = "`" + strings.Join(t.Checks, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| [%s](../traps/%s) | %s | %s | **%s** | %s | %s | %s | %s |\n",
			cell(t.Title), t.ID, cell(t.Seed), cell(t.Claim), t.Verdict, cell(t.Reality), cell(t.Evidence), cell(t.Fix), checks)
	}
	return b.String()
}
