// Package coverread defines an Analyzer that reports reads past the end of a C block.
// The analysis is package ownership's; see checks.Lookup("coverread") for the documentation.
package coverread

import (
	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/ownership"
)

var check = checks.Lookup("coverread")

// Analyzer reports ownership.OverRead findings.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{ownership.Analyzer},
	Run:              ownership.Reporter(ownership.OverRead),
	RunDespiteErrors: true,
}
