package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing left to tell it
}

func writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	writeJSON(w, status, apiv1.Error{Error: msg, RequestID: RequestID(r.Context())})
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, http.StatusNotFound, "no such route: "+r.Method+" "+r.URL.Path)
}

// jsonBudget bounds the memory that JSON request bodies may hold at once. A spam check's body
// may be 6 MiB (a 1 MiB text of control characters, escaped), and reading and decoding it
// takes about three times that: 35 of them in flight filled a 768 MiB pod. Small bodies, the
// usual ones, take almost nothing from it.
const jsonBudget = 64 << 20

// bodyBudget is a byte count shared by the requests in flight.
type bodyBudget struct {
	mu   sync.Mutex
	left int64
}

// take reserves n bytes; false when they are not there.
func (b *bodyBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.left {
		return false
	}
	b.left -= n
	return true
}

func (b *bodyBudget) give(n int64) {
	b.mu.Lock()
	b.left += n
	b.mu.Unlock()
}

// readJSONBody reads a JSON request body of at most limit bytes, reserving its size (the
// limit when the client does not say) from the server's body budget until release is
// called: when the budget is spent the answer is 503 with Retry-After, not an OOM-killed pod.
func (s *Server) readJSONBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, release func(), ok bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send a JSON object as application/json", ct))
			return nil, nil, false
		}
	}
	if enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc != "" && enc != "identity" {
		writeError(w, r, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q: send the JSON uncompressed", enc))
		return nil, nil, false
	}
	// Three times the body: the read buffer's growth and the decoded copy. A body sent
	// without Content-Length (chunked) reserves a small amount first and the rest once read.
	const perByte = 3
	reserved := int64(64<<10) * perByte
	if r.ContentLength >= 0 {
		reserved = (min(r.ContentLength, limit) + 1) * perByte
	}
	busy := func() {
		w.Header().Set("Retry-After", "1")
		writeError(w, r, http.StatusServiceUnavailable, "too many large requests in flight; retry shortly")
	}
	if !s.bodies.take(reserved) {
		busy()
		return nil, nil, false
	}
	body, err := io.ReadAll(requestBody(w, r, limit))
	if need := (int64(len(body)) + 1) * perByte; err == nil && need > reserved {
		if !s.bodies.take(need - reserved) {
			s.bodies.give(reserved)
			busy()
			return nil, nil, false
		}
		reserved = need
	}
	release = func() { s.bodies.give(reserved) }
	if err != nil {
		release()
		s.bodyReadError(w, r, err)
		return nil, nil, false
	}
	return body, release, true
}

// requestBody is r's body, capped at limit bytes, with its read failures marked as such
// (bodyError): the explain engine hands them back among its own errors, and a body that fails
// must get the same answer on every route.
func requestBody(w http.ResponseWriter, r *http.Request, limit int64) io.Reader {
	return bodyReader{http.MaxBytesReader(w, r.Body, limit)}
}

type bodyReader struct{ r io.Reader }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyError{err}
	}
	return n, err
}

// bodyError is a failure to read the request body: the connection or its framing, not what
// the body says.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// statusClientClosedRequest (nginx's 499) answers a request whose client has gone: nobody
// reads it, but the access log and ciagent_http_requests_total then tell a client that hung
// up from bad input (400) and from a server error (5xx, which fails a canary).
const statusClientClosedRequest = 499

// bodyReadError answers a request whose body could not be read (a bodyError), for every
// route: a client that stops sending gets a 408 it may retry, a body over the cap a 413, a
// client that hangs up a 499 and an info line, never an error. The read's own error is never
// sent: a socket error names both ends' addresses ("read tcp 10.1.2.3:8080->…"), and the
// server's is not the client's to learn.
func (s *Server) bodyReadError(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit))
	case isTimeout(err):
		writeError(w, r, http.StatusRequestTimeout, "reading the request body timed out")
	case errors.Is(err, io.ErrUnexpectedEOF) && r.ContentLength < 0:
		writeError(w, r, http.StatusBadRequest, "the request body ended before its last chunk")
	case errors.Is(err, io.ErrUnexpectedEOF):
		writeError(w, r, http.StatusBadRequest, "the request body ended before its Content-Length")
	case errors.As(err, new(net.Error)):
		// A reset connection: the client is gone. The log keeps the detail.
		s.clientGone(w, r, "reading a request body failed", err)
	default:
		// net/http's own: a malformed chunk ("invalid byte in chunk length"), no address.
		var be *bodyError
		if errors.As(err, &be) {
			err = be.err // without what the engine put around it ("reading the log: …")
		}
		writeError(w, r, http.StatusBadRequest, "the request body could not be read: "+err.Error())
	}
}

// isTimeout reports a network read that timed out (a client sending its body too slowly).
func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// clientGone answers a request whose client went away before its answer (a reset
// connection, a cancelled request) with a 499 it will not read, and logs why at info level:
// a client hanging up is no server error.
func (s *Server) clientGone(w http.ResponseWriter, r *http.Request, msg string, err error) {
	s.logger.Info(msg, "request_id", RequestID(r.Context()), "err", err)
	writeError(w, r, statusClientClosedRequest, "the client closed the connection")
}

// queryParams parses the query string strictly: r.URL.Query() drops a pair it cannot decode
// (repo=%zz), which would record the answer under no repository without a word. A bad query
// string is a 400 naming the problem; ok is false once it has been written.
func queryParams(w http.ResponseWriter, r *http.Request) (q url.Values, ok bool) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, fmt.Sprintf("query string: %v", err))
		return nil, false
	}
	return q, true
}
