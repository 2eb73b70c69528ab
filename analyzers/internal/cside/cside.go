// Package cside is a thin alias kept while analyzers move to View.C: the C
// model of a cgo package, its .c and .h files included, is cgoview's.
//
// Deprecated: use the View's C field.
package cside

import (
	"reflect"

	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/csrc"
)

// Analyzer's result is View.C of a cgo package (nil for others).
var Analyzer = &analysis.Analyzer{
	Name:             "cside",
	Doc:              "the C model of a cgo package (internal to cgoguard; View.C)",
	Requires:         []*analysis.Analyzer{cgoview.Analyzer},
	Run:              run,
	RunDespiteErrors: true,
	ResultType:       reflect.TypeOf((*csrc.Model)(nil)),
}

func run(pass *analysis.Pass) (any, error) {
	v, _ := pass.ResultOf[cgoview.Analyzer].(*cgoview.View)
	if v == nil {
		return (*csrc.Model)(nil), nil
	}
	return v.C, nil
}
