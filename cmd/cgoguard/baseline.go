package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
)

// A baseline lets a team adopt cgoguard on code that already has findings:
// "cgoguard vet -write-baseline f" records today's findings, and
// "cgoguard vet -baseline f" then reports only findings that are not in it.
// Entries match by check, file and message, not by line, so unrelated edits
// that move code do not bring recorded findings back; a count per entry
// makes a second, new finding of the same kind in the same file show.

// baselineVersion is the format version written and accepted.
const baselineVersion = 1

type baselineFile struct {
	Version  int             `json:"version"`
	Findings []baselineEntry `json:"findings"`
}

type baselineEntry struct {
	Check   string `json:"check"`
	File    string `json:"file"`
	Message string `json:"message"`
	Count   int    `json:"count"`
}

type baselineKey struct{ check, file, message string }

// positionsInMessage matches file:line[:col] and "line N" inside a message
// (messages cite the facts that prove them, often with positions), so that
// moved code still matches.
var positionsInMessage = regexp.MustCompile(`(\.(?:go|c|h|cc|cpp)):\d+(?::\d+)?|(\blines?) \d+`)

// keyOf is d's baseline key; file paths are relative to root, with slashes.
func keyOf(root string, d diagnostic) baselineKey {
	file, _, _ := splitPosn(d.Posn)
	if rel, err := filepath.Rel(root, file); err == nil && filepath.IsLocal(rel) {
		file = rel
	}
	return baselineKey{d.check, filepath.ToSlash(file), positionsInMessage.ReplaceAllString(d.Message, "$1$2")}
}

// baseRoot is the directory a baseline's paths are relative to: its own,
// so that the same file works from any working directory.
func baseRoot(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "."
	}
	return filepath.Dir(abs)
}

// writeBaseline records diags in path.
func writeBaseline(path, root string, diags []diagnostic) error {
	counts := map[baselineKey]int{}
	for _, d := range diags {
		counts[keyOf(root, d)]++
	}
	bf := baselineFile{Version: baselineVersion, Findings: []baselineEntry{}}
	for k, n := range counts {
		bf.Findings = append(bf.Findings, baselineEntry{Check: k.check, File: k.file, Message: k.message, Count: n})
	}
	sort.Slice(bf.Findings, func(i, j int) bool {
		a, b := bf.Findings[i], bf.Findings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return a.Message < b.Message
	})
	data, err := json.MarshalIndent(bf, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// readBaseline loads a baseline written by writeBaseline.
func readBaseline(path string) (map[baselineKey]int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var bf baselineFile
	if err := json.Unmarshal(data, &bf); err != nil {
		return nil, fmt.Errorf("%s: not a cgoguard baseline: %v", path, err)
	}
	if bf.Version != baselineVersion {
		return nil, fmt.Errorf("%s: baseline version %d, want %d", path, bf.Version, baselineVersion)
	}
	m := map[baselineKey]int{}
	for _, e := range bf.Findings {
		if e.Count < 1 {
			return nil, fmt.Errorf("%s: entry %s %s has count %d", path, e.Check, e.File, e.Count)
		}
		m[baselineKey{e.Check, e.File, e.Message}] += e.Count
	}
	return m, nil
}

// filterBaseline drops the findings the baseline covers. It returns the
// new findings, how many were dropped, and how many baseline entries no
// finding matched any more (fixed, or changed beyond recognition).
func filterBaseline(root string, diags []diagnostic, base map[baselineKey]int) (fresh []diagnostic, known, stale int) {
	left := make(map[baselineKey]int, len(base))
	for k, n := range base {
		left[k] = n
	}
	for _, d := range diags {
		k := keyOf(root, d)
		if left[k] > 0 {
			left[k]--
			known++
			continue
		}
		fresh = append(fresh, d)
	}
	for _, n := range left {
		stale += n
	}
	return fresh, known, stale
}
