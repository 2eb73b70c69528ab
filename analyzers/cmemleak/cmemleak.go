// Package cmemleak defines an Analyzer that reports C memory not released on some path.
// The analysis is package ownership's; see checks.Lookup("cmemleak") for the documentation.
package cmemleak

import (
	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/checks"
	"github.com/cgoguard/cgoguard/ownership"
)

var check = checks.Lookup("cmemleak")

// Analyzer reports ownership.Leak findings.
var Analyzer = &analysis.Analyzer{
	Name:             check.Name,
	Doc:              check.Doc(),
	URL:              check.URL(),
	Requires:         []*analysis.Analyzer{ownership.Analyzer},
	Run:              ownership.Reporter(ownership.Leak),
	RunDespiteErrors: true,
}
