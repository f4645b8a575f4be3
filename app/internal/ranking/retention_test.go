package ranking

import (
	"log/slog"
	"reflect"
	"testing"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/ranking/rankingtest"
)

// TestRetentionKeepsTheFeedbackHistory: when retention drops the oldest days' requests, the
// feedback on them still counts in the history with the same repository, kind and category,
// so the history served and the features of later requests are what they were before the drop.
func TestRetentionKeepsTheFeedbackHistory(t *testing.T) {
	url, store := testStore(t)
	sim := rankingtest.Simulate(t, url, rankingtest.Config{Seed: 9, Requests: 600, Days: 10, Start: simStart})
	recent := Span{Kind: KindCIExplain, Since: simStart.AddDate(0, 0, 7), Until: sim.Until}

	historyBefore, err := store.LoadHistory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	queriesBefore, err := store.AllQueries(t.Context(), recent)
	if err != nil {
		t.Fatal(err)
	}

	p, err := pipeline.Open(t.Context(), pipeline.Config{DatabaseURL: url, SpoolDir: t.TempDir(), RetentionDays: 5}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(t.Context())
	if err := p.Maintain(t.Context(), simStart.AddDate(0, 0, 10)); err != nil {
		t.Fatalf("Maintain: %v", err)
	}
	var left, kept int
	if err := store.db.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM feedback WHERE kind IS NOT NULL)`).Scan(&left, &kept); err != nil {
		t.Fatal(err)
	}
	if left >= 600 || left == 0 || kept == 0 {
		t.Fatalf("after retention: %d requests left, %d feedback rows kept their context; want some of each dropped and kept", left, kept)
	}

	historyAfter, err := store.LoadHistory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(historyAfter, historyBefore) {
		t.Errorf("history after retention dropped %d requests differs from before", 600-left)
	}
	queriesAfter, err := store.AllQueries(t.Context(), recent)
	if err != nil {
		t.Fatal(err)
	}
	if len(queriesAfter) != len(queriesBefore) || len(queriesBefore) == 0 {
		t.Fatalf("recent requests: %d after retention, %d before; want the same, not none", len(queriesAfter), len(queriesBefore))
	}
	for i := range queriesBefore {
		if !reflect.DeepEqual(queriesAfter[i].X, queriesBefore[i].X) {
			t.Errorf("request %s: features after retention %v; before %v", queriesBefore[i].RequestID, queriesAfter[i].X, queriesBefore[i].X)
			break
		}
	}
}
