package main

import (
	"context"
	"io"
)

func runEval(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	return usageErrorf("eval: not available in this build")
}
