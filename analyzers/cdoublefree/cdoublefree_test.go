package cdoublefree_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/cdoublefree"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), cdoublefree.Analyzer, "a")
}
