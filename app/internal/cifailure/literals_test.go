package cifailure

import (
	"fmt"
	"testing"
)

func TestLiteralSets(t *testing.T) {
	tests := []struct {
		expr string
		want string // fmt of the sets, most selective first; "[]" when rejected
	}{
		{`undefined: \w+`, `[[undefined: ]]`},
		{`^\S+\.go:\d+:\d+: undefined: (\w+)`, `[[: undefined: ] [.go:]]`},
		{`(?i)npm err! code ERESOLVE`, `[[npm err! code eresolve]]`},
		{`(error|failure): x`, `[[error: x failure: x]]`},
		{`(Error|FAIL)\b`, `[[error fail]]`},
		{`\w+: \d+`, `[]`},
		{`(foo|\d+) bar`, `[[ bar]]`},
		{`(foo|\d+)`, `[]`},
		{`x{0,3}panic:`, `[[panic:]]`},
		{`[Ee]rror: `, `[[error: ]]`},
		{`^_{3,} test\w* _{3,}$`, `[[___ test] [ ___]]`},
		{`^e: \S+\.kts?:\d+`, `[[.kt: .kts:] [e: ]]`},
		{`^=+ .*\b\d+ (failed|errors?)\b.* in [\d.]+s =+$`, `[[ error  failed] [s =] [ in ]]`},
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
