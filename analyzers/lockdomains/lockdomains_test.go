package lockdomains_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/lockdomains"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), lockdomains.Analyzer, "domains", "serialonly", "adversarial")
}
