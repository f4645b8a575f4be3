package ranking

import (
	"math/rand/v2"
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
