package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
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

// bodyReadError answers a JSON request whose body could not be read, with the statuses
// explainError gives a log: a client that stops sending gets a 408 it may retry, not a 400.
// The read's own error is never sent: a socket error names both ends' addresses
// ("read tcp 10.1.2.3:8080->…"), and the server's is not the client's to learn.
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
		// A reset connection: the client is most likely gone. The log keeps the detail.
		s.logger.Info("reading a request body failed", "request_id", RequestID(r.Context()), "err", err)
		writeError(w, r, http.StatusBadRequest, "the connection failed while the request body was being read")
	default:
		// net/http's own: a malformed chunk ("invalid byte in chunk length"), no address.
		writeError(w, r, http.StatusBadRequest, "the request body could not be read: "+err.Error())
	}
}

// decodeJSONBody decodes a body holding one JSON object into v, the one way every JSON
// endpoint reads its request. Its errors are for the client: they name fields by their path
// in the request ("author.account_age_days"), never by Go type.
func decodeJSONBody(body []byte, v any) error {
	// encoding/json turns every invalid UTF-8 byte into U+FFFD: a spam span would index text
	// the caller never sent, and a feedback id would be derived from text it never sent.
	// JSON is UTF-8 (RFC 8259): say so instead.
	if !utf8.Valid(body) {
		bad := 0
		for bad < len(body) {
			r, size := utf8.DecodeRune(body[bad:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			bad += size
		}
		return fmt.Errorf("request is not valid UTF-8 (invalid byte at %d); send text as UTF-8", bad)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err, body, reflect.TypeOf(v))
	}
	// Token, not More: More is false before a stray '}' or ']', which would pass unseen.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("invalid JSON: more than one value")
	}
	return nil
}

// describeJSONError rephrases a decoding error of body into t for the client.
func describeJSONError(err error, body []byte, t reflect.Type) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr):
		// Offset counts the bytes read, the bad one included: the index is one less, as in
		// the UTF-8 error's "invalid byte at".
		return fmt.Errorf("invalid JSON at byte %d: %s", max(syntaxErr.Offset-1, 0), syntaxErr.Error())
	case errors.As(err, &typeErr):
		return describeTypeError(typeErr)
	case errors.Is(err, io.EOF):
		return errors.New("empty request body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("invalid JSON: the body ends inside a value")
	}
	// encoding/json has no type for this one, and names only the field, not where it is.
	if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, uerr := strconv.Unquote(quoted)
		if uerr != nil {
			name = quoted
		}
		if path, found := unknownFieldPath(json.NewDecoder(bytes.NewReader(body)), t, ""); found {
			name = path
		}
		return fmt.Errorf("unknown field %q", name)
	}
	return fmt.Errorf("invalid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func describeTypeError(e *json.UnmarshalTypeError) error {
	got := e.Value // "string", "number", "number 1.5", "bool", "array", "object"
	if g, ok := strings.CutPrefix(got, "number "); ok {
		got = g
	} else if article, ok := map[string]string{"string": "a ", "number": "a ", "bool": "a ", "array": "an ", "object": "an "}[got]; ok {
		got = article + got
	}
	if e.Field == "" {
		return fmt.Errorf("request must be a JSON object, got %s", got)
	}
	want := e.Type
	for want.Kind() == reflect.Pointer {
		want = want.Elem()
	}
	switch want.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if !strings.HasPrefix(e.Value, "number ") {
			return fmt.Errorf("field %q must be a whole number, got %s", e.Field, got)
		}
		// 1e3 is a whole number to JSON Schema, but the decoder takes plain digits only;
		// saying "must be a number, got number 1e3" helped nobody.
		if strings.ContainsAny(got, ".eE") {
			return fmt.Errorf("field %q must be a whole number in plain digits (such as 1000), got %s", e.Field, got)
		}
		return fmt.Errorf("field %q is out of range, got %s", e.Field, got)
	case reflect.Float32, reflect.Float64:
		return fmt.Errorf("field %q must be a number, got %s", e.Field, got)
	case reflect.String:
		return fmt.Errorf("field %q must be a string, got %s", e.Field, got)
	case reflect.Bool:
		return fmt.Errorf("field %q must be true or false, got %s", e.Field, got)
	case reflect.Slice, reflect.Array:
		return fmt.Errorf("field %q must be an array, got %s", e.Field, got)
	default:
		return fmt.Errorf("field %q must be an object, got %s", e.Field, got)
	}
}

// unknownFieldPath walks the JSON value at dec's position as decoding into t would, and
// returns the path ("context.pr") of the first key t has no field for. t nil: anything goes.
func unknownFieldPath(dec *json.Decoder, t reflect.Type, path string) (string, bool) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return "", false
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return "", false
			}
			key, _ := tok.(string)
			at := key
			if path != "" {
				at = path + "." + key
			}
			var inner reflect.Type
			switch {
			case t == nil:
			case t.Kind() == reflect.Map:
				inner = t.Elem()
			case t.Kind() == reflect.Struct:
				f, ok := jsonField(t, key)
				if !ok {
					return at, true
				}
				inner = f.Type
			}
			if p, found := unknownFieldPath(dec, inner, at); found {
				return p, true
			}
		}
		_, _ = dec.Token() // the closing '}'; the body decoded up to here once already
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if p, found := unknownFieldPath(dec, elem, fmt.Sprintf("%s[%d]", path, i)); found {
				return p, true
			}
		}
		_, _ = dec.Token()
	}
	return "", false
}

// jsonField finds the field of struct t that encoding/json decodes key into: by its json
// name, with any case, as the decoder matches.
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	for _, f := range reflect.VisibleFields(t) {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if !f.IsExported() || tag == "-" || (f.Anonymous && name == "") {
			continue // an untagged embedded struct's fields are listed on their own
		}
		if name == "" {
			name = f.Name
		}
		if strings.EqualFold(name, key) {
			return f, true
		}
	}
	return reflect.StructField{}, false
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
