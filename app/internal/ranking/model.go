package ranking

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/ci-agent/ci-agent/app/internal/cifailure"
)

// Model is a linear scoring function over standardised features: score = Σ w·(x − mean)/std.
// It is trained pairwise (RankNet): for every two propositions of one request with different
// labels, the loss is log(1 + exp(−(s_better − s_worse))).
type Model struct {
	Version  string    `json:"version"` // set by the store: "<kind>-<id>"
	Kind     string    `json:"kind"`
	Features []string  `json:"features"`
	Mean     []float64 `json:"mean"`
	Std      []float64 `json:"std"`
	Weights  []float64 `json:"weights"`

	TrainedFrom  time.Time    `json:"trained_from"`  // first request time in the training data
	TrainedUntil time.Time    `json:"trained_until"` // last request time in the training data
	Queries      int          `json:"queries"`       // training requests with at least one pair
	Pairs        int          `json:"pairs"`
	Options      TrainOptions `json:"options"`
	Holdout      *Report      `json:"holdout,omitempty"` // evaluation on the held-out split at training time
}

// TrainOptions tune Train. Zero values mean the defaults.
type TrainOptions struct {
	Epochs       int     `json:"epochs"`        // full passes (default 300)
	LearningRate float64 `json:"learning_rate"` // Adam step (default 0.05)
	// L2 pulls the weights towards the proposer's own order, not towards zero: with little
	// or uninformative feedback the model stays what the proposer said (default 0.05).
	L2 float64 `json:"l2"`
}

func (o TrainOptions) withDefaults() TrainOptions {
	if o.Epochs <= 0 {
		o.Epochs = 300
	}
	if o.LearningRate <= 0 {
		o.LearningRate = 0.05
	}
	if o.L2 <= 0 {
		o.L2 = 0.05
	}
	return o
}

// ErrNoPairs means the training data holds no request whose propositions got different
// labels: there is nothing to learn from yet.
var ErrNoPairs = errors.New("no request has propositions with different feedback: nothing to learn from")

// Train fits a model of kind on queries (vectors and labels filled, candidates in proposer
// order). The standardisation is over every row of queries, in two passes; a Collector trains
// the same model from a stream without holding the requests that teach nothing.
func Train(kind string, queries []*Query, opts TrainOptions) (*Model, error) {
	m, err := newModel(kind, opts)
	if err != nil {
		return nil, err
	}
	d := len(m.Features)

	// Standardise over every row, so that L2 and the learning rate mean the same for each feature.
	var rows float64
	for _, q := range queries {
		for _, x := range q.X {
			if len(x) != d {
				return nil, fmt.Errorf("request %s: vector of %d features; want %d", q.RequestID, len(x), d)
			}
			for j, v := range x {
				m.Mean[j] += v
			}
			rows++
		}
	}
	if rows == 0 {
		return nil, ErrNoPairs
	}
	for j := range m.Mean {
		m.Mean[j] /= rows
	}
	for _, q := range queries {
		for _, x := range q.X {
			for j, v := range x {
				m.Std[j] += (v - m.Mean[j]) * (v - m.Mean[j])
			}
		}
	}
	for j := range m.Std {
		m.Std[j] = math.Sqrt(m.Std[j] / rows)
	}
	return m.fit(queries)
}

// newModel is an untrained model of kind.
func newModel(kind string, opts TrainOptions) (*Model, error) {
	names := FeatureNames(kind)
	if names == nil {
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	d := len(names)
	return &Model{Kind: kind, Features: names, Mean: make([]float64, d), Std: make([]float64, d), Weights: make([]float64, d), Options: opts.withDefaults()}, nil
}

// fit learns m's weights from the pairs of queries, m.Mean and m.Std (the deviations before
// the floor for constant features) already set.
func (m *Model) fit(queries []*Query) (*Model, error) {
	opts := m.Options
	d := len(m.Features)
	for j := range m.Std {
		if m.Std[j] < 1e-9 {
			m.Std[j] = 1 // a constant feature: its weight stays at its prior
		}
	}

	type pairSet struct {
		z       [][]float64 // standardised vectors
		better  []int
		worse   []int
		queries int
	}
	var ps pairSet
	for _, q := range queries {
		base := len(ps.z)
		has := false
		for i := range q.X {
			for k := range q.X {
				if q.Labels[i] > q.Labels[k] {
					ps.better = append(ps.better, base+i)
					ps.worse = append(ps.worse, base+k)
					has = true
				}
			}
		}
		if !has {
			continue
		}
		ps.queries++
		for _, x := range q.X {
			if len(x) != d {
				return nil, fmt.Errorf("request %s: vector of %d features; want %d", q.RequestID, len(x), d)
			}
			ps.z = append(ps.z, m.standardise(x))
		}
		if m.TrainedFrom.IsZero() || q.At.Before(m.TrainedFrom) {
			m.TrainedFrom = q.At
		}
		if q.At.After(m.TrainedUntil) {
			m.TrainedUntil = q.At
		}
	}
	if len(ps.better) == 0 {
		return nil, ErrNoPairs
	}
	m.Queries, m.Pairs = ps.queries, len(ps.better)

	// The prior: all weight on proposer_rank_inv, which reproduces the proposer's order.
	prior := make([]float64, d)
	prior[slices.Index(m.Features, "proposer_rank_inv")] = 1
	copy(m.Weights, prior)

	// Full-batch Adam on the mean pair loss plus L2·‖w − prior‖²/2.
	w := m.Weights
	grad := make([]float64, d)
	mom, vel := make([]float64, d), make([]float64, d)
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	n := float64(len(ps.better))
	for epoch := 1; epoch <= opts.Epochs; epoch++ {
		clear(grad)
		for p := range ps.better {
			zb, zw := ps.z[ps.better[p]], ps.z[ps.worse[p]]
			s := 0.0
			for j := range w {
				s += w[j] * (zb[j] - zw[j])
			}
			g := -sigmoid(-s) / n // d loss / d s
			for j := range w {
				grad[j] += g * (zb[j] - zw[j])
			}
		}
		for j := range w {
			grad[j] += opts.L2 * (w[j] - prior[j])
			mom[j] = beta1*mom[j] + (1-beta1)*grad[j]
			vel[j] = beta2*vel[j] + (1-beta2)*grad[j]*grad[j]
			mh := mom[j] / (1 - math.Pow(beta1, float64(epoch)))
			vh := vel[j] / (1 - math.Pow(beta2, float64(epoch)))
			w[j] -= opts.LearningRate * mh / (math.Sqrt(vh) + eps)
		}
	}
	return m, nil
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func (m *Model) standardise(x []float64) []float64 {
	z := make([]float64, len(x))
	for j, v := range x {
		z[j] = (v - m.Mean[j]) / m.Std[j]
	}
	return z
}

// Score is the model's score of one vector.
func (m *Model) Score(x []float64) float64 {
	s := 0.0
	for j, v := range x {
		s += m.Weights[j] * (v - m.Mean[j]) / m.Std[j]
	}
	return s
}

// Order returns the candidate indices of xs (given in the proposer's order), best first. Ties
// keep the proposer's order. In a CI answer a wrapper cause (cifailure.IsWrapper: a CI
// runner's "Process completed with exit code 1", make's "Error 2") never moves above a
// specific cause the proposer put above it, whatever the scores: it only echoes the real
// failure, and feedback that accepts it says that a step failed, which is always true. Serving
// and evaluation both order through here, so the figures are those of the served order.
func (m *Model) Order(xs [][]float64) []int {
	scores := make([]float64, len(xs))
	order := make([]int, len(xs))
	for i, x := range xs {
		scores[i] = m.Score(x)
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	if m.Kind == KindCIExplain {
		if w := slices.Index(m.Features, "weight"); w >= 0 {
			wrapper := make([]bool, len(xs))
			for i, x := range xs {
				wrapper[i] = cifailure.IsWrapper(x[w])
			}
			order = wrappersStayBelow(order, wrapper)
		}
	}
	return order
}

// wrappersStayBelow returns order (candidate indices, best first; an index is the proposer's
// rank) with each wrapper moved down just far enough that every specific cause the proposer
// ranked above it comes first; everything else keeps order's sequence. It takes, at each
// place, the first remaining candidate of order that may go there: any specific cause, or a
// wrapper once no specific cause above it in the proposer's order is left.
func wrappersStayBelow(order []int, wrapper []bool) []int {
	placed := make([]bool, len(order))
	// mayGo: a wrapper waits for the specific causes the proposer ranked above it.
	mayGo := func(c int) bool {
		if !wrapper[c] {
			return true
		}
		for k := 0; k < c; k++ {
			if !wrapper[k] && !placed[k] {
				return false
			}
		}
		return true
	}
	out := make([]int, 0, len(order))
	for len(out) < len(order) {
		// The remaining specific cause of best proposer rank may always go: the loop ends.
		for _, c := range order {
			if !placed[c] && mayGo(c) {
				out = append(out, c)
				placed[c] = true
				break
			}
		}
	}
	return out
}

// check reports whether m can score vectors of kind as this binary computes them.
func (m *Model) check() error {
	name := m.Version
	if name == "" {
		name = "(new " + m.Kind + " model)"
	}
	want := FeatureNames(m.Kind)
	if want == nil {
		return fmt.Errorf("model %s: unknown kind %q", name, m.Kind)
	}
	if !slices.Equal(m.Features, want) {
		return fmt.Errorf("model %s was trained on features %v; this binary computes %v", name, m.Features, want)
	}
	if len(m.Mean) != len(want) || len(m.Std) != len(want) || len(m.Weights) != len(want) {
		return fmt.Errorf("model %s: %d weights for %d features", name, len(m.Weights), len(want))
	}
	for j := range want {
		for _, v := range []float64{m.Mean[j], m.Std[j], m.Weights[j]} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("model %s: feature %s has a non-finite parameter", name, want[j])
			}
		}
		if m.Std[j] <= 0 {
			return fmt.Errorf("model %s: feature %s has std %v", name, want[j], m.Std[j])
		}
	}
	return nil
}
