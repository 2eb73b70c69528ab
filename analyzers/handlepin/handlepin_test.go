package handlepin_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/handlepin"
)

func Test(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), handlepin.Analyzer, "handles")
}

// TestCallbackDeletes: a package whose Go callback deletes the handles it
// receives hands each handle over with the C call: no finding.
func TestCallbackDeletes(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), handlepin.Analyzer, "callback")
}
