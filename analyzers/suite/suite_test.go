package suite

import (
	"go/token"
	"go/types"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
)

// TestPanicBecomesError: an analyzer that panics reports an error naming
// itself and the package; the driver carries on.
func TestPanicBecomesError(t *testing.T) {
	a := &analysis.Analyzer{Name: "boom", Doc: "panics", Run: func(*analysis.Pass) (any, error) { panic("bad node") }}
	wrapped := &analysis.Analyzer{Name: "outer", Doc: "requires boom", Requires: []*analysis.Analyzer{a}, Run: func(*analysis.Pass) (any, error) { return nil, nil }}
	saved := allHook
	allHook = func() []*analysis.Analyzer { return []*analysis.Analyzer{wrapped} }
	defer func() { allHook = saved }()
	guardAll()
	_, err := a.Run(&analysis.Pass{Fset: token.NewFileSet(), Pkg: types.NewPackage("example.com/p", "p")})
	if err == nil || !strings.Contains(err.Error(), "internal error in boom on example.com/p: bad node") {
		t.Fatalf("got %v", err)
	}
}

func TestEveryAnalyzerDocumented(t *testing.T) {
	for _, a := range All() {
		if a.Doc == "" || a.URL == "" {
			t.Errorf("%s: missing Doc or URL", a.Name)
		}
	}
}
