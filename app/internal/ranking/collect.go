package ranking

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"time"
)

// A Collector gathers from a stream of a span's requests (Store.QueriesSplit) what training
// and evaluation need, and no more: the standardisation statistics over every row of the
// training part, accumulated as the rows pass; the training requests whose labels tell
// propositions apart (the only ones with pairs); and the held-out requests that can judge a
// model (labels that differ, for NDCG, or an accepted proposition, for MRR). Every other
// request is counted and dropped, so memory grows with the informative feedback, not with the
// traffic. Its Train and Evaluate give what Train and Evaluate give on SplitByTime's parts of
// the whole span, up to the last bits of the standardisation (see featureStats).
type Collector struct {
	kind  string
	d     int
	train bool // false: evaluation only, the training part is only counted
	stats featureStats

	// Train holds the training requests with pairs, Test the held-out requests that can judge
	// a model, both in time order once Fit or Evaluate has run. Their candidates are
	// dropped (Cands nil): training and evaluation use the vectors and labels only.
	Train, Test []*Query
	// TrainRequests and TestRequests count every request on each side, kept or not.
	TrainRequests, TestRequests int

	testFrom, testUntil time.Time // over every held-out request, as Evaluate reports them
}

// NewCollector collects for training (and evaluating on the held-out part) a model of kind.
func NewCollector(kind string) (*Collector, error) {
	d := len(FeatureNames(kind))
	if d == 0 {
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	return &Collector{kind: kind, d: d, train: true, stats: newFeatureStats(d)}, nil
}

// NewEvalCollector collects for evaluating a model of kind on the held-out part only: it
// counts the training part and keeps nothing of it.
func NewEvalCollector(kind string) (*Collector, error) {
	c, err := NewCollector(kind)
	if err != nil {
		return nil, err
	}
	c.train = false
	return c, nil
}

// Add takes one request of the stream; heldOut says on which side of the split it falls. It
// keeps q only if q can teach or judge something, and never keeps q.Cands.
func (c *Collector) Add(q *Query, heldOut bool) error {
	if q.Kind != "" && q.Kind != c.kind {
		return fmt.Errorf("request %s is of kind %s; collecting %s", q.RequestID, q.Kind, c.kind)
	}
	if len(q.X) != len(q.Labels) {
		return fmt.Errorf("request %s: %d vectors for %d labels", q.RequestID, len(q.X), len(q.Labels))
	}
	if heldOut {
		c.TestRequests++
		if len(q.Labels) == 0 {
			return nil
		}
		if c.testFrom.IsZero() || q.At.Before(c.testFrom) {
			c.testFrom = q.At
		}
		if q.At.After(c.testUntil) {
			c.testUntil = q.At
		}
		if labelsDiffer(q.Labels) || slices.Contains(q.Labels, LabelAccepted) {
			c.Test = append(c.Test, keep(q))
		}
		return nil
	}
	c.TrainRequests++
	if !c.train {
		return nil
	}
	for _, x := range q.X {
		if len(x) != c.d {
			return fmt.Errorf("request %s: vector of %d features; want %d", q.RequestID, len(x), c.d)
		}
		c.stats.add(x)
	}
	if labelsDiffer(q.Labels) {
		c.Train = append(c.Train, keep(q))
	}
	return nil
}

// keep is q without its candidates, which training and evaluation do not read.
func keep(q *Query) *Query {
	k := *q
	k.Cands = nil
	return &k
}

func labelsDiffer(labels []int) bool {
	return len(labels) > 0 && slices.Min(labels) != slices.Max(labels)
}

// byTime is SplitByTime's order: request time, then the stream's (request id) order.
func byTime(a, b *Query) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return bytes.Compare(a.RequestID[:], b.RequestID[:])
}

// Fit fits a model on the collected training part, as Train does on SplitByTime's training
// part of the whole span.
func (c *Collector) Fit(opts TrainOptions) (*Model, error) {
	if !c.train {
		return nil, fmt.Errorf("an evaluation collector keeps no training requests")
	}
	m, err := newModel(c.kind, opts)
	if err != nil {
		return nil, err
	}
	if c.stats.n == 0 {
		return nil, ErrNoPairs
	}
	c.stats.result(m.Mean, m.Std)
	slices.SortStableFunc(c.Train, byTime)
	return m.fit(c.Train)
}

// Evaluate scores m (nil: the static order only) on the collected held-out part, as Evaluate
// does on SplitByTime's test part of the whole span.
func (c *Collector) Evaluate(m *Model) Report {
	slices.SortStableFunc(c.Test, byTime)
	r := Evaluate(m, c.Test)
	// The dropped requests count for the span the report names, as in Evaluate.
	r.From, r.Until = c.testFrom, c.testUntil
	return r
}

// featureStats are the mean and the (population) deviation of every feature over a stream of
// rows, in one pass: the mean as the sum over the count, as Train computes it; the squared
// deviations by Welford's update, where Train sums them in a second pass around the final
// mean. The two agree to rounding, not to the bit: on TestCollectorMatchesInMemory's data the
// means and deviations differ by at most 1.2e-14 relative and the trained weights by 6.4e-16
// (the tests allow 1e-9); the stream's order of the rows (request id, where Train sees them
// by request time) changes the last bits of the sums as well.
type featureStats struct {
	n                   float64
	sum, mean, devSqSum []float64
}

func newFeatureStats(d int) featureStats {
	return featureStats{sum: make([]float64, d), mean: make([]float64, d), devSqSum: make([]float64, d)}
}

func (s *featureStats) add(x []float64) {
	s.n++
	for j, v := range x {
		s.sum[j] += v
		delta := v - s.mean[j]
		s.mean[j] += delta / s.n
		s.devSqSum[j] += delta * (v - s.mean[j])
	}
}

// result writes the means and the deviations (before Train's floor for constant features).
func (s *featureStats) result(mean, std []float64) {
	for j := range mean {
		mean[j] = s.sum[j] / s.n
		std[j] = math.Sqrt(s.devSqSum[j] / s.n)
	}
}
