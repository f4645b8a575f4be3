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
