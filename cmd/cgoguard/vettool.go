package main

import (
	"flag"
	"strings"

	"golang.org/x/tools/go/analysis/unitchecker"

	"github.com/cgoguard/cgoguard/analyzers/suite"
	"github.com/cgoguard/cgoguard/cgoview"
	"github.com/cgoguard/cgoguard/knowledge"
)

// Flags of the vet-tool protocol that cgoguard vet passes through go vet.
// They are flags, not environment variables, because go vet keys its result
// cache on the flags: a changed config (its content hash) re-runs the analysis.
const (
	configFlag     = "cgoguard.config"
	configHashFlag = "cgoguard.confighash"
)

// vetToolMain speaks go vet's -vettool protocol (one package per process,
// facts through files); unitchecker.Main does not return.
func vetToolMain(args []string) int {
	flag.String(configFlag, "", "knowledge config file (JSON) describing the C libraries")
	flag.String(configHashFlag, "", "content hash of the config file, so go vet's cache sees changes")
	if path := flagValue(args, configFlag); path != "" {
		// Already validated and reported by the outer cgoguard vet; a bad file
		// here (go vet run by hand) falls back to the built-in knowledge.
		if c, err := knowledge.LoadConfig(path); err == nil {
			cgoview.DB = knowledge.Base.With(c)
		}
	}
	unitchecker.Main(suite.All()...)
	return exitError // not reached
}

// flagValue finds -name=value or -name value among args before the .cfg file.
func flagValue(args []string, name string) string {
	for i, a := range args {
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}
