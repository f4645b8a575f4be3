package main

import (
	"bytes"
	"fmt"
	"testing"
)

// Progress written to a file or a CI log is one line per phase, its last state, not every
// redraw joined on one line.
func TestProgressToANonTerminal(t *testing.T) {
	var buf bytes.Buffer
	w := progressTo(&buf)
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(w, "\rLogChunks: %d/3 repositories", i)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "\rCiDiff: 1/2 cases")
	fmt.Fprintf(w, "\rCiDiff: 2/2 cases")
	fmt.Fprintln(w)
	if got, want := buf.String(), "LogChunks: 3/3 repositories\nCiDiff: 2/2 cases\n"; got != want {
		t.Errorf("progress = %q; want %q", got, want)
	}
}
