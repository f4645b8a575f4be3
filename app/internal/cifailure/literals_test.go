package cifailure

import (
	"fmt"
	"strings"
	"testing"
)

func TestRarestWindow(t *testing.T) {
	tests := []struct{ in, want string }{
		{"short", "short"},
		{"connection timed out", "ction timed "},
		{"npm err! code eresolve", "! code ereso"},
		{"caf\u00e9 \u00e9\u00e9\u00e9\u00e9\u00e9\u00e9 x", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"}, // never splits a character
	}
	for _, tc := range tests {
		if got := rarestWindow(tc.in, maxWindow); got != tc.want {
			t.Errorf("rarestWindow(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestLiteralSets(t *testing.T) {
	tests := []struct {
		expr string
		want string // fmt of the sets, most selective first; "[]" when rejected
	}{
		{`undefined: \w+`, `[[undefined: ]]`},
		{`^\S+\.go:\d+:\d+: undefined: (\w+)`, `[[ undefined: ] [.go:]]`},
		{`(?i)npm err! code ERESOLVE`, `[[! code ereso]]`}, // the rarest 12-byte window, away from "npm err"
		{`(error|failure): x`, `[[error: x failure: x]]`},
		{`(Error|FAIL)\b`, `[[error fail]]`},
		{`\w+: \d+`, `[]`},
		{`(foo|\d+) bar`, `[[ bar]]`},
		{`(foo|\d+)`, `[]`},
		{`x{0,3}panic:`, `[[panic:]]`},
		{`[Ee]rror: `, `[[error: ]]`},
		{`^_{3,} test\w* _{3,}$`, `[[___ test] [ ___]]`},
		{`^e: \S+\.kts?:\d+`, `[[e: ] [.kt: .kts:]]`},
		{`^=+ .*\b\d+ (failed|errors?)\b.* in [\d.]+s =+$`, `[[ error  failed] [ in ] [s =]]`},
		// Every spelling of the status line, not "429" alone (up to maxExact strings).
		{`(Too Many Requests|(HTTP|[Ss]tatus|code):? ?429\b)`, `[[code 429 code429 code: 429 code:429 http 429 http429 http: 429 http:429 status 429 status429 status: 429 status:429 too many req]]`},
	}
	for _, tc := range tests {
		sets, err := literalSets(tc.expr)
		if err != nil {
			t.Fatalf("literalSets(%q): %v", tc.expr, err)
		}
		if got := fmt.Sprint(sets); got != tc.want {
			t.Errorf("literalSets(%q) = %s; want %s", tc.expr, got, tc.want)
		}
	}
}

// The engine matches one line at a time, without its terminator: a literal holding a newline
// can never match, and `ciagent kb literals` would print it as two lines, the first an empty
// pattern that matches everything (it voided the ripgrep comparison until 2026-12-06).
func TestKBLiteralsAreSingleLine(t *testing.T) {
	kb, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	lits := kb.Literals()
	if len(lits) == 0 {
		t.Fatal("the built-in knowledge base has no literals")
	}
	for _, l := range lits {
		if len(l) < minLiteral || strings.ContainsAny(l, "\n\r") {
			t.Errorf("literal %q: want at least %d bytes on one line", l, minLiteral)
		}
	}
}
