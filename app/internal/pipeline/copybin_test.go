package pipeline

import (
	"encoding/json"
	"testing"
)

func TestAppendJSONString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{`quote " and \ backslash`, `quote " and \ backslash`},
		{"controls \n\t\r\x01\x1f", "controls \n\t\r\x01\x1f"},
		{"nul \x00 byte", "nul \uFFFD byte"},
		{"é 日本 🙂", "é 日本 🙂"},
		{"bad \xff utf8 \xc3", "bad \uFFFD utf8 \uFFFD"},
		{"\u2028 line separator", "\u2028 line separator"},
	} {
		b := appendJSONString(nil, tc.in)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("appendJSONString(%q) = %s: not JSON: %v", tc.in, b, err)
			continue
		}
		if got != tc.want {
			t.Errorf("appendJSONString(%q) decodes to %q; want %q", tc.in, got, tc.want)
		}
	}
}
