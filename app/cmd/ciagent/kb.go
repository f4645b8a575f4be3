package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/ci-agent/ci-agent/app/internal/cifailure"
)

const kbUsage = `usage: ciagent kb <list|lint [DIR]|literals> [--kb DIR]

  list       the causes of the knowledge base: id, category, weight, source, title
  lint       check DIR's *.yaml causes on their own (without DIR, the built-in base)
  literals   the prefilter's literals, one a line`

func runKB(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("kb needs a subcommand: list, lint [DIR] or literals")
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, kbUsage)
		return errFlagHelp
	}
	fs := newFlagSet("kb "+args[0], stderr)
	kbDir := fs.String("kb", getenv("CIAGENT_KB_DIR"), "directory of extra knowledge-base *.yaml files (env CIAGENT_KB_DIR)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, kbUsage)
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "list":
		kb, err := cifailure.Load(*kbDir)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCATEGORY\tWEIGHT\tSOURCE\tTITLE")
		for _, c := range kb.Causes {
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%s\n", c.ID, c.Category, c.Weight, c.Source, c.Title)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%d causes\n", len(kb.Causes))
		return nil
	case "lint":
		// kb lint DIR checks a user's directory on its own; without DIR, the built-in base.
		dir := *kbDir
		if fs.NArg() > 1 {
			return usageErrorf("kb lint takes at most one DIR")
		}
		if fs.NArg() == 1 {
			dir = fs.Arg(0)
		}
		var n int
		if dir == "" {
			kb, err := cifailure.LoadBuiltin()
			if err != nil {
				return err
			}
			n = len(kb.Causes)
		} else {
			causes, err := cifailure.LoadDir(dir)
			if err != nil {
				return err
			}
			n = len(causes)
		}
		src := "built-in knowledge base"
		if dir != "" {
			src = dir
		}
		fmt.Fprintf(stdout, "%s: %d causes, all valid\n", src, n)
		return nil
	case "literals":
		kb, err := cifailure.Load(*kbDir)
		if err != nil {
			return err
		}
		for _, lit := range kb.Literals() {
			fmt.Fprintln(stdout, lit)
		}
		return nil
	}
	return usageErrorf("unknown kb subcommand %q: want list, lint or literals", args[0])
}
