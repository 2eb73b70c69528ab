package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cgoguard/cgoguard/traps"
)

var trapsCommand = &command{
	name:  "traps",
	usage: "cgoguard traps [-markdown]",
	short: "list the trap gallery: seed section, verdict, and the checks that catch each trap",
	long: `Traps lists every entry of the trap gallery (traps/ in the source tree): the
seed article's section, whether the claim is real, a myth or partly true on
today's Go, and the cgoguard checks that catch it.

	-markdown   print the full table of docs/traps.md instead`,
	run: runTraps,
}

func runTraps(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("traps", flag.ContinueOnError)
	fs.SetOutput(stderr)
	md := fs.Bool("markdown", false, "print the Markdown table of docs/traps.md")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	all, err := traps.All()
	if err != nil {
		fmt.Fprintf(stderr, "cgoguard traps: %v\n", err)
		return exitError
	}
	if *md {
		fmt.Fprint(stdout, traps.Markdown(all))
		return exitClean
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEED\tTRAP\tVERDICT\tCAUGHT BY")
	for _, t := range all {
		checks := strings.Join(t.Checks, ",")
		if checks == "" {
			checks = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Seed, t.ID, t.Verdict, checks)
	}
	tw.Flush()
	return exitClean
}
