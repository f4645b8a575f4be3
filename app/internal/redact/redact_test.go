package redact

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files from the current output")

// TestFixtures runs every testdata/*.log through String and compares with its .golden file.
// Each fixture is named after the kind of secret it carries (clean.log carries none), so the
// test also checks that the kind was found and that no fixture secret survives.
func TestFixtures(t *testing.T) {
	logs := fixturePaths(t)
	seen := map[string]bool{}
	for _, path := range logs {
		kind := strings.TrimSuffix(filepath.Base(path), ".log")
		t.Run(kind, func(t *testing.T) {
			in, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, found := Count(string(in))
			golden := strings.TrimSuffix(path, ".log") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("String(%s) =\n%s\nwant\n%s", path, got, want)
			}
			if kind == "clean" {
				if len(found) != 0 {
					t.Errorf("String(%s) found %v; want nothing", path, found)
				}
				return
			}
			seen[kind] = true
			if found[kind] == 0 {
				t.Errorf("String(%s) found %v; want at least one %s", path, found, kind)
			}
			if !strings.Contains(got, Marker(kind)) {
				t.Errorf("String(%s) has no %s marker", path, Marker(kind))
			}
			if again := String(got); again != got {
				t.Errorf("String(String(%s)) changed the text again:\n%s", path, again)
			}
		})
	}
	for _, kind := range Kinds() {
		if kind == "slack_webhook" || kind == "aws_secret_key" {
			continue // they share the slack_token and aws fixtures
		}
		if !seen[kind] {
			t.Errorf("no testdata/%s.log fixture for kind %s", kind, kind)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"no secret", "error: exit status 1", "error: exit status 1"},
		{"aws key alone", "AKIAQWERTYUIOPASDFGH", "[REDACTED:aws_access_key]"},
		{"aws key in a longer word", "XAKIAQWERTYUIOPASDFGHX", "XAKIAQWERTYUIOPASDFGHX"},
		{"url user kept", "https://bob:hunter2@example.com/x", "https://bob:[REDACTED:url_password]@example.com/x"},
		{"url without password", "https://bob@example.com/x", "https://bob@example.com/x"},
		{"token in url counted once", "https://x:ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@github.com", "https://x:[REDACTED:github_token]@github.com"},
		{"secret key keeps its name", "aws_secret_access_key=abcdefghijABCDEFGHIJ0123456789/+abcdefgh", "aws_secret_access_key=[REDACTED:aws_secret_key]"},
		{"key without end", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\nnext line", "[REDACTED:private_key]\nnext line"},
		{"key without begin", "Nf3YXxR0aW9uIHBhc3N3b3Jk\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\nAAA=\n-----END OPENSSH PRIVATE KEY-----\nnext line", "[REDACTED:private_key]\nnext line"},
		{"key without begin after prose", "deploy failed: bad key\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END RSA PRIVATE KEY-----", "deploy failed: bad [REDACTED:private_key]"},
		{"invalid utf-8", "\xff\xfeAKIAQWERTYUIOPASDFGH\xff", "\xff\xfe[REDACTED:aws_access_key]\xff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q; want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzString checks that redaction never panics, is idempotent, and leaves nothing that a
// rule would still redact.
func FuzzString(f *testing.F) {
	logs, _ := filepath.Glob("testdata/*.log")
	for _, p := range logs {
		b, _ := os.ReadFile(p)
		f.Add(string(b))
	}
	f.Add("https://u:p@h AKIAQWERTYUIOPASDFGH xoxb-1234567890-abc")
	f.Fuzz(func(t *testing.T, in string) {
		for i, r := range rules {
			if got, want := findAll(in, r, 1<<i), r.re.get().FindAllStringSubmatchIndex(in, -1); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s on %q: searching the runs found %v; the whole text %v", r.kind, in, got, want)
			}
		}
		out := String(in)
		if again := String(out); again != out {
			t.Fatalf("String not idempotent on %q: %q then %q", in, out, again)
		}
		for _, r := range rules {
			if r.kind == "url_password" || r.keep > 0 {
				continue // these keep a prefix and match their own marker by design
			}
			if loc := r.re.get().FindStringIndex(out); loc != nil && !markerAt(out, loc[0]) {
				t.Fatalf("String(%q) = %q still holds a %s at %v", in, out, r.kind, loc)
			}
		}
	})
}

var markerRE = regexp.MustCompile(`^\[REDACTED:[a-z_]+\]`)

func markerAt(s string, i int) bool { return markerRE.MatchString(s[i:]) }

func BenchmarkString(b *testing.B) {
	in, err := os.ReadFile("testdata/github_token.log")
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("go: downloading example.com/module v1.2.3\n", 400) + string(in)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		String(text)
	}
}

// BenchmarkStringCommonWord: 16 KiB of log whose only trigger is the word "token", which the
// password rule listens for; it searches that one line, not the log.
func BenchmarkStringCommonWord(b *testing.B) {
	text := strings.Repeat("go: downloading example.com/module v1.2.3 from the proxy cache\n", 256) + "error: token expired, retry\n"
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		String(text)
	}
}

func BenchmarkStringShort(b *testing.B) {
	for _, s := range []string{"build-17", "go build ./...\nundefined: x\n", strings.Repeat("npm ERR! code ERESOLVE unable to resolve dependency tree\n", 36)} {
		b.Run(fmt.Sprintf("len=%d", len(s)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				String(s)
			}
		})
	}
}

// fixturePaths lists testdata/*.log, failing the test when there are none.
func fixturePaths(t *testing.T) []string {
	t.Helper()
	logs, err := filepath.Glob("testdata/*.log")
	if err != nil || len(logs) == 0 {
		t.Fatalf("no fixtures in testdata: %v", err)
	}
	return logs
}

// fixtureTexts is the contents of every testdata/*.log.
func fixtureTexts(t *testing.T) []string {
	t.Helper()
	var texts []string
	for _, path := range fixturePaths(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	return texts
}

// TestTriggeredMatchesContains checks the one-pass literal search against the plain one: a
// literal contained in the lower-cased text.
func TestTriggeredMatchesContains(t *testing.T) {
	texts := []string{"", "ab", "AKIA", "xAkIaQ", "aws_SECRET_access_key=", "https://u:p@h", "ghp", "ghp_",
		"GR1348941x", "-----BEGIN RSA PRIVATE KEY-----", "eyJhbGciOi", "hooks.slack.com/services", "xoxb-1", "glcbt-", "glpat"}
	texts = append(texts, fixtureTexts(t)...)
	for _, s := range texts {
		var want uint32
		for i, r := range rules {
			for _, l := range r.literals {
				if strings.Contains(strings.ToLower(s), l) {
					want |= 1 << i
				}
			}
		}
		if got := triggered(s); got != want {
			t.Errorf("triggered(%.40q) = %b; want %b", s, got, want)
		}
	}
}

// TestFindAllMatchesWholeText checks that searching only the runs around the literals finds
// what searching the whole text finds.
func TestFindAllMatchesWholeText(t *testing.T) {
	texts := []string{
		"clone https://bob:hunter2@git.example.com/x.git and http://a:b@c d://e:f@g",
		"key=AKIAQWERTYUIOPASDFGH,AKIAQWERTYUIOPASDFGHX xAKIAQWERTYUIOPASDFGH\tAKIAQWERTYUIOPASDFGH",
		"token ghp_" + strings.Repeat("a", 36) + " and\nghp_" + strings.Repeat("b", 40) + "\fgithub_pat_" + strings.Repeat("c", 30),
		"GR1348941abcdefghijklmnopqrstu glpat-abcdefghijklmnopqrst\r\nxoxb-1234567890-abc hooks.slack.com/services/T/B/x",
		"https://hooks.slack.com/services/T0/B0/abc eyJhbGciOiJI.eyJzdWIiOiIx.c2lnbmF0dXJl ://: @",
	}
	texts = append(texts, fixtureTexts(t)...)
	for _, s := range texts {
		for i, r := range rules {
			if got, want := findAll(s, r, 1<<i), r.re.get().FindAllStringSubmatchIndex(s, -1); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s on %.60q: searching the runs found %v; the whole text %v", r.kind, s, got, want)
			}
		}
	}
}

// The rules compile on first use, so a bad expression would surface only in production on the
// first text that triggers it: compile them all here.
func TestRulesCompile(t *testing.T) {
	for _, r := range rules {
		if _, err := regexp.Compile(r.re.expr); err != nil {
			t.Errorf("rule %s: %v", r.kind, err)
		}
	}
}

func TestKeyLines(t *testing.T) {
	lines := []struct {
		line   string
		secret bool
	}{
		{"building...", false},
		{"-----BEGIN RSA PRIVATE KEY-----", true},
		{"Proc-Type: 4,ENCRYPTED", true},
		{"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun", true},
		{"", true},
		{"-----END RSA PRIVATE KEY-----", true},
		{"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun", false}, // no key open
		{"-----BEGIN OPENSSH PRIVATE KEY-----", true},
		{"b3BlbnNzaC1rZXktdjEAAAAABG5vbmU=", true},
		{"error: the key was cut short", false}, // not base64: the key ended without its END
		{"AAAA", false},
		{"-----BEGIN CERTIFICATE-----", false}, // certificates are public
	}
	var k KeyLines
	for i, l := range lines {
		if got := k.Secret([]byte(l.line)); got != l.secret {
			t.Errorf("line %d %q: Secret = %v; want %v", i+1, l.line, got, l.secret)
		}
	}
}
