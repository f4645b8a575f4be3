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
		client         string // the API key's name; "" for the request's own client
	}
	tests := []struct {
		name     string
		feedback []fb // in time order, all on the first proposition
		want     int
	}{
		{"accepted, then rejected", []fb{{actor: "alice", outcome: "accepted"}, {actor: "alice", outcome: "rejected"}}, LabelRejected},
		{"rejected, then accepted", []fb{{actor: "alice", outcome: "rejected"}, {actor: "alice", outcome: "accepted"}}, LabelAccepted},
		{"false positive, then accepted", []fb{{actor: "alice", outcome: "false_positive"}, {actor: "alice", outcome: "accepted"}}, LabelAccepted},
		{"a change of mind is one vote", []fb{{actor: "alice", outcome: "accepted"}, {actor: "bob", outcome: "accepted"}, {actor: "alice", outcome: "rejected"}}, LabelNone},
		{"accepted, rejected, accepted again", []fb{{actor: "alice", outcome: "accepted"}, {actor: "alice", outcome: "rejected"}, {actor: "alice", outcome: "accepted"}}, LabelAccepted},
		{"majority of actors", []fb{{actor: "alice", outcome: "accepted"}, {actor: "bob", outcome: "rejected"}, {actor: "carol", outcome: "accepted"}}, LabelAccepted},
		{"a false negative says nothing about the proposition", []fb{{actor: "alice", outcome: "accepted"}, {actor: "alice", outcome: "false_negative"}}, LabelAccepted},
		// An actor is a name within its client: a feedback:any key sending "alice" later does
		// not replace the vote of the owner's alice; they are two votes, a tie.
		{"the same name from another client is another actor", []fb{{actor: "alice", outcome: "accepted", client: "owner"}, {actor: "alice", outcome: "rejected", client: "triage-bot"}}, LabelNone},
		{"and outvotes no one", []fb{{actor: "alice", outcome: "accepted", client: "owner"}, {actor: "bob", outcome: "accepted", client: "owner"}, {actor: "alice", outcome: "rejected", client: "triage-bot"}}, LabelAccepted},
		{"one client's actor changing their mind", []fb{{actor: "alice", outcome: "accepted", client: "owner"}, {actor: "alice", outcome: "rejected", client: "owner"}}, LabelRejected},
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
			ev := pipeline.NewFeedback(id, "go.undefined", f.outcome, f.actor, start.Add(time.Duration(k)*time.Minute))
			ev.Client = f.client
			if err := p.Record(t.Context(), ev); err != nil {
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
