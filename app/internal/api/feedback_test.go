package api

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
)

// TestFeedbackRecordsItsClient sends feedback over a real socket with API keys and reads the
// stored row from a real PostgreSQL: its client is the key that sent it, whatever actor the
// body names (actor is the client's word; the key is what makes feedback attributable).
func TestFeedbackRecordsItsClient(t *testing.T) {
	dbURL := pgtest.URL(t)
	keys, keyOf := keySet(t, map[string]Scopes{
		"ci-bot":     ScopeExplain | ScopeFeedback,
		"moderators": ScopeFeedback | ScopeFeedbackAny,
	})
	_, ts := newTestServer(t, Config{APIKeys: keys}, WithRecorder(openPipeline(t, pipeline.Config{DatabaseURL: dbURL})))
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	as := func(client string, path string, body []byte, contentType string) (reply, []byte) {
		t.Helper()
		return post(t, ts.URL+path, body, map[string]string{"Authorization": "Bearer " + keyOf[client], "Content-Type": contentType})
	}

	resp, body := as("ci-bot", "/v1/ci/explain", []byte("./main.go:3:2: undefined: x\n"), "text/plain")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("explain as ci-bot = %d %s; want 200", resp.StatusCode, body)
	}
	var answer struct{ ID string }
	decodeJSON(t, body, &answer)

	tests := []struct {
		name      string
		client    string
		req       FeedbackRequest
		wantActor string
	}{
		{"actor defaults to the key's name", "ci-bot", FeedbackRequest{Outcome: "accepted"}, "ci-bot"},
		{"explicit actor", "ci-bot", FeedbackRequest{Outcome: "rejected", Actor: "alice"}, "alice"},
		{"another key naming the same actor", "moderators", FeedbackRequest{Outcome: "false_positive", Actor: "alice"}, "alice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.RequestID = answer.ID
			b, _ := json.Marshal(tc.req)
			resp, body := as(tc.client, "/v1/feedback", b, "application/json")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("feedback as %s = %d %s; want 200", tc.client, resp.StatusCode, body)
			}
			var fb FeedbackResponse
			decodeJSON(t, body, &fb)
			if !waitRow(t, conn, `SELECT EXISTS (SELECT 1 FROM feedback WHERE id = $1)`, fb.ID) {
				t.Fatalf("feedback %s never reached the feedback table", fb.ID)
			}
			var client, actor *string
			if err := conn.QueryRow(t.Context(), `SELECT client, actor FROM feedback WHERE id = $1`, fb.ID).Scan(&client, &actor); err != nil {
				t.Fatal(err)
			}
			if client == nil || *client != tc.client || actor == nil || *actor != tc.wantActor {
				t.Errorf("stored feedback: client %v, actor %v; want %s, %s", deref(client), deref(actor), tc.client, tc.wantActor)
			}
		})
	}
}

// deref shows a nullable column as its value, or NULL.
func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}
