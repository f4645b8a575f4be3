package ranking

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// benchQueries are in-memory training requests of five propositions with random vectors and
// one accepted proposition each: what Train's inner loop sees, without the database.
func benchQueries(n int) []*Query {
	rnd := rand.New(rand.NewPCG(1, 2))
	d := len(FeatureNames(KindCIExplain))
	qs := make([]*Query, n)
	for i := range qs {
		q := &Query{Kind: KindCIExplain, At: time.Unix(int64(i), 0), Labels: make([]int, 5)}
		for k := 0; k < 5; k++ {
			x := make([]float64, d)
			for j := range x {
				x[j] = rnd.Float64()
			}
			q.X = append(q.X, x)
			q.Labels[k] = LabelNone
		}
		q.Labels[rnd.IntN(5)] = LabelAccepted
		qs[i] = q
	}
	return qs
}

// BenchmarkTrain: 10,000 requests (40,000 pairs), default options (300 epochs).
func BenchmarkTrain(b *testing.B) {
	qs := benchQueries(10000)
	for b.Loop() {
		if _, err := Train(KindCIExplain, qs, TrainOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRank is the work re-ranking adds to one explain answer of five propositions.
func BenchmarkRank(b *testing.B) {
	m, err := Train(KindCIExplain, benchQueries(200), TrainOptions{Epochs: 10})
	if err != nil {
		b.Fatal(err)
	}
	m.Version = "ci_explain-1"
	s := &Service{}
	s.models.Store(&map[string]*Model{KindCIExplain: m})
	h := NewHistory()
	for i := 0; i < 1000; i++ {
		h.Add(KindCIExplain, "acme/api", "go.undefined", "compile", "accepted", 1, time.Unix(int64(i), 0))
	}
	s.history.Store(h)
	cands := make([]Candidate, 5)
	for i := range cands {
		cands[i] = Candidate{CauseID: "go.undefined", Category: "compile", Score: 0.9 - 0.1*float64(i), Rank: i + 1,
			Stored: map[string]float64{"weight": 0.8, "evidence": 0.5, "position": 0.9, "patterns_hit": 1, "evidence_lines": 2, "first_line": 100, "log_lines": 120, "log_bytes_log2": 13}}
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if order, _ := s.Rank(KindCIExplain, "acme/api", now, cands); len(order) != 5 {
			b.Fatal("no order")
		}
	}
}

// spanStream calls fn with n requests of five CI propositions as Store.Queries yields them
// (candidates with their stored vectors, feature vectors, labels), in time order; a share
// rate of them got feedback that tells two propositions apart.
func spanStream(n int, rate float64, fn func(q *Query, i int)) {
	rnd := rand.New(rand.NewPCG(3, 4))
	d := len(FeatureNames(KindCIExplain))
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		q := &Query{QID: int64(i + 1), Kind: KindCIExplain, Repo: "acme/api", At: start.Add(time.Duration(i) * time.Second), Labels: make([]int, 5)}
		q.RequestID[0], q.RequestID[1], q.RequestID[2] = byte(i>>16), byte(i>>8), byte(i)
		for k := 0; k < 5; k++ {
			q.Cands = append(q.Cands, Candidate{CauseID: "go.undefined", Category: "compile", Score: 0.9 - 0.1*float64(k), Rank: k + 1,
				Stored: map[string]float64{"weight": rnd.Float64(), "evidence": 0.5, "position": rnd.Float64(), "patterns_hit": 1, "multiline": 0,
					"evidence_lines": 2, "first_line": 100, "log_lines": 120, "log_bytes_log2": 13}})
			x := make([]float64, d)
			for j := range x {
				x[j] = rnd.Float64()
			}
			q.X = append(q.X, x)
			q.Labels[k] = LabelNone
		}
		if rnd.Float64() < rate {
			q.Labels[rnd.IntN(5)] = LabelAccepted
		}
		fn(q, i)
	}
}

// BenchmarkTrainSpan is `ranking train` over a span of 20,000 requests of which 2 % got
// feedback, hold-out 20 %, without the database: "in-memory" collects every request and
// splits, trains and evaluates as the command did before (AllQueries, SplitByTime, Train,
// Evaluate); "streamed" feeds a Collector as the command does now. alloc-B/req is everything
// allocated, the requests themselves included, per request; live-B/req is the heap the
// collected requests hold once the span is read (after a GC), the peak that grows with the
// span, per request.
func BenchmarkTrainSpan(b *testing.B) {
	const n, rate, holdout = 20000, 0.02, 0.2
	cut := int(math.Round(n * (1 - holdout)))
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	run := func(b *testing.B, collect func() (done func() error)) {
		var live, alloc uint64
		var ms runtime.MemStats
		for b.Loop() {
			base := heap()
			runtime.ReadMemStats(&ms)
			total := ms.TotalAlloc
			done := collect()
			live += heap() - base
			if err := done(); err != nil {
				b.Fatal(err)
			}
			runtime.ReadMemStats(&ms)
			alloc += ms.TotalAlloc - total
		}
		b.ReportMetric(float64(alloc)/float64(b.N)/n, "alloc-B/req")
		b.ReportMetric(float64(live)/float64(b.N)/n, "live-B/req")
	}
	b.Run("in-memory", func(b *testing.B) {
		run(b, func() func() error {
			var all []*Query
			spanStream(n, rate, func(q *Query, _ int) { all = append(all, q) })
			return func() error {
				train, test := SplitByTime(all, holdout)
				m, err := Train(KindCIExplain, train, TrainOptions{})
				if err == nil {
					Evaluate(m, test)
				}
				return err
			}
		})
	})
	b.Run("streamed", func(b *testing.B) {
		run(b, func() func() error {
			c, err := NewCollector(KindCIExplain)
			if err != nil {
				b.Fatal(err)
			}
			spanStream(n, rate, func(q *Query, i int) {
				if err := c.Add(q, i >= cut); err != nil {
					b.Fatal(err)
				}
			})
			return func() error {
				m, err := c.Fit(TrainOptions{})
				if err == nil {
					c.Evaluate(m)
				}
				return err
			}
		})
	})
}
