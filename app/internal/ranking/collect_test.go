package ranking

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ci-agent/ci-agent/app/internal/ranking/rankingtest"
)

// streamQueries are n requests as Store.Queries yields them (request id order, candidates and
// stored vectors filled), with request times that tie and run against the id order, and
// feedback on about rate of them: accepted, rejected, both, or every proposition accepted (MRR
// but no pair).
func streamQueries(n int, rate float64, seed uint64) []*Query {
	rnd := rand.New(rand.NewPCG(seed, 5))
	d := len(FeatureNames(KindCIExplain))
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	qs := make([]*Query, n)
	for i := range qs {
		var id uuid.UUID
		for k := range id {
			id[k] = byte(rnd.IntN(256))
		}
		q := &Query{RequestID: id, Kind: KindCIExplain, Repo: "acme/api", At: start.Add(time.Duration(rnd.IntN(n/3+1)) * time.Minute)}
		c := 3 + rnd.IntN(3)
		for k := 0; k < c; k++ {
			x := make([]float64, d)
			for j := range x {
				x[j] = 10 + rnd.NormFloat64()*float64(j+1) // far from 0: the deviation's rounding shows
			}
			x[d-1] = 0.25 // a constant feature
			q.X = append(q.X, x)
			q.Labels = append(q.Labels, LabelNone)
			q.Cands = append(q.Cands, Candidate{CauseID: "go.undefined", Rank: k + 1, Stored: map[string]float64{"weight": 0.5}})
		}
		if rnd.Float64() < rate {
			switch rnd.IntN(4) {
			case 0:
				q.Labels[rnd.IntN(c)] = LabelAccepted
			case 1:
				q.Labels[rnd.IntN(c)] = LabelRejected
			case 2:
				q.Labels[0], q.Labels[c-1] = LabelRejected, LabelAccepted
			case 3:
				for k := range q.Labels {
					q.Labels[k] = LabelAccepted
				}
			}
		}
		qs[i] = q
	}
	slices.SortFunc(qs, func(a, b *Query) int { return bytes.Compare(a.RequestID[:], b.RequestID[:]) })
	return qs
}

// collectSplit streams qs into a Collector with SplitByTime's split of them.
func collectSplit(t testing.TB, qs []*Query, holdout float64, eval bool) *Collector {
	t.Helper()
	_, test := SplitByTime(qs, holdout)
	heldOut := map[uuid.UUID]bool{}
	for _, q := range test {
		heldOut[q.RequestID] = true
	}
	newCollector := NewCollector
	if eval {
		newCollector = NewEvalCollector
	}
	c, err := newCollector(KindCIExplain)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if err := c.Add(q, heldOut[q.RequestID]); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// near: equal to 1e-9, relative to the magnitude for large values.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b)) }

func nearAll(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !near(a[i], b[i]) {
			return false
		}
	}
	return true
}

// compareModels fails unless the streamed model is the in-memory one up to rounding.
func compareModels(t *testing.T, got, want *Model) {
	t.Helper()
	if got.Queries != want.Queries || got.Pairs != want.Pairs || !got.TrainedFrom.Equal(want.TrainedFrom) || !got.TrainedUntil.Equal(want.TrainedUntil) || got.Options != want.Options {
		t.Errorf("streamed model: %d queries, %d pairs, %s … %s, %+v; in memory: %d, %d, %s … %s, %+v",
			got.Queries, got.Pairs, got.TrainedFrom, got.TrainedUntil, got.Options, want.Queries, want.Pairs, want.TrainedFrom, want.TrainedUntil, want.Options)
	}
	for _, p := range []struct {
		name      string
		got, want []float64
	}{{"mean", got.Mean, want.Mean}, {"std", got.Std, want.Std}, {"weights", got.Weights, want.Weights}} {
		if !nearAll(p.got, p.want) {
			t.Errorf("streamed model's %s %v; in memory %v", p.name, p.got, p.want)
		}
	}
}

func compareReports(t *testing.T, got, want Report) {
	t.Helper()
	if got.Queries != want.Queries || got.MRRQueries != want.MRRQueries || !got.From.Equal(want.From) || !got.Until.Equal(want.Until) || got.ModelVersion != want.ModelVersion {
		t.Errorf("streamed report %+v; in memory %+v", got, want)
	}
	for _, p := range [][2]Metrics{{got.Static, want.Static}, {got.Model, want.Model}} {
		if !near(p[0].NDCG1, p[1].NDCG1) || !near(p[0].NDCG3, p[1].NDCG3) || !near(p[0].MRR, p[1].MRR) {
			t.Errorf("streamed metrics %+v; in memory %+v", p[0], p[1])
		}
	}
}

// TestCollectorMatchesInMemory: streamed through a Collector, a span keeps only the requests
// that can teach (train side: labels that differ) or judge (held-out side: labels that differ
// or an accepted proposition), without their candidates, and still gives the counts, the
// model and the report that Train and Evaluate give on SplitByTime's parts of every request.
func TestCollectorMatchesInMemory(t *testing.T) {
	qs := streamQueries(5000, 0.05, 1)
	for _, holdout := range []float64{0, 0.2, 0.5} {
		train, test := SplitByTime(qs, holdout)
		c := collectSplit(t, qs, holdout, false)
		if c.TrainRequests != len(train) || c.TestRequests != len(test) {
			t.Fatalf("holdout %v: collector counted %d + %d requests; SplitByTime %d + %d", holdout, c.TrainRequests, c.TestRequests, len(train), len(test))
		}
		var teach, judge int
		for _, q := range train {
			if labelsDiffer(q.Labels) {
				teach++
			}
		}
		for _, q := range test {
			if labelsDiffer(q.Labels) || slices.Contains(q.Labels, LabelAccepted) {
				judge++
			}
		}
		if len(c.Train) != teach || len(c.Test) != judge {
			t.Errorf("holdout %v: collector kept %d training and %d held-out requests; want the %d that teach and the %d that judge", holdout, len(c.Train), len(c.Test), teach, judge)
		}
		for _, q := range slices.Concat(c.Train, c.Test) {
			if q.Cands != nil {
				t.Fatalf("collector kept the candidates of request %s", q.RequestID)
			}
		}
		if teach > len(train)/10 {
			t.Fatalf("holdout %v: %d of %d training requests teach: the test data are not sparse", holdout, teach, len(train))
		}

		got, err := c.Fit(TrainOptions{})
		if err != nil {
			t.Fatalf("holdout %v: Collector.Fit: %v", holdout, err)
		}
		want, err := Train(KindCIExplain, train, TrainOptions{})
		if err != nil {
			t.Fatalf("holdout %v: Train: %v", holdout, err)
		}
		compareModels(t, got, want)
		if len(test) > 0 {
			compareReports(t, c.Evaluate(got), Evaluate(want, test))
			compareReports(t, c.Evaluate(nil), Evaluate(nil, test))
			e := collectSplit(t, qs, holdout, true)
			if len(e.Train) != 0 || e.TrainRequests != len(train) {
				t.Errorf("evaluation collector kept %d of %d training requests; want none, all counted", len(e.Train), e.TrainRequests)
			}
			compareReports(t, e.Evaluate(want), Evaluate(want, test))
		}
	}

	// Nothing to learn: the same error as Train's.
	none := streamQueries(50, 0, 2)
	c := collectSplit(t, none, 0.2, false)
	if _, err := c.Fit(TrainOptions{}); !errors.Is(err, ErrNoPairs) {
		t.Errorf("Collector.Fit without feedback = %v; want ErrNoPairs", err)
	}
	if _, err := (&Collector{}).Fit(TrainOptions{}); err == nil {
		t.Error("Fit of a zero Collector succeeded")
	}
}

// TestQueriesSplitMatchesSplitByTime: the store's streamed split holds out exactly the
// requests SplitByTime holds out of AllQueries, also where request times tie or run against
// the id order, and training and evaluation streamed through a Collector give the figures of
// the in-memory path.
func TestQueriesSplitMatchesSplitByTime(t *testing.T) {
	url, store := testStore(t)
	sim := rankingtest.Simulate(t, url, rankingtest.Config{Seed: 5, Requests: 800, Days: 8, Start: simStart})
	// Request times on the hour (about four requests share each, so the cut falls inside a tie
	// that the id order breaks), and every 11th request 6 hours earlier (against the id order).
	for _, stmt := range []string{
		`UPDATE requests SET received_at = date_trunc('hour', received_at)`,
		`WITH o AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM requests)
		 UPDATE requests r SET received_at = r.received_at - interval '6 hours' FROM o WHERE r.id = o.id AND o.n % 11 = 0`,
	} {
		if _, err := store.db.Exec(t.Context(), stmt); err != nil {
			t.Fatal(err)
		}
	}
	span := Span{Kind: KindCIExplain, Since: simStart, Until: sim.Until}
	all, err := store.AllQueries(t.Context(), span)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 800 {
		t.Fatalf("read %d requests; want 800", len(all))
	}
	for _, holdout := range []float64{0, 0.001, 0.3, 0.5, 1} {
		train, test := SplitByTime(all, holdout)
		want := map[uuid.UUID]bool{}
		for _, q := range test {
			want[q.RequestID] = true
		}
		c, err := NewCollector(KindCIExplain)
		if err != nil {
			t.Fatal(err)
		}
		mismatch := 0
		count, err := store.QueriesSplit(t.Context(), span, holdout, func(q *Query, heldOut bool) error {
			if heldOut != want[q.RequestID] {
				mismatch++
			}
			return c.Add(q, heldOut)
		})
		if err != nil {
			t.Fatalf("holdout %v: QueriesSplit: %v", holdout, err)
		}
		if mismatch > 0 || count != (SplitCount{len(train), len(test)}) || c.TrainRequests != len(train) || c.TestRequests != len(test) {
			t.Fatalf("holdout %v: streamed split %+v (collector %d + %d) with %d requests on the other side; SplitByTime %d + %d", holdout, count, c.TrainRequests, c.TestRequests, mismatch, len(train), len(test))
		}
		if holdout == 1 {
			continue // nothing to train on
		}
		got, err := c.Fit(TrainOptions{})
		if err != nil {
			t.Fatalf("holdout %v: Collector.Fit: %v", holdout, err)
		}
		wantModel, err := Train(KindCIExplain, train, TrainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		compareModels(t, got, wantModel)
		compareReports(t, c.Evaluate(got), Evaluate(wantModel, test))
	}
	if _, err := store.QueriesSplit(t.Context(), span, 1.5, func(*Query, bool) error { return nil }); err == nil {
		t.Error("QueriesSplit with holdout 1.5 succeeded")
	}
}
