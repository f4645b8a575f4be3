package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ci-agent/ci-agent/app/internal/api"
)

func runAPIKey(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "new" {
		return usageErrorf("usage: ciagent apikey new NAME")
	}
	key, line, err := api.NewKey(args[1])
	if err != nil {
		return usageErrorf("%v", err)
	}
	fmt.Fprintf(stdout, "%s\n", key)
	fmt.Fprintf(stderr, "Give the key above to the client (it is shown once). Append this line to the keys file (CIAGENT_API_KEYS_FILE):\n%s\n", line)
	return nil
}
