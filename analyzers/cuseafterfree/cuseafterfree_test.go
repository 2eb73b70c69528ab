package cuseafterfree_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/cuseafterfree"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), cuseafterfree.Analyzer, "a")
}
