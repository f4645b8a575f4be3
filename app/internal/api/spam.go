package api

import (
	"errors"
	"net/http"
	"sync"

	"github.com/ci-agent/ci-agent/app/internal/spam"
)

// maxSpamBody caps a spam check's JSON body. A text may be spam.MaxTextBytes long and JSON
// escaping can make that six times longer (a control character is "\u0001"), so this never
// turns a valid request away, as `spam --jsonl` does not; the text itself is still capped at
// spam.MaxTextBytes (413) and the server-wide MaxBody still applies when it is smaller.
const maxSpamBody = 6*spam.MaxTextBytes + 64<<10

// WithSpamChecker sets the checker behind POST /v1/spam/check (thresholds from the spam config
// file, the near-duplicate memory). Without it the server uses spam.DefaultConfig.
func WithSpamChecker(c *spam.Checker) Option { return func(s *Server) { s.spam = c } }

var defaultSpamChecker = sync.OnceValues(func() (*spam.Checker, error) {
	return spam.New(spam.DefaultConfig())
})

func (s *Server) handleSpamCheck(w http.ResponseWriter, r *http.Request) {
	rec := s.beginRecord()
	body, release, ok := s.readJSONBody(w, r, min(int64(maxSpamBody), s.cfg.MaxBody))
	if !ok {
		return
	}
	defer release()
	req, err := spam.ParseRequest(body) // jsonbody's errors, as for every JSON endpoint
	if err != nil {
		writeError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	checker := s.spam
	if checker == nil {
		if checker, err = defaultSpamChecker(); err != nil {
			s.logger.Error("loading the spam checker", "err", err)
			writeError(w, r, http.StatusInternalServerError, "internal error")
			return
		}
	}
	resp, err := checker.Check(req)
	if errors.Is(err, spam.ErrTextTooLarge) {
		writeError(w, r, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	if err != nil {
		s.logger.Error("spam check failed", "request_id", RequestID(r.Context()), "err", err)
		writeError(w, r, http.StatusInternalServerError, "internal error")
		return
	}
	resp.ID = RequestID(r.Context())
	resp.RankerVersion = s.rerankSpam(r, req, &resp)
	if !s.recordSpam(w, r, rec, req, &resp) {
		return // not recorded: 503, never an answer we cannot keep
	}
	s.metrics.verdicts.WithLabelValues(string(resp.Verdict)).Inc()
	writeJSON(w, http.StatusOK, resp)
}
