package ranking

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Metrics are ranking quality figures over a set of requests.
type Metrics struct {
	NDCG1 float64 `json:"ndcg@1"`
	NDCG3 float64 `json:"ndcg@3"`
	MRR   float64 `json:"mrr"`
}

// Report compares a model with the proposers' own order on the same requests.
type Report struct {
	From         time.Time `json:"from"` // first held-out request
	Until        time.Time `json:"until"`
	Queries      int       `json:"queries"`       // requests with feedback that tells propositions apart (NDCG)
	MRRQueries   int       `json:"mrr_queries"`   // requests with an accepted proposition (MRR)
	Static       Metrics   `json:"static"`        // the proposer's order
	Model        Metrics   `json:"model"`         // the model's order
	ModelVersion string    `json:"model_version"` // "" for a model not yet stored
}

// Evaluate scores m (nil: the static order only) against the proposers' order on queries.
// NDCG uses gain 2^label − 1 and only requests whose labels differ (the rest rank equally
// under any order); MRR is 1 / the rank of the first accepted proposition, over requests with
// one.
func Evaluate(m *Model, queries []*Query) Report {
	var r Report
	var static, model Metrics
	for _, q := range queries {
		if len(q.Labels) == 0 {
			continue
		}
		if r.From.IsZero() || q.At.Before(r.From) {
			r.From = q.At
		}
		if q.At.After(r.Until) {
			r.Until = q.At
		}
		identity := make([]int, len(q.Labels))
		for i := range identity {
			identity[i] = i
		}
		order := identity
		if m != nil {
			order = m.Order(q.X)
		}
		if slices.Min(q.Labels) != slices.Max(q.Labels) {
			r.Queries++
			static.NDCG1 += ndcg(q.Labels, identity, 1)
			static.NDCG3 += ndcg(q.Labels, identity, 3)
			model.NDCG1 += ndcg(q.Labels, order, 1)
			model.NDCG3 += ndcg(q.Labels, order, 3)
		}
		if slices.Contains(q.Labels, LabelAccepted) {
			r.MRRQueries++
			static.MRR += reciprocalRank(q.Labels, identity)
			model.MRR += reciprocalRank(q.Labels, order)
		}
	}
	if r.Queries > 0 {
		n := float64(r.Queries)
		static.NDCG1, static.NDCG3, model.NDCG1, model.NDCG3 = static.NDCG1/n, static.NDCG3/n, model.NDCG1/n, model.NDCG3/n
	}
	if r.MRRQueries > 0 {
		static.MRR /= float64(r.MRRQueries)
		model.MRR /= float64(r.MRRQueries)
	}
	r.Static = static
	r.Model = static
	if m != nil {
		r.Model = model
		r.ModelVersion = m.Version
	}
	return r
}

func dcg(labels []int, order []int, k int) float64 {
	s := 0.0
	for i := 0; i < k && i < len(order); i++ {
		s += (math.Pow(2, float64(labels[order[i]])) - 1) / math.Log2(float64(i)+2)
	}
	return s
}

func ndcg(labels []int, order []int, k int) float64 {
	ideal := make([]int, len(labels))
	for i := range ideal {
		ideal[i] = i
	}
	sort.SliceStable(ideal, func(a, b int) bool { return labels[ideal[a]] > labels[ideal[b]] })
	best := dcg(labels, ideal, k)
	if best == 0 {
		return 1
	}
	return dcg(labels, order, k) / best
}

func reciprocalRank(labels []int, order []int) float64 {
	for i, c := range order {
		if labels[c] == LabelAccepted {
			return 1 / float64(i+1)
		}
	}
	return 0
}

// SplitByTime splits queries (in time order) into the first (1−holdout) and the rest.
func SplitByTime(queries []*Query, holdout float64) (train, test []*Query) {
	sorted := slices.Clone(queries)
	slices.SortStableFunc(sorted, func(a, b *Query) int { return a.At.Compare(b.At) })
	cut := int(math.Round(float64(len(sorted)) * (1 - holdout)))
	cut = max(0, min(len(sorted), cut))
	return sorted[:cut], sorted[cut:]
}
