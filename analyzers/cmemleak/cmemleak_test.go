package cmemleak_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/cmemleak"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), cmemleak.Analyzer, "leak")
}
