// Package cuseafterfree defines an Analyzer that reports C memory used after it was freed.
// The analysis is package ownership's; see checks.Lookup("cuseafterfree") for the documentation.
package cuseafterfree

import (
	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/ownership"
)

var check = checks.Lookup("cuseafterfree")

// Analyzer reports ownership.UseAfterFree findings.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{ownership.Analyzer},
	Run:              ownership.Reporter(ownership.UseAfterFree),
	RunDespiteErrors: true,
}
