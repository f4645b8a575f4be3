package ranking

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
)

// A serve started while PostgreSQL is away ranks in the proposers' order, keeps trying, and
// picks up the newest model once the database answers: it used to give up at start until
// the next restart.
func TestServiceStartsWithoutTheDatabase(t *testing.T) {
	url := pgtest.URL(t)
	if err := pipeline.Migrate(t.Context(), url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	proxy := pgtest.NewProxy(t, pgtest.Target(t, url))
	proxy.Down()
	svc, err := OpenService(t.Context(), proxy.URL(t, url), ServiceConfig{PollInterval: 10 * time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("OpenService with the database down = %v; want a service that keeps trying", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; svc.Close() })
	if v := svc.Version(KindCIExplain); v != "" {
		t.Fatalf("version with the database down = %q; want none (the proposers' order)", v)
	}

	proxy.Up(t)
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := NewStore(pool)
	names := FeatureNames(KindCIExplain)
	m := &Model{Kind: KindCIExplain, Features: names, Mean: make([]float64, len(names)), Std: make([]float64, len(names)), Weights: make([]float64, len(names))}
	for j := range names {
		m.Std[j] = 1
	}
	// The service's migrations create ranking_models; wait for them before storing.
	var version string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if version, err = store.SaveModel(t.Context(), m); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("SaveModel after the database came back: %v", err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if svc.Version(KindCIExplain) == version {
			return
		}
	}
	t.Errorf("version after the database came back = %q; want the stored %q", svc.Version(KindCIExplain), version)
}

// A new model version comes with the feedback history as it is now: the history used to be
// reloaded only every minute, so a model trained on the newest feedback ranked for up to a
// minute with history older than its training data. No Run here: Reload is what each poll
// calls.
func TestNewModelComesWithFreshHistory(t *testing.T) {
	url, store := testStore(t)
	svc, err := OpenService(t.Context(), url, ServiceConfig{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)

	// Feedback given after serve started: acme/api's users accept the test failure.
	p, err := pipeline.Open(t.Context(), pipeline.Config{DatabaseURL: url, SpoolDir: t.TempDir(), Fsync: "never"}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := p.Record(t.Context(), &pipeline.Event{Kind: pipeline.KindCIExplain, ID: id, ReceivedAt: now, Latency: time.Millisecond, Repo: "acme/api", InputSize: 100,
		Propositions: []pipeline.Proposition{
			{Rank: 1, CauseID: "go.undefined", Category: "compile", Score: 0.9, Features: map[string]float64{"weight": 0.8}},
			{Rank: 2, CauseID: "go.test-failed", Category: "test", Score: 0.5, Features: map[string]float64{"weight": 0.6}},
		}}); err != nil {
		t.Fatal(err)
	}
	if err := p.Record(t.Context(), pipeline.NewFeedback(id, "go.test-failed", "accepted", "alice", now)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	// A model that ranks by feedback on the cause in the repository, and nothing else.
	names := FeatureNames(KindCIExplain)
	m := &Model{Kind: KindCIExplain, Features: names, Mean: make([]float64, len(names)), Std: make([]float64, len(names)), Weights: make([]float64, len(names))}
	for j := range names {
		m.Std[j] = 1
	}
	m.Weights[slices.Index(names, "cause_repo_feedback_log")] = 1
	version, err := store.SaveModel(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	cands := []Candidate{
		{CauseID: "go.undefined", Category: "compile", Score: 0.9, Rank: 1, Stored: map[string]float64{"weight": 0.8}},
		{CauseID: "go.test-failed", Category: "test", Score: 0.5, Rank: 2, Stored: map[string]float64{"weight": 0.6}},
	}
	order, served := svc.Rank(KindCIExplain, "acme/api", time.Now(), cands)
	if served != version || !slices.Equal(order, []int{1, 0}) {
		t.Errorf("Rank right after the model %s was loaded = %v by %q; want [1 0] (go.test-failed, accepted in acme/api since serve started) by %s", version, order, served, version)
	}
}
