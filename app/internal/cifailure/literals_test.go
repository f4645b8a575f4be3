package cifailure

import (
	"slices"
	"testing"
)

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		expr string
		want []string // nil: rejected
	}{
		{`undefined: \w+`, []string{"undefined: "}},
		{`^\S+\.go:\d+:\d+: undefined: (\w+)`, []string{": undefined: "}},
		{`(?i)npm err! code ERESOLVE`, []string{"npm err! code eresolve"}},
		{`(error|failure): x`, []string{"error", "failure"}},
		{`(Error|FAIL)\b`, []string{"error", "fail"}},
		{`\w+: \d+`, nil},
		{`(foo|\d+) bar`, []string{" bar"}},
		{`(foo|\d+)`, nil},
		{`ab\d+cd`, nil},
		{`(?:fatal)+ x`, []string{"fatal"}},
		{`x{0,3}panic:`, []string{"panic:"}},
		{`[Ee]rror: `, []string{"rror: "}},
	}
	for _, tc := range tests {
		got, err := requiredLiterals(tc.expr)
		if err != nil {
			t.Fatalf("requiredLiterals(%q): %v", tc.expr, err)
		}
		slices.Sort(got)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("requiredLiterals(%q) = %q; want %q", tc.expr, got, want)
		}
	}
}
