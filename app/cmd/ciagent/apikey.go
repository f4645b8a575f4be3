package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ci-agent/ci-agent/app/internal/api"
)

const keyCommandUsage = `usage: ciagent apikey new NAME

Prints a new API key for the client NAME on stdout (it is shown once) and, on stderr, the line
to append to the keys file (CIAGENT_API_KEYS_FILE). NAME is one word, not starting with '-'.`

func runAPIKey(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stderr, keyCommandUsage)
		return errFlagHelp
	}
	if len(args) == 0 || args[0] != "new" {
		return usageErrorf("usage: ciagent apikey new NAME")
	}
	fs := newFlagSet("apikey new", stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, keyCommandUsage) }
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("usage: ciagent apikey new NAME")
	}
	key, line, err := api.NewKey(fs.Arg(0))
	if err != nil {
		return usageErrorf("%v", err)
	}
	fmt.Fprintf(stdout, "%s\n", key)
	fmt.Fprintf(stderr, "Give the key above to the client (it is shown once). Append this line to the keys file (CIAGENT_API_KEYS_FILE):\n%s\n", line)
	return nil
}
