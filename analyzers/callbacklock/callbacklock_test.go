package callbacklock_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/callbacklock"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), callbacklock.Analyzer, "cycle", "adversarial")
}
