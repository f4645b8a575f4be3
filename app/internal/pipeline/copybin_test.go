package pipeline

import (
	"encoding/json"
	"errors"
	"math"
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
		b := appendJSONString(nil, []byte(tc.in))
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

func TestCopyBatchRefuses(t *testing.T) {
	nan := testEvent(1)
	nan.Propositions[0].Features["weight"] = math.NaN()
	good := encodeEvent(nil, testEvent(2))
	for name, rec := range map[string][]byte{
		"NaN feature":   encodeEvent(nil, nan),
		"cut short":     good[:len(good)-3],
		"bytes after":   append(append([]byte(nil), good...), 0),
		"JSON record":   []byte(`{"kind":"ci_explain"}`),
		"empty":         nil,
		"wrong version": append([]byte{codecVersion + 1}, good[1:]...),
	} {
		var cb copyBatch
		cb.reset()
		if err := cb.add(rec); !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: add = %v; want ErrInvalidEvent", name, err)
		}
	}
}
