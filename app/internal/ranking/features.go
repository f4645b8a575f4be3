// Package ranking is the ML ranking feeder: it turns what the logging pipeline stored
// (requests, their propositions with feature vectors, and feedback) into learning-to-rank
// data, exports it for external rankers (svmlight with qid:, or JSON lines), trains a built-in
// pairwise linear model, keeps versioned models in PostgreSQL, and re-ranks propositions with
// the newest model at serve time, falling back to the proposers' own order.
//
// It only reads what the pipeline wrote, plus its own ranking_models table.
package ranking

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
)

// The request kinds a ranker exists for; each has its own feature space and model.
const (
	KindCIExplain = pipeline.KindCIExplain
	KindSpamCheck = pipeline.KindSpamCheck
)

// Kinds lists the rankable kinds.
var Kinds = []string{KindCIExplain, KindSpamCheck}

// Feature is one column of the feature vector. docs/ranking.md mirrors these texts.
type Feature struct {
	Name string
	Doc  string
}

// Features shared by both kinds: the proposer's own judgement and what feedback taught so far.
var (
	proposerFeatures = []Feature{
		{"proposer_score", "the proposer's own score of this proposition (CI: weighted sum of specificity, evidence and position; spam: the reason's spam probability)"},
		{"proposer_rank_inv", "1 / the proposition's rank in the proposer's own order (1, 0.5, 0.33 …)"},
		{"score_gap_top", "the top proposition's proposer_score minus this one's (0 for the top one)"},
	}
	historyFeatures = []Feature{
		{"cause_accept_rate", "smoothed share of accepted feedback for this cause, over every repository, before the request: (accepted + 5·kind_rate) / (accepted + rejected + 5)"},
		{"cause_feedback_log", "log(1 + pieces of accepted or rejected feedback on this cause before the request)"},
		{"cause_repo_accept_rate", "the same rate for this cause in this repository, smoothed towards cause_accept_rate: (accepted + 5·cause_accept_rate) / (n + 5)"},
		{"cause_repo_feedback_log", "log(1 + pieces of feedback on this cause in this repository before the request)"},
		{"category_accept_rate", "smoothed acceptance rate of the proposition's category (CI: e.g. dependency, test, infra) before the request"},
		{"cause_repo_recency", "recency of the last acceptance of this cause in this repository: 1 / (1 + days since it), 0 when never accepted there"},
	}
)

// FeatureSet lists the features of a kind, in vector (and svmlight index) order.
func FeatureSet(kind string) []Feature {
	var own []Feature
	switch kind {
	case KindCIExplain:
		own = []Feature{
			{"weight", "the cause's specificity from the knowledge base (0..1; generic wrappers are below 0.35)"},
			{"evidence", "strength of the matched patterns (0.5 one pattern, 0.75 a multi-line pattern, +0.25 per extra pattern, at most 1)"},
			{"position", "first proving line / lines in the log (failures tend to sit near the end)"},
			{"patterns_hit", "distinct patterns of the cause that matched"},
			{"multiline", "1 when a multi-line (then/all) pattern was satisfied"},
			{"evidence_lines_log", "log(1 + proving lines shown)"},
			{"log_lines_log", "log(1 + lines in the log)"},
			{"log_bytes_log2", "log2(1 + bytes in the log)"},
		}
	case KindSpamCheck:
		own = []Feature{
			{"spam_score", "the whole text's spam score (noisy-OR of every reason)"},
			{"span_bytes_log", "log(1 + bytes of the text this reason points at)"},
			{"text_bytes_log", "log(1 + bytes of the text)"},
			{"author_known", "1 when the request carried author signals"},
			{"author_account_age_log", "log(1 + the author's account age in days), 0 when unknown"},
			{"author_contributions_log", "log(1 + the author's prior contributions), 0 when unknown"},
		}
	default:
		return nil
	}
	out := slices.Concat(proposerFeatures, own, historyFeatures)
	return out
}

// FeatureNames are the names of FeatureSet(kind).
func FeatureNames(kind string) []string {
	fs := FeatureSet(kind)
	if fs == nil {
		return nil
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return names
}

// ValidKind reports whether kind has a ranker.
func ValidKind(kind string) bool { return slices.Contains(Kinds, kind) }

// Candidate is one proposition as the pipeline stores it.
type Candidate struct {
	CauseID  string
	Category string
	Score    float64            // the proposer's score
	Rank     int                // the rank it was served at (1-based)
	Stored   map[string]float64 // the stored feature vector (propositions.features)
}

// Query is one answered request and its propositions, in the proposers' own order, with the
// vectors and labels the ranker learns from.
type Query struct {
	QID           int64
	RequestID     uuid.UUID
	Kind          string
	Repo          string
	At            time.Time
	RankerVersion string      // the model that ordered the served answer, "" for the proposer
	Cands         []Candidate // in the proposer's order
	X             [][]float64 // one vector per candidate, FeatureNames(Kind) order
	Labels        []int       // LabelAccepted, LabelNone or LabelRejected per candidate
}

// Labels: graded relevance for lambdarank/NDCG (gain 2^label − 1).
const (
	LabelRejected = 0
	LabelNone     = 1
	LabelAccepted = 2
)

// Label turns the feedback on one proposition into its relevance: accepted > no feedback >
// rejected. accepted and rejected count actors, each by their latest outcome (the store's
// latestPerActor). Disagreeing actors are a majority vote; a tie counts as no feedback.
func Label(accepted, rejected int) int {
	switch {
	case accepted > rejected:
		return LabelAccepted
	case rejected > accepted:
		return LabelRejected
	}
	return LabelNone
}

// proposerOrder sorts candidates into the order the proposer itself gave: a re-ranked answer
// was stored in the model's order, but the static baseline and proposer_rank_inv must not
// depend on an earlier model. It mirrors cifailure (score, then earlier first line, then id)
// and spam (weight, stable).
func proposerOrder(kind string, cands []Candidate) {
	slices.SortStableFunc(cands, func(a, b Candidate) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		if kind == KindCIExplain {
			if d := a.Stored["first_line"] - b.Stored["first_line"]; d != 0 {
				if d < 0 {
					return -1
				}
				return 1
			}
			return strings.Compare(a.CauseID, b.CauseID)
		}
		return a.Rank - b.Rank
	})
}

// vectors computes the feature vectors of q's candidates (already in proposer order) with the
// feedback history h as it stood at q.At.
func vectors(q *Query, h *History) [][]float64 {
	out := make([][]float64, len(q.Cands))
	if len(q.Cands) == 0 {
		return out
	}
	top := q.Cands[0].Score
	for i, c := range q.Cands {
		s := c.Stored
		x := []float64{c.Score, 1 / float64(i+1), top - c.Score}
		switch q.Kind {
		case KindCIExplain:
			x = append(x, s["weight"], s["evidence"], s["position"], s["patterns_hit"], s["multiline"],
				log1p(s["evidence_lines"]), log1p(s["log_lines"]), s["log_bytes_log2"])
		case KindSpamCheck:
			_, known := s["author_account_age_days"]
			if _, ok := s["author_prior_contributions"]; ok {
				known = true
			}
			x = append(x, s["spam_score"], log1p(s["span_bytes"]), log1p(s["text_bytes"]), b2f(known),
				log1p(s["author_account_age_days"]), log1p(s["author_prior_contributions"]))
		}
		x = append(x, h.features(q.Kind, q.Repo, c.CauseID, c.Category, q.At)...)
		for j, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				x[j] = 0 // a stored vector from a future proposer version must not poison the model
			}
		}
		out[i] = x
	}
	return out
}

func log1p(v float64) float64 {
	if v <= 0 {
		return 0
	}
	return math.Log1p(v)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
