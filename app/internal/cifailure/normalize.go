package cifailure

import "bytes"

// normalizer turns one raw log line into the text a person would read: the last carriage-return
// frame of a progress line, without ANSI escapes, timestamps or CI framing. It reuses one
// buffer, so the returned slice is valid until the next call.
type normalizer struct {
	buf  []byte
	mark stepMark // what the line says about steps (step.go), markNone for most lines
}

// lineKind tells the engine what a normalised line is.
type lineKind uint8

const (
	lineText    lineKind = iota
	lineFraming          // CI bookkeeping only (##[endgroup], [Pipeline] }, section_end): not matched
	lineCIError          // the CI's own error marker (##[error], ERROR: Job failed): error-ish
)

func (n *normalizer) normalize(raw []byte) ([]byte, lineKind) {
	n.mark = markNone
	line := raw
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}

	// A progress bar redraws with \r: what stays on screen is the last non-empty frame.
	// GitLab and Travis also put their section markers before a \r.
	if i := bytes.LastIndexByte(line, '\r'); i >= 0 {
		if bytes.Contains(line, sectionPrefix) { // GitLab's markers end in \r and may share a line
			n.mark = sectionMark(line)
		} else if bytes.HasPrefix(line, travisFold) {
			n.mark = travisFoldMark(line)
		}
		line = lastFrame(line)
	}
	// Travis glues its fold/timer markers to the next output with an erase-line escape and no
	// newline ("travis_time:end:…\x1b[0K\x1b[31;1mThe command …"): keep what follows it.
	if len(line) > 0 && framingFirst[line[0]] && (bytes.HasPrefix(line, travisFold) || bytes.HasPrefix(line, travisTime)) {
		if n.mark == markNone {
			n.mark = travisFoldMark(line)
		}
		if i := bytes.Index(line, eraseLine); i >= 0 {
			line = line[i+len(eraseLine):]
		}
	}
	if bytes.IndexByte(line, 0x1b) >= 0 {
		line = n.stripANSI(line)
	}
	line = stripRunLogPrefix(line)
	line = stripTimestamp(line)
	return n.stripFraming(line)
}

func lastFrame(line []byte) []byte {
	for {
		i := bytes.LastIndexByte(line, '\r')
		if i < 0 {
			return line
		}
		if frame := line[i+1:]; len(bytes.TrimSpace(stripControlOnly(frame))) > 0 {
			return frame
		}
		line = line[:i]
	}
}

// stripControlOnly reports the frame without a leading erase-line escape (ESC [ 0 K), which
// GitLab and Travis print after their markers and which alone does not make a frame visible.
func stripControlOnly(frame []byte) []byte {
	for bytes.HasPrefix(frame, []byte("\x1b[0K")) || bytes.HasPrefix(frame, []byte("\x1b[K")) {
		frame = frame[bytes.IndexByte(frame, 'K')+1:]
	}
	return frame
}

// stripANSI removes CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), charset designations
// (ESC ( B) and other two-byte escapes. The text between escapes is copied in runs.
func (n *normalizer) stripANSI(line []byte) []byte {
	out := n.buf[:0]
	for {
		i := bytes.IndexByte(line, 0x1b)
		if i < 0 {
			out = append(out, line...)
			break
		}
		out = append(out, line[:i]...)
		line = line[i+1:] // what follows ESC
		if len(line) == 0 {
			break
		}
		skip := 1
		switch line[0] {
		case '[':
			for skip < len(line) && (line[skip] < 0x40 || line[skip] > 0x7e) {
				skip++
			}
			skip++ // the final byte
		case ']':
			for skip < len(line) {
				if line[skip] == 0x07 {
					skip++
					break
				}
				if line[skip] == 0x1b && skip+1 < len(line) && line[skip+1] == '\\' {
					skip += 2
					break
				}
				skip++
			}
		case '(', ')', '*', '+':
			skip = 2 // charset designation, e.g. ESC ( B from `tput sgr0`: three bytes in all
		}
		line = line[min(skip, len(line)):]
	}
	n.buf = out
	return out
}

// stripRunLogPrefix removes the "job<TAB>step<TAB>" columns that `gh run view --log` puts
// before each GitHub Actions line (recognised by the timestamp after them).
func stripRunLogPrefix(line []byte) []byte {
	first := bytes.IndexByte(line[:min(len(line), 201)], '\t') // the job column is short
	if first < 0 {
		return line
	}
	second := bytes.IndexByte(line[first+1:], '\t')
	if second < 0 {
		return line
	}
	rest := line[first+1+second+1:]
	if len(rest) >= 20 && isDigit(rest[0]) && rest[4] == '-' && rest[10] == 'T' {
		return rest
	}
	return line
}

// stripTimestamp removes a leading ISO-8601 timestamp (GitHub Actions, GitLab, Jenkins
// timestamper in brackets) and GitLab's stream marker after it ("00O ", "01E+ ").
func stripTimestamp(line []byte) []byte {
	rest := line
	bracketed := len(rest) > 0 && rest[0] == '['
	if bracketed {
		rest = rest[1:]
	}
	if len(rest) < 20 || rest[4] != '-' || rest[7] != '-' || (rest[10] != 'T' && rest[10] != ' ') || !isDigit(rest[0]) {
		return line
	}
	end := 19
	for end < len(rest) && end < 40 && rest[end] != ' ' && rest[end] != ']' {
		end++
	}
	if end >= len(rest) || end == 40 {
		return line
	}
	if bracketed {
		if rest[end] != ']' {
			return line
		}
		end++
	}
	// One space separates the timestamp from the line (GitHub Actions, GitLab, Jenkins'
	// timestamper); more are the line's own indentation, which patterns and proving lines keep.
	rest = bytes.TrimPrefix(rest[end:], []byte(" "))
	// GitLab: "00O " / "01E " / "00O+ " stream markers.
	if len(rest) >= 4 && isDigit(rest[0]) && isDigit(rest[1]) && (rest[2] == 'O' || rest[2] == 'E') {
		if rest[3] == ' ' {
			rest = rest[4:]
		} else if rest[3] == '+' && len(rest) >= 5 && rest[4] == ' ' {
			rest = rest[5:]
		}
	}
	return rest
}

var (
	ghaPrefix     = []byte("##[")
	pipelinePref  = []byte("[Pipeline] ")
	sectionStart  = []byte("section_start:")
	sectionEnd    = []byte("section_end:")
	sectionPrefix = []byte("section_")
	ghaRun        = []byte("Run ")
	travisFold    = []byte("travis_fold:")
	travisTime    = []byte("travis_time:")
	// Travis folds the commands of after_failure and after_script ("travis_fold:start:
	// after_failure.1" … "travis_fold:end:after_failure.1").
	travisAfterFailure = []byte("start:after_failure")
	travisAfterScript  = []byte("start:after_script")
	travisAfterEnd     = []byte("end:after_")
	ghaCommand         = []byte("::")
	ghaErrorMark       = []byte("error]")
	gitlabJobFail      = []byte("ERROR: Job failed")
	eraseLine          = []byte("\x1b[0K")
	travisCommand      = []byte("The command \"")
	travisDone         = []byte("Done. Your build exited with")
)

// framingFirst marks the first bytes of the markers stripFraming knows. Most log lines start
// with none of them, and one look-up instead of ten prefix tests was 7% of a large log's time.
var framingFirst = firstBytes(ghaPrefix, ghaCommand, pipelinePref, sectionStart, sectionEnd,
	travisFold, travisTime, gitlabJobFail, travisDone, travisCommand)

// firstBytes is a table of the first bytes of markers: one look-up tells that a line can start
// with none of them.
func firstBytes(markers ...[]byte) (t [256]bool) {
	for _, m := range markers {
		t[m[0]] = true
	}
	return t
}

func (n *normalizer) stripFraming(line []byte) ([]byte, lineKind) {
	if len(line) == 0 || !framingFirst[line[0]] {
		return line, lineText
	}
	switch {
	case bytes.HasPrefix(line, ghaPrefix):
		end := bytes.IndexByte(line, ']')
		if end < 0 {
			return line, lineText
		}
		marker := line[3:end]
		rest := line[end+1:]
		switch string(marker) {
		case "endgroup":
			n.mark = markGroupEnd
			return nil, lineFraming
		case "error":
			return rest, lineCIError
		case "group":
			if bytes.HasPrefix(rest, ghaRun) {
				n.mark = markStepEcho // the step's header: "Run <command>"
			}
		}
		return rest, lineText
	case bytes.HasPrefix(line, ghaCommand):
		// Workflow commands: ::group::Title, ::endgroup::, ::error file=x,line=1::message
		end := bytes.Index(line[2:], ghaCommand)
		if end < 0 {
			return line, lineText
		}
		cmd := line[2 : 2+end]
		rest := line[2+end+2:]
		if bytes.HasPrefix(cmd, []byte("endgroup")) {
			return nil, lineFraming
		}
		if bytes.HasPrefix(cmd, ghaErrorMark[:5]) {
			return rest, lineCIError
		}
		return rest, lineText
	case bytes.HasPrefix(line, pipelinePref):
		n.mark = pipelineMark(line[len(pipelinePref):])
		return line[len(pipelinePref):], lineFraming
	case bytes.HasPrefix(line, sectionStart), bytes.HasPrefix(line, sectionEnd):
		if n.mark == markNone {
			n.mark = sectionMark(line)
		}
		return nil, lineFraming
	case bytes.HasPrefix(line, travisFold):
		if n.mark == markNone {
			n.mark = travisFoldMark(line)
		}
		return nil, lineFraming
	case bytes.HasPrefix(line, travisTime):
		return nil, lineFraming
	case bytes.HasPrefix(line, gitlabJobFail), bytes.HasPrefix(line, travisDone),
		bytes.HasPrefix(line, travisCommand) && bytes.Contains(line, []byte("\" exited with ")):
		return line, lineCIError
	}
	return line, lineText
}

// travisFoldMark reads a Travis fold marker: after_failure's and after_script's commands run
// once the job's outcome is known ("travis_fold:start:after_failure.1" …
// "travis_fold:end:after_failure.1"), and do not decide it.
func travisFoldMark(line []byte) stepMark {
	switch rest := line[len(travisFold):]; {
	case bytes.HasPrefix(rest, travisAfterFailure), bytes.HasPrefix(rest, travisAfterScript):
		return markTravisAfter
	case bytes.HasPrefix(rest, travisAfterEnd):
		return markAfterScriptEnd
	}
	return markNone
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// NormalizeLine returns a raw log line as the engine sees it (for evaluation against labelled
// data, which quotes raw lines).
func NormalizeLine(raw string) string {
	var n normalizer
	text, _ := n.normalize([]byte(raw))
	return string(text)
}
