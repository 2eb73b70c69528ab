package suite

import (
	"fmt"
	"runtime/debug"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// init makes every analyzer, and every analyzer they require, turn a panic
// into an error: the driver then prints one internal-error line naming the
// package and analyzer, and goes on with the other packages, instead of
// crashing the run.
func init() { guardAll() }

// allHook lets the test substitute the analyzers guarded.
var allHook = All

func guardAll() {
	seen := map[*analysis.Analyzer]bool{}
	var guard func(a *analysis.Analyzer)
	guard = func(a *analysis.Analyzer) {
		if seen[a] {
			return
		}
		seen[a] = true
		for _, r := range a.Requires {
			guard(r)
		}
		run := a.Run
		a.Run = func(pass *analysis.Pass) (res any, err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("internal error in %s on %s: %v (at %s); please report it", a.Name, pass.Pkg.Path(), r, panicSite())
				}
			}()
			return run(pass)
		}
	}
	for _, a := range allHook() {
		guard(a)
	}
}

// panicSite returns the innermost frame of the panicking goroutine's stack
// outside the runtime, for the one-line report.
func panicSite() string {
	lines := strings.Split(string(debug.Stack()), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") && i+3 < len(lines) {
			return strings.TrimSpace(lines[i+3])
		}
	}
	return "unknown"
}
