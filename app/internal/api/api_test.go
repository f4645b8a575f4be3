package api

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
	"github.com/ci-agent/ci-agent/app/internal/cifailure"
	"github.com/ci-agent/ci-agent/app/internal/cifailure/cifailuretest"
)

func testEngine(t *testing.T) *cifailure.Engine { return cifailuretest.Engine(t) }

func newTestServer(t *testing.T, cfg Config, opts ...Option) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(cfg, slog.New(slog.DiscardHandler), testEngine(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

// reply is what post hands back: the status and headers of a response whose body it has
// already read and closed.
type reply struct {
	StatusCode int
	Header     http.Header
}

func post(t *testing.T, url string, body []byte, headers map[string]string) (reply, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{StatusCode: resp.StatusCode, Header: resp.Header}, data
}

// decodeJSON unmarshals a response body into v, failing the test when it is not JSON.
func decodeJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decoding %q: %v", data, err)
	}
}

func gz(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = io.WriteString(zw, s) // a gzip.Writer over a bytes.Buffer cannot fail
	_ = zw.Close()
	return b.Bytes()
}

func TestExplainEndpoint(t *testing.T) {
	_, ts := newTestServer(t, Config{MaxBody: 4096, MaxLogBytes: 8192})
	tests := []struct {
		name       string
		body       []byte
		headers    map[string]string
		wantStatus int
		wantCause  string // for 200
		wantError  string // substring of the error for non-200
	}{
		{"plain log", []byte("ok\nmain.go:1:1: undefined: x\n"), map[string]string{"Content-Type": "text/plain"}, 200, "t.single", ""},
		{"no content type", []byte("undefined: x\n"), nil, 200, "t.single", ""},
		{"gzip encoding", gz("undefined: x\n"), map[string]string{"Content-Encoding": "gzip"}, 200, "t.single", ""},
		{"gzip body without header", gz("undefined: x\n"), nil, 200, "t.single", ""},
		{"unmatched log is unknown", []byte("all fine\nthen error: odd\n"), nil, 200, "unknown", ""},
		{"empty", nil, nil, 400, "", "empty"},
		{"invalid gzip", []byte("not gzip at all"), map[string]string{"Content-Encoding": "gzip"}, 400, "", "invalid gzip"},
		{"corrupt gzip stream", gz(strings.Repeat("undefined: x\n", 500))[:40], map[string]string{"Content-Encoding": "gzip"}, 400, "", "invalid gzip"},
		{"binary", []byte("\x7fELF\x00\x00\x01"), nil, 415, "", "binary"},
		{"json content type", []byte(`{"log":"x"}`), map[string]string{"Content-Type": "application/json"}, 415, "", "text/plain"},
		{"brotli", []byte("x"), map[string]string{"Content-Encoding": "br"}, 415, "", "only gzip"},
		{"body over cap", bytes.Repeat([]byte("a\n"), 4000), nil, 413, "", "larger than 4096"},
		{"gzip bomb over decompressed cap", gz(strings.Repeat("a\n", 10000)), map[string]string{"Content-Encoding": "gzip"}, 413, "", "decompressed log larger"},
		{"gzip bomb without the header", gz(strings.Repeat("a\n", 10000)), nil, 413, "", "decompressed log larger"},
		{"gzip inside gzip", gz(string(gz("undefined: x\n"))), map[string]string{"Content-Encoding": "gzip"}, 415, "", "gzip inside gzip"},
		{"gzip inside gzip without the header", gz(string(gz("undefined: x\n"))), nil, 415, "", "gzip inside gzip"},
	}
	// A query pair that cannot be decoded is refused, not dropped (the answer would be
	// recorded under no repository).
	if resp, data := post(t, ts.URL+"/v1/ci/explain?repo=%zz&job=build", []byte("undefined: x\n"), nil); resp.StatusCode != 400 || !strings.Contains(string(data), "query string") {
		t.Errorf("POST ?repo=%%zz: %d %s; want 400 naming the query string", resp.StatusCode, data)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := post(t, ts.URL+"/v1/ci/explain?repo=o/r&job=build", tc.body, tc.headers)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("POST %s: status %d (%s); want %d", tc.name, resp.StatusCode, data, tc.wantStatus)
			}
			id := resp.Header.Get(apiv1.HeaderRequestID)
			if u, err := uuid.Parse(id); err != nil || u.Version() != 7 {
				t.Errorf("X-Request-Id %q: want a UUIDv7", id)
			}
			if resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type = %q; want application/json", resp.Header.Get("Content-Type"))
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v; want nosniff and no-store on an answer", resp.Header)
			}
			if tc.wantStatus != 200 {
				var e apiv1.Error
				if err := json.Unmarshal(data, &e); err != nil || !strings.Contains(e.Error, tc.wantError) || e.RequestID != id {
					t.Errorf("error body %s: want error containing %q and request_id %s", data, tc.wantError, id)
				}
				return
			}
			var got apiv1.ExplainResponse
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("decoding %s: %v", data, err)
			}
			if got.ID != id {
				t.Errorf("id = %q; want the X-Request-Id %q", got.ID, id)
			}
			if got.Propositions[0].CauseID != tc.wantCause {
				t.Errorf("top cause = %q; want %q", got.Propositions[0].CauseID, tc.wantCause)
			}
		})
	}
}

func TestCheckExposure(t *testing.T) {
	keys := &KeySet{}
	tests := []struct {
		addr     string
		keys     *KeySet
		insecure bool
		wantErr  bool
	}{
		{"127.0.0.1:8080", nil, false, false},
		{"localhost:8080", nil, false, false},
		{"[::1]:8080", nil, false, false},
		{":8080", nil, false, true},
		{"0.0.0.0:8080", nil, false, true},
		{"10.1.2.3:8080", nil, false, true},
		{":8080", keys, false, false},
		{":8080", nil, true, false},
		{"no-port", nil, false, true},
	}
	for _, tc := range tests {
		err := CheckExposure(tc.addr, tc.keys, tc.insecure)
		if (err != nil) != tc.wantErr {
			t.Errorf("CheckExposure(%q, keys=%v, insecure=%v) = %v; want error %v", tc.addr, tc.keys != nil, tc.insecure, err, tc.wantErr)
		}
	}
}

// repo, job and provider are stored with every answer: capped, not stored at any length.
func TestExplainParamCaps(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	for _, name := range []string{"repo", "job", "provider"} {
		resp, data := post(t, ts.URL+"/v1/ci/explain?"+name+"="+strings.Repeat("a", maxParam+1), []byte("undefined: x\n"), nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), "query parameter "+name) {
			t.Errorf("%s of %d bytes = %d %s; want 400 naming it", name, maxParam+1, resp.StatusCode, data)
		}
	}
	if resp, data := post(t, ts.URL+"/v1/ci/explain?repo="+strings.Repeat("a", maxParam), []byte("undefined: x\n"), nil); resp.StatusCode != http.StatusOK {
		t.Errorf("repo of %d bytes = %d %s; want 200", maxParam, resp.StatusCode, data)
	}
}

// A body that ends before its Content-Length is the client's fault: 400, not a 500 that
// counts against the canary's error gate.
func TestExplainTruncatedBody(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/ci/explain HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nundefined: x\nmore\n")
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "ended before its Content-Length") {
		t.Errorf("truncated body = %d %s; want 400 saying the body ended early", resp.StatusCode, body)
	}
}

func TestProbesAndMetrics(t *testing.T) {
	failing := true
	_, ts := newTestServer(t, Config{}, WithReadyCheck(ReadyCheck{Name: "db", Check: func(context.Context) error {
		if failing {
			return errors.New("down")
		}
		return nil
	}}))
	get := func(path string) (int, string) {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d %s; want 200", code, body)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, `"db":"down"`) {
		t.Errorf("/readyz with a failing check = %d %s; want 503 naming db", code, body)
	}
	failing = false
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz = %d %s; want 200", code, body)
	}
	if code, body := get("/nope"); code != 404 || !strings.Contains(body, "no such route") {
		t.Errorf("/nope = %d %s; want a JSON 404", code, body)
	}
	post(t, ts.URL+"/v1/ci/explain", []byte("undefined: x\n"), nil)
	post(t, ts.URL+"/v1/spam/check", []byte(`{"text":"thanks, the fix works"}`), nil)
	_, metrics := get("/metrics")
	for _, want := range []string{
		`ciagent_http_requests_total{code="200",route="/v1/ci/explain"} 1`,
		`ciagent_http_requests_total{code="404",route="other"} 1`,
		`ciagent_http_request_duration_seconds_bucket{route="/v1/ci/explain"`,
		`ciagent_ci_explain_category_total{category="compile"} 1`,
		`ciagent_spam_verdicts_total{verdict="allow"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// A live check fails /healthz (the kubelet restarts the pod) and /readyz; a ready check
// only /readyz (a database outage is ridden out, not restarted away).
func TestLiveCheck(t *testing.T) {
	_, ts := newTestServer(t, Config{},
		WithReadyCheck(ReadyCheck{Name: "db", Check: func(context.Context) error { return nil }}),
		WithLiveCheck(ReadyCheck{Name: "spool_writable", Check: func(context.Context) error { return errors.New("no space left on device") }}))
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || !strings.Contains(string(b), `"spool_writable":"no space left on device"`) {
			t.Errorf("%s with a failing live check = %d %s; want 503 naming it", path, resp.StatusCode, b)
		}
	}
}

// startServe runs Serve on a free loopback port; cancel starts its shutdown, and done gives
// what Serve returned.
func startServe(t *testing.T, cfg Config) (addr net.Addr, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	s, err := New(cfg, slog.New(slog.DiscardHandler), testEngine(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ctx, ready) }()
	return <-ready, cancel, errc
}

func TestServeShutsDownGracefully(t *testing.T) {
	addr, cancel, done := startServe(t, Config{ShutdownTimeout: 5 * time.Second})
	resp, data := post(t, "http://"+addr.String()+"/v1/ci/explain", []byte("undefined: x\n"), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel = %v; want nil", err)
	}
	if _, err := net.Dial("tcp", addr.String()); err == nil {
		t.Error("the listener still accepts connections after shutdown")
	}
}

// A client still sending its body at shutdown is cut at the shutdown timeout, and Serve ends
// cleanly: it used to wait for the read timeout (two minutes) and exit with an error.
func TestServeCutsSlowClientsAtShutdown(t *testing.T) {
	addr, cancel, done := startServe(t, Config{ShutdownTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/ci/explain HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nundefined: x\n")
	time.Sleep(50 * time.Millisecond) // the request is in its handler, reading
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve with a slow client at shutdown = %v; want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve still waits for a slow client long after the shutdown timeout")
	}
}

func TestServeRefusesOpenExposure(t *testing.T) {
	s, err := New(Config{Addr: "0.0.0.0:0"}, slog.New(slog.DiscardHandler), testEngine(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "without API keys") {
		t.Errorf("Serve on 0.0.0.0 without keys = %v; want a refusal", err)
	}
}

// Feedback bodies are checked as spam-check bodies are: UTF-8 (encoding/json would store
// U+FFFD and derive the feedback's id from it), and errors phrased for the client, not as Go
// types. Decoding comes before the pipeline, so no recorder is needed.
func TestFeedbackBodyErrors(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	id := uuid.Must(uuid.NewV7()).String()
	tests := []struct {
		name, body, wantMsg string
	}{
		{"invalid UTF-8 in actor", `{"request_id":"` + id + `","outcome":"accepted","actor":"bad ` + "\xff" + `"}`, "request is not valid UTF-8 (invalid byte at 87)"},
		{"an array", `[1]`, "request must be a JSON object, got an array"},
		{"actor of the wrong type", `{"request_id":"` + id + `","outcome":"accepted","actor":5}`, `field "actor" must be a string, got a number`},
		{"request id of the wrong type", `{"request_id":{}}`, `field "request_id" must be a string, got an object`},
		{"unknown field", `{"request_id":"` + id + `","outcome":"accepted","x":1}`, `unknown field "x"`},
		{"two values", `{"outcome":"accepted"} {}`, "more than one value"},
		{"empty", ``, "empty request body"},
		{"cut inside the object", `{"outcome":`, "invalid JSON: the body ends inside a value"},
		{"syntax", `{"outcome" "x"}`, "invalid JSON at byte 11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := post(t, ts.URL+"/v1/feedback", []byte(tc.body), map[string]string{"Content-Type": "application/json"})
			var e apiv1.Error
			decodeJSON(t, data, &e)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Error, tc.wantMsg) {
				t.Errorf("POST /v1/feedback %q = %d %s; want 400 containing %q", tc.body, resp.StatusCode, data, tc.wantMsg)
			}
			for _, internal := range []string{"Go ", "json:", "FeedbackRequest"} {
				if strings.Contains(e.Error, internal) {
					t.Errorf("POST /v1/feedback %q = %s; want no %q (Go internals)", tc.body, data, internal)
				}
			}
		})
	}
}
