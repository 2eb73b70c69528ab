package main

import (
	"fmt"
	"io"
	"os"
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

func vetToolMain(args []string) int {
	fmt.Fprintln(os.Stderr, "cgoguard: vet tool protocol not yet supported")
	return exitError
}
