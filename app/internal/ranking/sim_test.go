package ranking

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
	"github.com/ci-agent/ci-agent/app/internal/ranking/rankingtest"
)

// testStore gives a test a fresh schema with the pipeline's and the ranking tables.
func testStore(t *testing.T) (string, *Store) {
	t.Helper()
	url := pgtest.URL(t)
	if err := pipeline.Migrate(t.Context(), url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("pipeline migrations: %v", err)
	}
	if err := Migrate(t.Context(), url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("ranking migrations: %v", err)
	}
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return url, NewStore(pool)
}

var simStart = rankingtest.Start

// TestSimulationBeatsStaticOrder: with feedback that depends on the repository, a trained
// model ranks held-out (later) requests better than the proposer; trained on shuffled labels,
// it does not.
func TestSimulationBeatsStaticOrder(t *testing.T) {
	url, store := testStore(t)
	sim := rankingtest.Simulate(t, url, rankingtest.Config{Seed: 1, Requests: 3000, Days: 20, Start: simStart})
	queries, err := store.AllQueries(t.Context(), Span{Kind: KindCIExplain, Since: simStart, Until: sim.Until})
	if err != nil {
		t.Fatalf("reading queries: %v", err)
	}
	if len(queries) != 3000 {
		t.Fatalf("read %d requests; want 3000", len(queries))
	}
	train, test := SplitByTime(queries, 0.3)
	m, err := Train(KindCIExplain, train, TrainOptions{})
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	rep := Evaluate(m, test)
	t.Logf("held-out %d requests (%d with distinct labels): static NDCG@1 %.3f NDCG@3 %.3f MRR %.3f; model NDCG@1 %.3f NDCG@3 %.3f MRR %.3f",
		len(test), rep.Queries, rep.Static.NDCG1, rep.Static.NDCG3, rep.Static.MRR, rep.Model.NDCG1, rep.Model.NDCG3, rep.Model.MRR)
	logWeights(t, m)
	if rep.Queries < 300 {
		t.Fatalf("only %d held-out requests with distinct labels; the simulation is too small to judge", rep.Queries)
	}
	if rep.Model.NDCG3 < rep.Static.NDCG3+0.05 {
		t.Errorf("trained model NDCG@3 = %.3f; want at least the static order's %.3f + 0.05", rep.Model.NDCG3, rep.Static.NDCG3)
	}
	if rep.Model.MRR <= rep.Static.MRR {
		t.Errorf("trained model MRR = %.3f; want above the static order's %.3f", rep.Model.MRR, rep.Static.MRR)
	}

	// Shuffled labels: the same vectors, the labels permuted across every training row. The
	// model has nothing to learn and must not beat the proposer (0.005 of NDCG is noise).
	for seed := uint64(1); seed <= 3; seed++ {
		shuffled := shuffleLabels(train, seed)
		ms, err := Train(KindCIExplain, shuffled, TrainOptions{})
		if err != nil {
			t.Fatalf("Train(shuffled %d): %v", seed, err)
		}
		rs := Evaluate(ms, test)
		t.Logf("shuffled labels (seed %d): model NDCG@3 %.3f MRR %.3f; static NDCG@3 %.3f MRR %.3f", seed, rs.Model.NDCG3, rs.Model.MRR, rs.Static.NDCG3, rs.Static.MRR)
		if rs.Model.NDCG3 > rs.Static.NDCG3+0.005 {
			t.Errorf("model trained on shuffled labels (seed %d): NDCG@3 = %.3f; want no better than the static order's %.3f", seed, rs.Model.NDCG3, rs.Static.NDCG3)
		}
	}
}

func shuffleLabels(queries []*Query, seed uint64) []*Query {
	rnd := rand.New(rand.NewPCG(seed, 99))
	var all []int
	for _, q := range queries {
		all = append(all, q.Labels...)
	}
	rnd.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	out := make([]*Query, len(queries))
	for i, q := range queries {
		c := *q
		c.Labels = all[:len(q.Labels):len(q.Labels)]
		all = all[len(q.Labels):]
		out[i] = &c
	}
	return out
}

func logWeights(t *testing.T, m *Model) {
	t.Helper()
	s := ""
	for j, n := range m.Features {
		s += fmt.Sprintf(" %s=%.3f", n, m.Weights[j])
	}
	t.Logf("weights:%s", s)
}
