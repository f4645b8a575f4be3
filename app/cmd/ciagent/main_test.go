package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ci-agent/ci-agent/app/internal/api"
	"github.com/ci-agent/ci-agent/app/internal/apiv1"
	"github.com/ci-agent/ci-agent/app/internal/cifailure"
	"github.com/ci-agent/ci-agent/app/internal/pipeline"
)

func noEnv(string) string { return "" }

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, noEnv, strings.NewReader(stdin), &out, &errb)
	code = exitCode(err, &errb)
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"no command", nil, "", exitUsage, "usage: ciagent", "no command"},
		{"help", []string{"help"}, "", exitOK, "explain", ""},
		{"unknown command", []string{"frobnicate"}, "", exitUsage, "", `unknown command "frobnicate"`},
		{"explain text", []string{"explain", "testdata/undefined.log"}, "", exitOK, "go.undefined-identifier", ""},
		{"explain text shows the line", []string{"explain", "testdata/undefined.log"}, "", exitOK, "line 3: ./main.go:12:2: undefined: helper", ""},
		{"explain stdin", []string{"explain", "-"}, "./x.go:1:1: undefined: y\n", exitOK, "go.undefined-identifier", ""},
		{"explain github", []string{"explain", "--format", "github", "testdata/undefined.log"}, "", exitOK, "::error file=./main.go,line=12,title=go.undefined-identifier", ""},
		{"explain github, rustc's location on the line below", []string{"explain", "--format", "github", "testdata/rust-e0308.log"}, "", exitOK, "::error file=src/pricing.rs,line=42,title=rust.mismatched-types", ""},
		{"explain github, host:port is not a file", []string{"explain", "--format", "github", "-"}, "go: downloading x\ndial tcp: lookup proxy.golang.org:443: no such host\n", exitOK, "::error title=net.dns-resolution (network", ""},
		{"explain, only the runner's verdict", []string{"explain", "-"}, "deploying to staging\n./deploy.sh: line 12: rollout went sideways\n##[error]Process completed with exit code 1.\n", exitOK, "unknown (confidence", ""},
		{"explain top 1", []string{"explain", "--top", "1", "--format", "json", "testdata/undefined.log"}, "", exitOK, `"cause_id": "go.undefined-identifier"`, ""},
		{"explain bad format", []string{"explain", "--format", "xml", "testdata/undefined.log"}, "", exitUsage, "", `--format "xml"`},
		{"explain --summary empty (unset $GITHUB_STEP_SUMMARY)", []string{"explain", "--summary", "", "testdata/undefined.log"}, "", exitUsage, "", "--summary is empty"},
		{"explain bad top", []string{"explain", "--top", "0", "x"}, "", exitUsage, "", "--top 0"},
		{"explain no file", []string{"explain"}, "", exitUsage, "", "one FILE"},
		{"explain missing file", []string{"explain", "testdata/nope.log"}, "", exitInput, "", "no such file"},
		{"explain empty", []string{"explain", "testdata/empty.log"}, "", exitInput, "", "the log is empty"},
		{"explain binary", []string{"explain", "testdata/binary.log"}, "", exitInput, "", "binary"},
		{"explain bad kb", []string{"explain", "--kb", "testdata/badkb", "testdata/undefined.log"}, "", exitInput, "", "missing closing )"},
		{"explain --repo without a server", []string{"explain", "--repo", "acme/api", "testdata/undefined.log"}, "", exitUsage, "", "--repo is sent to a server"},
		{"explain --api-key without a server", []string{"explain", "--api-key", "k", "testdata/undefined.log"}, "", exitUsage, "", "--api-key is sent to a server"},
		{"explain --kb with a server", []string{"explain", "--server", "http://127.0.0.1:1", "--kb", "testdata/badkb", "testdata/undefined.log"}, "", exitUsage, "", "--kb is the local knowledge base"},
		{"spam --jsonl --format", []string{"spam", "--jsonl", "--format", "text"}, "", exitUsage, "", "--format is for one text"},
		{"spam --jsonl --kind", []string{"spam", "--jsonl", "--kind", "pr"}, "", exitUsage, "", "--kind is for one text"},
		{"kb lint builtin", []string{"kb", "lint"}, "", exitOK, "built-in knowledge base", ""},
		{"kb lint bad dir", []string{"kb", "lint", "testdata/badkb"}, "", exitInput, "", "bad.yaml"},
		{"kb list", []string{"kb", "list"}, "", exitOK, "go.undefined-identifier", "causes"},
		{"kb literals", []string{"kb", "literals"}, "", exitOK, "undefined: ", ""},
		{"kb without subcommand", []string{"kb"}, "", exitUsage, "", "subcommand"},
		{"kb -h", []string{"kb", "-h"}, "", exitOK, "", "usage: ciagent kb <list"},
		{"kb --help", []string{"kb", "--help"}, "", exitOK, "", "usage: ciagent kb <list"},
		{"kb list -h", []string{"kb", "list", "-h"}, "", exitOK, "", "-kb string"},
		{"serve refuses open exposure", []string{"serve", "--addr", "0.0.0.0:0"}, "", exitUsage, "", "without API keys"},
		{"serve bad spam config", []string{"serve", "--addr", "127.0.0.1:0", "--spam-config", "testdata/missing-spam.yaml"}, "", exitInput, "", "spam config"},
		{"serve bad max body", []string{"serve", "--max-body", "lots"}, "", exitUsage, "", "--max-body"},
		{"apikey new", []string{"apikey", "new", "ci"}, "", exitOK, "cia_", "ci sha256:"},
		{"apikey -h", []string{"apikey", "-h"}, "", exitOK, "", "usage: ciagent apikey new [--scopes LIST] NAME"},
		{"apikey new -h mints no key", []string{"apikey", "new", "-h"}, "", exitOK, "", "usage: ciagent apikey new [--scopes LIST] NAME"},
		{"apikey new --help mints no key", []string{"apikey", "new", "--help"}, "", exitOK, "", "usage: ciagent apikey new [--scopes LIST] NAME"},
		{"ranking train NaN holdout", []string{"ranking", "train", "--holdout", "NaN"}, "", exitUsage, "", "--holdout NaN"},
		{"ranking train NaN l2", []string{"ranking", "train", "--l2", "NaN"}, "", exitUsage, "", "--l2 NaN"},
		{"apikey new with scopes", []string{"apikey", "new", "--scopes", "spam,feedback", "mod-bot"}, "", exitOK, "cia_", "mod-bot sha256:"},
		{"apikey new prints the scopes", []string{"apikey", "new", "--scopes", "feedback,spam", "mod-bot"}, "", exitOK, "cia_", " scopes=spam,feedback\n"},
		{"apikey new empty scopes mints no all-powerful key", []string{"apikey", "new", "--scopes", "", "x"}, "", exitUsage, "", `unknown scope ""`},
		{"apikey new unknown scope", []string{"apikey", "new", "--scopes", "admin", "x"}, "", exitUsage, "", `unknown scope "admin": want some of explain,spam,feedback,feedback:any,export`},
		{"apikey name starting with -", []string{"apikey", "new", "--", "-ci"}, "", exitUsage, "", `"-ci" starts with '-'`},
		{"apikey flags after the name", []string{"apikey", "new", "ci-bot", "--scopes", "explain"}, "", exitUsage, "", "--scopes after the name: flags go before NAME"},
		{"apikey new without name", []string{"apikey", "new"}, "", exitUsage, "", "usage: ciagent apikey new [--scopes LIST] NAME"},
		{"eval --data missing", []string{"eval", "--data", "testdata/nope"}, "", exitInput, "", "--data testdata/nope: no such directory"},
		{"eval --data a file", []string{"eval", "--data", "testdata/undefined.log"}, "", exitInput, "", "not a directory"},
		{"eval default corpora absent: skipped", []string{"eval"}, "", exitOK, "no corpora at", ""},
		{"version", []string{"version"}, "", exitOK, "ciagent ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.stdin, tc.args...)
			if code != tc.wantCode {
				t.Errorf("ciagent %v: exit %d; want %d (stderr %q)", tc.args, code, tc.wantCode, stderr)
			}
			if !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("ciagent %v: stdout %q; want it to contain %q", tc.args, stdout, tc.wantStdout)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("ciagent %v: stderr %q; want it to contain %q", tc.args, stderr, tc.wantStderr)
			}
			if code == exitInput && strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("ciagent %v: stderr has several lines %q; input errors are one line", tc.args, stderr)
			}
		})
	}
}

func TestExplainViaServer(t *testing.T) {
	kb, err := cifailure.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := cifailure.New(kb, cifailure.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, line, _ := api.NewKey("cli", api.AllScopes)
	keys, _ := api.ParseKeySet(strings.NewReader(line), "keys")
	srv, err := api.New(api.Config{APIKeys: keys}, slog.New(slog.DiscardHandler), eng)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	code, stdout, stderr := runCLI(t, "", "explain", "--server", ts.URL, "--api-key", key, "--format", "json", "testdata/undefined.log")
	if code != exitOK {
		t.Fatalf("explain --server: exit %d, stderr %q", code, stderr)
	}
	var resp apiv1.ExplainResponse
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatalf("decoding %q: %v", stdout, err)
	}
	if resp.ID == "" || resp.Propositions[0].CauseID != "go.undefined-identifier" {
		t.Errorf("explain --server = id %q, top %q; want an id and go.undefined-identifier", resp.ID, resp.Propositions[0].CauseID)
	}

	code, _, stderr = runCLI(t, "", "explain", "--server", ts.URL, "--api-key", "wrong", "testdata/undefined.log")
	if code != exitInput || !strings.Contains(stderr, "401") || !strings.Contains(stderr, "--api-key or CIAGENT_API_KEY") {
		t.Errorf("explain --server with a wrong key: exit %d, stderr %q; want exit 2 naming 401 and how to give a key", code, stderr)
	}
	code, _, stderr = runCLI(t, "", "explain", "--server", "ftp://x", "testdata/undefined.log")
	if code != exitUsage {
		t.Errorf("explain --server ftp://x: exit %d, stderr %q; want a usage error", code, stderr)
	}
}

func TestParseSize(t *testing.T) {
	tests := map[string]int64{"1024": 1024, "64MiB": 64 << 20, "64MB": 64 << 20, "512 KiB": 512 << 10, "1GiB": 1 << 30}
	for in, want := range tests {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-5", "lots", "1TiB", "99999999999GiB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) succeeded; want an error", bad)
		}
	}
}

func TestPipelineFlagsRetentionEnv(t *testing.T) {
	tests := []struct {
		env     string
		want    int
		wantErr string
	}{
		{"", pipeline.DefaultConfig().RetentionDays, ""},
		{"7", 7, ""},
		{"0", 0, ""},
		{"seven", 0, "CIAGENT_RETENTION_DAYS"},
		{"-1", 0, "--retention-days"},
	}
	for _, tc := range tests {
		getenv := func(k string) string {
			if k == "CIAGENT_RETENTION_DAYS" {
				return tc.env
			}
			return ""
		}
		build := addPipelineFlags(newFlagSet("serve", io.Discard), getenv)
		cfg, err := build("postgres://x", t.TempDir())
		switch {
		case tc.wantErr != "":
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("CIAGENT_RETENTION_DAYS=%q: err %v; want a usage error mentioning %q", tc.env, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("CIAGENT_RETENTION_DAYS=%q: %v", tc.env, err)
		case cfg.RetentionDays != tc.want:
			t.Errorf("CIAGENT_RETENTION_DAYS=%q: RetentionDays %d; want %d", tc.env, cfg.RetentionDays, tc.want)
		}
	}
}
