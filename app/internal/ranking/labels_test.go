package ranking

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
)

// TestLabelTakesEachActorsLatestFeedback: an actor who accepts a cause and then rejects it
// changed their mind. Both rows stay (a feedback id is derived from its outcome); counting
// both made a tie of one actor's answer, and let an actor who changed their mind outvote
// another who did not.
func TestLabelTakesEachActorsLatestFeedback(t *testing.T) {
	type fb struct {
		actor, outcome string
	}
	tests := []struct {
		name     string
		feedback []fb // in time order, all on the first proposition
		want     int
	}{
		{"accepted, then rejected", []fb{{"alice", "accepted"}, {"alice", "rejected"}}, LabelRejected},
		{"rejected, then accepted", []fb{{"alice", "rejected"}, {"alice", "accepted"}}, LabelAccepted},
		{"false positive, then accepted", []fb{{"alice", "false_positive"}, {"alice", "accepted"}}, LabelAccepted},
		{"a change of mind is one vote", []fb{{"alice", "accepted"}, {"bob", "accepted"}, {"alice", "rejected"}}, LabelNone},
		{"accepted, rejected, accepted again", []fb{{"alice", "accepted"}, {"alice", "rejected"}, {"alice", "accepted"}}, LabelAccepted},
		{"majority of actors", []fb{{"alice", "accepted"}, {"bob", "rejected"}, {"carol", "accepted"}}, LabelAccepted},
		{"a false negative says nothing about the proposition", []fb{{"alice", "accepted"}, {"alice", "false_negative"}}, LabelAccepted},
	}
	url, store := testStore(t)
	p, err := pipeline.Open(t.Context(), pipeline.Config{DatabaseURL: url, SpoolDir: t.TempDir(), Fsync: "never"}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Start()
	start := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	ids := make([]uuid.UUID, len(tests))
	for i, tc := range tests {
		id, err := uuid.NewV7()
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
		ev := &pipeline.Event{Kind: pipeline.KindCIExplain, ID: id, ReceivedAt: time.Now().UTC(), Latency: time.Millisecond, Repo: "acme/api", InputSize: 100,
			Propositions: []pipeline.Proposition{
				{Rank: 1, CauseID: "go.undefined", Category: "compile", Score: 0.9, Features: map[string]float64{"weight": 0.8}},
				{Rank: 2, CauseID: "go.test-failed", Category: "test", Score: 0.5, Features: map[string]float64{"weight": 0.6}},
			}}
		if err := p.Record(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
		for k, f := range tc.feedback {
			if err := p.Record(t.Context(), pipeline.NewFeedback(id, "go.undefined", f.outcome, f.actor, start.Add(time.Duration(k)*time.Minute))); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}

	queries, err := store.AllQueries(t.Context(), Span{Kind: KindCIExplain, Since: start.Add(-time.Hour), Until: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	label := map[uuid.UUID]int{}
	for _, q := range queries {
		label[q.RequestID] = q.Labels[0]
	}
	for i, tc := range tests {
		if got, ok := label[ids[i]]; !ok || got != tc.want {
			t.Errorf("%s: label %d (found %v); want %d", tc.name, got, ok, tc.want)
		}
	}
}
