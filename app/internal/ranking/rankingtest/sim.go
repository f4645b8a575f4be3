// Package rankingtest generates a history of CI answers and feedback for the ranking
// feeder's tests: each repository has a cause its users accept far more often than the others,
// which the proposer only weakly prefers.
package rankingtest

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
)

// Labels as the ranking package grades them (kept here to avoid an import cycle with its tests).
const (
	labelRejected = 0
	labelNone     = 1
	labelAccepted = 2
)

// Start is a fixed start for simulated histories.
var Start = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

// Config describes a simulated history of CI answers and the feedback users gave on them.
type Config struct {
	Seed     uint64
	Requests int
	Days     int
	Start    time.Time
	// RandomFeedback: users accept or reject propositions at random, as bots or people who
	// click without reading do (a random proposition, a random outcome, five actors), so
	// there is nothing to learn. Otherwise each repository's usual cause is accepted.
	RandomFeedback bool
}

// Simulation is what was generated: the feedback label of every (request, cause).
type Simulation struct {
	Labels map[string]int // request id + " " + cause id → label
	Until  time.Time
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
		u[i] = byte(ms >> (40 - 8*i) & 0xff)
	}
	for i := 6; i < 16; i++ {
		u[i] = byte(rnd.Uint32() & 0xff)
	}
	u[6] = u[6]&0x0f | 0x70
	u[8] = u[8]&0x3f | 0x80
	return u
}

// Simulate writes cfg.Requests CI answers and their feedback through the logging pipeline into
// the database at url. Each repository has a cause its users accept far more often than the
// others (its "true" cause whenever it is proposed); the proposer only weakly prefers it.
func Simulate(t testing.TB, url string, cfg Config) *Simulation {
	t.Helper()
	rnd := rand.New(rand.NewPCG(cfg.Seed, 7)) // #nosec G404 -- seeded simulation: must be reproducible, nothing secret
	preferred := map[string]int{}
	for i, r := range simRepos {
		preferred[r] = (i * 4) % len(simCauses)
	}
	p, err := pipeline.Open(t.Context(), pipeline.Config{DatabaseURL: url, SpoolDir: t.TempDir(), Fsync: "never", RetentionDays: 0}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatalf("opening the pipeline: %v", err)
	}
	p.Start()
	sim := &Simulation{Labels: map[string]int{}}
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
			sim.Labels[ev.ID.String()+" "+simCauses[c.c].id] = labelNone
		}
		if err := p.Record(t.Context(), ev); err != nil {
			t.Fatalf("recording request %d: %v", i, err)
		}
		if rnd.Float64() < 0.3 {
			continue // most answers get no feedback at all in real life; many here
		}
		fbAt := at.Add(time.Duration(10+rnd.IntN(120)) * time.Minute)
		if cfg.RandomFeedback {
			latest := map[string]map[string]string{} // cause → actor → outcome, in time order
			for k := 0; k < 1+rnd.IntN(3); k++ {
				cause := simCauses[picked[rnd.IntN(n)]].id
				outcome := []string{"accepted", "rejected", "accepted", "false_positive"}[rnd.IntN(4)]
				actor := fmt.Sprintf("user%d", 1+rnd.IntN(5))
				if err := p.Record(t.Context(), pipeline.NewFeedback(ev.ID, cause, outcome, actor, fbAt.Add(time.Duration(k)*time.Minute))); err != nil {
					t.Fatalf("recording feedback: %v", err)
				}
				if latest[cause] == nil {
					latest[cause] = map[string]string{}
				}
				latest[cause][actor] = outcome
			}
			for cause, byActor := range latest {
				sim.Labels[ev.ID.String()+" "+cause] = majority(byActor)
			}
			if fbAt.After(sim.Until) {
				sim.Until = fbAt
			}
			continue
		}
		if rnd.Float64() < 0.85 {
			give(t, p, sim, ev.ID, simCauses[truth].id, "accepted", fbAt)
		}
		if rnd.Float64() < 0.6 {
			other := picked[rnd.IntN(n)]
			if other != truth {
				give(t, p, sim, ev.ID, simCauses[other].id, "rejected", fbAt.Add(time.Minute))
			}
		}
		if fbAt.After(sim.Until) {
			sim.Until = fbAt
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("closing the pipeline: %v", err)
	}
	sim.Until = sim.Until.Add(time.Hour)
	return sim
}

func give(t testing.TB, p *pipeline.Pipeline, sim *Simulation, id uuid.UUID, cause, outcome string, at time.Time) {
	t.Helper()
	if err := p.Record(t.Context(), pipeline.NewFeedback(id, cause, outcome, "sim", at)); err != nil {
		t.Fatalf("recording feedback: %v", err)
	}
	if outcome == "accepted" {
		sim.Labels[id.String()+" "+cause] = labelAccepted
	} else {
		sim.Labels[id.String()+" "+cause] = labelRejected
	}
}

// majority is the label of one proposition from each actor's latest outcome.
func majority(byActor map[string]string) int {
	votes := 0
	for _, outcome := range byActor {
		if outcome == "accepted" {
			votes++
		} else {
			votes--
		}
	}
	switch {
	case votes > 0:
		return labelAccepted
	case votes < 0:
		return labelRejected
	}
	return labelNone
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
