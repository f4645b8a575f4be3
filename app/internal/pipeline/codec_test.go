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

// FuzzDecodeEvent: a record that passed its checksum but holds anything must give an error,
// not a panic or a huge allocation.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(encodeEvent(nil, testEvent(1)))
	f.Add(encodeEvent(nil, NewFeedback(uuid.Must(uuid.NewV7()), "c", "accepted", "a", time.Now())))
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
