package cifailure

import (
	"bytes"
	"slices"
)

// When no cause matches, the lines worth showing are the ones a person would grep for in the
// step that failed: the failing command's first errors (the first compiler error, the first
// failing test, "fatal: …"), the command itself and its last words before the CI's verdict
// ("The command "make test" exited with 1.", "##[error]Process completed with exit code 1.").
// A step runs from a command echo ("$ make test": Travis, GitLab and interactive shells print
// one) to such a verdict. The scan keeps, for the open step and for the latest failed one, the
// first grep-worthy lines of each tier, the command and the last lines: a fixed amount of
// memory whatever the log's size.

const (
	maxRearms   = 3 // times a regexp proved in a step that did not fail is tried again (stepSucceeded)
	maxStepHits = 3 // grep-worthy lines kept per step and tier, the first ones
	stepTail    = 3 // last lines of a step kept when it fails
	stepHead    = 2 // first output lines of a step kept
)

// Tiers of grep-worthy lines.
const (
	tierNone    = -1
	tierError   = 0 // an error or failure report: "error: …", "FAILED …", "x.c:3:1: …", "SyntaxError: …"
	tierWarning = 1 // a warning: shown when room is left ("warning: …", "x.hs:9:1: Warning:")
	// tierLocation is a file:line diagnostic without an error word ("README.md:80:Line too
	// long", right after an error-ish line): a linter's finding, or a documentation tool's
	// remark in a long build; shown after the step's latest error-ish lines.
	tierLocation = 2
	tiers        = 3
)

// step is what the scan keeps of one command's output.
type step struct {
	cmd     ringLine // the command echo; line 0 when the step has none (the log's start)
	start   int      // first line of the step
	end     int      // the verdict's line, once the step failed
	over    int      // the line that ended its output when the verdict comes later (park)
	hits    [tiers][maxStepHits]ringLine
	nHits   [tiers]int
	head    [stepHead]ringLine
	nHead   int
	tail    [stepTail]ringLine
	nTail   int
	verdict ringLine // the CI's verdict on the failed step
}

func (st *step) reset(start int) {
	st.cmd.line, st.start, st.end, st.over = 0, start, 0, 0
	st.nHits = [tiers]int{}
	st.nHead, st.nTail = 0, 0
	st.verdict.line = 0
}

// holds says a line is the step's output: not its verdict, nor what ran between the end of
// its output and the verdict (GitLab's after_script, Jenkins' post actions).
func (st *step) holds(line int) bool {
	return line >= st.start && (st.end == 0 || line < st.end) && (st.over == 0 || line < st.over)
}

// empty says the step has shown nothing worth keeping.
func (st *step) empty() bool {
	return st.cmd.line == 0 && st.nHits == [tiers]int{} && st.nHead == 0
}

func (st *step) full() bool {
	return st.nHits[tierError] == maxStepHits && st.nHits[tierWarning] == maxStepHits
}

// markerLiterals go into the engine's prefilter: a line holding none of them and no error-ish
// literal is not looked at (stepLine), unless it follows an error-ish line closely.
var markerLiterals = []string{"warning", "aborted!", "diff --git ", "** (", "✗", "✖", "✘", "❌"}

// verdict kinds of a CI line.
const (
	verdictNone    = iota
	verdictStep    // one command failed: "The command "x" exited with 1.", "Process completed with exit code 2."
	verdictJob     // the whole job failed: "Done. Your build exited with 1.", "ERROR: Job failed: exit code 1"
	verdictSuccess // a command succeeded: "The command "x" exited with 0."
)

var (
	exitedWith   = []byte(" exited with ")
	exitCode     = []byte("exit code ")
	exitStatus   = []byte("exit status ")
	failedTimes  = []byte(" times.")
	failedDuring = []byte("\" failed and exited with ")
	// Jenkins: a pipeline's "ERROR: script returned exit code 1", a freestyle job's "Build step
	// 'Execute shell' marked build as failure", and the job's "Finished: FAILURE".
	scriptReturned = []byte("ERROR: script returned exit code ")
	buildStep      = []byte("Build step '")
	markedFailure  = []byte("' marked build as failure")
	finishedFail   = []byte("Finished: FAILURE")
)

// verdictFirst marks the first bytes of the verdicts verdictOf finds in lines the normaliser
// does not mark as the CI's own.
var verdictFirst = firstBytes(travisCommand, scriptReturned, buildStep, finishedFail)

// verdictOf classifies a line the normaliser marked as the CI's own (lineCIError), or Travis's
// verdict after retries ("The command "x" failed 3 times."), which it does not mark.
func verdictOf(text []byte, kind lineKind) int {
	if kind != lineCIError {
		switch {
		case bytes.HasPrefix(text, travisCommand) && (bytes.HasSuffix(text, failedTimes) || bytes.Contains(text, failedDuring)),
			bytes.HasPrefix(text, scriptReturned) && len(text) > len(scriptReturned) && text[len(scriptReturned)] != '0',
			bytes.HasPrefix(text, buildStep) && bytes.HasSuffix(text, markedFailure):
			return verdictStep
		case bytes.HasPrefix(text, finishedFail):
			return verdictJob
		}
		return verdictNone
	}
	if bytes.HasPrefix(text, travisDone) || bytes.HasPrefix(text, gitlabJobFail) {
		return verdictJob
	}
	code := -1
	if i := bytes.LastIndex(text, exitedWith); i >= 0 {
		code = i + len(exitedWith)
	} else if i := bytes.LastIndex(text, exitCode); i >= 0 {
		code = i + len(exitCode)
	} else if i := bytes.LastIndex(text, exitStatus); i >= 0 {
		code = i + len(exitStatus)
	}
	switch {
	case code < 0:
		return verdictNone // an annotation ("##[error]x.go:3: undefined: y"), not a verdict
	case code < len(text) && text[code] == '0' && (code+1 == len(text) || !isDigit(text[code+1])):
		return verdictSuccess
	}
	return verdictStep
}

// stepLine follows steps; it runs on every shown line, after the line is matched and before it
// joins the ring (which then holds the lines before it).
func (s *scan) stepLine(text []byte, kind lineKind) {
	if s.norm.mark != markNone && s.stepMark(s.norm.mark, text) {
		return
	}
	if s.groupPending && (bytes.HasPrefix(text, ghaShell) || bytes.Equal(text, ghaWith)) {
		s.openGitHubStep() // a step's header: its shell, or an action's inputs
		return
	}
	if kind == lineCIError || verdictFirst[text[0]] {
		v := verdictOf(text, kind)
		switch v {
		case verdictStep:
			s.closeStep(text)
		case verdictJob:
			if s.failed.end == 0 || s.parked { // a step's own verdict says more
				s.closeStep(text)
			}
		case verdictSuccess:
			s.endScript()
			s.deferProofs()
			s.stepSucceeded()
			s.startStep(s.lineNo + 1)
		}
		if v != verdictNone {
			return
		}
	}
	if s.trapRun && text[0] == '$' && len(text) > 1 && text[1] == ' ' {
		s.takeBackTrap() // the next command of a GitLab or Travis script: it went on
	}
	if text[0] == '+' && len(text) > 2 && text[1] == ' ' && s.trapTrace(text[2:]) {
		s.trapRun = true
		if !s.shell {
			// GitHub Actions, GitLab, Travis: the trace is the script's own (set -x), no
			// step echo. The step's output is over; its verdict comes after the handler.
			wasParked := s.parked
			s.park(false)
			s.trapParked = s.parked && !wasParked
			return
		}
		// A Jenkins shell step: the step is held as after any trace that follows error
		// output (below), and the handler's errors do not say the script went on.
		s.trapHeld = s.held == nil && s.cur.nHits[tierError] == 0
	}
	if len(text) > 2 && text[1] == ' ' && (text[0] == '$' || text[0] == '+' && s.shell && text[2] != ' ') ||
		text[0] == '[' && jenkinsEcho(text) {
		// "$ cmd" (Travis, GitLab), "+ cmd" (the shell's trace in a Jenkins shell step),
		// "[workspace] $ cmd" (a Jenkins build step's command)
		if s.parked && s.sealed {
			return // after_script, post actions: the failed command came before
		}
		if text[0] == '+' && (s.held != nil || s.cur.nHits[tierError] > 0 || s.trapRun) {
			// A trace after error output: with "sh -xe" a failed command ends the
			// script, and what runs after it is a trap ("trap 'docker compose down'
			// EXIT") or the rest of "cmd || (cat report.xml; exit 1)"; or the command
			// printed errors and exited with 0. The step is held until the next one
			// shows which (releaseHeld).
			if s.held == nil {
				s.keepTail()
				s.cur.over = s.lineNo
				s.heldFound = append(s.heldFound[:0], s.stepFound...)
				s.heldThen = append(s.heldThen[:0], s.stepThen...)
				s.held, s.cur, s.heldSlot = s.cur, s.heldSlot, nil
			}
			s.startStep(s.lineNo)
			s.cur.cmd.set(s.lineNo, text, false)
			return
		}
		if text[0] == '[' {
			s.endScript() // a Jenkins build step: a new shell
		}
		s.shell = s.shell || text[0] == '['
		if !s.parked && !s.stepGroups {
			// The shell went on to the next command: the last one exited with 0 (CI
			// scripts run with -e), and what it printed did not fail the job. GitHub
			// Actions echoes no command so: "$ yarn ..." there is a tool's usage text.
			s.deferProofs()
			s.stepSucceeded()
		}
		s.startStep(s.lineNo)
		s.cur.cmd.set(s.lineNo, text, false)
		if len(s.deferred) > 0 {
			s.noteCheck(text)
		}
		return
	}
	if s.parked || s.header {
		return // the step's output is over; or GitHub's header of the step (env, shell)
	}
	if s.cur.nHead < stepHead && s.cur.cmd.line != 0 {
		s.cur.head[s.cur.nHead].set(s.lineNo, text, false)
		s.cur.nHead++
	}
	if s.cur.full() {
		return
	}
	tier := tierNone
	if s.cur.nHits[tierError] < maxStepHits {
		after := s.lastErrorish > 0 && s.lineNo-s.lastErrorish <= 4
		// A line with no error-ish word and no marker is passed over: looking each one over
		// for a bare file:line finding ("README.md:80:Line too long") cost 2 % of the scan
		// for 1 of the 419 tuning logs.
		if s.errorish || s.marked || after {
			tier = grepTier(text, s.errorish, s.marked, after)
		}
	} else if s.marked {
		tier = warningTier(text) // the step has its first errors; a warning may still fill in
	}
	if tier == tierNone && s.headerLine > 0 && s.headerLine == s.lineNo-1 && s.cur.nHits[tierError] < maxStepHits {
		tier = tierError // the message under an error report that ends in ':' or '!'
	}
	s.headerLine = 0
	if tier != tierNone && s.cur.nHits[tier] < maxStepHits {
		s.cur.hits[tier][s.cur.nHits[tier]].set(s.lineNo, text, false)
		s.cur.nHits[tier]++
		if s.held != nil && tier == tierError && !s.trapRun {
			s.releaseHeld(true) // the held step's script went on: it did not fail
		}
		if last := text[len(text)-1]; tier == tierError && (last == ':' || last == '!') {
			// "Failed to resolve the transaction:", "rake aborted!": the line under it
			// says what; without an error word of its own it would be missed.
			s.headerLine = s.lineNo
		}
	}
}

// closeStep records the open step as the latest failed one, with its last lines and the
// verdict. A verdict that follows another one with nothing in between is about the same
// command (travis_retry's "failed 3 times." and then "exited with 1."): the step stays.
func (s *scan) closeStep(verdict []byte) {
	s.releaseHeld(false)
	s.endScript()
	if s.cur.empty() && s.failed.end != 0 && s.lineNo-s.failed.end <= 3 {
		s.startStep(s.lineNo + 1)
		return
	}
	if s.prePost != nil {
		if !s.provedSpecific() && s.cur.nHits[tierError] == 0 {
			// The post actions' step proved nothing and printed no error: the verdict
			// is about the step before them (a quiet failure).
			s.cur, s.prePost = s.prePost, s.cur
			s.parked = true // its output ended when the post actions began
		} else {
			s.unmarkStep() // the post action failed: its causes are the job's
		}
		s.spare, s.prePost = s.prePost, nil
	}
	if !s.parked {
		s.keepTail()
	}
	if s.afterwards && s.stepGroups {
		s.unmarkStep() // a GitHub step that ran after a failure failed too
	}
	s.takeBackDeferred()
	s.cur.end = s.lineNo
	s.cur.verdict.set(s.lineNo, verdict, true)
	s.cur, s.failed = s.failed, s.cur
	s.startStep(s.lineNo + 1)
}

// releaseHeld ends a held step (see scan.held): went says the script went on after it (the
// open step failed on its own), so the held step did not fail the job; otherwise the open
// step ran after the held one failed (a trap, a report dump) and gives way to it.
func (s *scan) releaseHeld(went bool) {
	if s.held == nil {
		return
	}
	if went {
		s.stepFound, s.heldFound = s.heldFound, s.stepFound
		s.stepThen, s.heldThen = s.heldThen, s.stepThen
		s.stepSucceeded()
		s.stepFound, s.heldFound = s.heldFound, s.stepFound
		s.stepThen, s.heldThen = s.heldThen, s.stepThen
		s.held, s.heldSlot = nil, s.held
		return
	}
	s.heldFound = append(s.heldFound, s.stepFound...)
	s.heldThen = append(s.heldThen, s.stepThen...)
	s.stepFound, s.heldFound = s.heldFound, s.stepFound[:0]
	s.stepThen, s.heldThen = s.heldThen, s.stepThen[:0]
	s.cur, s.heldSlot, s.held = s.held, s.cur, nil
	s.parked = true // its output ended at the first trace after it
}

// trapTrace reads a shell's trace of a command (set -x, "+ cmd", without the "+ "): it records a
// "trap HANDLER EXIT" (or 0) and reports the handler's first command traced after the open
// step's error output or proof: the trap runs, so the script is exiting, and with -e that is at
// the failure shown. A clean-up that prints errors of its own ("Error response from daemon",
// "rm: cannot remove …") otherwise read as the next command's, and the failed command's step as
// one that went on and passed.
//
// A trap runs at the script's end only: its commands are the last ones traced. So while it is
// taken as running, a traced command that is none of the handler's ("+ make all" after a
// "+ rm -rf build" the script ran itself, when the handler is 'rm -rf "$WORK"') says the script
// went on, and what the supposed handler's run marked is taken back (takeBackTrap). A handler
// that calls a function ("trap cleanup EXIT") is followed by the function's commands, which the
// trap's line does not name: anything traced after it is taken as its.
//
// An ERR trap is not an exit: it runs at each failing command, and the script may go on (set
// +e); bash traces it one level deeper ("++ echo …"), as it does a command substitution.
func (s *scan) trapTrace(cmd []byte) bool {
	if s.trapRun {
		s.trapKey = trapCommand(cmd, s.trapKey[:0])
		first, rest, _ := bytes.Cut(s.trap, newline)
		again := sameCommand(first, s.trapKey) && !handlerRuns(rest, s.trapKey)
		if !again && (s.trapOpaque || handlerRuns(s.trap, s.trapKey)) {
			s.trapDump = isLogDump(cmd)
			return false
		}
		// The script went on: the supposed handler was its own command. An EXIT trap runs
		// once, so its first command traced again ("+ rc=1" of the script's own "rc=$?",
		// then the handler's; "+ cleanup" the script called itself, then the trap's) says
		// so too, and the handler's run may start here (unless the handler runs that
		// command twice).
		s.takeBackTrap()
		if !again {
			return false
		}
	}
	if rest, ok := bytes.CutPrefix(cmd, trapCmd); ok {
		if h, set, opaque := trapHandler(rest, s.trap[:0]); set {
			s.trap, s.trapOpaque = h, opaque
		}
		return false
	}
	if len(s.trap) == 0 ||
		s.held == nil && s.cur.nHits[tierError] == 0 && len(s.stepFound) == 0 && len(s.stepThen) == 0 {
		return false
	}
	s.trapKey = trapCommand(cmd, s.trapKey[:0])
	first, _, _ := bytes.Cut(s.trap, newline)
	if !sameCommand(first, s.trapKey) {
		return false
	}
	s.trapDump = isLogDump(cmd)
	return true
}

// takeBackTrap is told the script went on after a command taken as its trap's start: the lines
// the supposed handler's run marked outside are the step's again, the step's output goes on, and
// a Jenkins step held for it is released as the held step would have been without it.
func (s *scan) takeBackTrap() {
	for _, ev := range s.trapMarked {
		delete(s.outside, ev)
	}
	s.trapMarked = s.trapMarked[:0]
	s.trapRun, s.trapDump = false, false
	if s.trapParked {
		s.parked, s.cur.over = false, 0
	}
	if s.held != nil && (s.trapHeld || s.cur.nHits[tierError] > 0) {
		// Held only for the trap, or errors came since: the held step went on.
		s.releaseHeld(true)
	}
	s.trapParked, s.trapHeld = false, false
}

var (
	trapCmd = []byte("trap ")
	newline = []byte("\n")
)

// maxTrapCommands bounds the handler's commands kept.
const maxTrapCommands = 16

// trapHandler reads a trap's arguments (after "trap "). set says the line sets or resets the
// EXIT trap ("trap - EXIT", an empty handler: cmds is empty then); a trap of other signals
// only ("trap '…' INT TERM", ERR) or "trap -p" leaves it as it was. cmds holds, appended to
// buf, the handler's commands (trapCommand), each ended by '\n', the first the one its run
// starts with; opaque says one of them calls a function or script whose commands are traced
// after it. bash quotes the handler in its trace ("trap 'docker compose down' EXIT"), dash
// does not.
func trapHandler(args, buf []byte) (cmds []byte, set, opaque bool) {
	handler := bytes.TrimLeft(args, " \t")
	if h, ok := bytes.CutPrefix(handler, []byte("-- ")); ok {
		handler = bytes.TrimLeft(h, " \t")
	}
	exit := false
	for { // the signals end the line
		handler = bytes.TrimRight(handler, " \t")
		i := bytes.LastIndexAny(handler, " \t")
		if i < 0 {
			break
		}
		sig := bytes.TrimPrefix(handler[i+1:], []byte("SIG"))
		if !isSignalName(string(sig)) {
			break
		}
		exit = exit || string(sig) == "EXIT" || string(sig) == "0"
		handler = handler[:i]
	}
	switch {
	case !exit || len(handler) == 0:
		return buf, false, false
	case string(handler) == "-" || string(handler) == "''" || string(handler) == `""`:
		return buf[:0], true, false // reset
	case handler[0] == '-':
		return buf, false, false // "trap -p EXIT", "trap -l"
	}
	if q := handler[0]; (q == '\'' || q == '"') && len(handler) > 1 && handler[len(handler)-1] == q {
		handler = handler[1 : len(handler)-1]
	}
	buf = buf[:0]
	for n := 0; len(handler) > 0 && n < maxTrapCommands; n++ {
		end, _ := commandEnd(handler, handlerSeps)
		cmd := shellKeywords(handler[:end])
		handler = handler[end:]
		if len(cmd) == 0 {
			continue
		}
		before := len(buf)
		buf = append(trapCommand(cmd, buf), '\n')
		key := buf[before : len(buf)-1]
		if bytes.IndexByte(key, ' ') < 0 && key[len(key)-1] != '=' && !isBuiltin(key) {
			opaque = true // "cleanup", "./scripts/stop-services": its own commands follow
		}
	}
	return buf, true, opaque
}

// shellSeps is a set of the separators commandEnd cuts a list of shell commands at.
type shellSeps uint8

const (
	sepSemicolon shellSeps = 1 << iota // ';'
	sepAmp                             // '&' that is no redirection's (">&2", "&>/dev/null")
	sepPipe                            // '|'
	sepNewline                         // '\n'
	// sepRun: a run of one separator is cut after whole ("a || b" after its second '|').
	sepRun

	// handlerSeps end a trap handler's commands: each of them is one its run may trace.
	handlerSeps = sepSemicolon | sepAmp | sepPipe | sepNewline | sepRun
	// groupSeps end the commands of failureVar's "{ cmd; cmd; }": ';' only, so an assignment
	// after "a | b;" or "a && b;" is still a command of its own.
	groupSeps = sepSemicolon
)

// commandEnd returns the index after the first separator of seps outside quotes in cmd, and
// true; len(cmd) and false when there is none. Quotes are '…' and "…", read without escapes;
// a backslash, $(…), `…` and a heredoc are not read (a ';' inside them cuts), which a trap's
// handler and a "|| { …; }" group, the lists read, have not needed.
func commandEnd(cmd []byte, seps shellSeps) (int, bool) {
	var quote byte
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			continue
		case c == '\'' || c == '"':
			quote = c
			continue
		}
		var sep shellSeps
		switch c {
		case ';':
			sep = sepSemicolon
		case '&':
			if i > 0 && (cmd[i-1] == '>' || cmd[i-1] == '<') || i+1 < len(cmd) && cmd[i+1] == '>' {
				continue // a redirection
			}
			sep = sepAmp
		case '|':
			sep = sepPipe
		case '\n':
			sep = sepNewline
		}
		if sep == 0 || seps&sep == 0 {
			continue
		}
		for seps&sepRun != 0 && i+1 < len(cmd) && cmd[i+1] == c {
			i++
		}
		return i + 1, true
	}
	return len(cmd), false
}

// shellKeywords drops the blanks and the reserved words ("if", "then", "!", "{") that lead a
// command: what bash traces is the command after them. A closing word ("fi", "}") is no command.
func shellKeywords(cmd []byte) []byte {
	for {
		cmd = bytes.TrimSpace(cmd)
		w := cmd[:len(commandName(cmd))]
		switch string(w) {
		case "if", "then", "else", "elif", "do", "while", "until", "!", "{", "(":
			cmd = cmd[len(w):]
			continue
		case "fi", "done", "}", ")", "":
			return nil
		}
		return cmd
	}
}

// isBuiltin: a shell builtin a handler calls without arguments, no function of its own.
func isBuiltin(name []byte) bool {
	switch string(name) {
	case "exit", "return", "true", "false", ":", "wait", "set", "pwd", "sync", "date":
		return true
	}
	return false
}

// handlerRuns says a traced command (trapCommand) is one of a handler's commands (trapHandler),
// by name and first argument (sameCommand: bash's trace re-quotes words and expands variables).
// The name alone took the script's "+ docker build" for a handler's 'docker rm -f "$CID"'.
func handlerRuns(cmds, key []byte) bool {
	for rest := cmds; len(rest) > 0; {
		var cmd []byte
		cmd, rest, _ = bytes.Cut(rest, newline)
		if sameCommand(cmd, key) {
			return true
		}
	}
	return false
}

// isLogDump says a traced command prints logs ("docker compose logs db", "kubectl logs", "cat
// build.log", "journalctl -u app"): a handler that dumps them shows why the failure happened
// (a database's "No space left on device" under a test's "connection refused"), which is the
// failure's own evidence, not the clean-up's.
func isLogDump(cmd []byte) bool {
	name := commandName(bytes.TrimLeft(cmd, `'"`))
	switch string(name) {
	case "cat", "tail", "head", "journalctl", "dmesg":
		return true
	case "docker", "docker-compose", "podman", "kubectl", "oc":
	default:
		return false
	}
	rest := cmd[len(name):]
	for i := 0; i < 2; i++ { // "docker logs", "docker compose logs"
		rest = bytes.TrimLeft(rest, " \t")
		w := rest[:len(commandName(rest))]
		if string(w) == "logs" || string(w) == "describe" {
			return true
		}
		rest = rest[len(w):]
	}
	return false
}

// isSignalName: "INT", "TERM", "HUP", "15".
func isSignalName(w string) bool {
	for i := 0; i < len(w); i++ {
		if !('A' <= w[i] && w[i] <= 'Z' || isDigit(w[i])) {
			return false
		}
	}
	return w != ""
}

// trapCommand appends to buf a command's name and first argument without quotes ("docker
// compose", "echo cleanup", "rm -rf", "cleanup", "rc=" for an assignment): what a trap's handler
// and the trace of its run share, as bash's trace re-quotes the words and expands variables. The
// name alone would take any "+ echo" after an error for a handler that starts with echo.
func trapCommand(cmd, buf []byte) []byte {
	cmd = bytes.TrimLeft(cmd, `'"`)
	name := commandName(cmd)
	buf = append(buf, name...)
	rest := cmd[len(name):]
	if len(name) == 0 || name[len(name)-1] == '=' || len(rest) == 0 || rest[0] != ' ' && rest[0] != '\t' {
		return buf // the command ends with its name
	}
	arg := bytes.TrimLeft(bytes.TrimLeft(rest, " \t"), `'"`)
	if end := bytes.IndexAny(arg, " \t;'\""); end >= 0 {
		arg = arg[:end]
	}
	if len(arg) == 0 {
		return buf
	}
	return append(append(buf, ' '), arg...)
}

// sameCommand compares a trap's handler command with a traced one (trapCommand): an argument
// that is a variable in the handler ("rm \"$TMP\"") is expanded in the trace, so any matches it.
func sameCommand(handler, traced []byte) bool {
	name, arg, hasArg := bytes.Cut(handler, []byte(" "))
	if !hasArg || len(arg) > 0 && arg[0] == '$' {
		tracedName, _, _ := bytes.Cut(traced, []byte(" "))
		return bytes.Equal(name, tracedName)
	}
	return bytes.Equal(handler, traced)
}

// commandName is a command's first word, up to a blank, quote or ';' ("rc=" of an assignment).
func commandName(cmd []byte) []byte {
	end := bytes.IndexAny(cmd, " \t;'\"=")
	switch {
	case end < 0:
		return cmd
	case cmd[end] == '=':
		return cmd[:end+1]
	}
	return cmd[:end]
}

// A deferredProof is a line proved by a command whose failure the script noted in a variable
// instead of stopping ("$ pytest tests/unit || FAILED=1"), to fail the job later in a check
// that reads it ("$ test -z \"$FAILED\"", "[ -z \"$FAILED\" ]", "exit $FAILED"). The shell went
// on, so the step counts as passed (outside) until that check is the command the job fails at:
// then the failure it reports is the noted one, and the proof is the failed step's.
type deferredProof struct {
	name  string // the variable
	ev    *Evidence
	check int // the echo line of the latest check that read the variable
}

// maxDeferred bounds the proof kept so: a few commands' causes in any real job.
const maxDeferred = 64

// deferProofs keeps what the open step proved when its command notes its failure in a
// variable; stepSucceeded then marks it outside as for any step that went on. A step whose last
// line says it succeeded ("Successfully installed …" after pip's "ERROR: Failed building wheel")
// did not set the variable: its proof is not the check's; unless the command is a loop, whose
// last run may have succeeded after an earlier one failed.
func (s *scan) deferProofs() {
	name := failureVar(s.cur.cmd.text)
	if name == "" || !isLoop(s.cur.cmd.text) && s.endedWithSuccess() {
		return
	}
	add := func(ev *Evidence) {
		if ev != nil && len(s.deferred) < maxDeferred {
			s.deferred = append(s.deferred, deferredProof{name: name, ev: ev})
		}
	}
	for _, ri := range s.stepFound {
		add(s.first[ri])
	}
	for _, ri := range s.stepThen {
		pi := s.e.regexps[ri].pattern
		add(s.thenHit[pi])
		add(s.lastAFor(int(pi), s.thenHit[pi]))
	}
}

// successWords start a tool's last line when it succeeded.
var successWords = [][]byte{
	[]byte("Successfully "), []byte("Success: "), []byte("Success!"), []byte("All checks passed"),
	[]byte("BUILD SUCCESS"),
}

// endedWithSuccess says the open step's last output line (the ring's latest) says it succeeded.
func (s *scan) endedWithSuccess() bool {
	if s.ringLen == 0 {
		return false
	}
	l := &s.ring[(s.ringPos-1+len(s.ring))%len(s.ring)]
	if l.line <= s.cur.cmd.line || l.line < s.cur.start {
		return false // the step printed nothing
	}
	t := trimBlanks(l.text)
	return slices.ContainsFunc(successWords, func(w []byte) bool { return bytes.HasPrefix(t, w) })
}

// noteCheck is told a new command's echo: a check ("test", "[", "[[", "exit", "if …; then
// … exit") that reads a variable deferred proof noted its failure in. Another command that
// reads it ("./ci/notify.sh --status \"${FAILED:-ok}\"") is not the check: when it fails, it
// fails on its own. The echo is read once, whatever its length and the number of proofs.
func (s *scan) noteCheck(echo []byte) {
	if !isCheck(echo) {
		return
	}
	varsRead(echo, func(name []byte) {
		for i := range s.deferred {
			if s.deferred[i].name == string(name) {
				s.deferred[i].check = s.lineNo
			}
		}
	})
}

// isCheck says a command echo ("$ cmd") is a check that may fail the job on a noted failure:
// test, [, [[, exit, or an if whose body exits.
func isCheck(echo []byte) bool {
	cmd := trimBlanks(echo[min(len(echo), 2):])
	name := cmd[:len(commandName(cmd))]
	switch string(name) {
	case "test", "[", "[[", "exit":
		return true
	case "if":
		// GitLab echoes a multi-line command's first line only: "$ if [ -n \"$FAILED\" ];
		// then # collapsed multi-line command" hides its exit (noteCheck wants it to read
		// the variable).
		return bytes.Contains(cmd, []byte("exit")) || bytes.HasSuffix(bytes.TrimRight(cmd, " \t"), collapsedCommand)
	}
	return false
}

var collapsedCommand = []byte("# collapsed multi-line command")

// isLoop says a command echo runs its command more than once ("for svc in …; do docker build …
// || FAILED=1; done", "while …", "… | xargs -n1 …"): its last run's output says nothing of
// the others'.
func isLoop(echo []byte) bool {
	cmd := trimBlanks(echo[min(len(echo), 2):])
	switch string(cmd[:len(commandName(cmd))]) {
	case "for", "while", "until", "select", "xargs":
		return true
	}
	return bytes.Contains(cmd, []byte("| xargs ")) || bytes.Contains(cmd, []byte("|xargs "))
}

// takeBackDeferred is told the open step failed the job: if its command is the check of noted
// failures, their proof is the failed step's (unmarkStep's rule, for the steps it read). A check
// that proved a cause of its own failed on its own: its proof comes first.
func (s *scan) takeBackDeferred() {
	if s.cur.cmd.line == 0 || s.provedSpecific() {
		return
	}
	for _, d := range s.deferred {
		if d.check == s.cur.cmd.line {
			delete(s.outside, d.ev)
		}
	}
}

// failureVar returns the variable a command echo sets when the command fails, "FAILED" in
// "$ pytest || FAILED=1", "$ make lint || { echo \"lint failed\"; STATUS=1; }" or
// "$ tox || export FAILED=true", or "".
func failureVar(echo []byte) string {
	i := bytes.LastIndex(echo, []byte("||"))
	if i < 0 {
		return ""
	}
	rest := bytes.TrimLeft(echo[i+2:], " \t")
	group, ok := bytes.CutPrefix(rest, []byte("{"))
	if !ok {
		return assignedVar(rest)
	}
	for { // "{ cmd; cmd; }": the assignment may be any of them
		if name := assignedVar(group); name != "" {
			return name
		}
		j, ok := commandEnd(group, groupSeps)
		if !ok {
			return ""
		}
		group = group[j:]
	}
}

// assignedVar returns the variable a command assigns ("FAILED" of "FAILED=1", "export
// FAILED=true"), or "".
func assignedVar(cmd []byte) string {
	cmd = bytes.TrimPrefix(bytes.TrimLeft(cmd, " \t"), []byte("export "))
	n := identLen(cmd)
	if n == 0 || n == len(cmd) || cmd[n] != '=' {
		return ""
	}
	return string(cmd[:n])
}

// identLen is the length of the shell variable name that starts p.
func identLen(p []byte) int {
	n := 0
	for n < len(p) && (isLetter(p[n]) || p[n] == '_' || n > 0 && isDigit(p[n])) {
		n++
	}
	return n
}

// varsRead calls visit with each variable a command reads: "$NAME", "${NAME…}", and a name in
// arithmetic, "$((NAME))" or "$(( NAME + 1 ))". A '$' in single quotes is no read
// ('$FAILED' is a literal). One pass over the echo: each byte is looked at a bounded number of
// times, so a long line costs its length (a line of "FAILEDFAILED…" once cost its square).
func varsRead(echo []byte, visit func(name []byte)) {
	single, double := false, false
	for i := 0; i < len(echo); i++ {
		switch echo[i] {
		case '\'':
			if !double {
				single = !single
			}
			continue
		case '"':
			if !single {
				double = !double
			}
			continue
		case '$':
		default:
			continue
		}
		if single {
			continue
		}
		j := i + 1
		switch {
		case bytes.HasPrefix(echo[j:], []byte("((")):
			j += 2
			for j < len(echo) && echo[j] == ' ' {
				j++
			}
		case j < len(echo) && echo[j] == '{':
			j++
		}
		if n := identLen(echo[j:]); n > 0 {
			visit(echo[j : j+n])
			i = j + n - 1
		}
	}
}

// endScript forgets the trap of a script that is over (its verdict came, or a new step or shell
// began).
func (s *scan) endScript() {
	s.stepEpoch++
	s.trap, s.trapRun, s.trapOpaque, s.trapDump = s.trap[:0], false, false, false
	s.trapMarked, s.trapParked, s.trapHeld = s.trapMarked[:0], false, false
}

// unmarkStep takes back the outside mark of what the open step proved: it failed, so its
// causes are its own.
func (s *scan) unmarkStep() {
	for _, ri := range s.stepFound {
		delete(s.outside, s.first[ri])
	}
	for _, ri := range s.stepThen {
		pi := s.e.regexps[ri].pattern
		delete(s.outside, s.thenHit[pi])
		delete(s.outside, s.lastAFor(int(pi), s.thenHit[pi]))
	}
}

// provedSpecific says the open step proved a cause that is not a wrapper.
func (s *scan) provedSpecific() bool {
	specific := func(ri int32) bool {
		return !IsWrapper(s.e.kb.Causes[s.e.patterns[s.e.regexps[ri].pattern].cause].Weight)
	}
	return slices.ContainsFunc(s.stepFound, specific) || slices.ContainsFunc(s.stepThen, specific)
}

// keepTail keeps the open step's last lines: the ring's latest ones that belong to it.
func (s *scan) keepTail() {
	s.cur.nTail = 0
	for i := min(stepTail, s.ringLen); i > 0; i-- { // the ring's latest lines, oldest first
		l := &s.ring[(s.ringPos-i+len(s.ring))%len(s.ring)]
		if l.line >= s.cur.start && l.line > s.cur.cmd.line { // the step's lines, not its echo
			s.cur.tail[s.cur.nTail].set(l.line, l.text, false)
			s.cur.nTail++
		}
	}
}

// startStep opens a new step at line start (its command echo, or the line after a verdict).
func (s *scan) startStep(start int) {
	s.stepEpoch++
	if n := len(s.stepStarts); n == 0 || s.stepStarts[n-1] < start {
		s.stepStarts = append(s.stepStarts, start)
	}
	s.cur.reset(start)
	s.parked, s.sealed, s.header = false, false, false
	s.stepFound, s.stepThen = s.stepFound[:0], s.stepThen[:0]
}

// stepSucceeded is told that the open step ended without failing (an exit code 0, or the next
// command ran): the causes it proved did not fail the job (a "mvn --fail-never" step, a
// "cmd || true"). Their lines become fallback evidence, shown and scored lower (outsideDiscount)
// when nothing later proves the same pattern, and the pattern may match again in a later step.
// Only patterns proved in the step are touched: the cost is per proving line, not per line.
// A regexp is re-armed maxRearms times at most: one proved in that many steps that did not
// fail is their routine output, and trying it again on every step cost a log of many short
// steps (the LargeLog benchmark) 8 % of its time; it keeps its discounted proof.
func (s *scan) stepSucceeded() {
	for _, ri := range s.stepFound {
		if s.stale[ri] == nil {
			s.stale[ri] = s.first[ri]
		}
		s.markOutside(s.first[ri])
		s.first[ri] = nil
		if s.rearms[ri] < maxRearms {
			s.rearms[ri]++
			s.done[ri] = false
		}
	}
	for _, ri := range s.stepThen { // the "then" regexp; the "match" one is ri-1
		pi := s.e.regexps[ri].pattern
		a, b := s.lastAFor(int(pi), s.thenHit[pi]), s.thenHit[pi]
		if s.staleThen[pi] == nil {
			s.staleThen[pi], s.staleThenA[pi] = b, a
		}
		s.markOutside(a)
		s.markOutside(b)
		s.thenHit[pi], s.lastA[pi] = nil, nil
		if s.rearms[ri] < maxRearms {
			s.rearms[ri]++
			s.done[ri], s.done[ri-1] = false, false
		}
	}
	s.stepFound, s.stepThen = s.stepFound[:0], s.stepThen[:0]
}

func (s *scan) markOutside(ev *Evidence) {
	if s.outside == nil {
		s.outside = map[*Evidence]bool{}
	}
	s.outside[ev] = true
}

// park ends the open step's output without a verdict: GitLab's script section is over (its
// after_script and the job's verdict follow), a Jenkins shell step is over (the pipeline's
// verdict comes at its end). The next step start replaces a parked step, unless it is sealed:
// what follows then runs after a failure (after_script, post actions), and the CI's verdict
// will be about the parked step.
func (s *scan) park(seal bool) {
	s.stepEpoch++
	if !s.parked && !s.cur.empty() {
		s.keepTail()
		s.parked = true
		s.cur.over = s.lineNo
	}
	s.sealed = s.sealed || seal && s.parked
	s.shell = false
}

// What a CI's framing line says about steps (the normaliser's mark on the line).
type stepMark uint8

const (
	markNone           stepMark = iota
	markStepEcho                // GitHub Actions: "##[group]Run <command>" starts a step and its header group
	markGroupEnd                // GitHub Actions: "##[endgroup]" (the step's output follows its header)
	markScriptEnd               // GitLab: the job script's section ended (after_script, artifacts, clean-up follow)
	markShell                   // Jenkins: "[Pipeline] sh" starts a shell step
	markPipeline                // Jenkins: another pipeline step; it ends a shell step
	markPostSteps               // Jenkins: the pipeline's post actions start
	markAfterScript             // GitLab: after_script starts (and so the job script's output is over)
	markAfterScriptEnd          // GitLab: after_script is over; Travis: after_failure or after_script is over
	markTravisAfter             // Travis: after_failure or after_script starts (the job's outcome is known)
)

// stepMark follows a CI's framing; it reports whether the line is used up.
func (s *scan) stepMark(m stepMark, text []byte) bool {
	switch m {
	case markStepEcho:
		s.stepGroups = true
		s.pendingEcho.set(s.lineNo, text, false)
		if s.cur.nHits[tierError] == 0 && len(s.stepFound) == 0 && len(s.stepThen) == 0 {
			s.openGitHubStep() // nothing in the open step to judge
		} else {
			s.groupPending = true
		}
		return true
	case markGroupEnd:
		s.header, s.groupPending = false, false
	case markScriptEnd:
		s.endScript()
		s.park(true)
	case markAfterScript:
		s.endScript()
		s.park(true)
		s.afterwards = true
	case markAfterScriptEnd:
		s.afterwards = false
	case markShell:
		s.releaseHeld(true) // the shell step before exited with 0
		s.endScript()
		if !s.sealed {
			s.startStep(s.lineNo + 1)
			s.shell = true
		}
	case markPipeline:
		if s.shell {
			s.endScript() // the shell is gone; its held step waits for the verdict
			s.park(false)
		}
	case markPostSteps:
		s.releaseHeld(false)
		s.afterwards = true
		if s.failed.end != 0 || s.cur.nHits[tierError] > 0 || s.prePost != nil {
			// Something failed before them: they run after the failure and their
			// errors are not its cause.
			s.park(true)
			break
		}
		// The stages may have passed, and a post action be what fails the job: its
		// steps open as any other, the step before is kept (closeStep decides).
		s.park(false)
		s.prePost, s.cur, s.spare = s.cur, s.spare, nil
		s.startStep(s.lineNo + 1)
	case markTravisAfter:
		s.afterwards = true
	}
	return false
}

// openGitHubStep starts the GitHub Actions step whose "##[group]Run x" is pendingEcho. GitHub
// prints a verdict only when a step fails, so the open step succeeded. A step that starts after
// one failed runs only when told to run whatever the outcome ("if: always()", a clean-up or
// a log dump): without a verdict of its own its lines are outside the failure (closeStep takes
// them back when it fails too).
func (s *scan) openGitHubStep() {
	s.endScript()
	s.stepSucceeded()
	s.startStep(s.pendingEcho.line)
	s.cur.cmd.set(s.pendingEcho.line, s.pendingEcho.text, false)
	s.header, s.shell, s.groupPending = true, false, false
	s.afterwards = s.failed.end != 0
}

var (
	ghaShell = []byte("shell: ")
	ghaWith  = []byte("with:")
)

var (
	scriptSection = []byte("step_script") // build_script on older runners
	buildSection  = []byte("build_script")
	afterSection  = []byte("after_script")
	postActions   = []byte("Post Actions)")
	jenkinsDollar = []byte("] $ ")
)

// sectionMark reads GitLab's section markers in a raw line ("section_end:1700000000:step_script"
// then "\r\x1b[0K", several may share a line; the last one counts): the end of the job script
// ends the script's output, and after_script's start and end bound the commands that run after
// the script whatever its outcome.
func sectionMark(line []byte) stepMark {
	mark := markNone
	for rest := line; ; {
		i := bytes.Index(rest, sectionPrefix)
		if i < 0 {
			return mark
		}
		rest = rest[i:]
		end := bytes.HasPrefix(rest, sectionEnd)
		switch {
		case end:
			rest = rest[len(sectionEnd):]
		case bytes.HasPrefix(rest, sectionStart):
			rest = rest[len(sectionStart):]
		default:
			rest = rest[len(sectionPrefix):]
			continue
		}
		for len(rest) > 0 && (isDigit(rest[0]) || rest[0] == ':') {
			rest = rest[1:]
		}
		switch {
		case end && (bytes.HasPrefix(rest, scriptSection) || bytes.HasPrefix(rest, buildSection)):
			mark = markScriptEnd
		case bytes.HasPrefix(rest, afterSection) && !end:
			mark = markAfterScript
		case bytes.HasPrefix(rest, afterSection):
			mark = markAfterScriptEnd
		}
	}
}

// pipelineMark reads a Jenkins pipeline line (after "[Pipeline] "): a shell step ("sh", "bat",
// "powershell", "pwsh"), the post actions, or another step.
func pipelineMark(step []byte) stepMark {
	switch string(step) {
	case "sh", "bat", "powershell", "pwsh":
		return markShell
	}
	if bytes.HasSuffix(step, postActions) {
		return markPostSteps
	}
	return markPipeline
}

// jenkinsEcho is a Jenkins build step's command echo: "[workspace] $ /bin/sh -xe /tmp/x.sh".
func jenkinsEcho(text []byte) bool {
	i := bytes.Index(text[:min(len(text), 200)], jenkinsDollar)
	return i > 1 && bytes.IndexByte(text[1:i], ']') < 0 && i+len(jenkinsDollar) < len(text)
}

// errorWords are the words that, leading a line, make it an error report.
var errorWords = [][]byte{
	[]byte("error"), []byte("err!"), []byte("fatal"), []byte("fail"), []byte("failed"),
	[]byte("failure"), []byte("failures"), []byte("exception"), []byte("panic"), []byte("aborted"),
}

var (
	warningWord  = []byte("warning")
	errorSuffix  = []byte("error")
	exceptSuffix = []byte("exception")
	failShout    = []byte("FAIL")
	errShout     = []byte("ERR")
	elixirRaise  = []byte("** (") // Elixir and Erlang: "** (RuntimeError) …", "** (exit) …"
	abortedBang  = []byte(" aborted!")
	gitDiff      = []byte("diff --git ")
	failWord     = []byte("fail")
	errorsWord   = []byte("errors")
	failureWord  = []byte("failure")
	failuresWord = []byte("failures")
	failedWord   = []byte("failed")
)

// grepTier says whether a line is one a person would grep for in a failed step's output, and
// how strongly. errorish is the prefilter's verdict on the line (it holds an error-ish word);
// afterErrorish says an error-ish line came within the last few lines (a numbered list item
// then names a failure: "There was 1 failure:" … "1) FooTest::testBar"). marked is the
// prefilter's word on markerLiterals.
func grepTier(text []byte, errorish, marked, afterErrorish bool) int {
	tier := grepTierOf(text, errorish, marked, afterErrorish)
	if tier != tierNone && bytes.IndexByte(text, 0xE2) >= 0 && bytes.ContainsAny(text, string(treeDrawing)) {
		return tierNone // dependency trees list packages named *error*
	}
	return tier
}

func grepTierOf(text []byte, errorish, marked, afterErrorish bool) int {
	if marked && isElixirRaise(text) {
		return tierError
	}
	t := trimDecoration(text)
	if len(t) == 0 {
		return tierNone
	}
	if errorish {
		if w := leadingWord(t); w != nil {
			for _, ew := range errorWords {
				if equalFoldASCII(w, ew) {
					if saysNoErrors(t) {
						return tierNone
					}
					return tierError
				}
			}
		}
		if hasErrorType(t) || hasShout(t) {
			return tierError
		}
	}
	if marked && (hasFailureMark(t) || t[len(t)-1] == '!' && hasSuffixFold(t, abortedBang)) {
		return tierError
	}
	if tier := locationTier(t); tier != tierNone {
		if tier == tierError && !errorish {
			return tierLocation
		}
		return tier
	}
	if afterErrorish && numberedItem(t) {
		return tierError
	}
	if marked && (leadingWordIs(t, warningWord) || bytes.HasPrefix(t, gitDiff)) {
		return tierWarning // a warning, or a diff a check printed
	}
	return tierNone
}

// isElixirRaise: Elixir's and Erlang's "** (RuntimeError) …", "** (exit) …".
func isElixirRaise(text []byte) bool {
	t := trimBlanks(text)
	return len(t) > len(elixirRaise) && t[0] == '*' && bytes.HasPrefix(t, elixirRaise)
}

func trimBlanks(t []byte) []byte {
	for len(t) > 0 && (t[0] == ' ' || t[0] == '\t') {
		t = t[1:]
	}
	return t
}

// saysNoErrors reports a line whose first word is an error word but that says there were
// none: "Errors: 0", "Failures: 0, Errors: 0", "ERROR: 0 errors". noErrorsLine's test, by hand
// (it runs on every such line of a step until the step has its first errors).
func saysNoErrors(t []byte) bool {
	head := t[:min(len(t), 160)]
	for off := 0; ; {
		i := bytes.IndexByte(head[off:], '0')
		if i < 0 {
			return false
		}
		i += off
		off = i + 1
		if i > 0 && isDigit(head[i-1]) || i+1 < len(head) && isDigit(head[i+1]) {
			continue
		}
		// "0 errors", "0 failures", "0 failed"
		if rest := head[i+1:]; len(rest) > 1 && rest[0] == ' ' && (hasPrefixFold(rest[1:], errorSuffix) || hasPrefixFold(rest[1:], failWord)) {
			return true
		}
		// "errors: 0", "failures 0"
		before := bytes.TrimRight(head[:i], ": ")
		if hasSuffixFold(before, errorSuffix) || hasSuffixFold(before, errorsWord) ||
			hasSuffixFold(before, failuresWord) || hasSuffixFold(before, failureWord) || hasSuffixFold(before, failedWord) {
			return true
		}
	}
}

// warningTier is grepTierOf's answer for a line that may only count as a warning.
func warningTier(text []byte) int {
	t := trimDecoration(text)
	if leadingWordIs(t, warningWord) || bytes.HasPrefix(t, gitDiff) || locationTier(t) == tierWarning {
		return tierWarning
	}
	return tierNone
}

func leadingWordIs(t, word []byte) bool {
	w := leadingWord(t)
	return w != nil && equalFoldASCII(w, word)
}

// trimDecoration drops leading blanks and the marks tools put before a message: "[error] ",
// "! ", "** ", "E   ", "> ".
func trimDecoration(t []byte) []byte {
	if len(t) > 0 && (isLetter(t[0]) && t[0] != 'E' || isDigit(t[0])) {
		return t // most lines
	}
	for {
		t = trimBlanks(t)
		switch {
		case len(t) > 0 && t[0] == '[':
			// [error], [ERROR], [FAIL]: a bracketed level is itself the word to look at.
			if end := bytes.IndexByte(t[:min(len(t), 12)], ']'); end > 0 {
				return t[1:]
			}
			return t
		case len(t) > 1 && (t[0] == '!' || t[0] == '*' || t[0] == '>' || t[0] == '#' || t[0] == '-') && (t[1] == ' ' || t[1] == t[0]):
			c := t[0]
			for len(t) > 0 && t[0] == c {
				t = t[1:]
			}
		case len(t) > 1 && t[0] == 'E' && t[1] == ' ':
			t = t[1:] // pytest's "E   AssertionError"
		default:
			return t
		}
	}
}

// leadingWord returns the line's first word (letters, and a trailing '!' as in "npm ERR!"),
// or nil when the line does not start with a letter.
func leadingWord(t []byte) []byte {
	n := 0
	for n < len(t) && isLetter(t[n]) {
		n++
	}
	if n == 0 {
		return nil
	}
	if n < len(t) && t[n] == '!' {
		n++
	}
	if n < len(t) && (isDigit(t[n]) || t[n] == '_' || t[n] == '-' || t[n] == '.' || t[n] == '@' || t[n] == '/') {
		return nil // error-ex@1.3.1, fail_fast, errors.go: names, not reports
	}
	return t[:n]
}

// hasErrorType finds an exception or error type that starts a report: "SyntaxError: …",
// "java.io.IOException: …" (the word before the line's first colon).
func hasErrorType(t []byte) bool {
	i := bytes.IndexByte(t[:min(len(t), 200)], ':')
	if i <= len(errorSuffix) {
		return false
	}
	j := i
	for j > 0 && t[j-1] != ' ' && t[j-1] != '\t' && t[j-1] != '(' && t[j-1] != '.' {
		j--
	}
	w := t[j:i]
	return len(w) > len(errorSuffix) && w[0] >= 'A' && w[0] <= 'Z' &&
		(hasSuffixFold(w, errorSuffix) || hasSuffixFold(w, exceptSuffix))
}

// hasShout finds FAIL, FAILED, ERROR or ERR! in capitals as a word: "*** FAILED ***",
// "test_x FAILED", "npm ERR! code 1".
func hasShout(t []byte) bool {
	for _, w := range [][]byte{failShout, errShout} {
		for off := 0; ; {
			i := bytes.Index(t[off:], w)
			if i < 0 {
				break
			}
			i += off
			end := i + len(w)
			switch rest := t[end:]; {
			case w[0] == 'F' && bytes.HasPrefix(rest, []byte("ED")):
				end += 2
			case w[0] == 'E' && bytes.HasPrefix(rest, []byte("OR")):
				end += 2
			case w[0] == 'E' && bytes.HasPrefix(rest, []byte("!")):
				end++
			case w[0] == 'E':
				off = end
				continue
			}
			if (i == 0 || !isWordByte(t[i-1])) && (end == len(t) || !isWordByte(t[end]) || t[end-1] == '!') {
				return true
			}
			off = end
		}
	}
	return false
}

// Failure marks of test reporters and linters: ✗ ✖ ✘ ❌.
var failureMarks = [][]byte{[]byte("✗"), []byte("✖"), []byte("✘"), []byte("❌")}

func hasFailureMark(text []byte) bool {
	i := bytes.IndexByte(text, 0xE2) // the first byte of all four
	if i < 0 {
		return false
	}
	for _, m := range failureMarks {
		if bytes.Contains(text[i:], m) {
			return true
		}
	}
	return false
}

// locationTier recognises a compiler's or linter's diagnostic, "path/file.ext:LINE[:COL]: msg"
// or "file.ext:LINE:msg": tierError, or tierWarning when it says warning. Ruby's backtrace
// lines ("x.rb:12:in `foo'") and URLs are not diagnostics.
func locationTier(t []byte) int {
	// The path is the line's first word: the colon comes before any blank.
	colon, dot := 0, false
	for colon < len(t) && colon < 300 && t[colon] != ':' {
		switch t[colon] {
		case ' ', '\t':
			return tierNone
		case '.':
			dot = true
		}
		colon++
	}
	if !dot || colon == 0 || colon+1 >= len(t) || t[colon] != ':' || !isDigit(t[colon+1]) {
		return tierNone
	}
	rest := t[colon+1:]
	for len(rest) > 0 && (isDigit(rest[0]) || rest[0] == ':') {
		rest = rest[1:]
	}
	if bytes.HasPrefix(rest, []byte("in `")) || len(bytes.TrimSpace(rest)) == 0 {
		return tierNone
	}
	if containsFold(rest[:min(len(rest), 40)], warningWord) {
		return tierWarning
	}
	return tierError
}

// numberedItem is a list item "1) name" or "1. name".
func numberedItem(t []byte) bool {
	n := 0
	for n < len(t) && n < 4 && isDigit(t[n]) {
		n++
	}
	return n > 0 && n+2 < len(t) && (t[n] == ')' || t[n] == '.') && t[n+1] == ' ' && t[n+2] != ' '
}

// containsFold reports whether s holds the lower-case ASCII word w in any case.
func containsFold(s, w []byte) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if equalFoldASCII(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

func isLetter(b byte) bool { return 'a' <= b|0x20 && b|0x20 <= 'z' }

func isWordByte(b byte) bool { return isLetter(b) || isDigit(b) || b == '_' }

func equalFoldASCII(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i]|0x20 != b[i]|0x20 && a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasPrefixFold(w, prefix []byte) bool {
	return len(w) >= len(prefix) && equalFoldASCII(w[:len(prefix)], prefix)
}

func hasSuffixFold(w, suffix []byte) bool {
	return len(w) >= len(suffix) && equalFoldASCII(w[len(w)-len(suffix):], suffix)
}

// stepEvidence picks the unknown answer's evidence from the latest failed step (the open one
// when none failed): its first errors, then its latest error-ish lines, its file:line
// findings, its warnings, its command, its first and last lines and the verdict, at most
// maxEvidence, in that order of preference (shown in log order). It returns nil when the step
// says nothing, and the caller falls back to the log's latest error-ish lines.
func (s *scan) stepEvidence(sus []ringLine, limit int) []Evidence {
	st := s.failed
	if st.end == 0 {
		st = s.cur
	}
	var picked []ringLine
	// A line said again (a retried command's "Failed to resolve the transaction:") is shown
	// once: the room goes to the lines that differ.
	seen := func(l ringLine) bool {
		return slices.ContainsFunc(picked, func(p ringLine) bool { return p.line == l.line || bytes.Equal(p.text, l.text) })
	}
	add := func(l ringLine) {
		if len(picked) < limit && l.line > 0 && !seen(l) {
			picked = append(picked, l)
		}
	}
	// The step's latest error-ish lines: summaries ("Tests: 9, Failures: 1").
	var late []ringLine
	for _, l := range sus {
		if !l.ciError && st.holds(l.line) {
			late = append(late, l)
		}
	}
	for _, l := range st.hits[tierError][:st.nHits[tierError]] {
		add(l)
	}
	for i := len(late) - 1; i >= 0 && len(picked) < limit; i-- {
		add(late[i])
	}
	for _, tier := range []int{tierLocation, tierWarning} {
		for _, l := range st.hits[tier][:st.nHits[tier]] {
			add(l)
		}
	}
	if len(picked) == 0 && st.end == 0 {
		return nil // no verdict and nothing grep-worthy: the caller's fallback
	}
	if st.end != 0 {
		// Its last words before the first ones: a quiet tool's closing summary ("2 packages
		// have licenses outside the allow-list") says more than its banner.
		add(st.cmd)
		for i := st.nTail - 1; i >= 0; i-- {
			add(st.tail[i])
		}
		for _, l := range st.head[:st.nHead] {
			add(l)
		}
		add(st.verdict)
	}
	if len(picked) == 0 {
		return nil
	}
	out := make([]Evidence, 0, len(picked))
	for _, l := range picked {
		out = append(out, Evidence{Line: l.line, Text: clip(l.text)})
	}
	return out // in order of preference: callers with less room take the first
}

// verdictEvidence is the evidence of a cause that is a CI's verdict on a step and says nothing
// of what failed (category unknown: "Process completed with exit code 1", "ERROR: Job failed",
// "Finished: FAILURE"). When the verdict comes at or after the failed step's end, it is that
// step's latest error-ish lines (the tool's closing summary) and first error, then its other
// lines (stepEvidence: first errors, command, first and last lines) in the room left, and the
// verdict. Otherwise it is as for any wrapper (wrappedBefore). Putting the step's lines before
// its latest error-ish ones lost the tool's closing error summary (CiDiff line recall 20.8 ->
// 17.7 %).
func (s *scan) verdictEvidence(own []*Evidence) []*Evidence {
	st := s.failed
	if st.end == 0 || own[0].Line < st.end {
		return append(s.wrappedBefore(own[0].Line), own...)
	}
	own = own[:min(len(own), 2)]
	var out []*Evidence
	has := func(line int, text string) bool { // that line, or the same words on another
		same := func(e *Evidence) bool { return e.Line == line || e.Text == text }
		return slices.ContainsFunc(out, same) || slices.ContainsFunc(own, same)
	}
	sus := s.suspects()
	for i := len(sus) - 1; i >= 0 && len(out) < 3; i-- { // the latest three, each said once
		if l := sus[i]; st.holds(l.line) && !l.ciError && !has(l.line, clip(l.text)) {
			out = append(out, &Evidence{Line: l.line, Text: clip(l.text)})
		}
	}
	if st.nHits[tierError] > 0 && !has(st.hits[tierError][0].line, clip(st.hits[tierError][0].text)) {
		first := st.hits[tierError][0]
		out = append(out, &Evidence{Line: first.line, Text: clip(first.text)})
	}
	step := s.stepEvidence(s.suspects(), maxEvidence)
	for i := 0; i < len(step) && len(out)+len(own) < maxEvidence; i++ {
		if !has(step[i].Line, step[i].Text) {
			out = append(out, &step[i])
		}
	}
	out = append(out, own...)
	slices.SortFunc(out, func(a, b *Evidence) int { return a.Line - b.Line })
	return out
}

// wrappedBefore returns the lines shown before a wrapper cause's own line ("make: *** [all]
// Error 1" echoes the real error): the latest error-ish lines before it, as before, and the
// first error of the step the line is in when they do not hold it, in log order.
func (s *scan) wrappedBefore(line int) []*Evidence {
	out := s.suspectsBefore(line, 3)
	var st *step
	switch {
	case s.failed.end != 0 && s.failed.start <= line && line <= s.failed.end:
		st = s.failed
	case line >= s.cur.start:
		st = s.cur
	}
	if st == nil || st.nHits[tierError] == 0 {
		return out
	}
	first := st.hits[tierError][0]
	if first.line >= line || slices.ContainsFunc(out, func(e *Evidence) bool { return e.Line == first.line }) {
		return out
	}
	out = append(out, &Evidence{Line: first.line, Text: clip(first.text)})
	slices.SortFunc(out, func(a, b *Evidence) int { return a.Line - b.Line })
	return out
}
