package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ci-agent/ci-agent/app/internal/cieval"
	"github.com/ci-agent/ci-agent/app/internal/cifailure"
	"github.com/ci-agent/ci-agent/app/internal/spam"
)

func runEval(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr)
	// The default is the workspace's shared/data seen from app/, where make eval runs the CLI.
	data := fs.String("data", filepath.Join("..", "..", "shared", "data"), "directory of the public corpora (ci-logs/, spam/); the default is relative to app/, where make eval runs; without the flag a missing one is skipped")
	kbDir := fs.String("kb", getenv("CIAGENT_KB_DIR"), "directory of extra knowledge-base *.yaml files")
	split := fs.Bool("split", false, "also report LogChunks on its two halves of repositories (tuning, held out; docs/benchmarks.md)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("eval takes no arguments")
	}
	if flagSet(fs, "data") {
		// A directory the user named: a typo must not pass for "no corpora".
		if err := existingDir("--data", *data); err != nil {
			return err
		}
	}
	if _, err := os.Stat(*data); err != nil {
		fmt.Fprintf(stdout, "eval: no corpora at %s (%v); nothing to evaluate. The corpora are not part of the repository: see docs/benchmarks.md.\n", *data, err)
		return nil
	}
	kb, err := cifailure.Load(*kbDir)
	if err != nil {
		return err
	}
	eng, err := cifailure.New(kb, cifailure.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "CI Failure Proposer (%d causes)\n", len(kb.Causes))

	lcDir := filepath.Join(*data, "ci-logs", "logchunks")
	if _, err := os.Stat(lcDir); err == nil {
		rep, tuning, heldOut, err := cieval.LogChunksSplit(ctx, eng, lcDir, progressTo(stderr))
		if err != nil {
			return err
		}
		printLogChunks(stdout, "  LogChunks  ", rep)
		if *split {
			printLogChunks(stdout, "  LogChunks tuning half:", tuning)
			printLogChunks(stdout, "  LogChunks held-out half:", heldOut)
		}
	} else {
		fmt.Fprintf(stdout, "  LogChunks   skipped: %s not found\n", lcDir)
	}
	cdDir := filepath.Join(*data, "ci-logs", "cidiff-breakages")
	if _, err := os.Stat(cdDir); err == nil {
		rep, err := cieval.CIDiff(ctx, eng, cdDir, progressTo(stderr))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  CiDiff      %d cases\n", rep.Cases)
		fmt.Fprintf(stdout, "    line recall of labelled error lines (mean)      %5.1f %%\n", 100*rep.LineRecall)
		fmt.Fprintf(stdout, "    cases with a labelled error line in evidence    %5.1f %%\n", 100*rep.CaseHit)
	} else {
		fmt.Fprintf(stdout, "  CiDiff      skipped: %s not found\n", cdDir)
	}

	switch _, err := os.Stat(filepath.Join(*data, "spam")); {
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(stdout, "\nSpam/Scam Proposer: skipped, %s not found\n", filepath.Join(*data, "spam"))
		return nil
	case err != nil:
		return err
	}
	checker, err := spam.New(spam.DefaultConfig())
	if err != nil {
		return err
	}
	rep, err := spam.Evaluate(checker, spam.DefaultCorpusPaths(*data, getenv("CIAGENT_SPAMASSASSIN_DIR")))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nSpam/Scam Proposer")
	return spam.PrintReport(stdout, rep)
}

func printLogChunks(stdout io.Writer, title string, rep *cieval.LogChunksReport) {
	fmt.Fprintf(stdout, "%s %d examples (%d logs missing)\n", title, rep.Examples, rep.Missing)
	fmt.Fprintf(stdout, "    evidence recall (key line among all evidence)   %5.1f %%\n", 100*rep.EvidenceRecall)
	fmt.Fprintf(stdout, "    evidence recall (top proposition only)          %5.1f %%\n", 100*rep.TopRecall)
	fmt.Fprintf(stdout, "    top-1 category (indicative keyword labels, n=%d) %5.1f %%\n", rep.Labelled, 100*rep.CategoryTop1)
	fmt.Fprintf(stdout, "    answered unknown                                %5.1f %%\n", 100*rep.Unknown)
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// existingDir is an input error (exit 2) unless dir, given as the flag name, is a directory.
func existingDir(name, dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s %s: no such directory", name, dir)
	case err != nil:
		return fmt.Errorf("%s: %w", name, err)
	case !st.IsDir():
		return fmt.Errorf("%s %s: not a directory", name, dir)
	}
	return nil
}

// progressTo is where a long run's "\r…" progress goes: w itself on a terminal, which redraws
// the line; elsewhere (a CI log, a file) only each phase's last state, one line per phase,
// instead of thousands of redraws run together on one line.
func progressTo(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return w
		}
	}
	return &lastLine{w: w}
}

// lastLine keeps the latest \r-started update and writes it when a newline ends the phase.
type lastLine struct {
	w    io.Writer
	line []byte
}

func (l *lastLine) Write(p []byte) (int, error) {
	for _, b := range p {
		switch b {
		case '\r':
			l.line = l.line[:0]
		case '\n':
			if _, err := fmt.Fprintf(l.w, "%s\n", l.line); err != nil {
				return 0, err
			}
			l.line = l.line[:0]
		default:
			l.line = append(l.line, b)
		}
	}
	return len(p), nil
}
