// Command ciagent is the CI Failure Agent and Spam/Scam Filter: a CLI and the filter API server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes are part of the CLI's contract: CI steps branch on them.
const (
	exitOK    = 0
	exitUsage = 1 // bad flags or arguments
	exitInput = 2 // the input could not be answered (unreadable, empty, binary, corrupt)
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl-C or SIGTERM asks the command to stop (serve drains, explain stops
		// between lines); a read blocked on a terminal or pipe never looks, so the second
		// one gets the default behaviour: the process ends.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// env is how commands read the environment, so tests can pass their own.
type env func(string) string

// command is one `ciagent <name>` subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error
}

// commands is the CLI's command table.
var commands = map[string]command{
	"explain": {"explain a failed CI job's log: what broke, the proving lines, ranked fixes", runExplain},
	"kb":      {"knowledge base: list | lint [DIR] | literals", runKB},
	"migrate": {"apply the database migrations (--status lists them)", runMigrate},
	"ranking": {"ranking feeder: export --since T --format svmlight|jsonl, train, eval", runRanking},
	"serve":   {"run the filter API server", runServe},
	"apikey":  {"apikey new NAME: make an API key and its keys-file line", runAPIKey},
	"eval":    {"evaluate the proposers on the public corpora (--data DIR)", runEval},
	"spam":    {"check a text for spam or scams (spam --jsonl, spam train, spam eval)", runSpam},
	"version": {"print the version", runVersion},
}

func run(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		if len(args) == 0 {
			return usageErrorf("no command given")
		}
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return usageErrorf("unknown command %q (run `ciagent help`)", args[0])
	}
	return cmd.run(ctx, args[1:], getenv, stdin, stdout, stderr)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: ciagent <command> [flags] [args]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-8s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun `ciagent <command> -h` for a command's flags. Exit codes: 0 answered, 1 usage, 2 input error.")
}

// usageError is a mistake in how the command was called (exit 1).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// errFlagHelp ends a command whose -h was printed.
var errFlagHelp = errors.New("help requested")

func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errFlagHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "ciagent:", oneLine(err))
		return exitUsage
	default:
		fmt.Fprintln(stderr, "ciagent:", oneLine(err))
		return exitInput
	}
}

// oneLine keeps an error to one stderr line, as the CLI promises.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}
