// Package cdoublefree defines an Analyzer that reports C memory freed twice on some path.
// The analysis is package ownership's; see checks.Lookup("cdoublefree") for the documentation.
package cdoublefree

import (
	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/ownership"
)

var check = checks.Lookup("cdoublefree")

// Analyzer reports ownership.DoubleFree findings.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{ownership.Analyzer},
	Run:              ownership.Reporter(ownership.DoubleFree),
	RunDespiteErrors: true,
}
