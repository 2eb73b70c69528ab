package blockingfanout_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/blockingfanout"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), blockingfanout.Analyzer, "fanout", "limited")
}

// TestAcrossPackages: a package without cgo that starts goroutines calling a
// binding's blocking function is reported through the BlocksInC fact.
func TestAcrossPackages(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), blockingfanout.Analyzer, "blockbinding", "blockuser")
}
