package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
)

type ctxKey int

// Context keys of a request: its id, the API key that authenticated it (a Key), and the
// access log line's fields.
const (
	requestIDKey ctxKey = iota
	clientKey
	accessLogKey
)

// NewRequestID returns a UUIDv7: time-ordered, so ids sort and partition by arrival.
func NewRequestID() string {
	id, err := uuid.NewV7()
	if err != nil {
		// Only when the system's randomness fails; a v4 is still unique.
		return uuid.NewString()
	}
	return id.String()
}

// RequestID returns the id the requestID middleware gave the request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// requestID gives every request an id, in its context and in the X-Request-Id header. A
// client-sent id is not trusted: ids are primary keys in the logging pipeline.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := NewRequestID()
		w.Header().Set(apiv1.HeaderRequestID, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				s.logger.Error("panic serving request", "request_id", RequestID(r.Context()), "path", r.URL.Path, "panic", v)
				writeError(w, r, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// instrument records the metrics and the access log line of one route. route is the
// pattern, never the raw path, so metric cardinality stays bounded.
func (s *Server) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Answers carry (redacted) log lines and user text: never sniffed as HTML by a
		// browser, never kept by a shared cache.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if strings.HasPrefix(route, "/v1/") {
			w.Header().Set("Cache-Control", "no-store")
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		log := &accessLogFields{}
		ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), accessLogKey, log), s.cfg.HandlerTimeout)
		defer cancel()
		next.ServeHTTP(rec, r.WithContext(ctx))
		elapsed := time.Since(start)
		code := strconv.Itoa(rec.status)
		s.metrics.requests.WithLabelValues(route, code).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(elapsed.Seconds())
		if route == "/metrics" || route == "/healthz" || route == "/readyz" {
			return // probes and scrapes would drown the access log
		}
		s.logger.Info("request",
			"request_id", RequestID(r.Context()), "method", r.Method, "route", route,
			"status", rec.status, "duration_ms", float64(elapsed.Microseconds())/1000,
			"bytes_in", r.ContentLength, "bytes_out", rec.written, "remote", r.RemoteAddr,
			"client", log.client)
	})
}

// accessLogFields carries what inner handlers learn for the access log line: the API key's
// name (never the key), so every request can be traced to the client that made it.
type accessLogFields struct{ client string }

type statusRecorder struct {
	http.ResponseWriter
	status      int
	written     int64
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.written += int64(n)
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// authenticate enforces Bearer API keys on /v1 when a key set is configured, and the key's
// scope for the route: a key whose line in the keys file lists scopes may use only those.
func (s *Server) authenticate(scope Scopes, next http.Handler) http.Handler {
	if s.cfg.APIKeys == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, ok := s.cfg.APIKeys.Verify(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ci-agent"`)
			writeError(w, r, http.StatusUnauthorized, "missing or invalid API key: send Authorization: Bearer <key>")
			return
		}
		ctx := context.WithValue(r.Context(), clientKey, key)
		if log, ok := ctx.Value(accessLogKey).(*accessLogFields); ok {
			log.client = key.Name
		}
		if !key.Scopes.Has(scope) {
			writeError(w, r, http.StatusForbidden, fmt.Sprintf("the API key %q may not call %s %s: its scopes are %s; the keys file must list %q for it",
				key.Name, r.Method, r.URL.Path, key.Scopes, scope))
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Client names the API key that authenticated the request ("" without authentication).
func Client(ctx context.Context) string {
	key, _ := ctx.Value(clientKey).(Key)
	return key.Name
}

// feedbackOnAnyAnswer reports whether the request may give feedback on answers given to other
// clients: without authentication, or with a key that has the feedback:any scope.
func feedbackOnAnyAnswer(ctx context.Context) bool {
	key, ok := ctx.Value(clientKey).(Key)
	return !ok || key.Scopes.Has(ScopeFeedbackAny)
}
