package ranking

import "time"

// History is what feedback taught up to some moment: acceptance counts per kind, cause,
// cause × repository and category. Export and training replay feedback into it in time order,
// so a request only ever sees the feedback given before it (no label leaks into its own
// features); serving loads it whole from the database.
type History struct {
	byKind      map[string]*tally
	byCause     map[causeKey]*tally
	byCauseRepo map[causeRepoKey]*tally
	byCategory  map[causeKey]*tally
}

type tally struct {
	accepted, rejected float64
	lastAccepted       time.Time
}

type causeKey struct{ kind, id string }
type causeRepoKey struct{ kind, id, repo string }

// smoothing is the weight, in pieces of feedback, of the prior a rate is pulled towards: a
// cause accepted once out of one is not a sure thing.
const smoothing = 5

// NewHistory returns an empty History.
func NewHistory() *History {
	return &History{
		byKind:      map[string]*tally{},
		byCause:     map[causeKey]*tally{},
		byCauseRepo: map[causeRepoKey]*tally{},
		byCategory:  map[causeKey]*tally{},
	}
}

// Outcome weights: accepted counts for, rejected and false_positive against; other outcomes
// (false_negative: something was missed) say nothing about the propositions shown.
func outcomeCounts(outcome string) (accepted, rejected float64) {
	switch outcome {
	case "accepted":
		return 1, 0
	case "rejected", "false_positive":
		return 0, 1
	}
	return 0, 0
}

// Add records n pieces of feedback with the given outcome on a proposition; last is the time
// of the latest of them.
func (h *History) Add(kind, repo, causeID, category, outcome string, n float64, last time.Time) {
	a, r := outcomeCounts(outcome)
	if a == 0 && r == 0 {
		return
	}
	a, r = a*n, r*n
	for _, t := range []*tally{
		get(h.byKind, kind),
		get(h.byCause, causeKey{kind, causeID}),
		get(h.byCauseRepo, causeRepoKey{kind, causeID, repo}),
		get(h.byCategory, causeKey{kind, category}),
	} {
		t.accepted += a
		t.rejected += r
		if a > 0 && last.After(t.lastAccepted) {
			t.lastAccepted = last
		}
	}
}

func get[K comparable](m map[K]*tally, k K) *tally {
	t := m[k]
	if t == nil {
		t = &tally{}
		m[k] = t
	}
	return t
}

func rate(t *tally, prior float64) float64 {
	if t == nil {
		return prior
	}
	return (t.accepted + smoothing*prior) / (t.accepted + t.rejected + smoothing)
}

func count(t *tally) float64 {
	if t == nil {
		return 0
	}
	return t.accepted + t.rejected
}

// features are the history features (historyFeatures order) of one proposition at time at.
func (h *History) features(kind, repo, causeID, category string, at time.Time) []float64 {
	kindRate := rate(h.byKind[kind], 0.5)
	cause := h.byCause[causeKey{kind, causeID}]
	causeRate := rate(cause, kindRate)
	cr := h.byCauseRepo[causeRepoKey{kind, causeID, repo}]
	recency := 0.0
	if cr != nil && !cr.lastAccepted.IsZero() {
		days := max(0, at.Sub(cr.lastAccepted).Hours()/24)
		recency = 1 / (1 + days)
	}
	return []float64{
		causeRate,
		log1p(count(cause)),
		rate(cr, causeRate),
		log1p(count(cr)),
		rate(h.byCategory[causeKey{kind, category}], kindRate),
		recency,
	}
}
