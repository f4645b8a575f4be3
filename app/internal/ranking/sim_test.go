package ranking

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
)

// simConfig describes a simulated history of CI answers and the feedback users gave on them.
type simConfig struct {
	Seed     uint64
	Requests int
	Days     int
	Start    time.Time
}

// simulation is what was generated: the feedback label of every (request, cause).
type simulation struct {
	labels map[string]int // request id + " " + cause id → label
	until  time.Time
}

var (
	simRepos  = []string{"acme/api", "acme/web", "acme/infra", "globex/app", "globex/ml", "initech/core"}
	simCauses = []struct{ id, category string }{
		{"go.undefined", "compile"}, {"go.test-failed", "test"}, {"node.npm-eresolve", "dependency"},
		{"docker.no-space-left", "infra"}, {"net.http-429", "network"}, {"python.import-error", "dependency"},
		{"k8s.oomkilled", "infra"}, {"gha.max-execution-time", "timeout"}, {"java.compile-error", "compile"},
	}
)

// uuidV7At is a UUIDv7 whose time is t: the pipeline partitions requests by it.
func uuidV7At(t time.Time, rnd *rand.Rand) uuid.UUID {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	for i := 0; i < 6; i++ {
		u[i] = byte(ms >> (40 - 8*i))
	}
	for i := 6; i < 16; i++ {
		u[i] = byte(rnd.Uint32())
	}
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return u
}

// simulate writes cfg.Requests CI answers and their feedback through the logging pipeline into
// the database at url. Each repository has a cause its users accept far more often than the
// others (its "true" cause whenever it is proposed); the proposer only weakly prefers it.
func simulate(t *testing.T, url string, cfg simConfig) *simulation {
	t.Helper()
	rnd := rand.New(rand.NewPCG(cfg.Seed, 7))
	preferred := map[string]int{}
	for i, r := range simRepos {
		preferred[r] = (i * 4) % len(simCauses)
	}
	p, err := pipeline.Open(t.Context(), pipeline.Config{DatabaseURL: url, SpoolDir: t.TempDir(), Fsync: "never", RetentionDays: 0}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatalf("opening the pipeline: %v", err)
	}
	p.Start()
	sim := &simulation{labels: map[string]int{}}
	span := time.Duration(cfg.Days) * 24 * time.Hour
	for i := 0; i < cfg.Requests; i++ {
		at := cfg.Start.Add(span * time.Duration(i) / time.Duration(cfg.Requests))
		repo := simRepos[rnd.IntN(len(simRepos))]
		n := 3 + rnd.IntN(2)
		picked := rnd.Perm(len(simCauses))[:n]
		if rnd.Float64() < 0.7 { // the repository's usual cause is among the candidates
			if !containsInt(picked, preferred[repo]) {
				picked[rnd.IntN(n)] = preferred[repo]
			}
		}
		truth := picked[rnd.IntN(n)]
		if containsInt(picked, preferred[repo]) {
			truth = preferred[repo]
		}
		ev := &pipeline.Event{Kind: pipeline.KindCIExplain, ID: uuidV7At(at, rnd), ReceivedAt: at, Latency: time.Millisecond, Repo: repo, InputSize: 100}
		type cand struct {
			c     int
			score float64
			f     map[string]float64
		}
		cands := make([]cand, n)
		for k, c := range picked {
			score := 0.4 + 0.5*rnd.Float64()
			if c == truth {
				score += 0.08 // the proposer's weak hint
			}
			score = float64(int(score*1000)) / 1000
			lines := 200 + rnd.IntN(5000)
			first := 1 + rnd.IntN(lines)
			cands[k] = cand{c, score, map[string]float64{
				"weight": 0.5 + 0.5*rnd.Float64(), "evidence": 0.5 + 0.25*float64(rnd.IntN(3)), "position": float64(first) / float64(lines),
				"patterns_hit": float64(1 + rnd.IntN(3)), "multiline": float64(rnd.IntN(2)), "evidence_lines": float64(1 + rnd.IntN(6)),
				"first_line": float64(first), "log_lines": float64(lines), "log_bytes_log2": 14 + 4*rnd.Float64(),
			}}
		}
		// The proposer's order: score, then earlier first line.
		for a := 1; a < n; a++ {
			for b := a; b > 0 && (cands[b].score > cands[b-1].score || cands[b].score == cands[b-1].score && cands[b].f["first_line"] < cands[b-1].f["first_line"]); b-- {
				cands[b], cands[b-1] = cands[b-1], cands[b]
			}
		}
		for k, c := range cands {
			ev.Propositions = append(ev.Propositions, pipeline.Proposition{Rank: k + 1, CauseID: simCauses[c.c].id, Category: simCauses[c.c].category, Score: c.score, Features: c.f})
			sim.labels[ev.ID.String()+" "+simCauses[c.c].id] = LabelNone
		}
		if err := p.Record(t.Context(), ev); err != nil {
			t.Fatalf("recording request %d: %v", i, err)
		}
		if rnd.Float64() < 0.3 {
			continue // most answers get no feedback at all in real life; many here
		}
		fbAt := at.Add(time.Duration(10+rnd.IntN(120)) * time.Minute)
		if rnd.Float64() < 0.85 {
			give(t, p, sim, ev.ID, simCauses[truth].id, "accepted", fbAt)
		}
		if rnd.Float64() < 0.6 {
			other := picked[rnd.IntN(n)]
			if other != truth {
				give(t, p, sim, ev.ID, simCauses[other].id, "rejected", fbAt.Add(time.Minute))
			}
		}
		if fbAt.After(sim.until) {
			sim.until = fbAt
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("closing the pipeline: %v", err)
	}
	sim.until = sim.until.Add(time.Hour)
	return sim
}

func give(t *testing.T, p *pipeline.Pipeline, sim *simulation, id uuid.UUID, cause, outcome string, at time.Time) {
	t.Helper()
	if err := p.Record(t.Context(), pipeline.NewFeedback(id, cause, outcome, "sim", at)); err != nil {
		t.Fatalf("recording feedback: %v", err)
	}
	if outcome == "accepted" {
		sim.labels[id.String()+" "+cause] = LabelAccepted
	} else {
		sim.labels[id.String()+" "+cause] = LabelRejected
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

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

var simStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// TestSimulationBeatsStaticOrder: with feedback that depends on the repository, a trained
// model ranks held-out (later) requests better than the proposer; trained on shuffled labels,
// it does not.
func TestSimulationBeatsStaticOrder(t *testing.T) {
	url, store := testStore(t)
	_ = url
	sim := simulate(t, url, simConfig{Seed: 1, Requests: 3000, Days: 20, Start: simStart})
	queries, err := store.AllQueries(t.Context(), Span{Kind: KindCIExplain, Since: simStart, Until: sim.until})
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

var _ = io.Discard
