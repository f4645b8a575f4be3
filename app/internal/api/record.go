package api

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
	"github.com/ci-agent/ci-agent/app/internal/cifailure"
	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/spam"
)

// Recorder keeps every answered request and the feedback on it: the audit trail and the
// ranking feeder's training data. pipeline.Pipeline is the production one.
type Recorder interface {
	// Record makes ev durable; only then may the request be answered. pipeline.ErrSpoolFull
	// means "not now": the client gets a 503 with Retry-After.
	Record(ctx context.Context, ev *pipeline.Event) error
	// InputCapture says how much of an input to keep (hash and size always).
	InputCapture() *pipeline.Capture
	// FindTarget returns what feedback on requestID (and causeID, unless empty) is about
	// when it was answered to client ("" = to any client), pipeline.ErrNotFound when not,
	// pipeline.ErrUnavailable when it cannot tell.
	FindTarget(ctx context.Context, requestID uuid.UUID, causeID, client string) (pipeline.Target, error)
	RetryAfter() time.Duration
}

var _ Recorder = (*pipeline.Pipeline)(nil)

// WithRecorder records every answer with rec. Without it nothing is recorded and
// POST /v1/feedback answers 503.
func WithRecorder(rec Recorder) Option { return func(s *Server) { s.recorder = rec } }

// recording follows one request from its start to its recorded answer.
type recording struct {
	start   time.Time
	capture *pipeline.Capture
}

func (s *Server) beginRecord() *recording {
	rec := &recording{start: time.Now()}
	if s.recorder != nil {
		rec.capture = s.recorder.InputCapture()
	}
	return rec
}

// tee lets the capture see the input as the proposer reads it.
func (rec *recording) tee(r io.Reader) io.Reader {
	if rec.capture == nil {
		return r
	}
	return rec.capture.Tee(r)
}

func (s *Server) requestEvent(r *http.Request, rec *recording, kind string) (*pipeline.Event, bool) {
	id, err := uuid.Parse(RequestID(r.Context()))
	if err != nil {
		return nil, false
	}
	ev := &pipeline.Event{
		Kind:       kind,
		ID:         id,
		ReceivedAt: rec.start.UTC(),
		Latency:    time.Since(rec.start),
		Client:     Client(r.Context()),
	}
	if rec.capture != nil {
		rec.capture.Fill(ev)
	}
	return ev, true
}

// recordExplain records an explain answer. It returns false when the answer could not be
// recorded; the 503 has then been written, since an answer we cannot keep is not given.
func (s *Server) recordExplain(w http.ResponseWriter, r *http.Request, rec *recording, resp apiv1.ExplainResponse) bool {
	if s.recorder == nil {
		return true
	}
	ev, ok := s.requestEvent(r, rec, pipeline.KindCIExplain)
	if !ok {
		return true
	}
	q := r.URL.Query()
	ev.Repo = q.Get("repo")
	ev.Meta = nonEmpty(map[string]string{"job": q.Get("job"), "provider": q.Get("provider")})
	ans := resp.Answer
	ev.Outcome, ev.Score, ev.RankerVersion = ans.Category, ans.Confidence, resp.RankerVersion
	ev.Propositions = make([]pipeline.Proposition, len(ans.Propositions))
	for i, p := range ans.Propositions {
		ev.Propositions[i] = pipeline.Proposition{
			Rank: i + 1, CauseID: p.CauseID, Category: p.Category, Score: p.Score,
			Features: ciFeatures(p.Features, ans),
		}
	}
	return s.record(w, r, ev)
}

// spamFeatures flattens a spam reason's score inputs into the stored feature vector; the
// re-ranking computes the same vector for the served answer.
func spamFeatures(req spam.Request, resp *spam.Response, reason spam.Reason) map[string]float64 {
	f := map[string]float64{
		"weight":     reason.Weight,
		"spam_score": resp.Score,
		"span_bytes": float64(reason.Span[1] - reason.Span[0]),
		"text_bytes": float64(len(req.Text)),
	}
	if a := req.Author; a != nil {
		if a.AccountAgeDays != nil {
			f["author_account_age_days"] = float64(*a.AccountAgeDays)
		}
		if a.PriorContributions != nil {
			f["author_prior_contributions"] = float64(*a.PriorContributions)
		}
	}
	return f
}

// ciFeatures flattens a CI proposition's score inputs into the stored feature vector.
func ciFeatures(f cifailure.Features, ans *cifailure.Answer) map[string]float64 {
	return map[string]float64{
		"weight":         f.Weight,
		"evidence":       f.Evidence,
		"position":       f.Position,
		"patterns_hit":   float64(f.PatternsHit),
		"multiline":      b2f(f.Multiline),
		"evidence_lines": float64(f.EvidenceLines),
		"first_line":     float64(f.FirstLine),
		"log_lines":      float64(ans.Lines),
		"log_bytes_log2": math.Log2(1 + float64(ans.Bytes)),
	}
}

// recordSpam records a spam check's answer; false as for recordExplain.
func (s *Server) recordSpam(w http.ResponseWriter, r *http.Request, rec *recording, req spam.Request, resp *spam.Response) bool {
	if s.recorder == nil {
		return true
	}
	if rec.capture != nil {
		_, _ = io.WriteString(rec.capture, req.Text) // a Capture's Write never fails
	}
	ev, ok := s.requestEvent(r, rec, pipeline.KindSpamCheck)
	if !ok {
		return true
	}
	meta := map[string]string{"kind": req.Kind}
	if a := req.Author; a != nil {
		meta["author"] = a.Login
	}
	if req.Context != nil {
		ev.Repo = req.Context.Repo
	}
	ev.Meta = nonEmpty(meta)
	ev.Outcome, ev.Score, ev.RankerVersion = string(resp.Verdict), resp.Score, resp.RankerVersion
	ev.Propositions = make([]pipeline.Proposition, len(resp.Reasons))
	for i, reason := range resp.Reasons {
		ev.Propositions[i] = pipeline.Proposition{Rank: i + 1, CauseID: reason.Code, Score: reason.Weight, Features: spamFeatures(req, resp, reason)}
	}
	return s.record(w, r, ev)
}

func (s *Server) record(w http.ResponseWriter, r *http.Request, ev *pipeline.Event) bool {
	err := s.recorder.Record(r.Context(), ev)
	switch {
	case err == nil:
		return true
	case errors.Is(err, pipeline.ErrSpoolFull):
		s.retryLater(w, r, "the request log is full (the database is unreachable and the local spool reached its cap); retry later")
	default:
		s.logger.Error("recording the answer failed", "request_id", RequestID(r.Context()), "err", err)
		s.retryLater(w, r, "the answer could not be recorded; retry later")
	}
	return false
}

func (s *Server) retryLater(w http.ResponseWriter, r *http.Request, msg string) {
	secs := 1
	if s.recorder != nil {
		secs = max(1, int(math.Ceil(s.recorder.RetryAfter().Seconds())))
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeError(w, r, http.StatusServiceUnavailable, msg)
}

func nonEmpty(m map[string]string) map[string]string {
	for k, v := range m {
		if strings.TrimSpace(v) == "" {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
