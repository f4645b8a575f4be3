package pipeline

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestCodecRoundTrip(t *testing.T) {
	full := testEvent(1)
	full.InputSHA256 = []byte{1, 2, 3}
	full.InputTruncated = true
	full.RankerVersion = "v3"
	full.Latency = 1234567 * time.Nanosecond
	tests := []struct {
		name string
		ev   *Event
	}{
		{"request with everything", full},
		{"request, nothing optional", &Event{Kind: KindSpamCheck, ID: uuid.Must(uuid.NewV7()), ReceivedAt: time.Unix(1, 5).UTC()}},
		{"proposition with empty features", &Event{Kind: KindSpamCheck, ID: uuid.Must(uuid.NewV7()), ReceivedAt: time.Unix(1, 5).UTC(),
			Propositions: []Proposition{{Rank: 1, CauseID: "x", Features: map[string]float64{}}}}},
		{"feedback", NewFeedback(uuid.Must(uuid.NewV7()), "go.vet", "rejected", "bob", time.Unix(1700000000, 7))},
		{"feedback with its target", withTarget(NewFeedback(uuid.Must(uuid.NewV7()), "go.vet", "rejected", "bob", time.Unix(1700000000, 7)),
			Target{Kind: KindCIExplain, Repo: "acme/api", Category: "lint"})},
		{"feedback with its target and client", fromKey("ci-bot", withTarget(NewFeedback(uuid.Must(uuid.NewV7()), "go.vet", "rejected", "bob", time.Unix(1700000000, 7)),
			Target{Kind: KindCIExplain, Repo: "acme/api", Category: "lint"}))},
		{"feedback with its client, no target", fromKey("ci-bot", NewFeedback(uuid.Must(uuid.NewV7()), "go.vet", "rejected", "bob", time.Unix(1700000000, 7)))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeEvent(nil, tc.ev)
			got, err := decodeEvent(b)
			if err != nil {
				t.Fatalf("decodeEvent(encodeEvent(%+v)): %v", tc.ev, err)
			}
			want := *tc.ev
			if got.ReceivedAt.Equal(want.ReceivedAt) {
				got.ReceivedAt = want.ReceivedAt
			}
			if want.Feedback != nil && got.Feedback != nil && got.Feedback.At.Equal(want.Feedback.At) {
				got.Feedback.At = want.Feedback.At
			}
			if !reflect.DeepEqual(got, &want) {
				t.Errorf("round trip of %s:\n got %+v\nwant %+v", tc.name, got, &want)
			}
			for cut := range b {
				if _, err := decodeEvent(b[:cut]); err == nil {
					t.Errorf("decodeEvent of %s cut at %d of %d bytes: no error", tc.name, cut, len(b))
					break
				}
			}
		})
	}
}

func withTarget(ev *Event, t Target) *Event {
	ev.Feedback.Target = t
	return ev
}

// fromKey sets the API key's name that sent ev, as the feedback handler does.
func fromKey(client string, ev *Event) *Event {
	ev.Client = client
	return ev
}

// asVersion1 is the record of a request, or of feedback without a Target, which encodeEvent
// writes in version 1's bytes, so that a release reading only version 1 takes it.
func asVersion1(t *testing.T, ev *Event) []byte {
	t.Helper()
	b := encodeEvent(nil, ev)
	if b[0] != codecV1 {
		t.Fatalf("%s record written as version %d; want 1 (only feedback with a Target needs 2)", ev.Kind, b[0])
	}
	return b
}

// A spool written by the previous release (version 1) replays after an upgrade: its records
// decode to the same events, and the writer takes them (feedback without a Target). Feedback's
// client is in the fields every version shares (a request's client): a record with one keeps
// version 1's bytes, so a release that reads only version 1 replays it too.
func TestCodecReadsVersion1(t *testing.T) {
	for _, ev := range []*Event{
		testEvent(1),
		NewFeedback(uuid.Must(uuid.NewV7()), "go.vet", "rejected", "bob", time.Unix(1700000000, 7)),
		fromKey("ci-bot", NewFeedback(uuid.Must(uuid.NewV7()), "go.vet", "rejected", "bob", time.Unix(1700000000, 7))),
	} {
		b := asVersion1(t, ev)
		got, err := decodeEvent(b)
		if err != nil {
			t.Fatalf("decodeEvent(version 1 %s): %v", ev.Kind, err)
		}
		if got.Kind != ev.Kind || got.ID != ev.ID || got.Client != ev.Client || len(got.Propositions) != len(ev.Propositions) ||
			(ev.Feedback != nil) != (got.Feedback != nil) || ev.Feedback != nil && (*got.Feedback != Feedback{
			RequestID: ev.Feedback.RequestID, CauseID: ev.Feedback.CauseID, Outcome: ev.Feedback.Outcome,
			Actor: ev.Feedback.Actor, At: got.Feedback.At,
		} || !got.Feedback.At.Equal(ev.Feedback.At)) {
			t.Errorf("version 1 %s decodes to %+v; want %+v", ev.Kind, got, ev)
		}
		var cb copyBatch
		cb.reset()
		if err := cb.add(b); err != nil {
			t.Errorf("copyBatch.add(version 1 %s) = %v; want it written", ev.Kind, err)
		}
	}
}

// FuzzDecodeEvent: a record that passed its checksum but holds anything must give an error,
// not a panic or a huge allocation.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(encodeEvent(nil, testEvent(1)))
	f.Add(encodeEvent(nil, NewFeedback(uuid.Must(uuid.NewV7()), "c", "accepted", "a", time.Now())))
	f.Add(encodeEvent(nil, withTarget(NewFeedback(uuid.Must(uuid.NewV7()), "c", "accepted", "a", time.Now()), Target{Kind: KindSpamCheck, Repo: "r", Category: "x"})))
	f.Add(append([]byte{codecV1}, encodeEvent(nil, testEvent(2))[1:]...))
	f.Add([]byte{codecVersion, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := decodeEvent(b)
		// The writer reads records in place: it must refuse what decodeEvent refuses, and
		// never panic.
		var cb copyBatch
		cb.reset()
		if addErr := cb.add(b); err != nil && addErr == nil {
			t.Errorf("decodeEvent refuses %x (%v) but copyBatch.add takes it", b, err)
		} else if addErr != nil && !errors.Is(addErr, ErrInvalidEvent) {
			t.Errorf("copyBatch.add(%x) = %v; want ErrInvalidEvent", b, addErr)
		}
		if err == nil {
			// What decodes re-encodes to the same bytes (the encoding is canonical).
			if again := encodeEvent(nil, ev); string(again) != string(b) && ev.Feedback == nil && len(ev.Propositions) == 0 && len(ev.Meta) == 0 {
				t.Logf("re-encoding differs (non-canonical input) for %x", b)
			}
		}
	})
}
