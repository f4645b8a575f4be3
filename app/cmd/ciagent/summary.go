package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
)

// Limits of the Markdown summary. GitHub refuses a job summary over 1 MiB and a comment over
// 65,536 characters, and one minified line of a log can be larger than either, so the summary
// shows the top proposition's proving lines and one line for each other proposition, each
// line cut short.
const (
	summaryEvidenceLines = 10
	summaryLineRunes     = 300
)

// appendSummary appends the answer as Markdown to path: a GitHub Actions job summary
// ($GITHUB_STEP_SUMMARY, which other steps append to as well) or a file to post as a pull or
// merge request comment. It appends so that one explain call, recorded once by the server,
// can both print its --format output and leave its summary.
func appendSummary(path string, resp *apiv1.ExplainResponse) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("writing the summary: %w", err)
	}
	writeSummary(f, resp)
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the summary: %w", err)
	}
	return nil
}

// writeSummary renders an answer as GitHub-flavoured Markdown. Knowledge-base text (titles,
// fixes) is Markdown already; log text is not, so it goes only inside code blocks and code
// spans fenced longer than any backtick run it holds, where nothing in it is markup.
func writeSummary(w io.Writer, resp *apiv1.ExplainResponse) {
	ans := resp.Answer
	fmt.Fprintf(w, "### CI failure: %s (confidence %.2f)\n\n", ans.Category, ans.Confidence)
	if len(ans.Propositions) == 0 {
		fmt.Fprintf(w, "No proposition for this log.\n\n")
	}
	for i, p := range ans.Propositions {
		if i == 1 {
			fmt.Fprintf(w, "<details><summary>%d more possible %s</summary>\n\n", len(ans.Propositions)-1, plural(len(ans.Propositions)-1, "cause", "causes"))
		}
		fmt.Fprintf(w, "**%d. %s** · %s · %s · score %.2f\n\n", i+1, p.Title, codeSpan(p.CauseID), p.Category, p.Score)
		if i > 0 {
			if len(p.Evidence) > 0 {
				ev := p.Evidence[0]
				fmt.Fprintf(w, "line %d: %s\n\n", ev.Line, codeSpan(clip(ev.Text)))
			}
			continue
		}
		if len(p.Evidence) > 0 {
			shown := p.Evidence[:min(len(p.Evidence), summaryEvidenceLines)]
			lines := make([]string, len(shown))
			width := len(fmt.Sprint(shown[len(shown)-1].Line))
			for j, ev := range shown {
				lines[j] = fmt.Sprintf("%*d  %s", width, ev.Line, clip(ev.Text))
			}
			if more := len(p.Evidence) - len(shown); more > 0 {
				lines = append(lines, fmt.Sprintf("… and %d more proving %s", more, plural(more, "line", "lines")))
			}
			fence := codeFence(lines)
			fmt.Fprintf(w, "%stext\n%s\n%s\n\n", fence, strings.Join(lines, "\n"), fence)
		}
		if len(p.Fix) > 0 {
			fmt.Fprintf(w, "Fix:\n")
			for _, f := range p.Fix {
				fmt.Fprintf(w, "- %s\n", f)
			}
			fmt.Fprintln(w)
		}
		if p.Docs != "" {
			fmt.Fprintf(w, "Docs: <%s>\n\n", p.Docs)
		}
	}
	if len(ans.Propositions) > 1 {
		fmt.Fprintf(w, "</details>\n\n")
	}
	footer := fmt.Sprintf("ciagent · %d lines, %s", ans.Lines, humanBytes(ans.Bytes))
	if resp.ID != "" {
		// The id is what feedback names (POST /v1/feedback "request_id").
		footer += " · answer " + resp.ID
	}
	if resp.RankerVersion != "" {
		footer += " · ranked by " + resp.RankerVersion
	}
	fmt.Fprintf(w, "<sub>%s</sub>\n\n", footer)
}

// clip cuts a log line to summaryLineRunes runes, on a rune boundary.
func clip(s string) string {
	n := 0
	for i := range s {
		if n == summaryLineRunes {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// codeFence returns a fence of backticks longer than any run of backticks in the lines, at
// least three, so no log line can close the block early.
func codeFence(lines []string) string {
	return strings.Repeat("`", max(3, longestBacktickRun(strings.Join(lines, "\n"))+1))
}

// codeSpan wraps s in a code span that s cannot close (CommonMark: the delimiters are a run of
// backticks longer than any run inside; a space pads a span that starts or ends with one).
// A span cannot hold a line break, and in a table or list neither can the text around it.
func codeSpan(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	ticks := strings.Repeat("`", longestBacktickRun(s)+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return ticks + s + ticks
}

func longestBacktickRun(s string) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
