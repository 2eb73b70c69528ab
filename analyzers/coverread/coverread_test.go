package coverread_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/coverread"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), coverread.Analyzer, "a")
}
