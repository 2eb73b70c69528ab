package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"

	"github.com/cgoguard/cgoguard/analyzers/suite"
	"github.com/cgoguard/cgoguard/partial"
)

// analysePartially finds the cgo packages among pkgs that go vet did not
// analyse (cgo processing failed) and analyses them from their raw files. It
// returns their findings and one note per package saying the analysis was partial.
func analysePartially(pkgs []string, tags string, analysed map[string]bool) ([]diagnostic, []string) {
	args := []string{"list", "-e", "-json=ImportPath,CgoFiles"}
	if tags != "" {
		args = append(args, "-tags="+tags)
	}
	out, err := exec.Command("go", append(args, pkgs...)...).Output()
	if err != nil {
		return nil, []string{fmt.Sprintf("cgoguard vet: go list: %v", err)}
	}
	var diags []diagnostic
	var notes []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			CgoFiles   []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return diags, append(notes, "cgoguard vet: go list: "+err.Error())
		}
		if len(p.CgoFiles) == 0 || analysed[p.ImportPath] {
			continue
		}
		ds, err := partial.Analyze(p.ImportPath, tags, suite.All())
		if err != nil {
			notes = append(notes, fmt.Sprintf("cgoguard vet: %s: partial analysis failed: %v", p.ImportPath, err))
			continue
		}
		notes = append(notes, fmt.Sprintf("cgoguard vet: %s: cgo processing failed; analysed from the raw files with C types unknown (partial: %d findings)", p.ImportPath, len(ds)))
		for _, d := range ds {
			dg := diagnostic{Category: d.Analyzer, Posn: d.Posn.String(), Message: d.Message, pkg: p.ImportPath, check: d.Analyzer}
			for _, r := range d.Related {
				dg.Related = append(dg.Related, struct {
					Posn    string `json:"posn"`
					Message string `json:"message"`
				}{r.Posn.String(), r.Message})
			}
			diags = append(diags, dg)
		}
	}
	return diags, notes
}
