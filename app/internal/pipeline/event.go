// Package pipeline records every answer of the filter API in PostgreSQL without making a
// request wait on the database, and without losing an answer the client has seen.
//
// A handler calls Record before it answers. Record redacts secrets, appends the event to a
// local spool (length + CRC32C framed segment files, fsynced per group commit by default) and
// hands it to a bounded in-memory queue. A single writer drains the queue in batches: COPY into
// staging tables, then INSERT … ON CONFLICT DO NOTHING into the real ones, so a retried or
// replayed batch never duplicates a row. Segments are deleted once all of their events are
// committed; whatever is left is replayed at the next start. When the queue is full, or at
// start, the writer reads the spool itself (catch-up) until it is level again.
//
// This is the only package that talks to PostgreSQL or the spool.
package pipeline

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Kinds of event. A request kind names the route that answered.
const (
	KindCIExplain = "ci_explain"
	KindSpamCheck = "spam_check"
	KindFeedback  = "feedback"
)

// Feedback outcomes, as in POST /v1/feedback.
var Outcomes = []string{"accepted", "rejected", "false_positive", "false_negative"}

// Event is one answered request (a row of requests and its propositions) or one piece of
// feedback (a row of feedback). It is what the spool stores (see codec.go).
type Event struct {
	Kind string    `json:"kind"`
	ID   uuid.UUID `json:"id"` // the UUIDv7 returned to the client; for feedback, the feedback's id

	// Request events.
	ReceivedAt     time.Time         `json:"received_at,omitzero"`
	Latency        time.Duration     `json:"latency,omitempty"`
	Client         string            `json:"client,omitempty"` // the API key's name; feedback's too (feedback.client)
	Repo           string            `json:"repo,omitempty"`   // owner/name when known
	Meta           map[string]string `json:"meta,omitempty"`   // job, provider, author … as sent
	InputSize      int64             `json:"input_size,omitempty"`
	InputSHA256    []byte            `json:"input_sha256,omitempty"`
	Input          string            `json:"input,omitempty"` // redacted by Record before it is stored
	InputTruncated bool              `json:"input_truncated,omitempty"`
	Outcome        string            `json:"outcome,omitempty"` // top category, or spam verdict
	Score          float64           `json:"score,omitempty"`   // confidence, or spam score
	RankerVersion  string            `json:"ranker_version,omitempty"`
	Propositions   []Proposition     `json:"propositions,omitempty"`

	// Feedback events.
	Feedback *Feedback `json:"feedback,omitempty"`
}

// Proposition is one ranked candidate of an answer: a CI failure cause, or a spam reason.
type Proposition struct {
	Rank     int     `json:"rank"` // 1-based position in the answer
	CauseID  string  `json:"cause_id"`
	Category string  `json:"category,omitempty"`
	Score    float64 `json:"score"`
	// Features are the numeric inputs of the score, stored as jsonb for the ranking feeder.
	Features map[string]float64 `json:"features,omitempty"`
}

// Feedback is what a user said about an answer or one of its propositions.
type Feedback struct {
	RequestID uuid.UUID `json:"request_id"`
	CauseID   string    `json:"cause_id,omitempty"` // "" = the whole answer
	Outcome   string    `json:"outcome"`
	Actor     string    `json:"actor,omitempty"`
	At        time.Time `json:"at"`
	// Target is what FindTarget read about the answer when the feedback was accepted; zero
	// when unknown (the row's columns are then NULL, and read from the request while it is kept).
	Target
}

// Target is what the ranking history groups feedback by: the request's kind and repository,
// and the proposition's category ("" for the whole answer, or a proposition without one).
// Feedback carries it from the moment it is accepted, because the request may be gone by the
// time the feedback is written: retention can drop its day while the feedback waits in the
// spool (a database outage at the retention edge).
type Target struct {
	Kind     string `json:"kind,omitempty"`
	Repo     string `json:"repo,omitempty"`
	Category string `json:"category,omitempty"`
}

// feedbackNamespace makes feedback ids deterministic: the same request, cause, outcome and actor
// always give the same id, so a repeated POST is one row.
var feedbackNamespace = uuid.MustParse("6f1f7c1e-52c4-4b8e-9a55-4a0c0c0fdbac")

// NewFeedback builds a feedback event with its deterministic id.
func NewFeedback(requestID uuid.UUID, causeID, outcome, actor string, at time.Time) *Event {
	key := strings.Join([]string{requestID.String(), causeID, outcome, actor}, "\x00")
	return &Event{
		Kind:     KindFeedback,
		ID:       uuid.NewSHA1(feedbackNamespace, []byte(key)),
		Feedback: &Feedback{RequestID: requestID, CauseID: causeID, Outcome: outcome, Actor: actor, At: at.UTC()},
	}
}

// ValidOutcome reports whether s is one of Outcomes.
func ValidOutcome(s string) bool {
	for _, o := range Outcomes {
		if s == o {
			return true
		}
	}
	return false
}

// ErrInvalidEvent marks an event that cannot be stored; it is the caller's bug.
var ErrInvalidEvent = errors.New("invalid event")

func (ev *Event) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidEvent, fmt.Sprintf(format, a...))
	}
	switch ev.Kind {
	case KindCIExplain, KindSpamCheck:
		// Requests are partitioned by the time in their UUIDv7: any other id has no partition.
		if ev.ID.Version() != 7 {
			return bad("request id %s is not a UUIDv7", ev.ID)
		}
		if ev.ReceivedAt.IsZero() {
			return bad("request %s has no received_at", ev.ID)
		}
		for i, p := range ev.Propositions {
			if p.Rank <= 0 || p.CauseID == "" {
				return bad("request %s proposition %d: rank %d, cause %q", ev.ID, i, p.Rank, p.CauseID)
			}
		}
	case KindFeedback:
		if ev.Feedback == nil || ev.ID == uuid.Nil {
			return bad("feedback event without feedback")
		}
		if !ValidOutcome(ev.Feedback.Outcome) {
			return bad("feedback outcome %q", ev.Feedback.Outcome)
		}
	default:
		return bad("unknown kind %q", ev.Kind)
	}
	return nil
}

// UUIDTime is the creation time in a UUIDv7 (millisecond precision).
func UUIDTime(id uuid.UUID) time.Time {
	sec, nsec := id.Time().UnixTime()
	return time.Unix(sec, nsec).UTC()
}

// InputMode says how much of a request's input is kept.
type InputMode string

// The input modes. Excerpt keeps the end of a CI log, where the failure usually is.
const (
	InputNone    InputMode = "none"
	InputExcerpt InputMode = "excerpt"
	InputFull    InputMode = "full"
)

// Capture watches an input stream as the proposer reads it: it counts and hashes every byte
// and keeps the part that will be stored (the last ExcerptBytes, or the first MaxInputBytes),
// so the handler never holds a second copy of a large log.
type Capture struct {
	mode  InputMode
	limit int
	size  int64
	hash  hash.Hash
	buf   []byte // excerpt: a ring of the last limit bytes; full: the first limit bytes
	start int    // ring start once the ring is full
	full  bool   // the ring has wrapped, or full mode hit its limit
}

// NewCapture returns a Capture keeping limit bytes in the given mode.
func NewCapture(mode InputMode, limit int) *Capture {
	if limit <= 0 || mode == InputNone {
		limit = 0
	}
	return &Capture{mode: mode, limit: limit, hash: sha256.New()}
}

// Write records p; it never fails.
func (c *Capture) Write(p []byte) (int, error) {
	c.size += int64(len(p))
	c.hash.Write(p)
	if c.limit == 0 {
		return len(p), nil
	}
	switch c.mode {
	case InputFull:
		if room := c.limit - len(c.buf); room > 0 {
			c.buf = append(c.buf, p[:min(room, len(p))]...)
		}
		if int64(len(c.buf)) < c.size {
			c.full = true
		}
	default:
		q := p
		if len(q) > c.limit {
			q = q[len(q)-c.limit:]
		}
		for len(q) > 0 {
			if len(c.buf) < c.limit {
				n := min(c.limit-len(c.buf), len(q))
				c.buf = append(c.buf, q[:n]...)
				q = q[n:]
				continue
			}
			c.full = true
			n := copy(c.buf[c.start:], q)
			c.start = (c.start + n) % c.limit
			q = q[n:]
		}
		if int64(len(c.buf)) < c.size {
			c.full = true
		}
	}
	return len(p), nil
}

// Tee returns a reader that feeds c with everything read from r.
func (c *Capture) Tee(r io.Reader) io.Reader { return io.TeeReader(r, c) }

// Fill sets the event's input fields from what was captured.
func (c *Capture) Fill(ev *Event) {
	ev.InputSize = c.size
	ev.InputSHA256 = c.hash.Sum(nil)
	if c.limit == 0 {
		ev.InputTruncated = c.size > 0
		return
	}
	var b []byte
	if c.mode == InputFull {
		b = c.buf
		if c.full {
			if i := strings.LastIndexByte(string(b), '\n'); i >= 0 {
				b = b[:i+1]
			}
		}
	} else {
		b = append(append(make([]byte, 0, len(c.buf)), c.buf[c.start:]...), c.buf[:c.start]...)
		// A cut excerpt starts at a line boundary: half a line (half a secret) helps nobody
		// and could slip past redaction.
		if c.full {
			if i := strings.IndexByte(string(b), '\n'); i >= 0 {
				b = b[i+1:]
			} else {
				b = nil
			}
		}
	}
	ev.Input = cleanText(string(b))
	ev.InputTruncated = c.full
}

// cleanText makes s storable as PostgreSQL text and jsonb: valid UTF-8 and no NUL bytes.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return s
}
