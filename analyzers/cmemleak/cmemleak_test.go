package cmemleak_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cgoguard/cgoguard/analyzers/cmemleak"
	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/knowledge"
)

func Test(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), cmemleak.Analyzer, "leak")
}

// TestConfig: library pairs from a config file make their allocations tracked.
func TestConfig(t *testing.T) {
	cfg, err := knowledge.ParseConfig([]byte(`{"allocators": {"lib_make": "lib_release"}}`))
	if err != nil {
		t.Fatal(err)
	}
	saved := cgoview.DB
	cgoview.DB = knowledge.Base.With(cfg)
	defer func() { cgoview.DB = saved }()
	analysistest.Run(t, analysistest.TestData(), cmemleak.Analyzer, "config")
}
