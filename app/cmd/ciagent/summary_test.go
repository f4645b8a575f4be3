package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
	"github.com/ci-agent/ci-agent/app/internal/cifailure"
)

var update = flag.Bool("update", false, "rewrite testdata/summary/*.md from the current output")

// TestSummaryGolden renders answers as Markdown and compares them with testdata/summary/*.md
// (go test -run TestSummaryGolden -update rewrites them; read the diff before committing).
func TestSummaryGolden(t *testing.T) {
	longLine := strings.Repeat("x", summaryLineRunes+50)
	tests := []struct {
		name string
		resp *apiv1.ExplainResponse
	}{
		{"top-with-alternatives", &apiv1.ExplainResponse{
			ID: "0193a5c2-7d1e-7b3a-9c4f-2e8d1a6b5c70", RankerVersion: "ranker-3",
			Answer: &cifailure.Answer{Category: "compile", Confidence: 0.82, Lines: 48, Bytes: 3174, Propositions: []cifailure.Proposition{
				{CauseID: "go.undefined-identifier", Category: "compile", Title: "Go compile error: undefined identifier", Score: 0.82,
					Fix:      []string{"Declare the identifier; reproduce with `go build ./...`."},
					Docs:     "https://go.dev/ref/spec#Declarations_and_scope",
					Evidence: []cifailure.Evidence{{Line: 9, Text: "./main.go:12:2: undefined: helper"}, {Line: 10, Text: "./main.go:14:2: undefined: other"}}},
				{CauseID: "gha.process-exit-code", Category: "unknown", Title: "A step exited with a non-zero code", Score: 0.43,
					Evidence: []cifailure.Evidence{{Line: 11, Text: "##[error]Process completed with exit code 1."}}},
				{CauseID: "go.vet", Category: "lint", Title: "go vet", Score: 0.2},
			}},
		}},
		// Log text that is Markdown or HTML must stay text: backticks cannot close the block
		// or span, and a 10-backtick run needs an 11-backtick fence.
		{"log-text-is-not-markup", &apiv1.ExplainResponse{
			Answer: &cifailure.Answer{Category: "test", Confidence: 0.5, Lines: 3, Bytes: 120, Propositions: []cifailure.Proposition{
				{CauseID: "node.jest-test-failed", Category: "test", Title: "Jest tests failed", Score: 0.5,
					Evidence: []cifailure.Evidence{{Line: 1, Text: "```` <script>alert(1)</script> **bold** `````````` end"}}},
				{CauseID: "node.npm-err", Category: "dependency", Title: "npm error", Score: 0.3,
					Evidence: []cifailure.Evidence{{Line: 2, Text: "`npm ERR!` at `x`"}}},
			}},
		}},
		{"long-lines-and-many-proving-lines", &apiv1.ExplainResponse{
			Answer: &cifailure.Answer{Category: "test", Confidence: 0.9, Lines: 2000, Bytes: 5 << 20, Propositions: []cifailure.Proposition{
				{CauseID: "pytest.test-failed", Category: "test", Title: "pytest tests failed", Score: 0.9, Evidence: manyLines(12, longLine)},
			}},
		}},
		{"no-propositions", &apiv1.ExplainResponse{Answer: &cifailure.Answer{Category: "unknown", Lines: 1, Bytes: 6}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got bytes.Buffer
			writeSummary(&got, tc.resp)
			golden := filepath.Join("testdata", "summary", tc.name+".md")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got.String() != string(want) {
				t.Errorf("summary differs from %s:\n--- got\n%s\n--- want\n%s", golden, got.String(), want)
			}
		})
	}
}

func manyLines(n int, text string) []cifailure.Evidence {
	ev := make([]cifailure.Evidence, n)
	for i := range ev {
		ev[i] = cifailure.Evidence{Line: 100 + i, Text: text}
	}
	return ev
}

func TestCodeSpanCannotBeClosed(t *testing.T) {
	tests := map[string]string{
		"plain":      "`plain`",
		"a`b":        "``a`b``",
		"`x":         "`` `x ``",
		"a``b`":      "``` a``b` ```",
		"two\nlines": "`two lines`",
	}
	for in, want := range tests {
		if got := codeSpan(in); got != want {
			t.Errorf("codeSpan(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestExplainSummaryFile: --summary appends to the file (a job summary that earlier steps
// wrote to keeps their part) and the --format output still goes to stdout.
func TestExplainSummaryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "step-summary.md")
	if err := os.WriteFile(path, []byte("## Tests\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "", "explain", "--format", "github", "--summary", path, "testdata/undefined.log")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "::error ") {
		t.Errorf("stdout %q; want the --format github annotations", stdout)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Tests\n\n### CI failure: compile", "`go.undefined-identifier`", "./main.go:12:2: undefined: helper"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("summary file:\n%s\nwant it to contain %q", got, want)
		}
	}

	code, _, stderr = runCLI(t, "", "explain", "--summary", filepath.Join(t.TempDir(), "no", "such", "dir.md"), "testdata/undefined.log")
	if code != exitInput || !strings.Contains(stderr, "writing the summary") {
		t.Errorf("summary in a missing directory: exit %d, stderr %q; want exit 2 naming the summary", code, stderr)
	}
}
