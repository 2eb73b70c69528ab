package cthreadlocal_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/cthreadlocal"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), cthreadlocal.Analyzer, "tls", "mainlocked")
}
