package api

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
)

// How a request whose body cannot be read is answered, on every route that reads one, over
// real sockets: the same status on every route, never a socket address in the answer, and a
// client that hangs up is a 499 logged at info level, never a 5xx or an error line.
func TestBodyReadErrors(t *testing.T) {
	const maxBody = 1 << 10
	routes := []struct {
		path, contentType string
		start             string // the beginning of a valid body
		limit             int    // the route's body cap with MaxBody = maxBody
		tooLarge          string // a valid body one byte over the cap
		bad               string // a body that is read whole and refused
		badMsg            string
	}{
		{"/v1/ci/explain", "text/plain", "undefined: x\n", maxBody,
			strings.Repeat("x", maxBody+1), " \n", "the log is empty"},
		{"/v1/spam/check", "application/json", `{"text":"`, maxBody,
			`{"text":"` + strings.Repeat("a", maxBody-10) + `"}`, `{"text":"\udfff"}`, "unpaired surrogate escape"},
		{"/v1/feedback", "application/json", `{"request_id":"`, maxFeedbackBody,
			`{"actor":"` + strings.Repeat("a", maxFeedbackBody-11) + `"}`, `{"request_id":"\ud800x"}`, "unpaired surrogate escape"},
	}
	tests := []struct {
		name    string
		cfg     Config
		request func(path, contentType, start, tooLarge, bad string) string
		end     clientEnd
		status  int
		msg     string
	}{
		{"stalled body", Config{ReadTimeout: 300 * time.Millisecond},
			func(path, ct, start, _, _ string) string { return header(path, ct, "Content-Length: 1000") + start },
			waitForAnswer, http.StatusRequestTimeout, "reading the request body timed out"},
		{"too large", Config{},
			func(path, ct, _, tooLarge, _ string) string {
				return header(path, ct, fmt.Sprintf("Content-Length: %d", len(tooLarge))) + tooLarge
			},
			waitForAnswer, http.StatusRequestEntityTooLarge, "request body larger than"},
		{"client reset mid-body", Config{},
			func(path, ct, start, _, _ string) string {
				return header(path, ct, "Content-Length: 1000\r\nExpect: 100-continue") + start
			},
			resetAfterContinue, statusClientClosedRequest, ""},
		{"body shorter than its length", Config{},
			func(path, ct, start, _, _ string) string { return header(path, ct, "Content-Length: 1000") + start },
			closeWrite, http.StatusBadRequest, "the request body ended before its Content-Length"},
		{"chunked body cut short", Config{},
			func(path, ct, start, _, _ string) string {
				return header(path, ct, "Transfer-Encoding: chunked") + "400\r\n" + start
			},
			closeWrite, http.StatusBadRequest, "the request body ended before its last chunk"},
		{"malformed chunk", Config{},
			func(path, ct, start, _, _ string) string {
				return header(path, ct, "Transfer-Encoding: chunked") + "zz\r\n" + start
			},
			waitForAnswer, http.StatusBadRequest, "the request body could not be read: invalid byte in chunk length"},
		{"bad input", Config{},
			func(path, ct, _, _, bad string) string {
				return header(path, ct, fmt.Sprintf("Content-Length: %d", len(bad))) + bad
			},
			waitForAnswer, http.StatusBadRequest, ""},
	}
	for _, tc := range tests {
		for _, route := range routes {
			t.Run(tc.name+route.path, func(t *testing.T) {
				cfg := tc.cfg
				cfg.MaxBody = maxBody
				var logs logRecorder
				s, addr := serveForTest(t, cfg, slog.New(&logs))
				status, body := send(t, addr, tc.request(route.path, route.contentType, route.start, route.tooLarge, route.bad), tc.end)
				msg := tc.msg
				switch tc.name {
				case "bad input":
					msg = route.badMsg
				case "too large":
					msg = fmt.Sprintf("request body larger than %d bytes", route.limit)
				}
				if tc.end != resetAfterContinue && (status != tc.status || !strings.Contains(body, msg)) {
					t.Errorf("answer %d %s; want %d saying %q", status, body, tc.status, msg)
				}
				if strings.Contains(body, "127.0.0.1") {
					t.Errorf("answer %s; want no socket address", body)
				}
				if code := answeredCode(t, s, route.path); code != fmt.Sprint(tc.status) {
					t.Errorf("ciagent_http_requests_total counts code %s; want %d", code, tc.status)
				}
				records := logs.take("")
				for _, r := range records {
					if strings.HasPrefix(r, "ERROR") {
						t.Errorf("logged %q; a body the client did not send whole is no server error", r)
					}
				}
				if tc.end == resetAfterContinue && !slices.Contains(records, "INFO reading a request body failed") {
					t.Errorf("logged %q; want the reset at info level", records)
				}
			})
		}
	}
}

// header is a request's head up to its body, with the extra header lines given.
func header(path, contentType, extra string) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n%s\r\n\r\n", path, contentType, extra)
}

// clientEnd is what the client does once it has sent its request.
type clientEnd int

const (
	waitForAnswer      clientEnd = iota // read the answer
	closeWrite                          // say it sends no more (FIN), then read the answer
	resetAfterContinue                  // wait for 100 Continue, send the rest, and reset the connection
)

// send writes request on a new connection to addr and ends as end says. It returns the
// answer's status and body; none after a reset.
func send(t *testing.T, addr, request string, end clientEnd) (status int, body string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	if end == resetAfterContinue {
		// The head first: the server says 100 Continue when the handler starts reading the
		// body, so the reset lands in the body's read, not in the head's.
		head, start, _ := strings.Cut(request, "\r\n\r\n")
		if _, err := io.WriteString(conn, head+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
			t.Fatalf("before the body: %q, %v; want 100 Continue", line, err)
		}
		if _, err := io.WriteString(conn, start); err != nil {
			t.Fatal(err)
		}
		_ = conn.(*net.TCPConn).SetLinger(0) // Close sends a reset
		return 0, ""
	}
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	if end == closeWrite {
		if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// serveForTest runs a Server with cfg and log on a free loopback port until the test ends.
func serveForTest(t *testing.T, cfg Config, log *slog.Logger, opts ...Option) (*Server, string) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	s, err := New(cfg, log, testEngine(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ready) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, (<-ready).String()
}

// answeredCode waits until ciagent_http_requests_total counts a request on route, which it
// does once the handler has returned (after a reset, the client's only sign of it), and
// returns its code label.
func answeredCode(t *testing.T, s *Server, route string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mfs, err := s.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "ciagent_http_requests_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["route"] == route {
					return labels["code"]
				}
			}
		}
	}
	t.Fatalf("no request on %s counted after 10 s", route)
	return ""
}

// stallingRecorder is a recorder whose feedback check waits until the request is over.
type stallingRecorder struct {
	Recorder
	checking chan struct{}
}

func (r *stallingRecorder) FindTarget(ctx context.Context, _ uuid.UUID, _, _ string) (pipeline.Target, error) {
	close(r.checking)
	<-ctx.Done()
	return pipeline.Target{}, fmt.Errorf("looking up the request: %w", ctx.Err())
}

// A client that hangs up while its feedback is being checked is counted as 499 and logged at
// info, not as the database's 503 with a warning: the SLO and the canary count 5xx.
func TestFeedbackClientGoneDuringTheCheck(t *testing.T) {
	var logs logRecorder
	rec := &stallingRecorder{checking: make(chan struct{})}
	s, addr := serveForTest(t, Config{}, slog.New(&logs), WithRecorder(rec))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"request_id":"01a24c43-f098-76a1-b79b-c98730e7f196","outcome":"accepted"}`
	if _, err := io.WriteString(conn, header("/v1/feedback", "application/json", fmt.Sprintf("Content-Length: %d", len(body)))+body); err != nil {
		t.Fatal(err)
	}
	<-rec.checking
	conn.Close()
	if code := answeredCode(t, s, "/v1/feedback"); code != fmt.Sprint(statusClientClosedRequest) {
		t.Errorf("ciagent_http_requests_total counts code %s; want %d", code, statusClientClosedRequest)
	}
	for _, r := range logs.take("") {
		if !strings.HasPrefix(r, "INFO") {
			t.Errorf("logged %q; a client that left is not the server's problem", r)
		}
	}
}
