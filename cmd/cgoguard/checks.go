package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/cgoguard/cgoguard/checks"
)

var checksCommand = &command{
	name:  "checks",
	usage: "cgoguard checks [-markdown]",
	short: "list the static checks with their severity and title",
	long: `Checks lists every check that cgoguard vet runs. The documentation of each is
kept as data in package checks; docs/checks.md is generated from it.

	-markdown   print docs/checks.md`,
	run: func(args []string, stdout, stderr io.Writer) int {
		fs := flag.NewFlagSet("checks", flag.ContinueOnError)
		fs.SetOutput(stderr)
		md := fs.Bool("markdown", false, "print docs/checks.md")
		if err := fs.Parse(args); err != nil {
			return exitError
		}
		if *md {
			fmt.Fprint(stdout, checks.Markdown())
			return exitClean
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CHECK\tSEVERITY\tTITLE")
		for _, c := range checks.All() {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Severity, c.Title)
		}
		tw.Flush()
		return exitClean
	},
}
