package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ci-agent/ci-agent/app/internal/spam"
)

func TestSpamCLI(t *testing.T) {
	dir := t.TempDir()
	scam := filepath.Join(dir, "scam.txt")
	if err := os.WriteFile(scam, []byte("Support team: connect your wallet at https://verifymetamask.io/login and enter your seed phrase."), 0o600); err != nil {
		t.Fatal(err)
	}
	badConfig := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badConfig, []byte("thresholds:\n  flag: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, stdin string
		args        []string
		code        int
		stdout      string // substring
		stderr      string // substring
	}{
		{"text from a file", "", []string{"spam", scam}, 0, "BLOCK", ""},
		{"json from stdin", "LGTM, merging", []string{"spam", "--format", "json", "-"}, 0, `"verdict": "allow"`, ""},
		{"empty stdin", "", []string{"spam"}, 0, "ALLOW", ""},
		{"bad format", "", []string{"spam", "--format", "xml"}, 1, "", "--format"},
		{"bad kind", "x", []string{"spam", "--kind", "tweet"}, 1, "", "kind"},
		{"two files", "", []string{"spam", "a", "b"}, 1, "", "at most one"},
		{"missing file", "", []string{"spam", filepath.Join(dir, "nope")}, 2, "", "reading the text"},
		{"bad config", "x", []string{"spam", "--config", badConfig}, 1, "", "thresholds"},
		{"too large", strings.Repeat("a", spam.MaxTextBytes+1), []string{"spam"}, 2, "", "larger than"},
		{"eval needs data", "", []string{"spam", "eval"}, 1, "", "--data"},
		{"eval --data missing", "", []string{"spam", "eval", "--data", filepath.Join(dir, "nope")}, 2, "", "nope: no such directory"},
		{"eval --spamassassin missing", "", []string{"spam", "eval", "--data", dir, "--spamassassin", filepath.Join(dir, "nope")}, 2, "", "--spamassassin " + filepath.Join(dir, "nope") + ": no such directory"},
		{"eval --spamassassin without the corpus", "", []string{"spam", "eval", "--data", dir, "--spamassassin", dir}, 2, "", "no spam-1/"},
		{"train needs data", "", []string{"spam", "train"}, 1, "", "--data"},
		// Checked before the corpora are read and the model trained (this directory has none).
		{"train's default --out is relative to app/", "", []string{"spam", "train", "--data", dir}, 1, "",
			"--out " + filepath.Join("internal", "spam", "data", "model.bin.gz") + ": directory " + filepath.Join("internal", "spam", "data") + " does not exist (run from app/, or pass --out FILE)"},
		{"train --out in a missing directory", "", []string{"spam", "train", "--data", dir, "--out", filepath.Join(dir, "nope", "model.bin.gz")}, 1, "", "nope does not exist"},
		{"train --out under a file", "", []string{"spam", "train", "--data", dir, "--out", filepath.Join(scam, "model.bin.gz")}, 1, "", "scam.txt is not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("ciagent %v = exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					tc.args, code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestSpamJSONL: one answer per input line, in order; bad lines answer with an error object
// on their own line and do not stop the stream.
func TestSpamJSONL(t *testing.T) {
	in := strings.Join([]string{
		`{"text":"LGTM"}`,
		`{"text":42}`,
		`not json`,
		``,
		`{"text":"Double your ETH! Send 1 ETH to 0x742d35Cc6634C0532925a3b844Bc454e4438f44e and receive 2 ETH back instantly. Guaranteed returns, send bitcoin to this wallet address."}`,
		`{"kind":"comment"}`,
	}, "\n")
	code, stdout, stderr := runCLI(t, in, "spam", "--jsonl")
	if code != 0 {
		t.Fatalf("spam --jsonl exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("spam --jsonl wrote %d lines for 6 input lines:\n%s", len(lines), stdout)
	}
	want := []string{`"verdict":"allow"`, `"line":2,"error":"field \"text\" must be a string`, `"line":3,"error":"invalid JSON`, `"line":4,"error":"empty line"`, `"verdict":"`, `"line":6,"error":"field \"text\" is required"`}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("spam --jsonl line %d = %s; want it to contain %s", i+1, lines[i], w)
		}
	}
	var resp spam.Response
	if err := json.Unmarshal([]byte(lines[4]), &resp); err != nil || resp.Verdict == spam.Allow || resp.ID == "" {
		t.Errorf("spam --jsonl line 5 = %s; want a non-allow verdict with an id", lines[4])
	}
}

// A long excerpt is cut on a character boundary: "тес\xd1..." is what a byte cut printed.
func TestSpamTextExcerptKeepsCharactersWhole(t *testing.T) {
	text := strings.Repeat("тест ", 20) // two bytes a letter: byte 57 falls inside one
	resp := spam.Response{Verdict: spam.Flag, Score: 0.6, Reasons: []spam.Reason{{Code: spam.CodeModel, Detail: "d", Span: [2]int{0, len(text)}}}}
	var out strings.Builder
	writeSpamText(&out, text, resp)
	if !utf8.ValidString(out.String()) || strings.Contains(out.String(), `\x`) {
		t.Errorf("excerpt splits a character: %q", out.String())
	}
	if !strings.Contains(out.String(), `тест тест`) || !strings.Contains(out.String(), `..."`) {
		t.Errorf("output %q; want a shortened excerpt of the text", out.String())
	}
}
