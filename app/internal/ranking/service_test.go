package ranking

import (
	"context"
	"log/slog"
	"testing"
	"time"

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
