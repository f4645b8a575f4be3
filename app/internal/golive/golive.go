// Package golive is the Go-Live checklist as executable checks: each check turns the output of
// a command run against a live environment (kubectl, aws, curl, the Prometheus API) into a
// pass/fail Result with a reason. The package does no I/O; cmd/golive runs the commands.
package golive

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Status of one check.
type Status string

const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	// Skip is a check that could not be judged (no data yet, or an input it needs is missing).
	// It does not fail the run, but the report shows it.
	Skip Status = "SKIP"
)

// Result is one line of the report.
type Result struct {
	Name   string
	Status Status
	Detail string
}

func pass(name, format string, a ...any) Result {
	return Result{Name: name, Status: Pass, Detail: fmt.Sprintf(format, a...)}
}

func fail(name, format string, a ...any) Result {
	return Result{Name: name, Status: Fail, Detail: fmt.Sprintf(format, a...)}
}

func skip(name, format string, a ...any) Result {
	return Result{Name: name, Status: Skip, Detail: fmt.Sprintf(format, a...)}
}

// Report writes the pass/fail table and a closing line, and reports whether nothing failed.
func Report(w io.Writer, stack string, results []Result) bool {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tDETAIL")
	counts := map[Status]int{}
	for _, r := range results {
		counts[r.Status]++
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, r.Status, oneLine(r.Detail))
	}
	_ = tw.Flush()
	ok := counts[Fail] == 0
	verdict := "GO"
	if !ok {
		verdict = "NO-GO"
	}
	fmt.Fprintf(w, "\n%s: %d passed, %d failed, %d skipped\n", stack, counts[Pass], counts[Fail], counts[Skip])
	fmt.Fprintf(w, "%s: %s\n", stack, verdict)
	return ok
}

// oneLine keeps a detail to one short line in the table.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// CommandFailed is the Result of a check whose command did not run or exited non-zero: a
// FAIL that names the command and the last line of what it printed (kubectl and the aws CLI
// put their conclusion last, after retries and warnings).
func CommandFailed(name, command string, err error, stderr []byte) Result {
	msg := strings.TrimSpace(string(stderr))
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = strings.TrimSpace(msg[i+1:])
	}
	if msg == "" {
		msg = err.Error()
	}
	return fail(name, "%s: %s", command, msg)
}
