package main

import (
	"fmt"
	"io"
)

var vetCommand = &command{
	name:  "vet",
	usage: "cgoguard vet [flags] [packages]",
	short: "report cgo bugs: C memory leaks, double frees, Go pointers kept by C, ...",
	long:  `Vet analyses Go packages that use cgo.`,
	run: func(args []string, stdout, stderr io.Writer) int {
		fmt.Fprintln(stderr, "cgoguard vet: no analyzers yet")
		return exitError
	},
}
