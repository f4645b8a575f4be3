package api

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/ci-agent/ci-agent/app/internal/answercache"
	"github.com/ci-agent/ci-agent/app/internal/apiv1"
	"github.com/ci-agent/ci-agent/app/internal/cifailure"
)

// errLogTooLarge marks a decompressed log over MaxLogBytes.
var errLogTooLarge = errors.New("log too large")

// maxParam caps the repo, job and provider query parameters: they are stored with every
// answer, outside the input excerpt's cap.
const maxParam = 512

func (s *Server) handleExplain(w http.ResponseWriter, r *http.Request) {
	q, ok := queryParams(w, r)
	if !ok {
		return
	}
	for _, name := range []string{"repo", "job", "provider"} {
		if v := q.Get(name); len(v) > maxParam {
			writeError(w, r, http.StatusBadRequest, fmt.Sprintf("query parameter %s is %d bytes; at most %d", name, len(v), maxParam))
			return
		}
	}
	rec := s.beginRecord()
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(strings.HasPrefix(mt, "text/") || mt == "application/octet-stream" || mt == "application/gzip" || mt == "application/x-gzip") {
			writeError(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send the raw log as text/plain (optionally with Content-Encoding: gzip)", ct))
			return
		}
	}
	body := bufio.NewReader(requestBody(w, r, s.cfg.MaxBody))
	var log io.Reader = body
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	if magic, _ := body.Peek(2); (enc == "" || enc == "identity") && len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		// A gzip file sent without Content-Encoding (curl --data-binary @build.log.gz) is
		// unpacked here, as if it had said so: the decompressed cap then applies, and the
		// stored input is the log, not its compressed bytes.
		enc = "gzip"
	}
	var cacheKey string
	if s.cache != nil && (enc == "" || enc == "identity") {
		// Logs up to maxCachedLog are read whole so their hash can name the answer; larger
		// ones stream past the cache as before.
		head, err := io.ReadAll(io.LimitReader(body, maxCachedLog+1))
		if err != nil {
			s.explainError(w, r, err)
			return
		}
		if len(head) <= maxCachedLog {
			cacheKey = answercache.Key("explain", s.explain.Fingerprint(), head)
			if ans := s.cachedExplain(r.Context(), cacheKey); ans != nil {
				if rec.capture != nil {
					_, _ = rec.capture.Write(head) // a Capture's Write never fails
				}
				ans.TookMS = float64(time.Since(rec.start).Microseconds()) / 1000
				s.answerExplain(w, r, rec, ans)
				return
			}
		}
		log = io.MultiReader(bytes.NewReader(head), body)
	}
	switch enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			s.explainError(w, r, &cifailure.InputError{Reason: "gzip", Err: fmt.Errorf("invalid gzip body: %w", err)})
			return
		}
		defer zr.Close()
		// One layer only: the engine unpacks a gzip log itself, and a second layer inside the
		// first would be unpacked past the decompressed cap (600 GiB from 1.4 MB).
		inner := bufio.NewReader(gzipErrors{zr})
		if magic, _ := inner.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			writeError(w, r, http.StatusUnsupportedMediaType, "the log is gzip inside gzip: send it compressed once")
			return
		}
		log = inner
	default:
		writeError(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q: only gzip is supported", enc))
		return
	}
	// A gzip bomb is bounded by the decompressed cap, not only by the body cap.
	log = rec.tee(&cappedReader{r: log, left: s.cfg.MaxLogBytes})

	ans, err := s.explain.Explain(r.Context(), log)
	if err != nil {
		s.explainError(w, r, err)
		return
	}
	if cacheKey != "" {
		s.cacheExplain(r.Context(), cacheKey, ans)
	}
	s.answerExplain(w, r, rec, ans)
}

// answerExplain re-ranks, records and sends an answer, fresh or cached.
func (s *Server) answerExplain(w http.ResponseWriter, r *http.Request, rec *recording, ans *cifailure.Answer) {
	rankerVersion := s.rerankExplain(r, ans)
	s.metrics.categories.WithLabelValues(ans.Category).Inc()
	resp := apiv1.ExplainResponse{ID: RequestID(r.Context()), RankerVersion: rankerVersion, Answer: ans}
	if !s.recordExplain(w, r, rec, resp) {
		return // not recorded: 503, never an answer we cannot keep
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) explainError(w http.ResponseWriter, r *http.Request, err error) {
	switch ie, isInput := cifailure.IsInputError(err); {
	case errors.As(err, new(*bodyError)): // first: the engine may have called it bad input
		s.bodyReadError(w, r, err)
	case errors.Is(err, errLogTooLarge):
		writeError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("decompressed log larger than %d bytes", s.cfg.MaxLogBytes))
	case isInput && ie.Reason == "binary":
		writeError(w, r, http.StatusUnsupportedMediaType, ie.Error())
	case isInput:
		writeError(w, r, http.StatusBadRequest, ie.Error())
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, r, http.StatusServiceUnavailable, "classification took too long")
	case errors.Is(err, context.Canceled):
		s.clientGone(w, r, "the client went away during classification", err)
	default:
		s.logger.Error("explain failed", "request_id", RequestID(r.Context()), "err", err)
		writeError(w, r, http.StatusInternalServerError, "internal error")
	}
}

// gzipErrors marks corrupt gzip streams as the client's fault (400), not ours.
type gzipErrors struct{ r io.Reader }

func (g gzipErrors) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	// A body that could not be read (stopped, too large, cut) is not a bad gzip stream:
	// bodyReadError says what it is.
	if err != nil && err != io.EOF && !errors.As(err, new(*bodyError)) {
		err = &cifailure.InputError{Reason: "gzip", Err: fmt.Errorf("invalid gzip body: %w", err)}
	}
	return n, err
}

type cappedReader struct {
	r    io.Reader
	left int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// Is there more? One byte decides between a log of exactly the cap and a larger one.
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			return 0, errLogTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
