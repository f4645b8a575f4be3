package cifailure

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func testEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	causes, err := LoadDir("testdata/engine/kb")
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	eng, err := New(&KB{Causes: causes}, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return eng
}

// builtinEngine is an engine over the built-in knowledge base.
func builtinEngine(tb testing.TB) *Engine {
	tb.Helper()
	kb, err := LoadBuiltin()
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := New(kb, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

func TestExplain(t *testing.T) {
	eng := testEngine(t, Options{})
	tests := []struct {
		name      string
		log       string
		wantIDs   []string // propositions in order
		wantLines []int    // evidence lines of the first proposition
	}{
		{"single line", "ok\nmain.go:3:2: undefined: foo\n", []string{"t.single"}, []int{2}},
		{"then within window", "panic: boom\n\ngoroutine 1 [running]:\n", []string{"t.then"}, []int{1, 3}},
		{"then too far apart", "panic: boom\na\nb\nc\nd\ngoroutine 1 [running]:\n", []string{"unknown"}, []int{1}},
		{"then uses the latest A", "panic: a\nx\nx\nx\npanic: b\ngoroutine 7 [running]:\n", []string{"t.then"}, []int{5, 6}},
		{"all anywhere, any order", "FAIL\tpkg 0.1s\nnoise\n--- FAIL: TestX (0.00s)\n", []string{"t.all"}, []int{1, 3}},
		{"all needs every part", "--- FAIL: TestX (0.00s)\n", []string{"unknown"}, []int{1}},
		{"specific beats generic wrapper", "undefined: x\nmore\nProcess completed with exit code 1\n", []string{"t.single", "t.generic"}, []int{1}},
		{"first line is the evidence, echoes are not", "undefined: a\nundefined: a\n", []string{"t.single"}, []int{1}},
		{"ansi and timestamps stripped", "2024-05-01T10:00:00.1234567Z \x1b[31mmain.go:1:1: undefined: x\x1b[0m\n", []string{"t.single"}, []int{1}},
		{"crlf keeps numbering", "a\r\nb\r\nundefined: x\r\n", []string{"t.single"}, []int{3}},
		{"framing lines keep numbering", "##[group]Run go build\n##[endgroup]\nundefined: x\n", []string{"t.single"}, []int{3}},
		{"unknown shows error-ish lines", "hello\nerror: weird thing\nbye\n", []string{"unknown"}, []int{2}},
		{"a generic wrapper shows the error before it", "something failed badly\nnoise\nmake: *** [all] Error 2\n", []string{"t.wrapper"}, []int{1, 3}},
		{"unknown skips lines saying there were no errors", "real error: disk on fire\nBuild: 0 errors, 0 failures\n", []string{"unknown"}, []int{1}},
		{"unknown skips dependency trees", "fatal: bad object\n│ ├── error-ex@1.3.1\n", []string{"unknown"}, []int{1}},
		{"unknown skips words that only contain error", "oops: panic here\nloading onerror-handler.js\n", []string{"unknown"}, []int{1}},
		{"unknown with nothing error-ish shows the last lines", "a\nb\nc\nd\n", []string{"unknown"}, []int{2, 3, 4}},
		{"no trailing newline", "undefined: x", []string{"t.single"}, []int{1}},
		// A wrapper line ending in ':' opens an indented report; the line back at its
		// indentation ends it and says what failed (a traceback's exception).
		{"a wrapper shows the line that ends the report it opens", "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n    f()\nKeyError: 'a'\nnext\n", []string{"t.traceback"}, []int{1, 4}},
		{"no indented lines, no report", "Traceback (most recent call last):\nKeyError: 'a'\n", []string{"t.traceback"}, []int{1}},
		{"a blank line ends the report", "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n\nKeyError: 'a'\n", []string{"t.traceback"}, []int{1}},
		{"a shallower line ends the report", "  Traceback (most recent call last):\n    File \"x.py\", line 1, in <module>\nKeyError: 'a'\n", []string{"t.traceback"}, []int{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ans, err := eng.Explain(context.Background(), strings.NewReader(tc.log))
			if err != nil {
				t.Fatalf("Explain(%q): %v", tc.log, err)
			}
			ids := causeIDs(ans)
			if !slices.Equal(ids, tc.wantIDs) {
				t.Fatalf("Explain(%q) causes = %v; want %v", tc.log, ids, tc.wantIDs)
			}
			lines, _ := evidenceOf(ans.Propositions[0])
			if !slices.Equal(lines, tc.wantLines) {
				t.Errorf("Explain(%q) evidence lines = %v; want %v", tc.log, lines, tc.wantLines)
			}
			if ans.Category != ans.Propositions[0].Category {
				t.Errorf("Explain(%q) category = %q; want the first proposition's %q", tc.log, ans.Category, ans.Propositions[0].Category)
			}
			for _, p := range ans.Propositions {
				if p.Score < 0 || p.Score > 1 {
					t.Errorf("Explain(%q) %s score = %v; want 0..1", tc.log, p.CauseID, p.Score)
				}
			}
		})
	}
}

func TestExplainEvidenceContext(t *testing.T) {
	eng := testEngine(t, Options{Context: 2})
	log := "one\ntwo\nthree\nundefined: x\nfive\nsix\nseven\n"
	ans, err := eng.Explain(context.Background(), strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	ev := ans.Propositions[0].Evidence[0]
	if ev.Text != "undefined: x" || !slices.Equal(ev.Before, []string{"two", "three"}) || !slices.Equal(ev.After, []string{"five", "six"}) {
		t.Errorf("evidence = %+v; want text %q, before [two three], after [five six]", ev, "undefined: x")
	}
	if ans.Lines != 7 || ans.Bytes != int64(len(log)) {
		t.Errorf("lines, bytes = %d, %d; want 7, %d", ans.Lines, ans.Bytes, len(log))
	}
}

func TestExplainGzip(t *testing.T) {
	eng := testEngine(t, Options{})
	ans, err := eng.Explain(context.Background(), bytes.NewReader(gzipOf("a\nmain.go:1:1: undefined: y\n")))
	if err != nil {
		t.Fatal(err)
	}
	if ans.Propositions[0].CauseID != "t.single" || ans.Propositions[0].Evidence[0].Line != 2 {
		t.Errorf("gzip log: got %s at line %d; want t.single at line 2", ans.Propositions[0].CauseID, ans.Propositions[0].Evidence[0].Line)
	}
}

func TestExplainBadInput(t *testing.T) {
	eng := testEngine(t, Options{})
	gz := gzipOf(strings.Repeat("undefined: x\n", 1000))
	truncated := gz[:len(gz)/2]

	tests := []struct {
		name       string
		input      []byte
		wantReason string
	}{
		{"empty", nil, "empty"},
		{"binary", []byte("ELF\x00\x01\x02garbage"), "binary"},
		{"gzip header only garbage", []byte{0x1f, 0x8b, 0xff, 0x00, 0x13}, "gzip"},
		{"truncated gzip", truncated, "gzip"},
		{"empty gzip", gzipOf(""), "empty"},
		{"whitespace only", []byte("\n  \r\n\t\n\n"), "empty"},
		{"whitespace only, gzipped", gzipOf("\n\n\n"), "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := eng.Explain(context.Background(), bytes.NewReader(tc.input))
			ie, ok := IsInputError(err)
			if !ok || ie.Reason != tc.wantReason {
				t.Errorf("Explain(%q) error = %v; want an input error %q", tc.name, err, tc.wantReason)
			}
		})
	}
}

func TestExplainInvalidUTF8(t *testing.T) {
	eng := testEngine(t, Options{})
	ans, err := eng.Explain(context.Background(), strings.NewReader("\xff\xfe undefined: x \xc3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ans.Propositions[0].CauseID != "t.single" {
		t.Fatalf("got %s; want t.single", ans.Propositions[0].CauseID)
	}
	if txt := ans.Propositions[0].Evidence[0].Text; !strings.Contains(txt, "undefined: x") || !isValidUTF8(txt) {
		t.Errorf("evidence text %q: want valid UTF-8 containing the match", txt)
	}
}

func TestExplainOverlongLine(t *testing.T) {
	eng := testEngine(t, Options{MaxLineBytes: 4096})
	long := "undefined: head " + strings.Repeat("x", 100_000) + " undefined: tail\n"
	ans, err := eng.Explain(context.Background(), strings.NewReader("first\n"+long+"last\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := ans.Propositions[0]
	if p.CauseID != "t.single" || p.Evidence[0].Line != 2 {
		t.Fatalf("got %s at line %d; want t.single at line 2", p.CauseID, p.Evidence[0].Line)
	}
	if !strings.HasPrefix(p.Evidence[0].Text, "undefined: head") {
		t.Errorf("evidence %.40q...; want the line's head, not a later part of it", p.Evidence[0].Text)
	}
	if len(p.Evidence[0].Text) > maxEvidenceText {
		t.Errorf("evidence text is %d bytes; want at most %d", len(p.Evidence[0].Text), maxEvidenceText)
	}
	if ans.Lines != 3 {
		t.Errorf("lines = %d; want 3", ans.Lines)
	}
}

// A progress display redrawn with \r past the line limit is matched on its last frame, which
// is what the terminal showed; a plain overlong line stays matched on its head (above).
func TestExplainRedrawnOverlongLine(t *testing.T) {
	eng := testEngine(t, Options{MaxLineBytes: 4096})
	frames := strings.Repeat("building [=====>    ] 42%\r", 1000) + "main.go:9:1: undefined: z\n"
	ans, err := eng.Explain(context.Background(), strings.NewReader("first\n"+frames+"last\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := ans.Propositions[0]
	if p.CauseID != "t.single" || p.Evidence[0].Line != 2 || !strings.Contains(p.Evidence[0].Text, "undefined: z") {
		t.Errorf("got %s at line %d %.60q; want t.single at line 2 showing the last frame", p.CauseID, p.Evidence[0].Line, p.Evidence[0].Text)
	}
}

// Answers are echoed to callers, posted as annotations and cached: the lines they show have
// their secrets redacted, a private key's base64 lines included.
func TestExplainRedactsShownLines(t *testing.T) {
	eng := testEngine(t, Options{Context: 3})
	log := "-----BEGIN RSA PRIVATE KEY-----\n" +
		"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" +
		"VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n" +
		"main.go:1:1: undefined: AKIAQWERTYUIOPASDFGH\n" +
		"-----END RSA PRIVATE KEY-----\n"
	ans, err := eng.Explain(context.Background(), strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	ev := ans.Propositions[0].Evidence[0]
	shown := strings.Join(append(append(slices.Clone(ev.Before), ev.Text), ev.After...), "\n")
	for _, secret := range []string{"AKIAQWERTYUIOPASDFGH", "MIIEowIBAAKCAQEAu1SU1", "VTLw7onLRnrq0"} {
		if strings.Contains(shown, secret) {
			t.Errorf("evidence shows %q:\n%s", secret, shown)
		}
	}
	if ans.Propositions[0].CauseID != "t.single" || !strings.Contains(ev.Text, "[REDACTED:aws_access_key]") {
		t.Errorf("got %s, evidence %q; want t.single with the key redacted", ans.Propositions[0].CauseID, ev.Text)
	}
}

// A shown line that continues a command (curl -sS \, then -u user:pw \) holds the command's
// secret without the command: redacted line by line it was shown as it is, in the before- and
// after-context of the error next to it.
func TestExplainRedactsContinuedCommands(t *testing.T) {
	eng := testEngine(t, Options{Context: 3})
	for _, tc := range []struct{ name, log string }{
		{"script echo", "+ curl -fsS \\\n    -u deploy:s3cr3tPassw0rd \\\n    https://artifacts.example.com/upload\nmain.go:1:1: undefined: x\n"},
		{"timestamps and colour", "2026-11-30T10:00:00.0000000Z \x1b[36;1mcurl -fsS \\\x1b[0m\n2026-11-30T10:00:00.0000000Z \x1b[36;1m  -u deploy:s3cr3tPassw0rd \\\x1b[0m\n2026-11-30T10:00:00.0000000Z \x1b[36;1m  https://artifacts.example.com/upload\x1b[0m\n2026-11-30T10:00:01.0000000Z main.go:1:1: undefined: x\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans, err := eng.Explain(context.Background(), strings.NewReader(tc.log))
			if err != nil {
				t.Fatal(err)
			}
			ev := ans.Propositions[0].Evidence[0]
			shown := strings.Join(append(append(slices.Clone(ev.Before), ev.Text), ev.After...), "\n")
			if strings.Contains(shown, "s3cr3tPassw0rd") || !strings.Contains(shown, "-u deploy:[REDACTED:") {
				t.Errorf("evidence of %s shows:\n%s\nwant the continued -u password redacted", ans.Propositions[0].CauseID, shown)
			}
			// A line that continues nothing after the command is its own again.
			if !strings.Contains(shown, "https://artifacts.example.com/upload") {
				t.Errorf("evidence lost the command's last line:\n%s", shown)
			}
		})
	}
}

// The line a secret-printing command printed (vault's -field output) is shown as context of
// the error after it: alone it is a word like any, so the scan redacts it with the command's
// line in view.
func TestExplainRedactsPrintedSecrets(t *testing.T) {
	eng := testEngine(t, Options{Context: 3})
	log := "+ vault kv get -field=password secret/ci/db\nhunter22hunter\nmain.go:1:1: undefined: x\n"
	ans, err := eng.Explain(context.Background(), strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	ev := ans.Propositions[0].Evidence[0]
	shown := strings.Join(append(append(slices.Clone(ev.Before), ev.Text), ev.After...), "\n")
	if strings.Contains(shown, "hunter22hunter") || !strings.Contains(shown, "vault kv get -field=password") {
		t.Errorf("evidence of %s shows:\n%s\nwant the printed secret redacted and the command kept", ans.Propositions[0].CauseID, shown)
	}
}

// A line made of trigger words (testdata/engine/trigger-words.log: a "log" of fragments of
// every cause's literals) would make every regexp run over it; past maxCandidates it is
// noise, and the answer says unknown instead of a cause one fragment happened to spell.
func TestExplainIgnoresTriggerWordSoup(t *testing.T) {
	eng := builtinEngine(t)
	soup, err := os.ReadFile("testdata/engine/trigger-words.log")
	if err != nil {
		t.Fatal(err)
	}
	ans, err := eng.Explain(context.Background(), bytes.NewReader(soup))
	if err != nil {
		t.Fatal(err)
	}
	if ans.Category != CategoryUnknown {
		t.Errorf("trigger-word soup: category %s (%s); want unknown", ans.Category, ans.Propositions[0].CauseID)
	}
	// The same line's words, one failure per line, are still read.
	ans, err = eng.Explain(context.Background(), strings.NewReader(string(soup)+"main.go:3:2: undefined: foo\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ans.Propositions[0].CauseID != "go.undefined-identifier" {
		t.Errorf("a real error after the soup: top cause %s; want go.undefined-identifier", ans.Propositions[0].CauseID)
	}
}

func TestExplainCancelled(t *testing.T) {
	eng := testEngine(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := eng.Explain(ctx, strings.NewReader(strings.Repeat("line\n", 10000)))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Explain with a cancelled context = %v; want context.Canceled", err)
	}
}

func TestParseFileRejects(t *testing.T) {
	const ok = "ecosystem: x\ncauses:\n  - id: x.a\n    category: compile\n    title: t\n    patterns:\n      - match: 'error: x'\n    fix: [f]\n"
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"unknown field", strings.Replace(ok, "title: t", "title: t\n    severity: high", 1), "field severity not found"},
		{"bad regexp", strings.Replace(ok, "'error: x'", "'error: (x'", 1), "missing closing )"},
		{"no literal", strings.Replace(ok, "'error: x'", "'\\w+: \\d+'", 1), "requires no literal"},
		{"bad category", strings.Replace(ok, "compile", "kaboom", 1), `category "kaboom"`},
		{"unknown category for a specific cause", strings.Replace(ok, "compile", "unknown", 1), `category "unknown"`},
		{"unknown category at wrapper weight is allowed", strings.Replace(strings.Replace(ok, "compile", "unknown", 1), "title: t", "title: t\n    weight: 0.2", 1), ""},
		{"bad id", strings.Replace(ok, "x.a", "X A", 1), `id "X A"`},
		{"no fix", strings.Replace(ok, "fix: [f]", "fix: []", 1), "no fix"},
		{"then without within", strings.Replace(ok, "- match: 'error: x'", "- match: 'error: x'\n        then: 'fatal: y'", 1), "within 0"},
		{"all with one", strings.Replace(ok, "- match: 'error: x'", "- all: ['error: x']", 1), "want 2..4"},
		{"weight out of range", strings.Replace(ok, "title: t", "title: t\n    weight: 2", 1), "weight 2"},
		{"not yaml", "{{{", "yaml"},
		{"empty", "", "empty file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile([]byte(tc.yaml), "test.yaml")
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("ParseFile(%s) error = %v; want nil", tc.name, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("ParseFile(%s) error = %v; want one containing %q", tc.name, err, tc.wantErr)
			}
		})
	}
	if _, err := ParseFile([]byte(ok), "ok.yaml"); err != nil {
		t.Errorf("ParseFile(valid) = %v; want nil", err)
	}
}

func TestLoadOverridesBuiltin(t *testing.T) {
	builtin, err := LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	id := builtin.Causes[0].ID
	dir := t.TempDir()
	custom := "ecosystem: mine\ncauses:\n  - id: " + id + "\n    category: config\n    title: tuned\n    patterns:\n      - match: 'my-own-marker'\n    fix: [f]\n  - id: mine.extra\n    category: deploy\n    title: extra\n    patterns:\n      - match: 'deploy exploded'\n    fix: [f]\n"
	writeFile(t, dir+"/custom.yaml", custom)
	kb, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(kb.Causes) != len(builtin.Causes)+1 {
		t.Errorf("Load(dir) has %d causes; want %d (one replaced, one added)", len(kb.Causes), len(builtin.Causes)+1)
	}
	for _, c := range kb.Causes {
		if c.ID == id && c.Title != "tuned" {
			t.Errorf("cause %s title = %q; want the override %q", id, c.Title, "tuned")
		}
	}
	if _, err := Load(dir + "/missing"); err == nil {
		t.Error("Load(missing dir) succeeded; want an error")
	}
}

// TestTracebackShowsItsException: a Python traceback's header proves only that something raised;
// its evidence carries the exception line that ends the traceback (after a chained exception's
// tracebacks, the first and the last one), on GitHub Actions, GitLab and Jenkins logs. A report
// is its step's: an after_script's traceback is not the job's exception, and of a step's
// tracebacks the last one's is shown (a handled one's, logged earlier, is not what ended it).
// CMake's "Call Stack (most recent call first):" is another block's header, not the error: the
// message above it is shown.
func TestTracebackShowsItsException(t *testing.T) {
	eng := builtinEngine(t)
	tests := []struct {
		file      string // under testdata/engine/evidence/
		cause     string // python.uncaught-exception when empty
		top       bool   // the cause is the top proposition
		wantLines []int  // lines its evidence must hold: the header and the exception(s)
		notLines  []int  // lines it must not hold
	}{
		{file: "github-traceback.log", top: true, wantLines: []int{14, 23}},
		{file: "jenkins-recursion.log", top: true, wantLines: []int{11, 25}},
		// psycopg2's error, then Django's "The above exception was the direct cause …" one:
		// the exception that ended the job is the last.
		{file: "gitlab-django-chained.log", wantLines: []int{6, 12, 23}},
		{file: "gitlab-after-script-traceback.log", wantLines: []int{7, 12}, notLines: []int{19}},
		// Each exception is shown with its own traceback's header: the handled one's (line 6,
		// its exception on line 9) is not the header of the one that ended the step.
		{file: "github-handled-then-fatal.log", wantLines: []int{20, 28}, notLines: []int{6, 9}},
		// A handled traceback, then a chained one (During handling of …; The above exception
		// was the direct cause of …): the chain's first header with both its exceptions.
		{file: "github-handled-then-chained.log", wantLines: []int{13, 16, 26}, notLines: []int{7, 10}},
		{file: "jenkins-handled-then-direct-cause.log", wantLines: []int{17, 21, 30}, notLines: []int{11, 14}},
		{file: "jenkins-cmake-call-stack.log", cause: "cmake.configure-incomplete", wantLines: []int{12, 13}, notLines: []int{16}},
		// An exception whose message ends in ':' is no block header: it is shown, not the frame.
		{file: "gitlab-unittest-set-message.log", wantLines: []int{11, 14}, notLines: []int{12}},
		// The chain line comes 11 lines after the first exception (its message lists the
		// fields): the root exception is still shown.
		{file: "github-chain-long-message.log", wantLines: []int{5, 10, 28}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/engine/evidence/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			ans, err := eng.Explain(context.Background(), bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			cause := cmp.Or(tc.cause, "python.uncaught-exception")
			i := slices.IndexFunc(ans.Propositions, func(p Proposition) bool { return p.CauseID == cause })
			if i < 0 || tc.top && i != 0 {
				t.Fatalf("%s at %d in %+v; want it (first: %v)", cause, i, ans.Propositions, tc.top)
			}
			lines, texts := evidenceOf(ans.Propositions[i])
			for _, want := range tc.wantLines {
				if !slices.Contains(lines, want) {
					t.Errorf("evidence lines %v do not hold line %d\n%s", lines, want, strings.Join(texts, "\n"))
				}
			}
			for _, not := range tc.notLines {
				if slices.Contains(lines, not) {
					t.Errorf("evidence lines %v hold line %d\n%s", lines, not, strings.Join(texts, "\n"))
				}
			}
		})
	}
}

func TestIsBlockHeader(t *testing.T) {
	for line, want := range map[string]bool{
		"Call Stack (most recent call first):":   true,
		"  Call Stack (most recent call first):": true,
		"django.core.management.base.SystemCheckError: SystemCheckError: System check identified some issues:": false,
		"AssertionError: Items in the second set but not the first:":                                           false,
		"ValueError: bad value":              false,
		"Traceback (most recent call last):": true,
	} {
		if got := isBlockHeader([]byte(line)); got != want {
			t.Errorf("isBlockHeader(%q) = %v; want %v", line, got, want)
		}
	}
}

// TestReportEndsWithItsStep: tracebacks of tolerated commands ("$ python step3.py || true"),
// each in its own step: a report does not go on into the next step when the same header comes
// back within a few lines (it ran through 30,000 steps): the wrapper shows only the exceptions
// of the tracebacks it proved on.
func TestReportEndsWithItsStep(t *testing.T) {
	eng := builtinEngine(t)
	var log strings.Builder
	for i := range 8 {
		fmt.Fprintf(&log, "$ python scripts/check_%d.py || true\nTraceback (most recent call last):\n  File \"scripts/check_%d.py\", line 3, in <module>\n    run()\nValueError: check %d\n", i, i, i)
	}
	log.WriteString("ERROR: Job failed: exit code 1\n")
	ans, err := eng.Explain(context.Background(), strings.NewReader(log.String()))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ans.Propositions, func(p Proposition) bool { return p.CauseID == "python.uncaught-exception" })
	if i < 0 {
		t.Fatalf("no python.uncaught-exception in %+v", ans.Propositions)
	}
	lines, texts := evidenceOf(ans.Propositions[i])
	for j, text := range texts {
		var step int
		if _, err := fmt.Sscanf(text, "ValueError: check %d", &step); err != nil {
			continue
		}
		if header := 5*step + 2; !slices.Contains(lines, header) { // each step is 5 lines
			t.Errorf("line %d %q is shown without its traceback's header (line %d): a report of another step\n%v", lines[j], text, header, lines)
		}
	}
}

// evidenceOf lists a proposition's evidence: its line numbers and texts.
func evidenceOf(p Proposition) (lines []int, texts []string) {
	for _, ev := range p.Evidence {
		lines = append(lines, ev.Line)
		texts = append(texts, ev.Text)
	}
	return lines, texts
}

func FuzzExplain(f *testing.F) {
	eng := testEngine(f, Options{MaxLineBytes: 1024})
	for _, s := range []string{"undefined: x\n", "panic: a\ngoroutine 1 [running]:\n", "\x1b[31m\r\n", "\x1f\x8b\x08", "##[error]x",
		// The step tracker's framing, one per CI system, so the fuzzer starts inside it.
		"$ make\nerror: x\nThe command \"make\" exited with 2.\n",
		"##[group]Run make\nshell: bash\n##[endgroup]\nerror: x\n##[error]Process completed with exit code 1.\n",
		"section_start:1:step_script\r\x1b[0K$ make\nerror: x\nsection_end:1:step_script\r\x1b[0KERROR: Job failed: exit code 1\n",
		"[Pipeline] sh\n+ make\nerror: x\nERROR: script returned exit code 2\nFinished: FAILURE\n",
		// A noted failure and its check, with a long run of the variable's name.
		"$ make || FAILED=1\nerror: x\n$ test -z \"$FAILEDFAILEDFAILED${FAILED}$((FAILED))'$FAILED'\"\nERROR: Job failed: exit code 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		ans, err := eng.Explain(context.Background(), bytes.NewReader(input))
		if err != nil {
			if _, ok := IsInputError(err); !ok {
				t.Fatalf("Explain(%q) = %v; want an answer or an input error", input, err)
			}
			return
		}
		if len(ans.Propositions) == 0 {
			t.Fatalf("Explain(%q) gave no propositions", input)
		}
		// Every shown line is a line of the log, shown once per proposition.
		for _, p := range ans.Propositions {
			seen := map[int]bool{}
			for _, ev := range p.Evidence {
				if ev.Line < 1 || ev.Line > ans.Lines || seen[ev.Line] {
					t.Fatalf("Explain(%q): %s shows line %d (log of %d lines, seen before: %v)", input, p.CauseID, ev.Line, ans.Lines, seen[ev.Line])
				}
				seen[ev.Line] = true
			}
		}
	})
}

func FuzzParseFile(f *testing.F) {
	f.Add([]byte("ecosystem: x\ncauses:\n  - id: x.a\n    category: compile\n    title: t\n    patterns:\n      - match: 'error: x'\n    fix: [f]\n"))
	f.Add([]byte("causes: [{id: a, patterns: [{all: [x, y]}]}]"))
	f.Add([]byte("&a [*a, *a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		causes, err := ParseFile(data, "fuzz.yaml")
		if err == nil {
			if _, err := New(&KB{Causes: causes}, Options{}); err != nil {
				t.Fatalf("ParseFile accepted %q but New rejects it: %v", data, err)
			}
		}
	})
}

func gzipOf(s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = io.WriteString(zw, s) // a gzip.Writer over a bytes.Buffer cannot fail
	_ = zw.Close()
	return buf.Bytes()
}

// BenchmarkExplainLargeLog classifies a large log held in memory. CIAGENT_BENCH_LOG names the
// file (make bench builds a >=100 MB one); without it the knowledge-base fixtures are repeated
// to 16 MB so the benchmark still runs.
func BenchmarkExplainLargeLog(b *testing.B) {
	eng := builtinEngine(b)
	data := benchLog(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := eng.Explain(context.Background(), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExplainTriggerWordSoup: 500 lines of trigger words, the worst input for the
// regexps (each line would make every candidate run over it).
func BenchmarkExplainTriggerWordSoup(b *testing.B) {
	eng := builtinEngine(b)
	soup, err := os.ReadFile("testdata/engine/trigger-words.log")
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat(soup, 500)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := eng.Explain(context.Background(), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExplainDeferredLongLine: 64 commands note their failure in FAILED, then a check reads
// a 60 KB line of "FAILEDFAILED…$FAILED…": reading the check's variables must cost the line's
// length, not its square times the proofs (it took 7.9 s; compare the ns/op with the line doubled).
func BenchmarkExplainDeferredLongLine(b *testing.B) {
	eng := builtinEngine(b)
	var log bytes.Buffer
	for i := range 64 {
		fmt.Fprintf(&log, "$ python step%d.py || FAILED=1\nTraceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nValueError: %d\n", i, i)
	}
	log.WriteString(`$ test -z "` + strings.Repeat("FAILED", 5000) + strings.Repeat("$FAILED", 5000) + "\"\n")
	log.WriteString("ERROR: Job failed: exit code 1\n")
	data := log.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := eng.Explain(context.Background(), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestExplainStreamsInBoundedMemory pushes a 256 MiB log, with a 5 MiB single line in it,
// through the engine and checks that what it allocates does not grow with the input.
func TestExplainStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 256 MiB")
	}
	eng := testEngine(t, Options{})
	const size = 256 << 20
	src := &repeatingLog{
		lines: [][]byte{
			[]byte("2024-05-01T10:00:00.0000000Z compiling module github.com/acme/widgets/internal/store v1.2.3\n"),
			[]byte("   ok  \tgithub.com/acme/widgets/internal/api\t0.412s\n"),
			[]byte("warning: something odd happened, an error maybe\n"),
			[]byte(strings.Repeat("x", 5<<20) + "\n"), // one 5 MiB line
		},
		left: size,
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	// src stops mid-line; the newline keeps the failure on a line of its own.
	ans, err := eng.Explain(context.Background(), io.MultiReader(src, strings.NewReader("\nmain.go:1:1: undefined: x\n")))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Propositions[0].CauseID != "t.single" || ans.Bytes < size {
		t.Errorf("got %s after %d bytes; want t.single after at least %d bytes", ans.Propositions[0].CauseID, ans.Bytes, size)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
		t.Errorf("Explain of a %d MiB log allocated %d MiB; want it bounded (< 32 MiB) whatever the size", size>>20, alloc>>20)
	}
}

// repeatingLog yields its lines round-robin until left bytes have been produced.
type repeatingLog struct {
	lines [][]byte
	next  int
	off   int
	left  int
}

func (r *repeatingLog) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		line := r.lines[r.next][r.off:]
		c := copy(p[n:], line)
		n += c
		r.left -= c
		r.off += c
		if r.off == len(r.lines[r.next]) {
			r.next = (r.next + 1) % len(r.lines)
			r.off = 0
		}
	}
	return n, nil
}

// BenchmarkLoadBuiltin is the classifier's start-up: parse the embedded knowledge base, compile
// its regexps and build the prefilter. The CLI pays it on every run, before the first byte.
func BenchmarkLoadBuiltin(b *testing.B) {
	for b.Loop() {
		kb, err := LoadBuiltin()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := New(kb, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
