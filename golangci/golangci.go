// Package golangci makes cgoguard's analyzers a golangci-lint module plugin
// named "cgoguard". Build a golangci-lint that contains it with
// `golangci-lint custom` and enable it in .golangci.yml; docs/integrations.md
// has the exact files and commands.
//
// The plugin only reads its settings; the analyzers are suite.All(), the
// same ones `cgoguard vet` and `go vet -vettool` run.
package golangci

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/golangci/plugin-module-register/register"
	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/analyzers/suite"
	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/knowledge"
)

func init() { register.Plugin("cgoguard", New) }

// defaultConfig is read when Settings.Config is empty, as cgoguard vet does.
const defaultConfig = "cgoguard.json"

// Settings are the plugin's settings, under
// linters.settings.custom.cgoguard.settings in .golangci.yml.
type Settings struct {
	// Checks names the analyzers to run (e.g. cmemleak, cdoublefree); empty
	// runs them all.
	Checks []string `json:"checks"`
	// Config is a knowledge config file (see knowledge.Config): allocator
	// pairs, blocking calls, ... of the project's C libraries. A relative
	// path is taken from golangci-lint's working directory. Empty:
	// cgoguard.json there, if it exists.
	Config string `json:"config"`
}

type plugin struct{ analyzers []*analysis.Analyzer }

// New is the plugin's constructor, called by golangci-lint with the raw
// settings. A misspelt setting, an unknown check or an unreadable config
// file is an error: golangci-lint then stops and says so, rather than
// silently linting with something else than was asked for.
func New(conf any) (register.LinterPlugin, error) {
	s, err := register.DecodeSettings[Settings](conf)
	if err != nil {
		return nil, fmt.Errorf("cgoguard: %w", err)
	}
	db := knowledge.Base
	path := s.Config
	if path == "" {
		if _, err := os.Stat(defaultConfig); err == nil {
			path = defaultConfig
		}
	}
	if path != "" {
		c, err := knowledge.LoadConfig(path)
		if err != nil {
			return nil, fmt.Errorf("cgoguard: config: %w", err)
		}
		db = db.With(c)
	}
	as, err := selectChecks(s.Checks)
	if err != nil {
		return nil, err
	}
	// The analyzers read the knowledge from this variable; golangci-lint
	// builds one plugin per run, so setting it here is the whole wiring.
	cgoview.DB = db
	return &plugin{analyzers: as}, nil
}

func selectChecks(names []string) ([]*analysis.Analyzer, error) {
	all := suite.All()
	if len(names) == 0 {
		return all, nil
	}
	byName := map[string]*analysis.Analyzer{}
	var known []string
	for _, a := range all {
		byName[a.Name] = a
		known = append(known, a.Name)
	}
	var as []*analysis.Analyzer
	var bad []string
	seen := map[string]bool{}
	for _, n := range names {
		a, ok := byName[n]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("%q", n))
		case !seen[n]:
			seen[n] = true
			as = append(as, a)
		}
	}
	if len(bad) > 0 {
		return nil, errors.New("cgoguard: unknown check " + strings.Join(bad, ", ") + "; known: " + strings.Join(known, ", "))
	}
	return as, nil
}

// BuildAnalyzers returns the selected analyzers.
func (p *plugin) BuildAnalyzers() ([]*analysis.Analyzer, error) { return p.analyzers, nil }

// GetLoadMode asks for type information: the analyzers type-check the
// package's files again with the C types that cgo produced.
func (p *plugin) GetLoadMode() string { return register.LoadModeTypesInfo }
