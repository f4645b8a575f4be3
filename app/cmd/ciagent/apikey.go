package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ci-agent/ci-agent/app/internal/api"
)

const keyCommandUsage = `usage: ciagent apikey new [--scopes LIST] NAME

Prints a new API key for the client NAME on stdout (it is shown once) and, on stderr, the line
to append to the keys file (CIAGENT_API_KEYS_FILE). NAME is one word, not starting with '-'.

--scopes limits what the key may do, a comma-separated list of:
  explain       POST /v1/ci/explain
  spam          POST /v1/spam/check
  feedback      POST /v1/feedback on the answers this key was given
  feedback:any  POST /v1/feedback on any client's answers (a moderation console)
  export        GET /v1/ranking/export (every client's requests and feedback: the ranker's key)
Without --scopes the key may do everything, as keys made before scopes existed.`

func runAPIKey(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stderr, keyCommandUsage)
		return errFlagHelp
	}
	if len(args) == 0 || args[0] != "new" {
		return usageErrorf("usage: ciagent apikey new [--scopes LIST] NAME")
	}
	fs := newFlagSet("apikey new", stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, keyCommandUsage) }
	scopeList := fs.String("scopes", "", "comma-separated scopes: explain, spam, feedback, feedback:any, export (default: all)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 1 && strings.HasPrefix(fs.Arg(1), "-") {
		// Go's flag package stops at the first argument that is not a flag.
		return usageErrorf("%s after the name: flags go before NAME (ciagent apikey new [--scopes LIST] NAME)", fs.Arg(1))
	}
	if fs.NArg() != 1 {
		return usageErrorf("usage: ciagent apikey new [--scopes LIST] NAME")
	}
	scopes := api.AllScopes
	// Given, even empty (--scopes "$SCOPES" with nothing in it), the list is read: an empty
	// one is an error, not a key that may do everything.
	if flagSet(fs, "scopes") {
		var err error
		if scopes, err = api.ParseScopes(*scopeList); err != nil {
			return usageErrorf("--scopes: %v", err)
		}
	}
	key, line, err := api.NewKey(fs.Arg(0), scopes)
	if err != nil {
		return usageErrorf("%v", err)
	}
	fmt.Fprintf(stdout, "%s\n", key)
	fmt.Fprintf(stderr, "Give the key above to the client (it is shown once). Append this line to the keys file (CIAGENT_API_KEYS_FILE):\n%s\n", line)
	return nil
}
