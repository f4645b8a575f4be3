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
}

// SetCategoryAndConfidence sets the answer's category and confidence from its propositions in
// their present order: the first one's category, and its score discounted by up to a quarter
// when the runner-up scores within 0.15 of it (two causes fit the log about equally). The
// engine calls it on its own order; a server that re-orders the propositions calls it again,
// so that the answer never names one cause's category with another's confidence. A runner-up
// scoring above the first (a re-ordered answer) takes the whole quarter.
func (a *Answer) SetCategoryAndConfidence() {
	if len(a.Propositions) == 0 {
		return
	}
	top := a.Propositions[0].Score
	margin := 1.0
	if len(a.Propositions) > 1 {
		margin = max(0, min(1, (top-a.Propositions[1].Score)/0.15))
	}
	a.Category = a.Propositions[0].Category
	a.Confidence = round3(top * (0.75 + 0.25*margin))
}

// IsWrapper reports whether a cause of this weight (specificity) is a generic wrapper: a line
// that echoes every failure ("make: *** [all] Error 2", a CI runner's "Process completed with
// exit code 1") and says that something failed, not what. Knowledge-base causes of category
// unknown are always wrappers (Cause.Validate).
func IsWrapper(weight float64) bool { return weight < genericWeight }
