package nestedgopointer_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/nestedgopointer"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), nestedgopointer.Analyzer, "nested")
}
