package gopointerkept_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/gopointerkept"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), gopointerkept.Analyzer, "kept", "deep")
}

// TestAcrossPackages: a package without cgo that calls a binding's keeping
// function is reported through the KeepsParam fact.
func TestAcrossPackages(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), gopointerkept.Analyzer, "binding", "user")
}
