package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/cgoguard/cgoguard/checks"
)

// writeSARIF prints findings as a SARIF 2.1.0 log, with one rule per check
// whose descriptions come from package checks.
func writeSARIF(w io.Writer, diags []diagnostic) {
	type msg struct {
		Text string `json:"text"`
	}
	type rule struct {
		ID               string            `json:"id"`
		Name             string            `json:"name"`
		ShortDescription msg               `json:"shortDescription"`
		FullDescription  msg               `json:"fullDescription"`
		HelpURI          string            `json:"helpUri"`
		Default          map[string]string `json:"defaultConfiguration"`
	}
	var rules []rule
	index := map[string]int{}
	for _, c := range checks.All() {
		index[c.Name] = len(rules)
		rules = append(rules, rule{ID: c.Name, Name: c.Name, ShortDescription: msg{c.Title}, FullDescription: msg{c.Text},
			HelpURI: c.URL(), Default: map[string]string{"level": string(c.Severity)}})
	}
	wd, _ := os.Getwd()
	type region struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
	}
	type location struct {
		Physical struct {
			Artifact struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region region `json:"region"`
		} `json:"physicalLocation"`
		Message *msg `json:"message,omitempty"`
	}
	loc := func(posn string, m string) location {
		var l location
		file, line, col := splitPosn(posn)
		l.Physical.Artifact.URI = filepath.ToSlash(relPosn(wd, file))
		l.Physical.Region = region{line, col}
		if m != "" {
			l.Message = &msg{m}
		}
		return l
	}
	type result struct {
		RuleID    string     `json:"ruleId"`
		RuleIndex int        `json:"ruleIndex"`
		Level     string     `json:"level"`
		Message   msg        `json:"message"`
		Locations []location `json:"locations"`
		Related   []location `json:"relatedLocations,omitempty"`
	}
	results := []result{}
	for _, d := range diags {
		r := result{RuleID: d.check, RuleIndex: index[d.check], Level: "warning", Message: msg{d.Message},
			Locations: []location{loc(d.Posn, "")}}
		if checks.Exists(d.check) {
			r.Level = string(checks.Lookup(d.check).Severity)
		}
		for _, rel := range d.Related {
			r.Related = append(r.Related, loc(rel.Posn, rel.Message))
		}
		results = append(results, r)
	}
	log := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name": "cgoguard", "version": version, "informationUri": "https://github.com/cgoguard/cgoguard", "rules": rules,
			}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(log)
}
