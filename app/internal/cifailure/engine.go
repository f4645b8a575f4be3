package cifailure

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ci-agent/ci-agent/app/internal/ahocorasick"
	"github.com/ci-agent/ci-agent/app/internal/redact"
)

// Options tune an Engine. The zero value gives the defaults.
type Options struct {
	Top          int // propositions returned at most (default 5)
	Context      int // lines of context before and after each evidence line (default 2)
	MaxLineBytes int // a longer line is matched on its first MaxLineBytes (default 64 KiB)
}

func (o Options) withDefaults() Options {
	if o.Top <= 0 {
		o.Top = 5
	}
	if o.Context < 0 {
		o.Context = 0
	} else if o.Context == 0 {
		o.Context = 2
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 64 << 10
	}
	return o
}

// InputError is a problem with the log itself (empty, binary, corrupt gzip): the caller's
// fault, reported as 4xx over HTTP and exit code 2 in the CLI.
type InputError struct {
	Reason string // "empty", "binary", "gzip"
	Err    error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// IsInputError reports whether err is the input's fault, and why.
func IsInputError(err error) (*InputError, bool) {
	var ie *InputError
	ok := errors.As(err, &ie)
	return ie, ok
}

// errorishLiterals mark lines worth showing when no cause matches, or when only a generic
// wrapper cause ("make: *** Error 1") did.
var errorishLiterals = []string{
	"error", "fail", "fatal", "exception", "panic", "denied", "cannot ", "unable to",
	"killed", "timed out", "timeout", "exit code", "exit status", "not found", "traceback",
}

// suspectLine confirms a prefilter hit as an error report: the word stands alone (not
// "error-ex@1.3.1" in a dependency tree, not "onerror"), and the line does not say there were
// none ("0 errors").
var (
	suspectLine   = regexp.MustCompile(`(?i)(?:^|[^a-z0-9_@/.-])(?:error|errors|err!|fatal|fail|failed|failure|failures|failing|exception|panic|denied|cannot|unable to|killed|timed out|timeout|exit code [1-9]|exit status [1-9]|not found|traceback)(?:$|[^a-z0-9_-])`)
	noErrorsLine  = regexp.MustCompile(`(?i)\b(?:0|no) (?:errors?|failures?|failed)\b|\b(?:errors?|failures?|failed):? 0\b`)
	treeDrawing   = []byte("│├└") // │├└: dependency trees list packages named *error*
	genericWeight = 0.35          // causes below this weight are wrappers that echo the real error
	maxCandidates = 32            // regexps one line may make run; more is not a log line
)

func isSuspect(text []byte) bool {
	if bytes.ContainsAny(text, string(treeDrawing)) {
		return false
	}
	return suspectLine.Match(text) && !noErrorsLine.Match(text)
}

// Engine classifies logs against a knowledge base. It is immutable and safe for concurrent use.
type Engine struct {
	kb          *KB
	fingerprint string
	opts        Options
	matcher     *ahocorasick.Matcher
	litRegexps  [][]setRef // literal id -> the regexp literal sets it belongs to
	errorish    int32      // literal ids >= errorish are error-ish markers
	markers     int32      // literal ids >= markers are grep-worthy markers (step.go), not error-ish
	regexps     []compiledRegexp
	patterns    []patternRef // flattened patterns, indexed by compiledRegexp.pattern
}

// setRef names literal set number set of regexp ri.
type setRef struct {
	ri  int32
	set uint8
}

type compiledRegexp struct {
	expr    *compiledExpr
	full    uint8 // bit mask with one bit per literal set: all must be hit before re runs
	pattern int32 // index into Engine.patterns
	role    int8  // 0 = match (or all[0]), 1 = then (or all[1]), ...
}

type patternRef struct {
	cause int32
	kind  patternKind
	roles int8
	// within is the window for then-patterns.
	within int
}

type patternKind uint8

const (
	kindSingle patternKind = iota
	kindThen
	kindAll
)

// New compiles kb into an engine.
func New(kb *KB, opts Options) (*Engine, error) {
	e := &Engine{kb: kb, opts: opts.withDefaults()}
	def, err := json.Marshal(struct {
		Causes []Cause
		Opts   Options
	}{kb.Causes, e.opts})
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(def)
	e.fingerprint = hex.EncodeToString(sum[:8])
	litIndex := map[string]int32{}
	var literals []string
	for ci, c := range kb.Causes {
		for _, p := range c.Patterns {
			pi := index32(len(e.patterns))
			ref := patternRef{cause: index32(ci), kind: kindSingle, within: p.Within}
			switch {
			case len(p.All) > 0:
				ref.kind = kindAll
			case p.Then != "":
				ref.kind = kindThen
			}
			exprs := p.regexps()
			n := len(exprs)
			if n < 1 || n > maxRoles {
				return nil, fmt.Errorf("cause %s: a pattern has %d regexps; want 1..%d", c.ID, n, maxRoles)
			}
			ref.roles = int8(n)
			e.patterns = append(e.patterns, ref)
			for role, expr := range exprs {
				ce, err := compileExpr(expr)
				if err != nil {
					return nil, fmt.Errorf("cause %s: %w", c.ID, err)
				}
				if len(ce.sets) == 0 {
					return nil, fmt.Errorf("cause %s: regexp %q has no prefilter literal", c.ID, expr)
				}
				sets := ce.sets
				ri := index32(len(e.regexps))
				e.regexps = append(e.regexps, compiledRegexp{expr: ce, pattern: pi, role: int8(role), full: 1<<len(sets) - 1})
				for si, set := range sets {
					for _, lit := range set {
						li, ok := litIndex[lit]
						if !ok {
							li = index32(len(literals))
							litIndex[lit] = li
							literals = append(literals, lit)
							e.litRegexps = append(e.litRegexps, nil)
						}
						e.litRegexps[li] = append(e.litRegexps[li], setRef{ri: ri, set: uint8(si)})
					}
				}
			}
		}
	}
	e.errorish = index32(len(literals))
	literals = append(literals, errorishLiterals...)
	e.markers = index32(len(literals))
	literals = append(literals, markerLiterals...)
	m, err := ahocorasick.BuildApprox(literals)
	if err != nil {
		return nil, err
	}
	e.matcher = m
	return e, nil
}

// Fingerprint identifies what the engine answers with (its causes and options): two engines
// with the same fingerprint give the same answer to the same log, so answers can be cached
// under it.
func (e *Engine) Fingerprint() string { return e.fingerprint }

// KB returns the knowledge base the engine was built from.
func (e *Engine) KB() *KB { return e.kb }

// Explain reads a log (plain or gzip) once and says what broke.
func (e *Engine) Explain(ctx context.Context, r io.Reader) (*Answer, error) {
	start := time.Now()
	// The buffer holds a whole line up to the cap (run cuts longer ones) and the sniffed head.
	bufSize := max(e.opts.MaxLineBytes, 64<<10)
	br := bufio.NewReaderSize(r, bufSize)
	gzipped := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &InputError{Reason: "gzip", Err: fmt.Errorf("invalid gzip data: %w", err)}
		}
		defer zr.Close()
		gzipped = true
		br = bufio.NewReaderSize(zr, bufSize)
	}
	head, err := br.Peek(sniffBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, readError(err, gzipped)
	}
	if len(head) == 0 {
		return nil, &InputError{Reason: "empty", Err: errors.New("the log is empty")}
	}
	// A short log of blank lines only (a job that printed nothing) has no line to prove
	// anything: answering "unknown" with blank lines as its evidence would be noise.
	if len(head) < sniffBytes && len(bytes.TrimSpace(head)) == 0 {
		return nil, &InputError{Reason: "empty", Err: errors.New("the log is empty (whitespace only)")}
	}
	// Git's heuristic for binary content: a NUL byte near the start.
	if bytes.IndexByte(head, 0) >= 0 {
		return nil, &InputError{Reason: "binary", Err: errors.New("the input is binary data (it contains NUL bytes), not a text log")}
	}

	s := e.newScan()
	s.gzipped = gzipped
	if err := s.run(ctx, br); err != nil {
		return nil, err
	}
	s.releaseHeld(false) // the log ended in it: the held step's errors are the last word
	ans := s.answer()
	ans.TookMS = math.Round(float64(time.Since(start).Microseconds())) / 1000
	return ans, nil
}

// sniffBytes is how much of the start of a log is checked for binary content.
const sniffBytes = 8000

func readError(err error, gzipped bool) error {
	if gzipped {
		return &InputError{Reason: "gzip", Err: fmt.Errorf("invalid gzip data: %w", err)}
	}
	return fmt.Errorf("reading the log: %w", err)
}

// scan is the state of one Explain call.
type scan struct {
	e *Engine

	norm    normalizer
	gzipped bool
	keys    redact.KeyLines // a PEM private key's lines are never shown
	// cmds redacts a command's arguments on the lines its trailing backslash continues it onto
	// (curl -sS \, then -u user:pw \): clip sees a shown line alone, without its command.
	cmds   redact.CommandLines
	lineNo int
	bytes  int64

	// Prefilter hits of the current line.
	stamp      []int   // regexp id -> line number its mask belongs to (int: a log may have more than 2^31 lines)
	mask       []uint8 // regexp id -> literal sets hit on that line
	candidates []int32
	errorish   bool
	marked     bool // a grep-worthy marker (markerLiterals) may be on the line

	// Pattern progress.
	done    []bool      // regexp id -> nothing more to learn from it
	first   []*Evidence // regexp id -> first matching line (single and all patterns)
	lastA   []*Evidence // pattern id -> latest "match" line of a then-pattern
	thenHit []*Evidence // pattern id -> the "then" line that satisfied it

	// Proof from steps that did not fail the job (step.go, stepSucceeded), kept in case
	// nothing later proves the same pattern, and lines that ran after the job's outcome
	// (afterwards): they score lower.
	stale      []*Evidence // regexp id -> first matching line in a step that succeeded
	staleThen  []*Evidence // pattern id -> the "then" line, in a step that succeeded
	staleThenA []*Evidence // pattern id -> its "match" line
	rearms     []uint8     // regexp id -> times it was tried again after a step succeeded
	stepFound  []int32     // regexps that got their first line in the open step
	stepThen   []int32     // then-regexps satisfied in the open step
	outside    map[*Evidence]bool
	afterwards bool // in GitLab's after_script or Jenkins's post actions
	stepGroups bool // GitHub Actions' "##[group]Run" marks the steps

	// Context: the latest lines, for before-context and for the unknown fallback.
	ring    []ringLine
	ringLen int
	ringPos int
	pending []*Evidence // evidence still collecting after-context

	// Reports a wrapper's proving line opens (openReport), and where they ended: the lines
	// that say what the wrapper only announces (a traceback's exception), shown with it.
	reports   []report
	stepEpoch int                       // counts step ends: a report does not go on past its step's
	shown     map[*Evidence]reportShown // a wrapper's proving line -> the report shown with it

	// Fallback evidence for unknown: the latest error-ish lines.
	// Error-ish lines are kept raw and confirmed (isSuspect) only at the end, for the few that
	// are shown: the confirming regexp is too slow to run on every "error" in a big log.
	errorishLines [maxErrorish]ringLine
	errorishLen   int
	errorishNext  int

	// Steps (step.go): the open one and the latest that failed, two slots of steps swapped
	// by pointer when a step fails.
	steps       [4]step
	cur, failed *step
	// Jenkins: the step before the post actions when nothing had failed yet (prePost, nil
	// otherwise), and the slot to keep it in (spare). The verdict at the pipeline's end is
	// about the post actions' step if that one proved a cause or printed an error, else
	// about this one (closeStep).
	prePost, spare *step
	stepStarts     []int // first lines of the steps, in order (Features.Step)
	// Jenkins "sh -xe": a "+ cmd" trace after a step's error output opens a step, but the
	// step before is held (held, with what it proved) until the new one shows errors of its
	// own (the script went on: the held step did not fail) or the step ends quietly (a trap's
	// clean-up, "|| (cat report.xml; exit 1)": the held step is the failed one).
	held, heldSlot      *step
	heldFound, heldThen []int32
	lastErrorish        int  // the latest error-ish line's number
	headerLine          int  // the latest line, if it is an error report ending in ':' or '!'
	parked              bool // cur's output is over, its verdict may come later (park)
	sealed              bool // … and later steps ran after the failure: they do not replace it
	header              bool // in a GitHub Actions step's header group (its env and shell lines)
	// A "##[group]Run x" after a step that printed errors: a new step only once its header
	// shows a step's "shell:" or "with:" line (a script's own "::group::Run unit tests" has
	// none); until then the open step goes on.
	pendingEcho  ringLine
	groupPending bool
	shell        bool // in a Jenkins shell step: "+ cmd" trace lines are command echoes
	// A script's EXIT trap, from its "+ trap HANDLER EXIT" trace: the handler's commands (trap,
	// trapHandler), and whether the handler runs (trapRun, trapTrace): the script is exiting
	// at the failure its output showed, and what the handler prints and proves came after it,
	// unless it dumps logs (trapDump). Until the script's end, a command that is not the
	// handler's takes the run back (takeBackTrap): what it marked outside (trapMarked), the
	// step it parked (trapParked) or held when it printed no error (trapHeld).
	trap       []byte
	trapOpaque bool // the handler calls a function: any command traced after may be its
	trapRun    bool
	trapDump   bool
	trapMarked []*Evidence
	trapParked bool
	trapHeld   bool
	trapKey    []byte // scratch: a traced command's trapCommand
	// Proof of commands whose failure the script noted in a variable and checks later
	// ("$ pytest || FAILED=1" … "$ test -z \"$FAILED\"", deferProofs): outside until the
	// check is the command that fails the job.
	deferred []deferredProof

	// An overlong line's head and the last MaxLineBytes of it.
	longHead, longTail []byte
}

// ringLine is a reusable copy of one normalised line.
type ringLine struct {
	line    int
	text    []byte
	ciError bool
}

func (r *ringLine) set(line int, text []byte, ciError bool) {
	r.line, r.ciError = line, ciError
	r.text = append(r.text[:0], text[:min(len(text), maxEvidenceText)]...)
}

const (
	maxEvidenceText = 500
	maxSuspects     = 8
	maxErrorish     = 64 // raw error-ish lines kept to find maxSuspects confirmed ones
	maxEvidence     = 5
	lastLinesShown  = 3 // lines shown when nothing in the log looks like an error
)

func (e *Engine) newScan() *scan {
	n := len(e.regexps)
	s := &scan{
		e:          e,
		stamp:      make([]int, n),
		mask:       make([]uint8, n),
		done:       make([]bool, n),
		first:      make([]*Evidence, n),
		lastA:      make([]*Evidence, len(e.patterns)),
		thenHit:    make([]*Evidence, len(e.patterns)),
		stale:      make([]*Evidence, n),
		rearms:     make([]uint8, n),
		staleThen:  make([]*Evidence, len(e.patterns)),
		staleThenA: make([]*Evidence, len(e.patterns)),
		ring:       make([]ringLine, max(e.opts.Context, lastLinesShown)),
	}
	s.cur, s.failed, s.spare, s.heldSlot = &s.steps[0], &s.steps[1], &s.steps[2], &s.steps[3]
	return s
}

func (s *scan) run(ctx context.Context, br *bufio.Reader) error {
	hit := s.hit
	maxLine := s.e.opts.MaxLineBytes
	for {
		raw, err := br.ReadSlice('\n')
		if len(raw) > 0 {
			s.bytes += int64(len(raw))
			s.lineNo++
			if len(raw) <= maxLine && !errors.Is(err, bufio.ErrBufferFull) {
				s.line(raw, hit) // before the next read, which may reuse the buffer raw is in
			} else {
				// An overlong line is matched on its head, unless it is a progress display
				// redrawn with \r past the head: what stays on screen, often the error, is
				// then its last frame, matched in the line's last maxLine bytes.
				s.longHead = append(s.longHead[:0], raw[:min(len(raw), maxLine)]...)
				s.longTail = appendLast(s.longTail[:0], raw, maxLine)
				redrawn := hasRedraw(raw[min(len(raw), maxLine):])
				for errors.Is(err, bufio.ErrBufferFull) {
					if ctx.Err() != nil {
						return ctx.Err() // one line may be gigabytes long
					}
					var more []byte
					more, err = br.ReadSlice('\n')
					s.bytes += int64(len(more))
					redrawn = redrawn || hasRedraw(more)
					s.longTail = appendLast(s.longTail, more, maxLine)
				}
				if redrawn {
					s.line(s.longTail, hit)
				} else {
					s.line(s.longHead, hit)
				}
			}
			if s.lineNo&4095 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return readError(err, s.gzipped)
		}
	}
}

// hasRedraw reports a carriage return inside p that does not end the line.
func hasRedraw(p []byte) bool {
	return bytes.IndexByte(bytes.TrimRight(p, "\r\n"), '\r') >= 0
}

// appendLast appends p to buf and keeps buf's last n bytes.
func appendLast(buf, p []byte, n int) []byte {
	if len(p) >= n {
		return append(buf[:0], p[len(p)-n:]...)
	}
	if drop := len(buf) + len(p) - n; drop > 0 {
		buf = buf[:copy(buf, buf[drop:])]
	}
	return append(buf, p...)
}

func (s *scan) hit(lit int32) {
	if lit >= s.e.errorish {
		if lit >= s.e.markers {
			s.marked = true
		} else {
			s.errorish = true
		}
		return
	}
	line := s.lineNo
	for _, ref := range s.e.litRegexps[lit] {
		ri := ref.ri
		if s.done[ri] {
			continue
		}
		if s.stamp[ri] != line {
			s.stamp[ri], s.mask[ri] = line, 0
		}
		before := s.mask[ri]
		s.mask[ri] |= 1 << ref.set
		if full := s.e.regexps[ri].full; s.mask[ri] == full && before != full {
			s.candidates = append(s.candidates, ri)
		}
	}
}

func (s *scan) line(raw []byte, hit func(int32)) {
	text, kind := s.norm.normalize(raw)
	if kind == lineFraming || len(text) == 0 {
		s.cmds.Redact(nil) // a blank or framing line ends any continued command
		if s.norm.mark != markNone {
			s.stepMark(s.norm.mark, text)
		}
		if kind != lineFraming && len(s.reports) > 0 {
			s.followReports(text, nil) // a blank line
		}
		return
	}
	if s.keys.Secret(text) {
		text = keyMarker
	} else {
		text = s.cmds.Redact(text)
	}
	s.candidates = s.candidates[:0]
	s.errorish, s.marked = false, false
	s.e.matcher.ScanPresent(text, hit) // hit is idempotent per line: repeats are free

	var lineEv *Evidence // evidence for this line, made once however many regexps match it
	evidence := func() *Evidence {
		if lineEv == nil {
			lineEv = s.capture(text)
		}
		return lineEv
	}
	if len(s.candidates) > maxCandidates {
		// No real log line names this many failures (at most 16 in the 2.2 million lines of
		// the public corpora in ../shared/data); a line built of trigger words only makes
		// every regexp run over it, ~1.3 µs a byte. It is noise: error-ish at most.
		s.candidates = s.candidates[:0]
	}
	if len(s.candidates) > 1 {
		slices.Sort(s.candidates) // deterministic: KB order
	}
	for _, ri := range s.candidates {
		cr := &s.e.regexps[ri]
		p := &s.e.patterns[cr.pattern]
		if p.kind == kindThen && cr.role == 1 {
			// "B within N lines of A": B cannot prove anything far from an A, so it is
			// not even tried there. Broad B regexps (a stack-trace line) stay cheap.
			if a := s.lastA[cr.pattern]; a == nil || s.lineNo-a.Line > p.within || a.Line == s.lineNo {
				continue
			}
		}
		if !cr.expr.regexp().Match(text) {
			continue
		}
		switch p.kind {
		case kindSingle, kindAll:
			s.first[ri] = evidence()
			s.done[ri] = true
			s.stepFound = append(s.stepFound, ri)
			s.openReport(p, text, s.first[ri])
		case kindThen:
			if cr.role == 0 {
				s.lastA[cr.pattern] = evidence()
			} else {
				s.thenHit[cr.pattern] = evidence()
				s.done[ri] = true
				s.done[ri-1] = true
				s.stepThen = append(s.stepThen, ri)
				s.openReport(p, text, s.thenHit[cr.pattern])
			}
		}
	}
	if lineEv != nil && s.afterwards && kind != lineCIError && verdictOf(text, kind) == verdictNone {
		// after_script, post actions: they run whatever the job's outcome and do not
		// decide it (a GitLab after_script cannot fail the job). The CI's verdict, which
		// comes after them, is not theirs.
		s.markOutside(lineEv)
	}

	if kind == lineCIError || s.errorish {
		s.errorishLines[s.errorishNext].set(s.lineNo, text, kind == lineCIError)
		s.errorishNext = (s.errorishNext + 1) % maxErrorish
		s.errorishLen = min(s.errorishLen+1, maxErrorish)
	}
	s.stepLine(text, kind)
	if len(s.reports) > 0 {
		// After the step tracker, which says whether the line ends the step (a "$ cmd" echo, a
		// verdict): a report does not go on past its step.
		s.followReports(text, evidence)
	}
	if lineEv != nil && s.trapRun && !s.trapDump && !s.outside[lineEv] {
		s.markOutside(lineEv) // a trap's clean-up, as after_script: not why the script failed
		s.trapMarked = append(s.trapMarked, lineEv)
	}
	if s.errorish {
		s.lastErrorish = s.lineNo
	}

	// After-context of earlier evidence, then this line joins the before-context ring.
	if len(s.pending) > 0 {
		keep := s.pending[:0]
		for _, ev := range s.pending {
			if ev.Line == s.lineNo {
				keep = append(keep, ev)
				continue
			}
			ev.After = append(ev.After, clip(text))
			if len(ev.After) < s.e.opts.Context {
				keep = append(keep, ev)
			}
		}
		s.pending = keep
	}
	s.ring[s.ringPos].set(s.lineNo, text, false)
	s.ringPos = (s.ringPos + 1) % len(s.ring)
	s.ringLen = min(s.ringLen+1, len(s.ring))
}

// A report is the block of indented lines under a wrapper's proving line that ends in ':' (a
// Python traceback: "Traceback (most recent call last):", its frames indented under it). The
// wrapper says that something failed; the first line back at its indentation ends the block and
// says what ("ValueError: bad thing", "django.db.utils.OperationalError: …"), unless it ends in
// ':' itself (CMake's "Call Stack (most recent call first):" after "CMake Error at …:"'s message):
// that is another block's header, not what failed, and the block's first line (the message) is
// shown instead. A report belongs to the step it was opened
// in: a step's end (a "$ cmd" echo, a verdict, GitLab's script end or after_script) ends it.
// Within the step, its header again starts it anew, and the latest one's end is shown (a
// handled exception's traceback, logged, comes before the one that ended the program), unless a
// chained exception's line came between ("During handling of the above exception, another
// exception occurred:", "The above exception was the direct cause of the following
// exception:"): then the report goes on, and the first and the latest ends are shown. The
// header shown is the one the shown ends are under (the chain's first), not the proving line
// when that was an earlier report's header: an exception is never shown under another
// traceback's header.
type report struct {
	head   *Evidence // the wrapper's proving line, which opened the report
	start  *Evidence // the header the lines being read are under: head, or the header again
	text   []byte    // the header's normalised line, to know it again
	indent int
	body   bool      // indented lines came under the header: a block, not a lone line
	first  *Evidence // the block's first line
	ended  int       // the line that ended it; 0 while it is open
	chain  int       // a chained exception's line after its end, or 0
	fresh  bool      // started anew: its end replaces the ends shown
	epoch  int       // the step it was opened in (scan.stepEpoch)
}

// reportShown is what a wrapper's proving line is shown with: the header of the report whose
// ends are shown (the proving line itself, or the same header again later in the step), and
// the report's first and latest ends.
type reportShown struct {
	head *Evidence
	ends []*Evidence
}

const (
	maxReports  = 4 // reports followed at once; wrappers proved once per step, so one or two
	chainHeader = 3 // lines after a chained exception's line in which the header comes again
)

// Python's lines between chained exceptions' tracebacks.
var chainLines = [][]byte{
	[]byte("During handling of the above exception, another exception occurred:"),
	[]byte("The above exception was the direct cause of the following exception:"),
}

// openReport starts following the report a wrapper's proving line may open. A cause that says
// what failed is proof enough on its line and opens none.
func (s *scan) openReport(p *patternRef, text []byte, head *Evidence) {
	if !IsWrapper(s.e.kb.Causes[p.cause].Weight) || len(s.reports) == maxReports {
		return
	}
	if t := bytes.TrimRight(text, " \t"); len(t) == 0 || t[len(t)-1] != ':' {
		return
	}
	indent, _ := indentation(text)
	s.reports = append(s.reports, report{head: head, start: head, text: bytes.Clone(text), indent: indent, fresh: true, epoch: s.stepEpoch})
}

// followReports reads one line (blank when evidence is nil) into the reports being followed.
func (s *scan) followReports(text []byte, evidence func() *Evidence) {
	indent, blank := indentation(text)
	keep := s.reports[:0]
	for _, r := range s.reports {
		switch {
		case r.epoch != s.stepEpoch:
			continue // its step is over
		case r.head.Line == s.lineNo:
			// opened on this line
		case r.ended != 0:
			switch {
			case blank:
			case isChainLine(text):
				// Python's exact line, at any distance in the step: an exception's message may
				// run many lines (pydantic's ValidationError lists each field).
				r.chain = s.lineNo
			case bytes.Equal(text, r.text):
				// The header again: a chained exception's, or a later report of the step.
				r.fresh = r.chain == 0 || s.lineNo-r.chain > chainHeader
				if r.fresh {
					r.start = evidence() // the header its ends will be shown under
				}
				r.ended, r.chain, r.body, r.first = 0, 0, false, nil
			}
		case blank || indent < r.indent || indent == r.indent && !r.body:
			r.ended = s.lineNo // no end of its own
		case indent > r.indent:
			if !r.body {
				r.body, r.first = true, evidence()
			}
		default: // back at the header's indentation after its block
			r.ended = s.lineNo
			end := r.first
			if !isBlockHeader(text) {
				end = evidence()
			}
			// else another block's header ("Call Stack (most recent call first):" after CMake's
			// "CMake Error at …:"): what failed is the block's message, its first line.
			if s.shown == nil {
				s.shown = map[*Evidence]reportShown{}
			}
			switch shown := s.shown[r.head]; {
			case r.fresh:
				// A new report's end: shown under its own header, in place of the one before.
				s.shown[r.head] = reportShown{head: r.start, ends: append(shown.ends[:0], end)}
			case len(shown.ends) < 2:
				shown.ends = append(shown.ends, end)
				s.shown[r.head] = shown
			default:
				shown.ends[1] = end // the first end and the latest one
			}
			r.fresh = false
		}
		keep = append(keep, r)
	}
	s.reports = keep
}

// isBlockHeader says a line back at a report's indentation opens another block (CMake's "Call
// Stack (most recent call first):"): it ends with ':' and is no exception line "Name: message:"
// (Django's "django.core.management.base.SystemCheckError: SystemCheckError: System check
// identified some issues:", unittest's "AssertionError: Items in the second set but not the
// first:"), whose name holds no blank and comes before a ": ".
func isBlockHeader(text []byte) bool {
	t := bytes.TrimSpace(text)
	if len(t) == 0 || t[len(t)-1] != ':' {
		return false
	}
	name, _, found := bytes.Cut(t[:len(t)-1], []byte(": "))
	return !found || len(name) == 0 || bytes.ContainsAny(name, " \t")
}

// isChainLine is Python's line between a chained exception's tracebacks.
func isChainLine(text []byte) bool {
	t := bytes.TrimSpace(text)
	return len(t) > 0 && t[len(t)-1] == ':' && slices.ContainsFunc(chainLines, func(c []byte) bool { return bytes.Equal(t, c) })
}

// indentation returns the blanks that start a line, and whether it is blank.
func indentation(text []byte) (n int, blank bool) {
	for n < len(text) && (text[n] == ' ' || text[n] == '\t') {
		n++
	}
	return n, n == len(text)
}

// latest returns the n most recent entries of a ring, oldest first.
func latest(ring []ringLine, filled, next, n int) []ringLine {
	n = min(n, filled)
	out := make([]ringLine, 0, n)
	for i := n; i > 0; i-- {
		out = append(out, ring[(next-i+len(ring))%len(ring)])
	}
	return out
}

// capture copies the current line and its before-context into a new Evidence.
func (s *scan) capture(text []byte) *Evidence {
	ev := &Evidence{Line: s.lineNo, Text: clip(text)}
	for _, l := range latest(s.ring, s.ringLen, s.ringPos, s.e.opts.Context) {
		ev.Before = append(ev.Before, clip(l.text))
	}
	if s.e.opts.Context > 0 {
		s.pending = append(s.pending, ev)
	}
	return ev
}

// keyMarker is what a shown line of a private key reads.
var keyMarker = []byte(redact.Marker("private_key"))

// clip makes a line shown as evidence or context: secrets redacted (answers are echoed to
// clients and cached), at most maxEvidenceText bytes, valid UTF-8.
func clip(b []byte) string {
	b = []byte(redact.String(string(b)))
	if len(b) > maxEvidenceText {
		b = b[:maxEvidenceText]
		for len(b) > 0 && !utf8.Valid(b[len(b)-min(len(b), utf8.UTFMax):]) {
			b = b[:len(b)-1]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// Score weights; docs/knowledge-base.md explains them.
const (
	wWeight   = 0.55
	wEvidence = 0.25
	wPosition = 0.20
	// outsideDiscount scales the score of a cause proved only in steps that did not fail the
	// job (they exited with 0, or ran in after_script or post actions): halved, a specific
	// cause there (0.75) falls below a broad one in the failed step, so the failed step's own
	// error wins; never below a CI's verdict, though, and always below a cause of the failed
	// step (rankWrappersLast): when the failed step proved nothing, the outside cause is the
	// answer, with its halved score as confidence.
	outsideDiscount = 0.5
	// unknownScore is the no-match fallback's score, and so its confidence.
	unknownScore = 0.1
)

func (s *scan) answer() *Answer {
	type acc struct {
		evidence  []*Evidence
		hit       int
		multiline bool
	}
	byCause := map[int32]*acc{}
	get := func(c int32) *acc {
		a := byCause[c]
		if a == nil {
			a = &acc{}
			byCause[c] = a
		}
		return a
	}
	// A pattern proved in a step that succeeded and again later shows both lines: the
	// first occurrence is often the one a person looks for (the first of several examples
	// failing the same way), the later one is why it counts.
	proof := func(ri int) []*Evidence {
		first, stale := s.first[ri], s.stale[ri]
		switch {
		case first == nil && stale == nil:
			return nil
		case first == nil:
			return []*Evidence{stale}
		case stale == nil:
			return []*Evidence{first}
		}
		return []*Evidence{stale, first}
	}
	ri := 0
	for pi, p := range s.e.patterns {
		roles := int(p.roles)
		ri += roles
		switch p.kind {
		case kindSingle:
			if evs := proof(ri - 1); evs != nil {
				a := get(p.cause)
				a.hit++
				a.evidence = append(a.evidence, evs...)
			}
		case kindThen:
			var evs []*Evidence
			if b := s.staleThen[pi]; b != nil {
				evs = append(evs, s.staleThenA[pi], b)
			}
			if b := s.thenHit[pi]; b != nil {
				// The A line recorded is the latest before B.
				evs = append(evs, s.lastAFor(pi, b), b)
			}
			if evs != nil {
				a := get(p.cause)
				a.hit++
				a.multiline = true
				a.evidence = append(a.evidence, evs...)
			}
		case kindAll:
			var evs []*Evidence
			proved := 0
			for j := ri - roles; j < ri; j++ {
				if role := proof(j); role != nil {
					proved++
					evs = append(evs, role...)
				}
			}
			if proved == roles {
				a := get(p.cause)
				a.hit++
				a.multiline = true
				a.evidence = append(a.evidence, evs...)
			}
		}
	}

	ans := &Answer{Lines: s.lineNo, Bytes: s.bytes}
	for ci, a := range byCause {
		c := &s.e.kb.Causes[ci]
		slices.SortFunc(a.evidence, func(x, y *Evidence) int { return x.Line - y.Line })
		a.evidence = slices.CompactFunc(a.evidence, func(x, y *Evidence) bool { return x.Line == y.Line })
		ownFirst := a.evidence[0].Line
		outside := !slices.ContainsFunc(a.evidence, func(e *Evidence) bool { return !s.outside[e] })
		switch {
		case isVerdict(c.Category):
			// A CI's verdict ("Process completed with exit code 1"): the failed step's lines.
			a.evidence = s.verdictEvidence(a.evidence)
		case IsWrapper(c.Weight):
			before := s.wrappedBefore(ownFirst)
			var ends []*Evidence
			for i, e := range a.evidence {
				if shown, ok := s.shown[e]; ok {
					// Under its own header: a later report of the step replaced the proving
					// line's (a handled exception's traceback, logged before the fatal one).
					a.evidence[i] = shown.head
					ends = append(ends, shown.ends...)
				}
			}
			if len(ends) > 0 {
				// The end of the report the wrapper opens says what failed: it is shown under
				// its header, and the earliest lines before the wrapper give it room.
				before = before[max(0, len(before)-max(0, maxEvidence-len(a.evidence)-len(ends))):]
				a.evidence = append(a.evidence, ends...)
				slices.SortFunc(a.evidence, func(x, y *Evidence) int { return x.Line - y.Line })
				a.evidence = slices.CompactFunc(a.evidence, func(x, y *Evidence) bool { return x.Line == y.Line })
			}
			a.evidence = append(before, a.evidence...)
		}
		f := Features{
			Weight:        c.Weight,
			PatternsHit:   a.hit,
			Multiline:     a.multiline,
			EvidenceLines: len(a.evidence),
			FirstLine:     ownFirst,
			Outside:       outside,
			Ecosystem:     c.Ecosystem,
		}
		f.Step, _ = slices.BinarySearch(s.stepStarts, ownFirst+1) // steps started at or before it
		f.Evidence = 0.5
		if a.multiline {
			f.Evidence = 0.75
		}
		f.Evidence = math.Min(1, f.Evidence+0.25*float64(a.hit-1))
		f.Position = float64(f.FirstLine) / float64(max(1, s.lineNo))
		score := wWeight*f.Weight + wEvidence*f.Evidence + wPosition*f.Position
		if outside {
			score *= outsideDiscount
		}
		ev := make([]Evidence, 0, min(len(a.evidence), maxEvidence))
		for _, e := range a.evidence[:min(len(a.evidence), maxEvidence)] {
			ev = append(ev, *e)
		}
		ans.Propositions = append(ans.Propositions, Proposition{
			CauseID: c.ID, Category: c.Category, Title: c.Title, Fix: c.Fix, Docs: c.Docs,
			Score: round3(score), Evidence: ev, Features: f,
		})
	}
	rankFirstCompileError(ans.Propositions)
	rankWrappersLast(ans.Propositions)
	slices.SortFunc(ans.Propositions, func(x, y Proposition) int {
		if x.Score != y.Score {
			if x.Score > y.Score {
				return -1
			}
			return 1
		}
		// Ties: the earlier proving line wins (later lines tend to echo it), then the id.
		if x.Features.FirstLine != y.Features.FirstLine {
			return x.Features.FirstLine - y.Features.FirstLine
		}
		return strings.Compare(x.CauseID, y.CauseID)
	})
	if len(ans.Propositions) > s.e.opts.Top {
		ans.Propositions = ans.Propositions[:s.e.opts.Top]
	}
	if len(ans.Propositions) == 0 {
		ans.Propositions = []Proposition{s.unknown()}
	}
	ans.SetCategoryAndConfidence()
	return ans
}

// categoryCompile is the category of the errors a compiler reports.
const categoryCompile = "compile"

// clearlyMoreSpecific is how much more weight (specificity) a later compile error of a step
// needs to rank above the step's first one (rankFirstCompileError): 0.1 is a step of the
// weight guide, a broad message (0.5) under a specific one (0.6 and up), while two specific
// error codes (0.85 and 0.9) are alike.
const clearlyMoreSpecific = 0.1

// rankFirstCompileError ranks a step's first compile error above its later ones. A compiler
// goes on after its first error, and what it reports next is often a consequence of it (a
// type not found, then every use of it; a value of the wrong type, then a field it lacks) or
// has the same cause (a toolchain older than the code: one feature refused, then another), so
// the first error is the one the reader should start from. Position in the score says the
// opposite (late lines tend to be the failure, which holds between steps, not within one
// compiler run), and between two equally specific errors of one run it alone decided. So a
// later error taken for a consequence of an earlier one (compileConsequence) scores 0.001
// below it. Wrappers are left to rankWrappersLast, which runs after.
func rankFirstCompileError(props []Proposition) {
	var idx []int
	for i := range props {
		if props[i].Category == categoryCompile && !IsWrapper(props[i].Features.Weight) {
			idx = append(idx, i)
		}
	}
	if len(idx) < 2 {
		return
	}
	slices.SortStableFunc(idx, func(x, y int) int { return props[x].Features.FirstLine - props[y].Features.FirstLine })
	for j, bi := range idx {
		for _, ai := range idx[:j] { // earlier ones are final: they only move under those before them
			if a, b := &props[ai], &props[bi]; compileConsequence(a, b) && b.Score >= a.Score {
				b.Score = round3(max(0, a.Score-0.001))
			}
		}
	}
}

// compileConsequence says later is taken for a consequence of first (rankFirstCompileError):
// both are compile errors that are no wrappers, of one ecosystem (one knowledge-base file: a
// C error that make -k ignored, or an optional extension pip gave up on, is no cause of a Go
// error after it, and a log without step markers is one step), proved in the same step and on
// the same side of the job's outcome (Features.Outside), later's first proving line comes
// after first's, and
// later is not clearly more specific (clearlyMoreSpecific): a specific error after a broad one
// still wins, as it says more about the same failure. Causes proved on the same line are no
// consequence of each other (the more specific one wins on its score).
func compileConsequence(first, later *Proposition) bool {
	f, l := &first.Features, &later.Features
	return first.Category == categoryCompile && later.Category == categoryCompile &&
		!IsWrapper(f.Weight) && !IsWrapper(l.Weight) && f.Ecosystem == l.Ecosystem &&
		f.Step == l.Step && f.Outside == l.Outside && l.FirstLine > f.FirstLine &&
		l.Weight < f.Weight+clearlyMoreSpecific-1e-9
}

// rankWrappersLast orders the propositions' scores so that what says what failed comes first.
// Three rules, in this order:
//
//  1. A wrapper that is not a CI's verdict ("make: *** [all] Error 2", a Python traceback's
//     header: weight under genericWeight) scores below the best cause that says what failed
//     and stands where it does: proved in the failed step when it was, anywhere when it was
//     proved only outside. A wrapper of the failed step echoes that step's error, not an error
//     of a step that did not fail the job, so it is not pushed under an outside cause.
//  2. Among the causes that are not a CI's verdict, one proved in the failed step ranks above
//     every one proved only outside it (Features.Outside): a cause that did not fail the job
//     is no better answer than one that did, however specific. Logs without step markers have
//     nothing outside.
//  3. A CI's verdict (category unknown) scores below the best cause that is not one: it only
//     says that a step failed, and an answer topped by one says "unknown" with the fallback's
//     confidence (wrapperOnly). Without it, a specific cause discounted as outside (or one
//     proved early in a long log) fell below the verdict on the step it ran in, and the
//     answer was "unknown 0.10" though the log named the cause.
//
// A cause moved down scores 0.001 below the one it must follow; it keeps its evidence.
func rankWrappersLast(props []Proposition) {
	below := func(p *Proposition, ceiling float64) {
		if !math.IsInf(ceiling, 0) && p.Score >= ceiling {
			p.Score = round3(max(0, ceiling-0.001))
		}
	}
	// 1. Wrappers that are not verdicts, below the best cause that says what failed where
	// they stand.
	bestInside, bestAny := math.Inf(-1), math.Inf(-1)
	for i := range props {
		if p := &props[i]; !IsWrapper(p.Features.Weight) {
			bestAny = max(bestAny, p.Score)
			if !p.Features.Outside {
				bestInside = max(bestInside, p.Score)
			}
		}
	}
	for i := range props {
		if p := &props[i]; IsWrapper(p.Features.Weight) && !isVerdict(p.Category) {
			if p.Features.Outside {
				below(p, bestAny)
			} else {
				below(p, bestInside)
			}
		}
	}
	// 2. Outside causes below the lowest inside one (verdicts aside).
	lowestInside := math.Inf(1)
	for i := range props {
		if p := &props[i]; !isVerdict(p.Category) && !p.Features.Outside {
			lowestInside = min(lowestInside, p.Score)
		}
	}
	bestOutside := math.Inf(-1)
	for i := range props {
		if p := &props[i]; !isVerdict(p.Category) && p.Features.Outside {
			below(p, lowestInside)
			if !IsWrapper(p.Features.Weight) {
				bestOutside = max(bestOutside, p.Score)
			}
		}
	}
	for i := range props { // rule 1 again for outside wrappers the cap put level with a cause
		if p := &props[i]; !isVerdict(p.Category) && p.Features.Outside && IsWrapper(p.Features.Weight) {
			below(p, bestOutside)
		}
	}
	// 3. Verdicts below the best of the rest.
	best := math.Inf(-1)
	for i := range props {
		if p := &props[i]; !isVerdict(p.Category) {
			best = max(best, p.Score)
		}
	}
	for i := range props {
		if p := &props[i]; isVerdict(p.Category) {
			below(p, best)
		}
	}
}

// suspects returns the latest confirmed error-ish lines (CI wrappers included), oldest first.
func (s *scan) suspects() []ringLine {
	var out []ringLine
	for _, l := range latest(s.errorishLines[:], s.errorishLen, s.errorishNext, maxErrorish) {
		if l.ciError && verdictOf(l.text, lineCIError) == verdictSuccess {
			continue // "The command "x" exited with 0."
		}
		if l.ciError || isSuspect(l.text) {
			out = append(out, l)
		}
	}
	return out[max(0, len(out)-maxSuspects):]
}

// suspectsBefore returns up to n of the latest error-ish lines (not CI wrappers) before line.
func (s *scan) suspectsBefore(line, n int) []*Evidence {
	var out []*Evidence
	for _, l := range s.suspects() {
		if l.line < line && !l.ciError {
			out = append(out, &Evidence{Line: l.line, Text: clip(l.text)})
		}
	}
	return out[max(0, len(out)-n):]
}

func (s *scan) lastAFor(pi int, b *Evidence) *Evidence {
	if a := s.lastA[pi]; a != nil && a.Line < b.Line {
		return a
	}
	return b
}

// unknown builds the fallback proposition: the latest error-ish lines, preferring the tool's
// own words over the CI's "exit code 1" wrapper; the last lines when nothing looks like an error.
func (s *scan) unknown() Proposition {
	sus := s.suspects()
	picked := s.stepEvidence(sus, maxEvidence)
	slices.SortFunc(picked, func(a, b Evidence) int { return a.Line - b.Line })
	for _, l := range sus {
		if picked != nil {
			break
		}
		if !l.ciError {
			picked = append(picked, Evidence{Line: l.line, Text: clip(l.text)})
		}
	}
	if len(picked) == 0 {
		for _, l := range sus {
			picked = append(picked, Evidence{Line: l.line, Text: clip(l.text)})
		}
	}
	if len(picked) == 0 {
		for _, l := range latest(s.ring, s.ringLen, s.ringPos, lastLinesShown) {
			picked = append(picked, Evidence{Line: l.line, Text: clip(l.text)})
		}
	}
	if len(picked) > maxEvidence {
		picked = picked[len(picked)-maxEvidence:]
	}
	if picked == nil {
		picked = []Evidence{}
	}
	return Proposition{
		CauseID:  CategoryUnknown,
		Category: CategoryUnknown,
		Title:    "No known cause matched; these are the most suspicious lines",
		Fix: []string{
			"Read the evidence lines: the first of them is usually the real error.",
			"If this failure recurs, add a cause for it to a knowledge-base file and load it with --kb DIR (see docs/knowledge-base.md).",
		},
		Score:    unknownScore,
		Evidence: picked,
	}
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// index32 narrows a table index to the int32 the engine's tables use. A knowledge base with
// 2^31 patterns, regexps or literals cannot be held in memory, so past that is a bug, not input.
func index32(i int) int32 {
	if i < 0 || i > math.MaxInt32 {
		panic(fmt.Sprintf("cifailure: table index %d out of int32 range", i))
	}
	return int32(i)
}
