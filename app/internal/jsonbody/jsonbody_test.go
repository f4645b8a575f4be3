package jsonbody

import (
	"fmt"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	type request struct {
		Text   string `json:"text"`
		Author struct {
			AccountAgeDays int `json:"account_age_days"`
		} `json:"author"`
	}
	tests := []struct {
		name, body string
		wantText   string
		wantErr    string // a substring of the error; "" for none
	}{
		{"plain", `{"text":"hi"}`, "hi", ""},
		{"surrogate pair", `{"text":"\ud83d\ude00"}`, "\U0001F600", ""},
		{"surrogate pair in upper case", `{"text":"\uD83D\uDE00!"}`, "\U0001F600!", ""},
		{"escape below the surrogates", `{"text":"\u00e9\ud7ff"}`, "\u00e9\ud7ff", ""},
		{"escape above the surrogates", `{"text":"\ue000\uffff"}`, "\ue000\uffff", ""},
		{"escaped backslash before u", `{"text":"\\ud800"}`, `\ud800`, ""},
		{"escaped quote then backslash", `{"text":"\"\\\\"}`, `"\\`, ""},
		{"lone low surrogate", `{"text":"\udfff"}`, "", `unpaired surrogate escape (\udfff at byte 9)`},
		{"lone high surrogate before text", `{"text":"\ud800x"}`, "", `unpaired surrogate escape (\ud800 at byte 9)`},
		{"lone high surrogate at the end of a string", `{"text":"ab\uD800"}`, "", `unpaired surrogate escape (\uD800 at byte 11)`},
		{"two high surrogates", `{"text":"\ud83d\ud83d\ude00"}`, "", `unpaired surrogate escape (\ud83d at byte 9)`},
		{"low then high", `{"text":"\ude00\ud83d"}`, "", `unpaired surrogate escape (\ude00 at byte 9)`},
		{"high then another escape", `{"text":"\ud83d\n"}`, "", `unpaired surrogate escape (\ud83d at byte 9)`},
		{"lone surrogate after a pair", `{"text":"\ud83d\ude00\udc00"}`, "", `unpaired surrogate escape (\udc00 at byte 21)`},
		{"lone surrogate after an escaped backslash", `{"text":"\\\udfff"}`, "", `unpaired surrogate escape (\udfff at byte 11)`},
		{"invalid UTF-8", "{\"text\":\"\xff\"}", "", "request is not valid UTF-8 (invalid byte at 9)"},
		{"trailing backslash", `{"text":"a\`, "", "invalid JSON"},
		{"short escape", `{"text":"\ud8"}`, "", "invalid JSON"},
		{"unknown field", `{"author":{"pr":1}}`, "", `unknown field "author.pr"`},
		{"exponent", `{"author":{"account_age_days":1e3}}`, "", "whole number in plain digits"},
		{"trailing data", `{"text":"a"}}`, "", "more than one value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got request
			err := Decode([]byte(tc.body), &got)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("Decode(%s): %v", tc.body, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Decode(%s) = %v; want an error with %q", tc.body, err, tc.wantErr)
			case tc.wantErr == "" && got.Text != tc.wantText:
				t.Fatalf("Decode(%s) text = %q; want %q", tc.body, got.Text, tc.wantText)
			}
		})
	}
}

// FuzzDecode checks that what Decode accepts decodes to the text sent: no U+FFFD appears
// that the body did not hold, raw or escaped (encoding/json writes one for each invalid byte
// and each unpaired surrogate escape).
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{`{"text":"hi"}`, `{"text":"\ud83d\ude00"}`, `{"text":"\udfff"}`, `{"text":"\ud800x"}`,
		`{"text":"\\ud800"}`, `{"text":"\\\udfff"}`, `["\ufffd", {"a": "\uD83D\uDE00\u00e9"}]`, "{\"text\":\"\xff\"}"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v any
		if Decode(body, &v) != nil {
			return
		}
		if strings.Contains(fmt.Sprint(v), "\ufffd") && !strings.Contains(string(body), "\ufffd") &&
			!strings.Contains(strings.ToLower(string(body)), `\ufffd`) {
			t.Fatalf("Decode(%q) accepted it as %q: a U+FFFD the body does not hold", body, v)
		}
	})
}
