package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
	"github.com/ci-agent/ci-agent/app/internal/cifailure"
	"github.com/ci-agent/ci-agent/app/internal/client"
)

func runExplain(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("explain", stderr)
	format := fs.String("format", "text", "output: text (for people), json (the API's answer; its id is empty without --server, which records nothing) or github (::error annotations for a CI step)")
	top := fs.Int("top", 5, "propositions to show at most (with --server, no more than the server answers: 5)")
	kbDir := fs.String("kb", getenv("CIAGENT_KB_DIR"), "directory of extra knowledge-base *.yaml files (env CIAGENT_KB_DIR)")
	server := fs.String("server", "", "ask this filter API server (e.g. http://127.0.0.1:8080) instead of classifying locally")
	apiKey := fs.String("api-key", "", "API key for --server (default: env CIAGENT_API_KEY)")
	repo := fs.String("repo", "", "repository (owner/name), sent to --server")
	job := fs.String("job", "", "CI job name or URL, sent to --server")
	provider := fs.String("provider", "", "CI provider (github, gitlab, jenkins, ...), sent to --server")
	summary := fs.String("summary", "", "also append the answer as Markdown to this file: a GitHub job summary (\"$GITHUB_STEP_SUMMARY\") or a pull request comment")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ciagent explain [flags] FILE|-\n\nReads a failed CI job's log (plain or gzip; - for stdin) and says what broke.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("explain takes one FILE or - (got %d arguments)", fs.NArg())
	}
	switch *format {
	case "text", "json", "github":
	default:
		return usageErrorf("--format %q: want text, json or github", *format)
	}
	if *top < 1 {
		return usageErrorf("--top %d: want at least 1", *top)
	}
	if flagSet(fs, "summary") && *summary == "" {
		// An unset $GITHUB_STEP_SUMMARY (the step is not on GitHub Actions) expands to "".
		return usageErrorf("--summary is empty: give a file (outside GitHub Actions, $GITHUB_STEP_SUMMARY is not set)")
	}
	// Flags that would be silently ignored are mistakes: a user who gives --repo expects it
	// recorded, and a --kb with --server expects those causes used.
	if *server == "" {
		for _, name := range []string{"repo", "job", "provider", "api-key"} {
			if flagSet(fs, name) {
				return usageErrorf("--%s is sent to a server: give --server too (a local explain records nothing)", name)
			}
		}
	} else if flagSet(fs, "kb") {
		return usageErrorf("--kb is the local knowledge base; with --server the server answers from its own (its --kb)")
	}

	name := fs.Arg(0)
	in := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("reading the log: %w", err)
		}
		defer f.Close()
		in = f
	}

	var resp *apiv1.ExplainResponse
	if *server != "" {
		key := *apiKey
		if key == "" {
			key = getenv("CIAGENT_API_KEY")
		}
		c, err := client.New(*server, client.WithAPIKey(key))
		if err != nil {
			return usageErrorf("%v", err)
		}
		br := bufio.NewReader(in)
		magic, _ := br.Peek(2)
		gz := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
		resp, err = c.Explain(ctx, br, gz, apiv1.ExplainParams{Repo: *repo, Job: *job, Provider: *provider})
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized {
			// The server's message names the HTTP header; a CLI user sets a flag or a variable.
			return fmt.Errorf("%w; give the key with --api-key or CIAGENT_API_KEY", err)
		}
		if err != nil {
			return err
		}
		if len(resp.Propositions) > *top {
			resp.Propositions = resp.Propositions[:*top]
		}
	} else {
		kb, err := cifailure.Load(*kbDir)
		if err != nil {
			return fmt.Errorf("loading the knowledge base: %w", err)
		}
		eng, err := cifailure.New(kb, cifailure.Options{Top: *top})
		if err != nil {
			return err
		}
		ans, err := eng.Explain(ctx, in)
		if err != nil {
			return err
		}
		resp = &apiv1.ExplainResponse{Answer: ans}
	}

	if *summary != "" {
		if err := appendSummary(*summary, resp); err != nil {
			return err
		}
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(resp)
	case "github":
		writeGitHubAnnotations(stdout, name, resp.Answer)
	default:
		writeExplainText(stdout, resp.Answer)
	}
	return nil
}

func writeExplainText(w io.Writer, ans *cifailure.Answer) {
	fmt.Fprintf(w, "%s (confidence %.2f) — %d lines, %s, %.1f ms\n", ans.Category, ans.Confidence, ans.Lines, humanBytes(ans.Bytes), ans.TookMS)
	for i, p := range ans.Propositions {
		fmt.Fprintf(w, "\n%d. %s\n   cause %s · %s · score %.2f\n", i+1, p.Title, p.CauseID, p.Category, p.Score)
		for _, ev := range p.Evidence {
			fmt.Fprintf(w, "   line %d: %s\n", ev.Line, ev.Text)
		}
		if len(p.Fix) > 0 {
			fmt.Fprintln(w, "   fix:")
			for _, f := range p.Fix {
				fmt.Fprintf(w, "     - %s\n", f)
			}
		}
		if p.Docs != "" {
			fmt.Fprintf(w, "   docs: %s\n", p.Docs)
		}
	}
}

// sourceLocation finds "path/to/file.ext:LINE" in an evidence line, so an annotation can point
// at the source file the tool complained about rather than at the log.
var sourceLocation = regexp.MustCompile(`(?:^|[\s(])((?:[\w.-]+/)*[\w.-]+\.[A-Za-z]{1,8}):(\d+)(?::\d+)?`)

// hostName tells a host:port ("lookup proxy.golang.org:443: no such host") from a file:line.
var hostName = regexp.MustCompile(`(?i)(?:^|\.)(?:com|org|net|io|dev|internal|local|localdomain|localhost|cloud|app|co|svc)$`)

// writeGitHubAnnotations prints one ::error workflow command per proposition (GitHub Actions
// shows them on the run's summary and, when the file exists in the repo, on the diff).
func writeGitHubAnnotations(w io.Writer, logName string, ans *cifailure.Answer) {
	for i, p := range ans.Propositions {
		level := "error"
		if i > 0 {
			level = "warning"
		}
		file, line := logName, 0
		var text string
		if len(p.Evidence) > 0 {
			line, text = p.Evidence[0].Line, p.Evidence[0].Text
			if f, l, ok := firstSourceLocation(p.Evidence); ok {
				file, line = f, l
			}
		}
		msg := p.Title
		if text != "" {
			msg += ": " + text
		}
		if len(p.Fix) > 0 {
			msg += "\nFix: " + p.Fix[0]
		}
		props := "title=" + escapeProperty(fmt.Sprintf("%s (%s, score %.2f)", p.CauseID, p.Category, p.Score))
		if file != "" && file != "-" {
			props = "file=" + escapeProperty(file) + ",line=" + fmt.Sprint(max(line, 1)) + "," + props
		}
		fmt.Fprintf(w, "::%s %s::%s\n", level, props, escapeData(msg))
	}
}

// firstSourceLocation finds the first file:line in a proposition's proving lines and the lines
// just after each: rustc and others put the location on the line below the error
// ("error[E0308]: mismatched types" then "--> src/pricing.rs:42:23").
func firstSourceLocation(evidence []cifailure.Evidence) (file string, line int, ok bool) {
	for _, ev := range evidence {
		for _, text := range append([]string{ev.Text}, ev.After...) {
			for _, m := range sourceLocation.FindAllStringSubmatch(text, -1) {
				if !hostName.MatchString(m[1]) {
					return m[1], atoi(m[2]), true
				}
			}
		}
	}
	return "", 0, false
}

func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
		if n > 1<<30 {
			return 0
		}
	}
	return n
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
