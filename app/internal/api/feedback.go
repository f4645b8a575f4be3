package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ci-agent/ci-agent/app/internal/jsonbody"
	"github.com/ci-agent/ci-agent/app/internal/pipeline"
)

// FeedbackRequest is the body of POST /v1/feedback.
type FeedbackRequest struct {
	RequestID string `json:"request_id"`
	CauseID   string `json:"cause_id,omitempty"` // a proposition's cause_id or a spam reason code; "" = the whole answer
	Outcome   string `json:"outcome"`            // accepted, rejected, false_positive, false_negative
	Actor     string `json:"actor,omitempty"`
}

// FeedbackResponse is its answer. The id is the same for a repeated request.
type FeedbackResponse struct {
	ID        string `json:"id"`
	RequestID string `json:"request_id"`
	CauseID   string `json:"cause_id"`
	Outcome   string `json:"outcome"`
	Actor     string `json:"actor"`
}

const (
	maxFeedbackBody = 16 << 10
	maxFeedbackText = 256 // cause_id and actor
)

func (s *Server) handleFeedback(w http.ResponseWriter, r *http.Request) {
	body, release, ok := s.readJSONBody(w, r, maxFeedbackBody)
	if !ok {
		return
	}
	defer release()
	var req FeedbackRequest
	if err := jsonbody.Decode(body, &req); err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	reqID, err := uuid.Parse(strings.TrimSpace(req.RequestID))
	switch {
	case req.RequestID == "":
		writeError(w, r, http.StatusBadRequest, "request_id is required: the id of the answer the feedback is about")
		return
	case err != nil:
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("request_id %q is not a UUID", req.RequestID))
		return
	case !pipeline.ValidOutcome(req.Outcome):
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("outcome %q: want one of %s", req.Outcome, strings.Join(pipeline.Outcomes, ", ")))
		return
	case len(req.CauseID) > maxFeedbackText || len(req.Actor) > maxFeedbackText:
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("cause_id and actor are at most %d bytes", maxFeedbackText))
		return
	}
	if s.recorder == nil {
		s.retryLater(w, r, "feedback is not recorded: the server runs without the logging pipeline")
		return
	}
	// A key with scopes judges only its own answers: another client's labels would be training
	// data nobody asked it for. Such an answer is a 404 as an unknown id is, with the same
	// timing: whether another client's request exists is not this client's to learn.
	owner := Client(r.Context())
	if feedbackOnAnyAnswer(r.Context()) {
		owner = ""
	}
	target, err := s.recorder.FindTarget(r.Context(), reqID, req.CauseID, owner)
	switch {
	case errors.Is(err, pipeline.ErrNotFound) && req.CauseID != "":
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("no answer %s with a proposition %q", reqID, req.CauseID))
		return
	case errors.Is(err, pipeline.ErrNotFound):
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("no answer %s", reqID))
		return
	case err != nil && r.Context().Err() != nil:
		// The client hung up during the lookup: not the database's failure, and not a 5xx
		// for the SLO and the canary to count.
		s.clientGone(w, r, "the client went away during the feedback check", err)
		return
	case err != nil:
		s.logger.Warn("feedback target lookup failed", "request_id", RequestID(r.Context()), "err", err)
		s.retryLater(w, r, "cannot check the request id right now; retry later")
		return
	}
	actor := req.Actor
	if actor == "" {
		actor = Client(r.Context())
	}
	ev := pipeline.NewFeedback(reqID, req.CauseID, req.Outcome, actor, time.Now())
	ev.Feedback.Target = target
	// The key that sent it, whatever actor it names: actor is the client's word, so only the
	// key makes feedback attributable (an audit, a per-client cap on votes).
	ev.Client = Client(r.Context())
	if !s.record(w, r, ev) {
		return
	}
	writeJSON(w, http.StatusOK, FeedbackResponse{ID: ev.ID.String(), RequestID: reqID.String(), CauseID: req.CauseID, Outcome: req.Outcome, Actor: actor})
}
