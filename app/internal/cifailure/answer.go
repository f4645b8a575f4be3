package cifailure

// Answer is what the proposer says about one log. Its JSON is part of the API.
type Answer struct {
	Category     string        `json:"category"`   // the first proposition's category
	Confidence   float64       `json:"confidence"` // 0..1: the top score, discounted when the runner-up is close
	Propositions []Proposition `json:"propositions"`
	Lines        int           `json:"lines"`   // lines in the (decompressed) log
	Bytes        int64         `json:"bytes"`   // bytes in the (decompressed) log
	TookMS       float64       `json:"took_ms"` // classification time
}

// Proposition is one candidate cause with the lines that prove it and what to do.
type Proposition struct {
	CauseID  string     `json:"cause_id"`
	Category string     `json:"category"`
	Title    string     `json:"title"`
	Fix      []string   `json:"fix"`
	Docs     string     `json:"docs,omitempty"`
	Score    float64    `json:"score"`
	Evidence []Evidence `json:"evidence"`

	// Features explain the score; the ranking feeder stores and learns from them.
	Features Features `json:"-"`
}

// Evidence is one proving line, numbered as in the original log (1-based), with a little
// normalised context around it.
type Evidence struct {
	Line   int      `json:"line"`
	Text   string   `json:"text"`
	Before []string `json:"before,omitempty"`
	After  []string `json:"after,omitempty"`
}

// Features are the inputs of a proposition's score, kept for learning to rank.
type Features struct {
	Weight        float64 // the cause's specificity
	Evidence      float64 // strength of the matched patterns, 0..1
	Position      float64 // first proving line / lines
	PatternsHit   int     // distinct patterns of the cause that matched
	Multiline     bool    // a then/all pattern was satisfied
	EvidenceLines int
	FirstLine     int
	Outside       bool   // proved only in steps that did not fail the job: the score is discounted
	Step          int    // the step (command, CI step) of FirstLine, counted from the log's start
	Ecosystem     string // the cause's knowledge-base file's ecosystem (not a score input)
}

// SetCategoryAndConfidence sets the answer's category and confidence from its propositions in
// their present order: the first one's category, and its score discounted by up to a quarter
// when a rival scores within 0.15 of it (two causes fit the log about equally; rivalMargin says
// which lower propositions are rivals). An answer that does not know what failed (wrapperOnly)
// has at most the no-match fallback's confidence. The engine calls it on its own order; a
// server that re-orders the propositions calls it again, so that the answer never names one
// cause's category with another's confidence. A rival scoring above the first (a re-ordered
// answer) takes the whole quarter.
func (a *Answer) SetCategoryAndConfidence() {
	if len(a.Propositions) == 0 {
		return
	}
	a.Category = a.Propositions[0].Category
	a.Confidence = round3(a.Propositions[0].Score * (0.75 + 0.25*rivalMargin(a.Propositions)))
	if wrapperOnly(a.Propositions) {
		a.Confidence = min(a.Confidence, wrapperConfidence)
	}
}

// wrapperConfidence is the most confidence an answer that does not know what failed may have
// (wrapperOnly): the no-match fallback's. A CI's verdict ("Process completed with exit code
// 1") is in every failed log and a wrapper ("make: *** [all] Error 2") in most of one tool's,
// so neither adds to what the fallback knows; the failed step's lines they show are what the
// fallback shows. They used to answer "unknown (confidence 0.41)" beside the fallback's 0.10.
const wrapperConfidence = unknownScore

// IsWrapper reports whether a cause of this weight (specificity) is a generic wrapper: a line
// that echoes every failure ("make: *** [all] Error 2", a CI runner's "Process completed with
// exit code 1") and says that something failed, not what. Knowledge-base causes of category
// unknown are always wrappers (Cause.Validate).
func IsWrapper(weight float64) bool { return weight < genericWeight }

// isVerdict says a proposition or cause of this category is a CI's verdict on a step ("Process
// completed with exit code 1", "ERROR: Job failed: exit code 1", "Finished: FAILURE") or the
// no-match fallback: category unknown. Either says that a step failed, not what failed, so it
// ranks below every other cause (rankWrappersLast), shows the failed step's lines
// (verdictEvidence) and, on top, leaves the answer unsure (wrapperOnly). Cause.Validate admits
// the category only at wrapper weight, so a verdict is always a wrapper too.
func isVerdict(category string) bool { return category == CategoryUnknown }

// rivalMargin is how clearly the top proposition beats its closest rival, 0..1 (1 = by 0.15 or
// more, or no rival). A proposition that ranks lower is a rival unless it is a wrapper (it
// echoes the failure), it was proved only where the job did not fail while the top was not
// (outside), or it is both earlier and less specific than the top in the same step: a broad
// message logged before the top's specific one (a "connection refused" logged by a test
// package that passed, before "--- FAIL:") is noise the failing tool printed on its way, not
// another explanation. Nor is a later compile error of the top's step that ranks below it as
// its consequence (compileConsequence): the compiler went on after the top's error. An earlier
// step's cause is a rival whatever its weight: that step failed too, or its cause would be
// outside.
func rivalMargin(props []Proposition) float64 {
	top := props[0].Features
	for _, p := range props[1:] {
		f := p.Features
		switch {
		case IsWrapper(f.Weight),
			f.Outside && !top.Outside,
			f.FirstLine < top.FirstLine && f.Weight < top.Weight && f.Step == top.Step,
			compileConsequence(&props[0], &p):
			continue
		}
		return max(0, min(1, (props[0].Score-p.Score)/0.15))
	}
	return 1
}

// wrapperOnly says the answer does not know what failed: its top is a CI's verdict (category
// unknown) or a wrapper, so nothing ranked above a wrapper says what failed. (The engine ranks
// a wrapper first only when no cause that says what failed was proved where it was: a
// Python traceback's header in the failed step tops a cause of a step that did not fail, and
// that cause does not make the traceback's header say more.)
func wrapperOnly(props []Proposition) bool {
	return isVerdict(props[0].Category) || IsWrapper(props[0].Features.Weight)
}
