package main

import (
	"os"

	"golang.org/x/tools/go/analysis/unitchecker"

	"github.com/cgoguard/cgoguard/analyzers/suite"
	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/knowledge"
)

// configEnv names the knowledge config file for the per-package vet-tool
// processes that go vet starts; cgoguard vet sets it after validating the file.
const configEnv = "CGOGUARD_CONFIG"

// vetToolMain speaks go vet's -vettool protocol (one package per process,
// facts through files); unitchecker.Main does not return.
func vetToolMain(args []string) int {
	if path := os.Getenv(configEnv); path != "" {
		// Already validated and reported by the outer cgoguard vet; a bad file
		// here (go vet run by hand) falls back to the built-in knowledge.
		if c, err := knowledge.LoadConfig(path); err == nil {
			cgoview.DB = knowledge.Base.With(c)
		}
	}
	unitchecker.Main(suite.All()...)
	return exitError // not reached
}
