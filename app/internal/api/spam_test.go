package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
	"github.com/ci-agent/ci-agent/app/internal/ranking"
	"github.com/ci-agent/ci-agent/app/internal/spam"
)

func TestSpamCheck(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	url := ts.URL + "/v1/spam/check"
	json200 := map[string]string{"Content-Type": "application/json"}

	t.Run("scam is blocked with spans into the text", func(t *testing.T) {
		text := "Support team here: connect your wallet at https://verifymetamask.io/login and enter your seed phrase to validate."
		body, _ := json.Marshal(map[string]any{"kind": "comment", "text": text,
			"author": map[string]any{"login": "x", "account_age_days": 0, "prior_contributions": 0}, "context": map[string]any{"repo": "o/r"}})
		resp, data := post(t, url, body, json200)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s = %d %s; want 200", url, resp.StatusCode, data)
		}
		var got spam.Response
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatal(err)
		}
		id, err := uuid.Parse(got.ID)
		if err != nil || id.Version() != 7 || got.ID != resp.Header.Get(apiv1.HeaderRequestID) {
			t.Errorf("id = %q (header %q); want the request's UUIDv7", got.ID, resp.Header.Get(apiv1.HeaderRequestID))
		}
		if got.Verdict != spam.Block {
			t.Errorf("verdict = %s (score %.2f, %+v); want block", got.Verdict, got.Score, got.Reasons)
		}
		for _, r := range got.Reasons {
			if r.Span[0] < 0 || r.Span[1] > len(text) || r.Span[0] > r.Span[1] {
				t.Errorf("reason %s span %v outside the %d-byte text", r.Code, r.Span, len(text))
			}
			if r.Code == spam.CodePhishingURL && text[r.Span[0]:r.Span[1]] != "https://verifymetamask.io/login" {
				t.Errorf("phishing_url span covers %q; want the URL", text[r.Span[0]:r.Span[1]])
			}
		}
	})

	t.Run("ordinary comment is allowed and still has reasons", func(t *testing.T) {
		resp, data := post(t, url, []byte(`{"text":"LGTM, merging after CI"}`), nil)
		var got spam.Response
		decodeJSON(t, data, &got)
		if resp.StatusCode != http.StatusOK || got.Verdict != spam.Allow || len(got.Reasons) == 0 {
			t.Errorf("POST LGTM = %d %s; want 200 allow with the model's reason", resp.StatusCode, data)
		}
	})

	t.Run("a text at the cap, escaped to six times its size", func(t *testing.T) {
		// Every control character is six bytes in JSON ("\u0001"): the body cap must not
		// turn away a text the text cap accepts.
		body := `{"text":"` + strings.Repeat(`\u0001`, spam.MaxTextBytes) + `"}`
		resp, data := post(t, url, []byte(body), nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("POST a %d-byte body holding a %d-byte text = %d %.200s; want 200", len(body), spam.MaxTextBytes, resp.StatusCode, data)
		}
	})

	errorCases := []struct {
		name, body, contentType string
		status                  int
		wantMsg                 string
	}{
		{"missing text", `{"kind":"issue"}`, "", 400, `"text" is required`},
		{"text wrong type", `{"text":42}`, "", 400, `field "text" must be a string, got a number`},
		{"age wrong type", `{"text":"x","author":{"account_age_days":"old"}}`, "", 400, `field "author.account_age_days" must be a whole number, got a string`},
		// 1e3 is a whole number to JSON Schema but not to the decoder: said plainly, not as
		// "must be a number, got number 1e3".
		{"age with an exponent", `{"text":"x","author":{"account_age_days":1e3}}`, "", 400, `field "author.account_age_days" must be a whole number in plain digits (such as 1000), got 1e3`},
		{"age with a fraction", `{"text":"x","author":{"account_age_days":1.5}}`, "", 400, `field "author.account_age_days" must be a whole number in plain digits (such as 1000), got 1.5`},
		{"age past 64 bits", `{"text":"x","author":{"prior_contributions":99999999999999999999}}`, "", 400, `field "author.prior_contributions" is out of range, got 99999999999999999999`},
		{"author not an object", `{"text":"x","author":"me"}`, "", 400, `field "author" must be an object, got a string`},
		{"an array", `[{"text":"x"}]`, "", 400, `request must be a JSON object, got an array`},
		{"unknown field", `{"text":"x","extra":1}`, "", 400, `unknown field "extra"`},
		{"unknown nested field", `{"text":"x","context":{"repo":"o/r","pr":1}}`, "", 400, `unknown field "context.pr"`},
		{"unknown field in author", `{"text":"x","author":{"login":"a","Age":1}}`, "", 400, `unknown field "author.Age"`},
		{"known field in another case", `{"text":"x","Author":{"LOGIN":"a"},"context":{"pr":1}}`, "", 400, `unknown field "context.pr"`},
		{"not json", `hello`, "", 400, "invalid JSON"},
		{"empty body", ``, "", 400, "empty request body"},
		{"wrong content type", `{"text":"x"}`, "text/plain", 415, "application/json"},
		{"over the body cap", `{"text":"` + strings.Repeat("a", maxSpamBody) + `"}`, "", 413, "larger than"},
		{"text over the text cap", `{"text":"` + strings.Repeat("a", spam.MaxTextBytes+1) + `"}`, "", 413, "larger than"},
		{"invalid UTF-8", "{\"text\":\"\xff enter your seed phrase\"}", "", 400, "request is not valid UTF-8 (invalid byte at 9)"},
	}
	t.Run("a compressed body", func(t *testing.T) {
		// The header used to be ignored, and the gzip bytes reported as "not valid UTF-8".
		resp, data := post(t, url, gz(`{"text":"x"}`), map[string]string{"Content-Encoding": "gzip"})
		if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(string(data), "Content-Encoding") {
			t.Errorf("POST with Content-Encoding gzip = %d %s; want 415 naming the encoding", resp.StatusCode, data)
		}
	})

	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			headers := map[string]string{}
			if tc.contentType != "" {
				headers["Content-Type"] = tc.contentType
			}
			resp, data := post(t, url, []byte(tc.body), headers)
			var e apiv1.Error
			decodeJSON(t, data, &e)
			if resp.StatusCode != tc.status || !strings.Contains(e.Error, tc.wantMsg) || e.RequestID == "" {
				t.Errorf("POST %s = %d %s; want %d with an error containing %q and a request_id", excerptBody(tc.body), resp.StatusCode, data, tc.status, tc.wantMsg)
			}
		})
	}
}

func TestSpamCheckWithConfiguredChecker(t *testing.T) {
	cfg := spam.DefaultConfig()
	cfg.Thresholds = spam.Thresholds{Flag: 0.01, Hide: 0.02, Block: 0.03}
	c, err := spam.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newTestServer(t, Config{}, WithSpamChecker(c))
	resp, data := post(t, ts.URL+"/v1/spam/check", []byte(`{"text":"Free entry to win a prize, txt WIN to 80086 now!"}`), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), `"verdict":"block"`) {
		t.Errorf("POST with block threshold 0.03 = %d %s; want 200 block", resp.StatusCode, data)
	}
}

// TestOpenAPISpamSchema keeps the spam schemas true to what the server sends.
func TestOpenAPISpamSchema(t *testing.T) {
	doc := loadSpec(t)
	_, ts := newTestServer(t, Config{})
	_, data := post(t, ts.URL+"/v1/spam/check", []byte(`{"text":"free prize, see https://bit.ly/x"}`), nil)
	var top map[string]json.RawMessage
	decodeJSON(t, data, &top)
	checkObject(t, doc, "SpamCheckResponse", top)
	var reasons []map[string]json.RawMessage
	decodeJSON(t, top["reasons"], &reasons)
	if len(reasons) == 0 {
		t.Fatalf("no reasons in %s", data)
	}
	checkObject(t, doc, "SpamReason", reasons[0])
	var codes []string
	for _, c := range doc.Components.Schemas["SpamReason"].Properties["code"].(map[string]any)["enum"].([]any) {
		codes = append(codes, c.(string))
	}
	if strings.Join(codes, ",") != strings.Join(spam.ReasonCodes, ",") {
		t.Errorf("openapi SpamReason.code enum = %v; want the proposer's vocabulary %v", codes, spam.ReasonCodes)
	}
}

func excerptBody(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// reversingRanking is a stand-in model: it reverses every answer and names itself.
type reversingRanking struct{ kinds []string }

func (r *reversingRanking) Rank(kind, repo string, at time.Time, cands []ranking.Candidate) ([]int, string) {
	r.kinds = append(r.kinds, kind)
	order := make([]int, len(cands))
	for i := range order {
		order[i] = len(cands) - 1 - i
	}
	return order, "test-v1"
}

func (r *reversingRanking) Export(context.Context, io.Writer, ranking.Span, string) (int64, error) {
	return 0, nil
}

func TestSpamCheckIsReranked(t *testing.T) {
	text := []byte(`{"text":"URGENT: send your seed phrase to claim the airdrop at http://bit.ly/x @a @b @c @d @e @f @g @h @i @j @k"}`)
	// Each server gets its own checker: the near-duplicate memory would otherwise add a reason.
	checker := func() *spam.Checker {
		c, err := spam.New(spam.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	_, plain := newTestServer(t, Config{}, WithSpamChecker(checker()))
	_, base := post(t, plain.URL+"/v1/spam/check", text, nil)
	rk := &reversingRanking{}
	_, ranked := newTestServer(t, Config{}, WithSpamChecker(checker()), WithRanking(rk))
	resp, data := post(t, ranked.URL+"/v1/spam/check", text, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	var a, b spam.Response
	if err := json.Unmarshal(base, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if len(a.Reasons) < 2 {
		t.Fatalf("the test text gave %d reasons; want several to reorder", len(a.Reasons))
	}
	if a.RankerVersion != "" || b.RankerVersion != "test-v1" {
		t.Errorf("ranker_version = %q without a model and %q with one; want \"\" and test-v1", a.RankerVersion, b.RankerVersion)
	}
	for i := range a.Reasons {
		if a.Reasons[i].Code != b.Reasons[len(b.Reasons)-1-i].Code {
			t.Fatalf("reasons with the reversing model = %v; want the reverse of %v", b.Reasons, a.Reasons)
		}
	}
	if a.Verdict != b.Verdict || a.Score != b.Score {
		t.Errorf("verdict/score changed with re-ranking: %s %.3f -> %s %.3f", a.Verdict, a.Score, b.Verdict, b.Score)
	}
	if len(rk.kinds) != 1 || rk.kinds[0] != ranking.KindSpamCheck {
		t.Errorf("model asked for kinds %v; want [%s]", rk.kinds, ranking.KindSpamCheck)
	}
}

// JSON bodies share a memory budget: past it the answer is 503 with Retry-After, not an
// out-of-memory kill, and every request gives back what it took.
func TestJSONBodyBudget(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	url := ts.URL + "/v1/spam/check"
	small := []byte(`{"text":"thanks, the fix works"}`)
	large := []byte(`{"text":"` + strings.Repeat("a", 100_000) + `"}`)

	s.bodies.mu.Lock()
	full := s.bodies.left
	s.bodies.left = 3 * 10_000 // room for small bodies only
	s.bodies.mu.Unlock()
	if resp, data := post(t, url, large, nil); resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a large body past the budget = %d %s; want 503 with Retry-After", resp.StatusCode, data)
	}
	if resp, data := post(t, url, small, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("a small body within the budget = %d %s; want 200", resp.StatusCode, data)
	}
	s.bodies.mu.Lock()
	left := s.bodies.left
	s.bodies.left = full
	s.bodies.mu.Unlock()
	if left != 3*10_000 {
		t.Errorf("budget after the requests = %d; want all of it back (%d)", left, 3*10_000)
	}
}
