package structlayout_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/structlayout"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), structlayout.Analyzer, "layout")
}
