// Command cgoguard finds and prevents the bugs of Go↔C mixed programming.
//
//	cgoguard vet [flags] [packages]   static analysis of cgo code (also: go vet -vettool=$(which cgoguard))
//	cgoguard test [go test flags] [packages]
//	                                  run tests under the C-memory tracker
//	cgoguard run [flags] -- program [args]
//	                                  run any cgo binary under the C-memory tracker
//	cgoguard traps [-markdown]        list the trap gallery
//	cgoguard version                  print the version
//	cgoguard help [command]           explain a command
//
// Exit codes follow go vet: 0 clean, 1 findings, 2 usage or internal error.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes shared by every subcommand.
const (
	exitClean    = 0
	exitFindings = 1
	exitError    = 2
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "devel"

type command struct {
	name, usage, short, long string
	run                      func(args []string, stdout, stderr io.Writer) int
}

var commands []*command

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	// go vet -vettool runs the tool with flags (-V=full, -flags) or a single
	// *.cfg file and no subcommand; hand those to the vet protocol.
	if len(args) > 0 && (strings.HasPrefix(args[0], "-") || strings.HasSuffix(args[len(args)-1], ".cfg")) {
		if args[0] != "-h" && args[0] != "-help" && args[0] != "--help" {
			return vetToolMain(args)
		}
	}
	if len(args) == 0 {
		usage(stderr)
		return exitError
	}
	name := args[0]
	if name == "-h" || name == "-help" || name == "--help" {
		name = "help"
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "cgoguard: unknown command %q\nRun 'cgoguard help' for usage.\n", name)
	return exitError
}

func usage(w io.Writer) {
	fmt.Fprint(w, "cgoguard finds and prevents the bugs of Go↔C mixed programming (cgo).\n\nUsage:\n\n\tcgoguard <command> [arguments]\n\nCommands:\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-8s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, "\nExit status: 0 clean, 1 findings, 2 usage or internal error.\n")
	fmt.Fprint(w, "Use 'cgoguard help <command>' for more about a command.\n")
}

func init() {
	commands = []*command{
		vetCommand,
		testCommand,
		runCommand,
		trapsCommand,
		checksCommand,
		{
			name: "version", usage: "cgoguard version", short: "print cgoguard's version",
			run: func(args []string, stdout, stderr io.Writer) int {
				fmt.Fprintf(stdout, "cgoguard %s\n", version)
				return exitClean
			},
		},
		{
			name: "help", usage: "cgoguard help [command]", short: "explain a command",
			run: runHelp,
		},
	}
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return exitClean
	}
	for _, c := range commands {
		if c.name == args[0] {
			fmt.Fprintf(stdout, "usage: %s\n\n%s\n", c.usage, strings.TrimSpace(c.long))
			return exitClean
		}
	}
	fmt.Fprintf(stderr, "cgoguard help: unknown command %q\n", args[0])
	return exitError
}
