package cifailure

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestUnknownShowsTheFailedStep: when no cause matches, the evidence is what a person would
// grep for in the step that failed (step.go), not the log's latest error-ish lines.
func TestUnknownShowsTheFailedStep(t *testing.T) {
	eng := testEngine(t, Options{})
	tests := []struct {
		file      string // under testdata/engine/unknown/
		wantLines []int  // the unknown proposition's evidence lines
	}{
		// The first compiler errors of the failed command, before its later summaries; not
		// the VM's set-up text that merely holds the word "error".
		{"compile-first-errors.log", []int{8, 11, 16, 17, 18}},
		// A check that prints no error word: its command and its last words.
		{"quiet-failure.log", []int{3, 4, 5, 6, 7}},
		// "1) TestName" after "There were 2 failures:".
		{"numbered-failures.log", []int{7, 8, 10, 13, 14}},
		// travis_retry: the retried command's own output, not the empty wrapper step; a
		// line said again is shown once, its later words before its first.
		{"retried-step.log", []int{1, 3, 4, 5, 7}},
		// A retried install: the error said once, with the message under its header (no
		// error word of its own), then the step's last lines.
		{"repeated-error.log", []int{1, 4, 5, 13, 14}},
		// A quiet check: its closing summary (the last line before the verdict) comes
		// before its banner.
		{"quiet-summary.log", []int{1, 2, 4, 5, 6}},
		// No command echo: the step runs from the log's start; the test's failure first.
		{"no-command-echo.log", []int{5, 6, 8, 10, 11}},
		// file:line diagnostics count even without an error word; the step is short enough
		// to be shown whole.
		{"location-without-error-word.log", []int{1, 2, 3, 4, 5}},
		// "rake aborted!" and the message under it.
		{"aborted.log", []int{1, 2, 3, 4, 5}},
		// A step without an echo starts after the last successful one: its first line is one
		// of its last lines too.
		{"step-after-a-success.log", []int{4, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/engine/unknown/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			ans, err := eng.Explain(context.Background(), strings.NewReader(string(data)))
			if err != nil {
				t.Fatal(err)
			}
			if ans.Category != CategoryUnknown {
				t.Fatalf("category = %q; want unknown", ans.Category)
			}
			lines, texts := evidenceOf(ans.Propositions[0])
			if !slices.Equal(lines, tc.wantLines) {
				t.Errorf("evidence lines = %v; want %v\n%s", lines, tc.wantLines, strings.Join(texts, "\n"))
			}
		})
	}
}

// TestVerdictShowsTheFailedStep: on GitHub Actions, GitLab and Jenkins logs an answer that rests
// on the CI's verdict alone (category unknown, built-in causes) shows the failed step's lines:
// the step tracker knows where these CIs start a step and which verdict ends it.
func TestVerdictShowsTheFailedStep(t *testing.T) {
	eng := builtinEngine(t)
	tests := []struct {
		file      string // under testdata/engine/unknown/
		cause     string // the top proposition: the CI's verdict
		wantLines []int  // its evidence lines
	}{
		// GitHub Actions: the step starts at "##[group]Run <cmd>", its header group (the
		// script, shell and env lines) is not its output, and an earlier step's error is not
		// shown.
		// Its last lines ("1 table differs") before its first ("loading schema v7").
		{"github-actions-step.log", "gha.process-exit-code", []int{7, 14, 15, 16, 17}},
		// GitLab: the job script's section ends before after_script runs its own "$ cmd"; the
		// job's verdict is about the script's last command.
		{"gitlab-step-script.log", "gitlab.job-failed-exit-code", []int{4, 5, 6, 7, 14}},
		// … and an error-ish line of after_script is not the script's: the script's last
		// line is shown instead.
		{"gitlab-after-script-error.log", "gitlab.job-failed-exit-code", []int{4, 5, 6, 7, 14}},
		// Jenkins pipeline: "+ cmd" traces in "[Pipeline] sh" steps; the post actions' shell
		// step runs after the failure, and the verdict comes at the pipeline's end.
		{"jenkins-pipeline-sh.log", "jenkins.script-exit-code", []int{15, 16, 17, 18, 31}},
		// … but when the stages passed, the post action that printed the error is the
		// failed step: its lines, not the passing test step's.
		{"jenkins-post-action-error.log", "jenkins.script-exit-code", []int{16, 17, 18, 24}},
		// Jenkins freestyle: "[ws] $ /bin/sh -xe …" then "+ cmd" traces, "Build step '…'
		// marked build as failure".
		{"jenkins-freestyle.log", "jenkins.finished-failure", []int{6, 7, 8, 9, 11}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/engine/unknown/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			ans, err := eng.Explain(context.Background(), strings.NewReader(string(data)))
			if err != nil {
				t.Fatal(err)
			}
			top := ans.Propositions[0]
			if ans.Category != CategoryUnknown || top.CauseID != tc.cause {
				t.Fatalf("answer = %q, %s; want unknown, %s", ans.Category, top.CauseID, tc.cause)
			}
			lines, texts := evidenceOf(top)
			if !slices.Equal(lines, tc.wantLines) {
				t.Errorf("evidence lines = %v; want %v\n%s", lines, tc.wantLines, strings.Join(texts, "\n"))
			}
		})
	}
}

// The failed step's command, head and tail lines are shown too: redacted like every other.
func TestUnknownStepLinesAreRedacted(t *testing.T) {
	eng := testEngine(t, Options{})
	log := "$ ./deploy --api-key AKIAQWERTYUIOPASDFGH\n" +
		"-----BEGIN RSA PRIVATE KEY-----\n" +
		"MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" +
		"-----END RSA PRIVATE KEY-----\n" +
		"upload refused\n" +
		"The command \"./deploy --api-key AKIAQWERTYUIOPASDFGH\" exited with 1.\n"
	ans, err := eng.Explain(context.Background(), strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	_, shown := evidenceOf(ans.Propositions[0])
	all := strings.Join(shown, "\n")
	for _, secret := range []string{"AKIAQWERTYUIOPASDFGH", "MIIEowIBAAKCAQEAu1SU1"} {
		if strings.Contains(all, secret) {
			t.Errorf("evidence shows %q:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, "$ ./deploy") {
		t.Errorf("evidence does not show the failed command:\n%s", all)
	}
}

func TestGrepTier(t *testing.T) {
	tests := []struct {
		line     string
		errorish bool // the prefilter saw an error-ish word
		marked   bool // the prefilter saw a marker literal
		after    bool // an error-ish line came just before
		want     int
	}{
		{"error: cannot open output file", true, false, false, tierError},
		{"[error] src/a.scala:3:1: not found: value x", true, false, false, tierError},
		{"npm ERR! code 1", true, false, false, tierError},
		{"FAILED tests/test_cart.py::test_total - assert 10 == 12", true, false, false, tierError},
		{"--- FAIL: TestParse (0.01s)", true, false, false, tierError},
		{"E   AssertionError: lists differ", true, false, false, tierError},
		{"TypeError: x is not a function", true, false, false, tierError},
		{"java.io.IOException: stream closed", true, false, false, tierError},
		{"  login page renders *** FAILED ***", true, false, false, tierError},
		{"src/lib.rs:10:5: error: mismatched types", true, false, false, tierError},
		{"src/lib.rs:10:5: mismatched types", false, false, false, tierLocation},
		{"README.md:2:Line too long", false, false, false, tierLocation},
		{"  ✖  12:4  Unexpected var  no-var", false, true, false, tierError},
		{"** (CompileError) lib/a.ex:3: undefined function", true, true, false, tierError},
		{"rake aborted!", false, true, false, tierError},
		{"1) CartTest::testTotal", false, false, true, tierError},
		{"src/a.hs:9:1: Warning: unused import", false, true, false, tierWarning},
		{"warning: LF will be replaced by CRLF", false, true, false, tierWarning},
		{"diff --git a/x.txt b/x.txt", false, true, false, tierWarning},
		// Not reports.
		{"1) CartTest::testTotal", false, false, false, tierNone},
		{"Errors: 0, Failures: 0", true, false, false, tierNone},
		{"error-ex@1.3.1", true, false, false, tierNone},
		{"errors.go compiled", true, false, false, tierNone},
		{"│ ├── error-reporter@2.0.0", true, false, false, tierNone},
		{"/usr/lib/ruby/rake.rb:12:in `load'", false, false, false, tierNone},
		{"Fetching https://example.invalid:8443/x", false, false, false, tierNone},
		{"12:30:45 starting the worker", false, false, false, tierNone},
		{"Installing the error reporting hooks", true, false, false, tierNone},
	}
	for _, tc := range tests {
		if got := grepTier([]byte(tc.line), tc.errorish, tc.marked, tc.after); got != tc.want {
			t.Errorf("grepTier(%q, errorish=%v, marked=%v, after=%v) = %d; want %d", tc.line, tc.errorish, tc.marked, tc.after, got, tc.want)
		}
	}
}

func TestVerdictOf(t *testing.T) {
	tests := []struct {
		line string
		kind lineKind
		want int
	}{
		{`The command "make" exited with 2.`, lineCIError, verdictStep},
		{`The command "make" exited with 0.`, lineCIError, verdictSuccess},
		{`The command "make" exited with 10.`, lineCIError, verdictStep},
		{"Process completed with exit code 1.", lineCIError, verdictStep},
		{"Process completed with exit code 0.", lineCIError, verdictSuccess},
		{"Done. Your build exited with 1.", lineCIError, verdictJob},
		{"ERROR: Job failed: exit code 1", lineCIError, verdictJob},
		{`The command "./get" failed 3 times.`, lineText, verdictStep},
		{`The command "./get" failed. Retrying, 2 of 3.`, lineText, verdictNone},
		{"The command line is long", lineText, verdictNone},
		{"src/a.go:3:2: undefined: y", lineCIError, verdictNone}, // a ##[error] annotation
		{"ERROR: script returned exit code 2", lineText, verdictStep},
		{"ERROR: script returned exit code 0", lineText, verdictNone},
		{"Build step 'Execute shell' marked build as failure", lineText, verdictStep},
		{"Build step 'Execute shell' finished", lineText, verdictNone},
		{"Finished: FAILURE", lineText, verdictJob},
		{"Finished: SUCCESS", lineText, verdictNone},
	}
	for _, tc := range tests {
		if got := verdictOf([]byte(tc.line), tc.kind); got != tc.want {
			t.Errorf("verdictOf(%q) = %d; want %d", tc.line, got, tc.want)
		}
	}
}

// A wrapper cause ("exit code 2") shows the error-ish lines before it and, when they do not
// hold it, the first error of its step.
func TestWrapperShowsTheStepsFirstError(t *testing.T) {
	eng := testEngine(t, Options{})
	log := "$ ./build.sh\n" +
		"src/a.c:3:1: error: unknown type name 'widget'\n" +
		"error: stop one\n" +
		"error: stop two\n" +
		"error: stop three\n" +
		"build.sh finished with exit code 2\n"
	ans, err := eng.Explain(context.Background(), strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	lines, _ := evidenceOf(ans.Propositions[0])
	if ans.Propositions[0].CauseID != "t.generic" || !slices.Equal(lines, []int{2, 3, 4, 5, 6}) {
		t.Errorf("got %s with lines %v; want t.generic with [2 3 4 5 6]", ans.Propositions[0].CauseID, lines)
	}
}

// The normaliser's marks on the CI framing that bounds steps.
func TestStepMarks(t *testing.T) {
	tests := []struct {
		raw  string
		want stepMark
	}{
		{"2026-03-02T09:00:03.0000000Z ##[group]Run make check", markStepEcho},
		{"##[group]Operating System", markNone},
		{"2026-03-02T09:00:03.0500000Z ##[endgroup]", markGroupEnd},
		{"section_end:1770000009:step_script\r\x1b[0K", markScriptEnd},
		{"section_end:1770000009:build_script\r\x1b[0K", markScriptEnd},
		{"section_end:1770000009:prepare_script\r\x1b[0Ksection_start:1770000009:step_script\r\x1b[0KExecuting", markNone},
		{"section_end:1770000009:step_script\r\x1b[0Ksection_start:1770000009:after_script\r\x1b[0KRunning after_script", markAfterScript},
		{"section_start:1770000009:after_script[collapsed=true]\r\x1b[0KRunning after_script", markAfterScript},
		{"section_end:1770000010:after_script\r\x1b[0Ksection_start:1770000010:upload_artifacts_on_failure\r\x1b[0KUploading", markAfterScriptEnd},
		{"[Pipeline] sh", markShell},
		{"[2026-03-02T09:00:03.000Z] [Pipeline] bat", markShell},
		{"[Pipeline] { (Declarative: Post Actions)", markPostSteps},
		{"[Pipeline] // stage", markPipeline},
		{"$ make check", markNone},
		{"travis_fold:start:after_failure.1", markTravisAfter},
		{"travis_fold:start:after_script\r\x1b[0K$ cat log/test.log", markTravisAfter},
		{"travis_fold:start:after_failure\x1b[0Ktravis_time:start:05fa8052\x1b[0K$ python push.py", markTravisAfter},
		{"travis_fold:end:after_failure.1", markAfterScriptEnd},
		{"travis_fold:start:install.1", markNone},
	}
	for _, tc := range tests {
		var n normalizer
		if n.normalize([]byte(tc.raw)); n.mark != tc.want {
			t.Errorf("normalize(%q): mark %d; want %d", tc.raw, n.mark, tc.want)
		}
	}
}

func TestJenkinsEcho(t *testing.T) {
	for line, want := range map[string]bool{
		"[widgets] $ /bin/sh -xe /tmp/jenkins1.sh": true,
		"[my job] $ /opt/maven/bin/mvn -B verify":  true,
		"[INFO] Building widgets 1.0":              false,
		"[INFO] [x] $ not an echo":                 false,
		"[ws] $ ":                                  false,
	} {
		if got := jenkinsEcho([]byte(line)); got != want {
			t.Errorf("jenkinsEcho(%q) = %v; want %v", line, got, want)
		}
	}
}

// TestTrapCleanupAfterFailure: a script's EXIT trap runs its clean-up after the failing command
// (sh -xe traces it: "+ docker compose down -v"), and a clean-up that prints errors of its own
// ("Error response from daemon", "rm: cannot remove …: Permission denied") is not the script
// going on: the failing command's step is the failed one, its cause first and inside, the
// verdict shows its lines, and what the clean-up proved ran after the failure (outside).
// explainStepFixture explains testdata/engine/steps/file, with its first old replaced by repl
// when old is set (a variant of the fixture: another trap, another check).
func explainStepFixture(t *testing.T, eng *Engine, file, old, repl string) *Answer {
	t.Helper()
	data, err := os.ReadFile("testdata/engine/steps/" + file)
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)
	if old != "" {
		if !strings.Contains(log, old) {
			t.Fatalf("%s has no %q", file, old)
		}
		log = strings.Replace(log, old, repl, 1)
	}
	ans, err := eng.Explain(context.Background(), strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

func TestTrapCleanupAfterFailure(t *testing.T) {
	eng := builtinEngine(t)
	tests := []struct {
		file       string // under testdata/engine/steps/
		top        string
		verdict    string // the CI's verdict cause, which shows the failed step's lines
		trap       [2]int // the handler's lines: no verdict evidence among them
		trapCause  string // proved by the handler: outside ("" when it failed a passing script)
		insideTrap string // proved by the handler and the failure's cause: its script passed
	}{
		{file: "jenkins-trap-cleanup-error.log", top: "go.test-failed", verdict: "jenkins.script-exit-code", trap: [2]int{22, 28}, trapCause: "machine.permission-denied"},
		{file: "github-trap-cleanup-error.log", top: "go.test-failed", verdict: "gha.process-exit-code", trap: [2]int{22, 28}, trapCause: "machine.permission-denied"},
		// No error before the handler ran: the script passed, and the clean-up failed it.
		{file: "jenkins-trap-fails-passing-script.log", top: "docker.daemon-not-running", verdict: "jenkins.script-exit-code", insideTrap: "docker.daemon-not-running"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			ans := explainStepFixture(t, eng, tc.file, "", "")
			byID := map[string]Proposition{}
			for _, p := range ans.Propositions {
				byID[p.CauseID] = p
			}
			if top := ans.Propositions[0]; top.CauseID != tc.top || top.Features.Outside {
				t.Errorf("top = %s (outside %v); want %s, inside the failed step", top.CauseID, top.Features.Outside, tc.top)
			}
			if tc.trapCause != "" {
				if p, ok := byID[tc.trapCause]; ok && !p.Features.Outside {
					t.Errorf("%s, proved by the trap's clean-up, is not outside", tc.trapCause)
				}
			}
			if p, ok := byID[tc.insideTrap]; tc.insideTrap != "" && (!ok || p.Features.Outside) {
				t.Errorf("%s: missing or outside (%v); want it inside the failed step", tc.insideTrap, ok)
			}
			v, ok := byID[tc.verdict]
			if !ok {
				t.Fatalf("no %s proposition", tc.verdict)
			}
			lines, texts := evidenceOf(v)
			for _, l := range lines {
				if l >= tc.trap[0] && l <= tc.trap[1] {
					t.Errorf("%s shows the trap's line %d; want the failed step's lines\n%s", tc.verdict, l, strings.Join(texts, "\n"))
				}
			}
		})
	}
}

// TestTrapRunsAtScriptEnd: a trap's handler runs when the script exits, so it is the last thing
// traced. A command the script itself ran that looks like the handler's ("+ rm -rf build" for
// 'rm -rf "$WORK"', "+ echo …" for 'echo "$0 exited with $?"') is followed by more of the
// script's commands: the failure after it is the job's, inside the failed step. An ERR trap is no
// exit (set +e: the script goes on); a handler that dumps logs ("docker compose logs db") shows
// the failure's cause, not the clean-up's; a later "trap … INT TERM" leaves the EXIT trap.
func TestTrapRunsAtScriptEnd(t *testing.T) {
	eng := builtinEngine(t)
	const exitTrap = `+ trap 'docker compose down -v || echo "cleanup failed: compose down exited $?" >&2; rm -rf "$TMP"' EXIT`
	tests := []struct {
		name     string
		file     string // under testdata/engine/steps/
		old, new string // an optional edit of the fixture
		top      string // first, inside the failed step
		inside   []string
		outside  []string
	}{
		{name: "jenkins rm", file: "jenkins-trap-command-run-by-script.log", top: "c.undeclared-identifier"},
		{name: "github echo", file: "github-trap-echo-run-by-script.log", top: "c.undeclared-identifier"},
		{name: "github ERR", file: "github-err-trap-script-goes-on.log", top: "node.tsc-error", inside: []string{"node.eslint-errors"}},
		{name: "github logs", file: "github-trap-dumps-logs.log", top: "machine.no-space-left", inside: []string{"net.connection-refused"}},
		// The handler calls a function, and the script runs its first command itself ("+ rc=1"
		// of set +e; cmd; rc=$?): the trap runs once, so its run starts at the last "+ rc=1".
		{name: "jenkins rc idiom", file: "jenkins-trap-rc-idiom.log", top: "go.undefined-identifier"},
		// "+ docker build" after the script's own "+ docker rm -f" is none of the handler's
		// 'docker rm -f "$CID"': name and first argument differ.
		{name: "github docker rm", file: "github-trap-docker-rm-then-build.log", top: "npm.eresolve"},
		{name: "INT TERM after EXIT", file: "jenkins-trap-cleanup-error.log", old: exitTrap,
			new: exitTrap + "\n+ trap 'echo interrupted; exit 130' INT TERM",
			top: "go.test-failed", outside: []string{"machine.permission-denied"}},
		{name: "trap --", file: "jenkins-trap-cleanup-error.log", old: exitTrap,
			new: "+ trap -- '" + strings.TrimSuffix(strings.TrimPrefix(exitTrap, "+ trap '"), "' EXIT") + "' EXIT",
			top: "go.test-failed", outside: []string{"machine.permission-denied"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ans := explainStepFixture(t, eng, tc.file, tc.old, tc.new)
			if top := ans.Propositions[0]; top.CauseID != tc.top || top.Features.Outside {
				t.Errorf("top = %s (outside %v, %v); want %s inside", top.CauseID, top.Features.Outside, top.Score, tc.top)
			}
			check := func(ids []string, outside bool) {
				for _, id := range ids {
					i := slices.IndexFunc(ans.Propositions, func(p Proposition) bool { return p.CauseID == id })
					if i < 0 {
						t.Errorf("no %s in the answer", id)
					} else if p := ans.Propositions[i]; p.Features.Outside != outside {
						t.Errorf("%s outside = %v (score %v); want %v", id, p.Features.Outside, p.Score, outside)
					}
				}
			}
			check(tc.inside, false)
			check(tc.outside, true)
		})
	}
}

func TestTrapHandler(t *testing.T) {
	type parsed struct {
		cmds        string // the handler's commands, joined by '|'
		set, opaque bool
	}
	for args, want := range map[string]parsed{
		`'docker compose down -v || echo "cleanup failed" >&2; rm -rf "$TMP"' EXIT`: {"docker compose|echo cleanup|rm -rf", true, false},
		`cleanup EXIT`:                                                  {"cleanup", true, true},
		`./scripts/stop-services EXIT`:                                  {"./scripts/stop-services", true, true},
		`'rm -rf /tmp/x' INT TERM EXIT`:                                 {"rm -rf", true, false},
		`'rc=$?; docker compose down; exit $rc' EXIT`:                   {"rc=|docker compose|exit $rc", true, false},
		`'cleanup; exit' EXIT`:                                          {"cleanup|exit", true, true},
		`'rm "$TMP"' EXIT`:                                              {"rm $TMP", true, false},
		`echo cleanup failed >&2; rm -rf /tmp/x EXIT`:                   {"echo cleanup|rm -rf", true, false}, // dash does not quote the handler
		`cleanup SIGEXIT`:                                               {"cleanup", true, true},
		`cleanup 0`:                                                     {"cleanup", true, true},
		`-- cleanup EXIT`:                                               {"cleanup", true, true},
		`-- 'docker compose logs db &>/dev/null' EXIT`:                  {"docker compose", true, false},
		`'if [ -n "$CID" ]; then docker logs "$CID"; fi' EXIT`:          {"[ -n|docker logs", true, false},
		`'trap - EXIT; docker compose down' EXIT`:                       {"trap -|docker compose", true, false},
		`'docker compose logs | tail -n 100; docker compose down' EXIT`: {"docker compose|tail -n|docker compose", true, false},
		`'kill $(jobs -p) || true' EXIT`:                                {"kill $(jobs|true", true, false},
		// Not the EXIT trap: it stays as it was.
		`'rm -rf /tmp/x; exit 1' INT TERM`:           {"", false, false},
		`'echo interrupted; exit 130' INT TERM`:      {"", false, false},
		`'rc=$?; docker compose down; exit $rc' ERR`: {"", false, false},
		`-p EXIT`: {"", false, false},
		`-p`:      {"", false, false},
		// Resets.
		`- EXIT`:  {"", true, false},
		`'' EXIT`: {"", true, false},
	} {
		cmds, set, opaque := trapHandler([]byte(args), nil)
		got := parsed{strings.ReplaceAll(strings.TrimSuffix(string(cmds), "\n"), "\n", "|"), set, opaque}
		if got != want {
			t.Errorf("trapHandler(%q) = %+v; want %+v", args, got, want)
		}
	}
	// The handler's first command as bash traces it when the trap runs, and commands that are not it.
	for _, tc := range []struct {
		handler, traced string
		want            bool
	}{
		{`'echo "cleanup failed: $TMP left behind" >&2; rm -rf $TMP' EXIT`, `echo 'cleanup failed: /tmp/x left behind'`, true},
		{`'echo "cleanup failed: $TMP left behind" >&2; rm -rf $TMP' EXIT`, `echo 'tests done'`, false},
		{`'rm -rf "$TMP"' EXIT`, `rm -rf /tmp/tmp.Xk29aQ`, true},
		{`'rm "$TMP"' EXIT`, `rm /tmp/tmp.Xk29aQ`, true},
		{`cleanup EXIT`, `cleanup`, true},
		{`'rc=$?; docker compose down' EXIT`, `rc=1`, true},
		{`'docker compose down -v' EXIT`, `docker compose down -v`, true},
		{`'docker compose down -v' EXIT`, `docker build .`, false},
	} {
		cmds, _, _ := trapHandler([]byte(tc.handler), nil)
		first, _, _ := strings.Cut(string(cmds), "\n")
		if got := sameCommand([]byte(first), trapCommand([]byte(tc.traced), nil)); got != tc.want {
			t.Errorf("handler %s, traced %q: same = %v; want %v", tc.handler, tc.traced, got, tc.want)
		}
	}
	for cmd, want := range map[string]bool{
		"docker compose logs --no-color db": true,
		"docker logs app-1":                 true,
		"kubectl describe pod web-0":        true,
		"cat build/test.log":                true,
		"docker compose down -v":            false,
		"rm -rf /tmp/x":                     false,
	} {
		if got := isLogDump([]byte(cmd)); got != want {
			t.Errorf("isLogDump(%q) = %v; want %v", cmd, got, want)
		}
	}
}

// TestDeferredFailure: a GitLab job script that notes a command's failure in a variable and
// checks it at the end ("$ pytest tests/unit -q || FAILED=1" … "$ test -z \"$FAILED\""): the
// shell went on after pytest, but the job fails at the check, which reports pytest's failure,
// so the failing tests are the failed step's cause (they were outside, at half their score).
func TestDeferredFailure(t *testing.T) {
	eng := builtinEngine(t)
	data, err := os.ReadFile("testdata/engine/steps/gitlab-deferred-failure.log")
	if err != nil {
		t.Fatal(err)
	}
	const check = `$ test -z "$FAILED"`
	if !strings.Contains(string(data), check) {
		t.Fatalf("the fixture has no %q", check)
	}
	tests := []struct {
		name, check string
		inside      bool // pytest.test-failed counts as the failed step's
	}{
		{"test -z", check, true},
		{"[ -z ]", `$ [ -z "$FAILED" ]`, true},
		{"exit", `$ exit ${FAILED:-0}`, true},
		{"if", `$ if [ -n "$FAILED" ]; then echo "some checks failed"; exit 1; fi`, true},
		{"arithmetic", `$ exit $((FAILED))`, true},
		// '$FAILED' in single quotes is a literal, not a read of the variable.
		{"single-quoted", `$ test -z '$FAILED'`, false},
		// The job fails at a command that reads no noted failure: pytest's step passed.
		{"another variable", `$ test -z "$FAILED_UPLOADS"`, false},
		{"no check", `$ ./scripts/publish-docs.sh`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := strings.Replace(string(data), check, tc.check, 1)
			ans, err := eng.Explain(context.Background(), strings.NewReader(log))
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(ans.Propositions, func(p Proposition) bool { return p.CauseID == "pytest.test-failed" })
			if i < 0 {
				t.Fatalf("no pytest.test-failed in %+v", ans.Propositions)
			}
			if p := ans.Propositions[i]; p.Features.Outside == tc.inside {
				t.Errorf("pytest.test-failed outside = %v; want %v (score %v)", p.Features.Outside, !tc.inside, p.Score)
			}
			if tc.inside && (i != 0 || ans.Confidence < 0.5) {
				t.Errorf("pytest.test-failed at %d with confidence %v; want first, with its whole score", i, ans.Confidence)
			}
		})
	}
}

// TestDeferredFailureChecks: only a check (test, [, [[, exit, if … exit) that reads the noted
// variable takes the noted commands' proof back, and only from commands that did not end by
// saying they succeeded.
func TestDeferredFailureChecks(t *testing.T) {
	eng := builtinEngine(t)
	tests := []struct {
		file     string // under testdata/engine/steps/
		old, new string // an optional edit of the fixture
		top      string // the first proposition, inside the failed step
		outside  string // a proposition that must be outside
	}{
		// "./ci/notify.sh --status \"${FAILED:-ok}\"" reads FAILED but is no check: its own
		// crash (KeyError) failed the job, and pytest's failure stays outside.
		{file: "gitlab-deferred-notify-fails.log", top: "python.uncaught-exception", outside: "pytest.test-failed"},
		// "|| { echo …; FAILED=1; }" and "exit $((FAILED))"; pip printed "ERROR: Failed
		// building wheel" but ended "Successfully installed": it did not set FAILED.
		{file: "gitlab-deferred-passing-noted.log", top: "pytest.test-failed", outside: "pip.build-wheel-failed"},
		{file: "gitlab-deferred-passing-noted.log", top: "pytest.test-failed", outside: "pip.build-wheel-failed",
			old: `$ pytest tests -q || { echo "unit tests failed"; FAILED=1; }`, new: `$ pytest tests -q || FAILED=1`},
		{file: "gitlab-deferred-passing-noted.log", top: "pytest.test-failed", outside: "pip.build-wheel-failed",
			old: `$ exit $((FAILED))`, new: `$ test -z "$FAILED"`},
		// GitLab echoes a multi-line if's first line only, "# collapsed multi-line command".
		{file: "gitlab-deferred-collapsed-check.log", top: "pytest.test-failed"},
		// A loop's last run ended "Successfully tagged"; an earlier one failed.
		{file: "gitlab-deferred-loop-last-success.log", top: "pip.no-matching-distribution"},
	}
	for _, tc := range tests {
		t.Run(tc.file+" "+tc.new, func(t *testing.T) {
			ans := explainStepFixture(t, eng, tc.file, tc.old, tc.new)
			if top := ans.Propositions[0]; top.CauseID != tc.top || top.Features.Outside {
				t.Errorf("top = %s (outside %v, %v); want %s inside", top.CauseID, top.Features.Outside, top.Score, tc.top)
			}
			if tc.outside == "" {
				return
			}
			i := slices.IndexFunc(ans.Propositions, func(p Proposition) bool { return p.CauseID == tc.outside })
			if i < 0 {
				t.Fatalf("no %s in %+v", tc.outside, ans.Propositions)
			}
			if !ans.Propositions[i].Features.Outside {
				t.Errorf("%s is inside (score %v); want it outside", tc.outside, ans.Propositions[i].Score)
			}
		})
	}
}

func TestIsLoop(t *testing.T) {
	for echo, want := range map[string]bool{
		`$ for svc in api web; do docker build "services/$svc" || FAILED=1; done`: true,
		`$ while read -r f; do shellcheck "$f" || FAILED=1; done < files.txt`:     true,
		`$ git ls-files '*.sh' | xargs -n1 shellcheck || FAILED=1`:                true,
		`$ pip install -r requirements.txt || FAILED=1`:                           false,
		`$ format_all || FAILED=1`:                                                false,
	} {
		if got := isLoop([]byte(echo)); got != want {
			t.Errorf("isLoop(%q) = %v; want %v", echo, got, want)
		}
	}
}

func TestFailureVar(t *testing.T) {
	for echo, want := range map[string]string{
		"$ pytest | tee log || { tail -n 50 log | grep -i error; FAILED=1; }": "FAILED",
		"$ make || { make clean && echo retry; RC=1; }":                       "RC",
		`$ make || { echo "a|b" | wc -l; RC=1; }`:                             "RC",
		"$ pytest tests/unit -q || FAILED=1":                                  "FAILED",
		"$ make lint || { STATUS=1; }":                                        "STATUS",
		"$ tox -e py312 || export FAILED=true":                                "FAILED",
		"$ go test ./... || rc_2=$?":                                          "rc_2",
		"$ pytest || true":                                                    "",
		"$ pytest || echo FAILED=1 >> status.env":                             "",
		"$ FAILED=\"\"":                                                       "",
		"$ a || b && c":                                                       "",
		"$ pytest tests/unit -q || FAILED=1 # note":                           "FAILED",
		`$ pytest || { echo "unit failed"; FAILED=1; }`:                       "FAILED",
		`$ pytest || { echo "a;b"; export RC=1; }`:                            "RC",
		`$ pytest || { echo "unit failed"; }`:                                 "",
	} {
		if got := failureVar([]byte(echo)); got != want {
			t.Errorf("failureVar(%q) = %q; want %q", echo, got, want)
		}
	}
	for echo, want := range map[string]string{
		`$ test -z "$FAILED"`:                        "FAILED",
		`$ exit ${FAILED:-0}`:                        "FAILED",
		`$ [[ $FAILED ]] && exit 1`:                  "FAILED",
		`$ exit $((FAILED))`:                         "FAILED",
		`$ exit $(( FAILED + LINT ))`:                "FAILED",
		`$ test -z "$FAILED_TESTS"`:                  "FAILED_TESTS",
		`$ test -z "$MYFAILED"`:                      "MYFAILED",
		`$ echo FAILED`:                              "",
		`$ FAILED=""`:                                "",
		`$ echo '$FAILED is not read' "$RC"`:         "RC",
		`$ echo "it's $FAILED"`:                      "FAILED",
		`$ test -z "$FAILEDFAILEDFAILED$FAILED"`:     "FAILEDFAILEDFAILED FAILED",
		`$ echo $`:                                   "",
		`$ if [ -n "${A}" ]; then exit 1; fi # ${B}`: "A B",
	} {
		var got []string
		varsRead([]byte(echo), func(name []byte) { got = append(got, string(name)) })
		if strings.Join(got, " ") != want {
			t.Errorf("varsRead(%q) = %q; want %q", echo, got, want)
		}
	}
	for echo, want := range map[string]bool{
		`$ test -z "$FAILED"`: true,
		`$ [ -z "$FAILED" ]`:  true,
		`$ [[ -z $FAILED ]]`:  true,
		`$ exit ${FAILED:-0}`: true,
		`$ if [ -n "$FAILED" ]; then echo "failed"; exit 1; fi`: true,
		`$ ./ci/notify.sh --status "${FAILED:-ok}"`:             false,
		`$ echo "unit failed: ${FAILED:-no}" > status.txt`:      false,
		`$ if [ -n "$FAILED" ]; then ./ci/notify.sh failed; fi`: false,
		`$ testing`: false,
		`$ if [ -n "$FAILED" ]; then # collapsed multi-line command`:  true,
		`$ for f in *.sh; do # collapsed multi-line command`:          false,
		`$ if [ -n "$FAILED" ]; then # collapsed multi-line command `: true,
	} {
		if got := isCheck([]byte(echo)); got != want {
			t.Errorf("isCheck(%q) = %v; want %v", echo, got, want)
		}
	}
}

// TestCommandScanners pins where commandEnd cuts a command list with its two separator sets: a
// trap handler's (handlerSeps: ';', '&' that is no redirection, '|', a newline, a run of one of
// them such as "||" cut after whole) and a "{ cmd; cmd; }" group's as failureVar reads it
// (groupSeps: ';' only, so "{ a | b; FAILED=1; }" keeps FAILED=1 a command of its own). They
// were two scanners (commandEnd and nextCommand), and these cuts are theirs. Quotes are '…' and
// "…"; a backslash, $(…), `…` and a heredoc are not read, so a ';' inside them cuts: the cuts
// below are what the scan does, not what a shell does.
func TestCommandScanners(t *testing.T) {
	// The first command of in, with the separators that end it (all of in when none does),
	// and for the group scan whether one did.
	handler := func(in string) string {
		end, _ := commandEnd([]byte(in), handlerSeps)
		return in[:end]
	}
	group := func(in string) (string, bool) {
		j, ok := commandEnd([]byte(in), groupSeps)
		return in[:j], ok
	}
	type cut struct {
		handler, group string // the first command each scan cuts
		groupCut       bool   // the group scan found a ';' (its result is -1 else)
	}
	for in, want := range map[string]cut{
		"":                    {"", "", false},
		"docker compose down": {"docker compose down", "docker compose down", false},
		"a; b":                {"a;", "a;", true},
		"a;b":                 {"a;", "a;", true},
		";a":                  {";", ";", true},
		"a;; b":               {"a;;", "a;", true},
		"a;;;b":               {"a;;;", "a;", true},
		// && and ||, pipes, background, newlines: the handler's separators only.
		"a && b": {"a &&", "a && b", false},
		"a || b": {"a ||", "a || b", false},
		"a&&&b":  {"a&&&", "a&&&b", false},
		"a|||b":  {"a|||", "a|||b", false},
		"a | b":  {"a |", "a | b", false},
		"a |& b": {"a |", "a |& b", false},
		"a & b":  {"a &", "a & b", false},
		"a&":     {"a&", "a&", false},
		"a\nb":   {"a\n", "a\nb", false},
		"a\n\nb": {"a\n\n", "a\n\nb", false},
		// Redirections are no background '&'.
		"a &> /dev/null; b": {"a &> /dev/null;", "a &> /dev/null;", true},
		"a >&2; b":          {"a >&2;", "a >&2;", true},
		"a >& x; b":         {"a >& x;", "a >& x;", true},
		"a <&3; b":          {"a <&3;", "a <&3;", true},
		"a 2>&1 | tee x":    {"a 2>&1 |", "a 2>&1 | tee x", false},
		// Quotes: a separator inside does not cut; the other quote character is plain inside.
		`echo 'x; y' ; b`:          {`echo 'x; y' ;`, `echo 'x; y' ;`, true},
		`echo "x; y" ; b`:          {`echo "x; y" ;`, `echo "x; y" ;`, true},
		`echo "it's; ok"; b`:       {`echo "it's; ok";`, `echo "it's; ok";`, true},
		`echo 'say "hi"; bye' | b`: {`echo 'say "hi"; bye' |`, `echo 'say "hi"; bye' | b`, false},
		`echo "unterminated; b`:    {`echo "unterminated; b`, `echo "unterminated; b`, false},
		`echo 'unterminated; b`:    {`echo 'unterminated; b`, `echo 'unterminated; b`, false},
		// Escapes are not read: a backslash does not escape a separator or a quote.
		`echo \; b`:        {`echo \;`, `echo \;`, true},
		`echo \'; b`:       {`echo \'; b`, `echo \'; b`, false},
		`echo \"; b"; c`:   {`echo \"; b";`, `echo \"; b";`, true},
		`echo "a\"; b"; c`: {`echo "a\";`, `echo "a\";`, true},
		// Command substitutions are not read either.
		"echo $(date; id); b": {"echo $(date;", "echo $(date;", true},
		"echo `date; id`; b":  {"echo `date;", "echo `date;", true},
		"echo $(a | b) | c":   {"echo $(a |", "echo $(a | b) | c", false},
		"x=$(cmd || true); y": {"x=$(cmd ||", "x=$(cmd || true);", true},
		// Heredocs: the operator is plain text, the body's lines are commands.
		"cat <<EOF; b":            {"cat <<EOF;", "cat <<EOF;", true},
		"cat <<'EOF' | sh":        {"cat <<'EOF' |", "cat <<'EOF' | sh", false},
		"cat <<EOF\nline; x\nEOF": {"cat <<EOF\n", "cat <<EOF\nline;", true},
		// failureVar's groups.
		"{ echo fail; FAILED=1; }":     {"{ echo fail;", "{ echo fail;", true},
		`{ echo "a;b"; export RC=1; }`: {`{ echo "a;b";`, `{ echo "a;b";`, true},
		"{ a | b; FAILED=1; }":         {"{ a |", "{ a | b;", true},
		"{ a && b; RC=1; }":            {"{ a &&", "{ a && b;", true},
		"{ a || b; }":                  {"{ a ||", "{ a || b;", true},
		"FAILED=1 }":                   {"FAILED=1 }", "FAILED=1 }", false},
	} {
		if got := handler(in); got != want.handler {
			t.Errorf("handler scan of %q cuts %q; want %q", in, got, want.handler)
		}
		if got, ok := group(in); got != want.group || ok != want.groupCut {
			t.Errorf("group scan of %q cuts %q (%v); want %q (%v)", in, got, ok, want.group, want.groupCut)
		}
	}
}
