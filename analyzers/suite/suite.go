// Package suite lists every cgoguard analyzer, for the drivers (cgoguard vet,
// go vet -vettool, golangci-lint) and for tests that cover them all.
package suite

import (
	"golang.org/x/tools/go/analysis"

	"github.com/cgoguard/cgoguard/analyzers/blockingfanout"
	"github.com/cgoguard/cgoguard/analyzers/callbacklock"
	"github.com/cgoguard/cgoguard/analyzers/cdoublefree"
	"github.com/cgoguard/cgoguard/analyzers/cmemleak"
	"github.com/cgoguard/cgoguard/analyzers/coverread"
	"github.com/cgoguard/cgoguard/analyzers/cthreadlocal"
	"github.com/cgoguard/cgoguard/analyzers/cuseafterfree"
	"github.com/cgoguard/cgoguard/analyzers/exportpanic"
	"github.com/cgoguard/cgoguard/analyzers/finalizerclose"
	"github.com/cgoguard/cgoguard/analyzers/gopointerkept"
	"github.com/cgoguard/cgoguard/analyzers/handlepin"
	"github.com/cgoguard/cgoguard/analyzers/lockdomains"
	"github.com/cgoguard/cgoguard/analyzers/nestedgopointer"
	"github.com/cgoguard/cgoguard/analyzers/structlayout"
)

// All returns the analyzers, in a stable order.
func All() []*analysis.Analyzer {
	return []*analysis.Analyzer{
		cmemleak.Analyzer,
		cdoublefree.Analyzer,
		cuseafterfree.Analyzer,
		coverread.Analyzer,
		structlayout.Analyzer,
		exportpanic.Analyzer,
		finalizerclose.Analyzer,
		gopointerkept.Analyzer,
		blockingfanout.Analyzer,
		callbacklock.Analyzer,
		cthreadlocal.Analyzer,
		handlepin.Analyzer,
		nestedgopointer.Analyzer,
		lockdomains.Analyzer,
	}
}
