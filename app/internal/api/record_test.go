package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
)

func openPipeline(t *testing.T, cfg pipeline.Config) *pipeline.Pipeline {
	t.Helper()
	if cfg.SpoolDir == "" {
		cfg.SpoolDir = t.TempDir()
	}
	p, err := pipeline.Open(t.Context(), cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatalf("pipeline.Open: %v", err)
	}
	p.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p.Close(ctx)
	})
	return p
}

// waitRow polls until query returns true (the writer is asynchronous by design).
func waitRow(t *testing.T, conn *pgx.Conn, query string, args ...any) bool {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var ok bool
		if err := conn.QueryRow(t.Context(), query, args...).Scan(&ok); err == nil && ok {
			return true
		}
	}
	return false
}

// TestAnswersAreRecordedAndFeedbackWorks runs explain, spam check and feedback over a real
// socket against a real PostgreSQL.
func TestAnswersAreRecordedAndFeedbackWorks(t *testing.T) {
	dbURL := pgtest.URL(t)
	p := openPipeline(t, pipeline.Config{DatabaseURL: dbURL})
	_, ts := newTestServer(t, Config{}, WithRecorder(p))
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())

	resp, body := post(t, ts.URL+"/v1/ci/explain?repo=acme/api&job=build", []byte("git clone https://bot:hunter2secret@git.acme.dev/x.git\n./main.go:3:2: undefined: x\n"), map[string]string{"Content-Type": "text/plain"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("explain = %d %s; want 200", resp.StatusCode, body)
	}
	var ans struct {
		ID           string `json:"id"`
		Propositions []struct {
			CauseID string `json:"cause_id"`
		} `json:"propositions"`
	}
	decodeJSON(t, body, &ans)
	explainID := uuid.MustParse(ans.ID)
	cause := ans.Propositions[0].CauseID

	// Feedback right away: the request may not be in PostgreSQL yet, and must still be found.
	fb := func(v any) (int, FeedbackResponse, http.Header) {
		b, _ := json.Marshal(v)
		resp, body := post(t, ts.URL+"/v1/feedback", b, map[string]string{"Content-Type": "application/json"})
		var out FeedbackResponse
		decodeJSON(t, body, &out)
		return resp.StatusCode, out, resp.Header
	}
	code, first, hdr := fb(FeedbackRequest{RequestID: ans.ID, CauseID: cause, Outcome: "accepted", Actor: "alice"})
	if code != http.StatusOK || first.ID == "" {
		t.Fatalf("feedback on %s/%s = %d %+v; want 200 with an id", ans.ID, cause, code, first)
	}
	// The feedback's own id (deterministic, README and openapi.yaml say so), not the request's.
	if id, err := uuid.Parse(first.ID); err != nil || id.Version() != 5 || first.ID == hdr.Get(apiv1.HeaderRequestID) {
		t.Errorf("feedback id %q (X-Request-Id %q); want a UUIDv5 other than the X-Request-Id", first.ID, hdr.Get(apiv1.HeaderRequestID))
	}
	code, again, _ := fb(FeedbackRequest{RequestID: ans.ID, CauseID: cause, Outcome: "accepted", Actor: "alice"})
	if code != http.StatusOK || again.ID != first.ID {
		t.Errorf("repeated feedback = %d id %s; want 200 and the same id %s", code, again.ID, first.ID)
	}

	if !waitRow(t, conn, "SELECT EXISTS (SELECT 1 FROM requests WHERE id = $1 AND kind = 'ci_explain' AND repo = 'acme/api' AND meta->>'job' = 'build')", [16]byte(explainID)) {
		t.Fatalf("explain answer %s never reached requests", explainID)
	}
	var input string
	if err := conn.QueryRow(t.Context(), "SELECT input FROM requests WHERE id = $1", [16]byte(explainID)).Scan(&input); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(input, "hunter2secret") || !strings.Contains(input, "bot:[REDACTED:url_password]@") {
		t.Errorf("stored input = %q; want the URL password redacted", input)
	}
	if !waitRow(t, conn, "SELECT EXISTS (SELECT 1 FROM propositions WHERE request_id = $1 AND rank = 1 AND cause_id = $2 AND features ? 'weight')", [16]byte(explainID), cause) {
		t.Errorf("proposition 1 of %s (%s, with features) never reached propositions", explainID, cause)
	}
	// The feedback carries what it is about (the request's kind and repo, the proposition's
	// category) from the start: retention may drop the request before the feedback is written.
	if !waitRow(t, conn, `SELECT count(*) = 1 FROM feedback f WHERE request_id = $1 AND cause_id = $2 AND outcome = 'accepted' AND actor = 'alice'
		AND kind = 'ci_explain' AND repo = 'acme/api'
		AND category = (SELECT category FROM propositions WHERE request_id = f.request_id AND cause_id = f.cause_id)`, [16]byte(explainID), cause) {
		t.Errorf("feedback on %s: want exactly one row, with the request's kind and repo and the proposition's category", explainID)
	}

	// A spam check is recorded too, with its reasons as propositions.
	resp, body = post(t, ts.URL+"/v1/spam/check", []byte(`{"text":"Claim your free airdrop now! Connect your wallet at https://bit.ly/x and enter your seed phrase","context":{"repo":"acme/api"}}`), map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("spam check = %d %s; want 200", resp.StatusCode, body)
	}
	var sp struct {
		ID      string `json:"id"`
		Reasons []struct {
			Code string `json:"code"`
		} `json:"reasons"`
	}
	decodeJSON(t, body, &sp)
	spamID := uuid.MustParse(sp.ID)
	if !waitRow(t, conn, "SELECT EXISTS (SELECT 1 FROM requests WHERE id = $1 AND kind = 'spam_check' AND repo = 'acme/api')", [16]byte(spamID)) {
		t.Fatalf("spam answer %s never reached requests", spamID)
	}
	if len(sp.Reasons) > 0 {
		if code, _, _ := fb(FeedbackRequest{RequestID: sp.ID, CauseID: sp.Reasons[0].Code, Outcome: "false_positive"}); code != http.StatusOK {
			t.Errorf("feedback on spam reason %s = %d; want 200", sp.Reasons[0].Code, code)
		}
	}

	tests := []struct {
		name string
		body string
		want int
	}{
		{"whole answer", `{"request_id":"` + ans.ID + `","outcome":"rejected"}`, http.StatusOK},
		{"unknown request", `{"request_id":"` + uuid.Must(uuid.NewV7()).String() + `","outcome":"accepted"}`, http.StatusNotFound},
		{"unknown cause", `{"request_id":"` + ans.ID + `","cause_id":"no.such.cause","outcome":"accepted"}`, http.StatusNotFound},
		{"not a uuid", `{"request_id":"abc","outcome":"accepted"}`, http.StatusBadRequest},
		{"missing request id", `{"outcome":"accepted"}`, http.StatusBadRequest},
		{"bad outcome", `{"request_id":"` + ans.ID + `","outcome":"maybe"}`, http.StatusBadRequest},
		{"unknown field", `{"request_id":"` + ans.ID + `","outcome":"accepted","x":1}`, http.StatusBadRequest},
		{"not json", `request_id=1`, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, ts.URL+"/v1/feedback", []byte(tc.body), map[string]string{"Content-Type": "application/json"})
			if resp.StatusCode != tc.want {
				t.Errorf("POST /v1/feedback %s = %d %s; want %d", tc.body, resp.StatusCode, body, tc.want)
			}
		})
	}
}

// TestSpoolFullAnswers503 fills a small spool in spool-only mode: answers turn into 503s with
// Retry-After (pipeline tests check that every acknowledged event is in the spool).
func TestSpoolFullAnswers503(t *testing.T) {
	dir := t.TempDir()
	p := openPipeline(t, pipeline.Config{SpoolDir: dir, SpoolMaxBytes: 16 << 10})
	_, ts := newTestServer(t, Config{}, WithRecorder(p))
	var ok, full int
	for i := 0; i < 200 && full < 3; i++ {
		resp, body := post(t, ts.URL+"/v1/ci/explain", []byte("./main.go:3:2: undefined: x\n"), map[string]string{"Content-Type": "text/plain"})
		switch resp.StatusCode {
		case http.StatusOK:
			ok++
		case http.StatusServiceUnavailable:
			full++
			if resp.Header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After: %s", body)
			}
		default:
			t.Fatalf("explain = %d %s; want 200 or 503", resp.StatusCode, body)
		}
	}
	if ok == 0 || full == 0 {
		t.Fatalf("a 16 KiB spool answered %d and refused %d; want both > 0", ok, full)
	}
}

func TestFeedbackWithoutPipelineIs503(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	resp, body := post(t, ts.URL+"/v1/feedback", []byte(`{"request_id":"`+uuid.Must(uuid.NewV7()).String()+`","outcome":"accepted"}`), map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("feedback without a pipeline = %d %s; want 503", resp.StatusCode, body)
	}
}
