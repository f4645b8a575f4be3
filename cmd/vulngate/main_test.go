package main

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		exceptions string
		wantErr    error
		want       []string
		notWant    []string
	}{
		{
			name:    "called and not excepted fails",
			input:   "testdata/called.json",
			wantErr: errCalled,
			want: []string{
				"CALLED    GO-2026-0002 in stdlib@v1.26.8 (fixed in v1.26.9): net/http.Server.Serve, called from api/server.go:42",
				"CALLED    GO-2026-0003 in example.com/other@v0.1.0 (fixed in no fix yet)",
				"2 called vulnerabilities: 0 accepted, 2 not",
			},
			notWant: []string{"GO-2026-0001"}, // imported, not called
		},
		{
			name:       "an exception accepts only its own id",
			input:      "testdata/called.json",
			exceptions: "testdata/exceptions.txt",
			wantErr:    errCalled,
			want: []string{
				"accepted  GO-2026-0002",
				"because fixed in go1.26.9; only the toolchain can fix it",
				"CALLED    GO-2026-0003",
				"not found GO-2026-0009",
				"2 called vulnerabilities: 1 accepted, 1 not",
			},
		},
		{
			name:       "nothing called passes",
			input:      "testdata/imported-only.json",
			exceptions: "testdata/exceptions.txt",
			want:       []string{"0 called vulnerabilities: 0 accepted, 0 not"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := os.Open(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			var out bytes.Buffer
			err = run(in, &out, tc.exceptions)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("run: err %v; want %v\n%s", err, tc.wantErr, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestParseExceptionsNeedsAReason(t *testing.T) {
	for _, bad := range []string{"GO-2026-0002\n", "GO-2026-0002   \n", "CVE-2026-1 some reason\n"} {
		if _, err := parseExceptions(strings.NewReader(bad)); err == nil {
			t.Errorf("parseExceptions(%q) succeeded; want an error", bad)
		}
	}
}
