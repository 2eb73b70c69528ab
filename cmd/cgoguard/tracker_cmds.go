package main

import (
	"fmt"
	"io"
)

// testCommand and runCommand are filled in by the run-time tracker.
var testCommand = &command{
	name:  "test",
	usage: "cgoguard test [go test flags] [packages]",
	short: "run go test under the C-memory tracker",
	long:  `Test runs "go test" with every test binary under the C-memory tracker.`,
	run:   notYet("test"),
}

var runCommand = &command{
	name:  "run",
	usage: "cgoguard run [flags] -- program [args]",
	short: "run a cgo binary under the C-memory tracker",
	long:  `Run runs an unstripped cgo binary under the C-memory tracker.`,
	run:   notYet("run"),
}

func notYet(name string) func([]string, io.Writer, io.Writer) int {
	return func(_ []string, _, stderr io.Writer) int {
		fmt.Fprintf(stderr, "cgoguard %s: the run-time tracker is not part of this build yet\n", name)
		return exitError
	}
}
