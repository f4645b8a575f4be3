package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ci-agent/ci-agent/app/internal/apiv1"
	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
	"github.com/ci-agent/ci-agent/app/internal/ranking"
	"github.com/ci-agent/ci-agent/app/internal/spam"
)

// threeCauses makes the test knowledge base propose t.single, t.then and t.all.
const threeCauses = "undefined: x\npanic: boom\ngoroutine 1 [running]:\n--- FAIL: TestX\nFAIL\tpkg\n"

// rankingDB is a fresh schema with the pipeline's and the ranking tables, a store to write
// models, and a running ranking service that polls every few milliseconds.
func rankingDB(t *testing.T) (string, *ranking.Store, *ranking.Service) {
	t.Helper()
	url := pgtest.URL(t)
	if err := pipeline.Migrate(t.Context(), url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("pipeline migrations: %v", err)
	}
	svc, err := ranking.OpenService(t.Context(), url, ranking.ServiceConfig{PollInterval: 5 * time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("OpenService: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; svc.Close() })
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return url, ranking.NewStore(pool), svc
}

// linearModel prefers the proposer's order (sign 1) or its reverse (sign −1) of CI answers.
func linearModel(sign float64) *ranking.Model { return linearModelOf(ranking.KindCIExplain, sign) }

// linearModelOf is linearModel for answers of kind.
func linearModelOf(kind string, sign float64) *ranking.Model {
	names := ranking.FeatureNames(kind)
	m := &ranking.Model{Kind: kind, Features: names,
		Mean: make([]float64, len(names)), Std: make([]float64, len(names)), Weights: make([]float64, len(names))}
	for j, n := range names {
		m.Std[j] = 1
		if n == "proposer_rank_inv" {
			m.Weights[j] = sign
		}
	}
	return m
}

func causeOrder(resp apiv1.ExplainResponse) string {
	ids := make([]string, len(resp.Propositions))
	for i, p := range resp.Propositions {
		ids[i] = p.CauseID
	}
	return strings.Join(ids, ",")
}

func explainOnce(client *http.Client, url string) (apiv1.ExplainResponse, int, error) {
	var out apiv1.ExplainResponse
	resp, err := client.Post(url+"/v1/ci/explain?repo=acme/api", "text/plain", strings.NewReader(threeCauses))
	if err != nil {
		return out, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return out, resp.StatusCode, err
	}
	if resp.StatusCode == http.StatusOK {
		err = json.Unmarshal(body, &out)
	}
	return out, resp.StatusCode, err
}

// TestRankingHotReloadUnderLoad swaps model versions in while clients hammer the server over a
// real socket: no request fails, each answer's order is the one its ranker_version implies,
// and the newest version is served without a restart.
func TestRankingHotReloadUnderLoad(t *testing.T) {
	_, store, svc := rankingDB(t)
	_, ts := newTestServer(t, Config{}, WithRanking(svc))
	client := ts.Client()

	static, code, err := explainOnce(client, ts.URL)
	if err != nil || code != http.StatusOK {
		t.Fatalf("explain without a model: status %d, err %v", code, err)
	}
	if static.RankerVersion != "" || len(static.Propositions) != 3 {
		t.Fatalf("explain without a model: ranker_version %q, %d propositions; want \"\" and 3", static.RankerVersion, len(static.Propositions))
	}
	forward := causeOrder(static)
	var reversedIDs []string
	for i := len(static.Propositions) - 1; i >= 0; i-- {
		reversedIDs = append(reversedIDs, static.Propositions[i].CauseID)
	}
	reversed := strings.Join(reversedIDs, ",")

	var (
		stop     atomic.Bool
		requests atomic.Int64
		mu       sync.Mutex
		failures []string
		orderOf  = map[string]string{} // version → order served under it
		wg       sync.WaitGroup
	)
	fail := func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 10 {
			failures = append(failures, msg)
		}
	}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				resp, code, err := explainOnce(client, ts.URL)
				requests.Add(1)
				if err != nil || code != http.StatusOK {
					fail("status " + http.StatusText(code) + ": " + errString(err))
					continue
				}
				order := causeOrder(resp)
				mu.Lock()
				if prev, ok := orderOf[resp.RankerVersion]; ok && prev != order {
					failures = append(failures, "version "+resp.RankerVersion+" served "+order+" and "+prev)
				}
				orderOf[resp.RankerVersion] = order
				mu.Unlock()
			}
		}()
	}

	want := map[string]string{"": forward}
	for i := 0; i < 6; i++ {
		sign, order := 1.0, forward
		if i%2 == 0 {
			sign, order = -1, reversed
		}
		version, err := store.SaveModel(t.Context(), linearModel(sign))
		if err != nil {
			t.Fatalf("SaveModel: %v", err)
		}
		want[version] = order
		// Wait for the reloader, then for a few answers under the new version.
		deadline := time.Now().Add(30 * time.Second)
		for svc.Version(ranking.KindCIExplain) != version {
			if time.Now().After(deadline) {
				t.Fatalf("model %s not loaded after 30s (loaded: %q)", version, svc.Version(ranking.KindCIExplain))
			}
			time.Sleep(2 * time.Millisecond)
		}
		for n := requests.Load() + 20; requests.Load() < n && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	stop.Store(true)
	wg.Wait()

	for _, f := range failures {
		t.Error(f)
	}
	for version, order := range orderOf {
		if want[version] != order {
			t.Errorf("under ranker_version %q the order was %s; want %s", version, order, want[version])
		}
	}
	last := svc.Version(ranking.KindCIExplain)
	if _, ok := orderOf[last]; !ok {
		t.Errorf("no answer was ranked by the newest model %s (seen: %v)", last, keys(orderOf))
	}
	t.Logf("%d requests, %d model versions served, no failure", requests.Load(), len(orderOf))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestRankingExportEndpoint: answers recorded through the pipeline, with feedback, come back
// from GET /v1/ranking/export as svmlight rows whose labels are that feedback, and the stored
// ranker_version is the one the client was given.
func TestRankingExportEndpoint(t *testing.T) {
	url, store, svc := rankingDB(t)
	p, err := pipeline.Open(t.Context(), pipeline.Config{DatabaseURL: url, SpoolDir: t.TempDir(), Fsync: "never"}, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatalf("opening the pipeline: %v", err)
	}
	p.Start()
	_, ts := newTestServer(t, Config{}, WithRecorder(p), WithRanking(svc))
	client := ts.Client()
	since := time.Now().Add(-time.Minute).UTC()

	first, _, err := explainOnce(client, ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	version, err := store.SaveModel(t.Context(), linearModel(-1))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); svc.Version(ranking.KindCIExplain) != version; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("model %s not loaded after 30s", version)
		}
	}
	second, _, err := explainOnce(client, ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	if second.RankerVersion != version || first.RankerVersion != "" {
		t.Fatalf("ranker_version before/after the model: %q, %q; want \"\", %q", first.RankerVersion, second.RankerVersion, version)
	}
	accepted, rejected := first.Propositions[2].CauseID, first.Propositions[0].CauseID
	for _, fb := range []struct{ id, cause, outcome string }{{first.ID, accepted, "accepted"}, {first.ID, rejected, "rejected"}} {
		body, _ := json.Marshal(map[string]string{"request_id": fb.id, "cause_id": fb.cause, "outcome": fb.outcome, "actor": "test"})
		for deadline := time.Now().Add(30 * time.Second); ; {
			resp, data := post(t, ts.URL+"/v1/feedback", body, map[string]string{"Content-Type": "application/json"})
			if resp.StatusCode == http.StatusOK {
				break
			}
			if resp.StatusCode != http.StatusNotFound || time.Now().After(deadline) { // 404: not written yet, the pipeline is asynchronous
				t.Fatalf("POST /v1/feedback: %d %s", resp.StatusCode, data)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("closing the pipeline: %v", err)
	}
	pool, _ := pgxpool.New(t.Context(), url)
	defer pool.Close()
	var stored string
	if err := pool.QueryRow(t.Context(), `SELECT ranker_version FROM requests WHERE id = $1`, second.ID).Scan(&stored); err != nil || stored != version {
		t.Errorf("stored ranker_version of %s = %q (%v); want %q", second.ID, stored, err, version)
	}

	resp, err := client.Get(ts.URL + "/v1/ranking/export?format=svmlight&since=" + since.Format(time.RFC3339))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/ranking/export: %d %s", resp.StatusCode, data)
	}
	wantLabel := map[string]string{first.ID + " " + accepted: "2", first.ID + " " + rejected: "0"}
	rows := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rows++
		line := sc.Text()
		body, comment, _ := strings.Cut(line, " # ")
		label := strings.Fields(body)[0]
		want, ok := wantLabel[comment]
		if !ok {
			want = "1"
		}
		if label != want {
			t.Errorf("export row %q: label %s; want %s", line, label, want)
		}
		if !strings.Contains(body, " qid:") {
			t.Errorf("export row %q has no qid", line)
		}
	}
	if rows != 6 {
		t.Errorf("export returned %d rows; want 6 (two answers of three propositions):\n%s", rows, data)
	}
	if got := resp.Header.Get("X-Ranking-Features"); !strings.HasPrefix(got, "proposer_score,") {
		t.Errorf("X-Ranking-Features = %q; want the feature names", got)
	}

	for _, tc := range []struct {
		query string
		want  int
	}{
		{"format=svmlight", http.StatusBadRequest},
		{"format=csv&since=2026-01-01T00:00:00Z", http.StatusBadRequest},
		{"kind=email&since=2026-01-01T00:00:00Z", http.StatusBadRequest},
		{"format=features", http.StatusOK},
	} {
		resp, err := client.Get(ts.URL + "/v1/ranking/export?" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET /v1/ranking/export?%s = %d; want %d", tc.query, resp.StatusCode, tc.want)
		}
	}
}

func TestRankingExportWithoutDatabase(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	resp, err := ts.Client().Get(ts.URL + "/v1/ranking/export?since=2026-01-01T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("export without a ranking service = %d; want 503", resp.StatusCode)
	}
}

// blockingRanker's Export holds until release is closed, as a long export does.
type blockingRanker struct{ started, release chan struct{} }

func (b blockingRanker) Rank(string, string, time.Time, []ranking.Candidate) ([]int, string) {
	return nil, ""
}

func (b blockingRanker) Export(ctx context.Context, w io.Writer, _ ranking.Span, _ string) (int64, error) {
	close(b.started)
	<-b.release
	_, err := io.WriteString(w, "1 qid:1 1:0.5\n")
	return 1, err
}

// One export at a time: a second one while the first runs gets 503 with Retry-After at once
// (several exports each held one pool connection and waited for a second: a deadlock).
func TestRankingExportOneAtATime(t *testing.T) {
	rk := blockingRanker{started: make(chan struct{}), release: make(chan struct{})}
	_, ts := newTestServer(t, Config{}, WithRanking(rk))
	url := ts.URL + "/v1/ranking/export?since=2026-11-01T00:00:00Z"
	first := make(chan int, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-rk.started
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a second export while one runs = %d (Retry-After %q); want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	close(rk.release)
	if code := <-first; code != http.StatusOK {
		t.Errorf("the first export = %d; want 200", code)
	}
}

// spanRecorder answers every export with nothing and hands on the span it was asked for; it
// never blocks, so an export the test did not expect cannot hang the handler.
type spanRecorder struct{ spans chan ranking.Span }

func (r spanRecorder) Rank(string, string, time.Time, []ranking.Candidate) ([]int, string) {
	return nil, ""
}

func (r spanRecorder) Export(_ context.Context, _ io.Writer, span ranking.Span, _ string) (int64, error) {
	select {
	case r.spans <- span:
	default:
	}
	return 0, nil
}

// The export's since and until take the forms the CLI takes (one parser: ?since=30d is
// --since 30d), and a span that ends where or before it starts is a 400 naming both bounds,
// not an empty 200.
func TestRankingExportSpanParameters(t *testing.T) {
	rk := spanRecorder{spans: make(chan ranking.Span, 1)}
	_, ts := newTestServer(t, Config{}, WithRanking(rk))
	day := 24 * time.Hour
	tests := []struct {
		name, since, until string
		wantStatus         int
		wantSinceAgo       time.Duration // since's distance from now, for ages
		wantSince          time.Time     // for RFC 3339 times
		wantBody           []string      // for errors
	}{
		{"age in days", "30d", "", http.StatusOK, 30 * day, time.Time{}, nil},
		{"ages as durations", "36h", "12h", http.StatusOK, 36 * time.Hour, time.Time{}, nil},
		{"RFC 3339 with an offset", "2026-11-01T01:00:00+01:00", "2026-11-08T00:00:00Z", http.StatusOK, 0, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), nil},
		{"since missing", "", "", http.StatusBadRequest, 0, time.Time{}, []string{`since \"\"`, "30d"}},
		{"since not a time", "yesterday", "", http.StatusBadRequest, 0, time.Time{}, []string{`since \"yesterday\"`}},
		{"until not a time", "30d", "soon", http.StatusBadRequest, 0, time.Time{}, []string{`until \"soon\"`}},
		{"until before since", "2026-11-08T00:00:00Z", "2026-11-01T00:00:00Z", http.StatusBadRequest, 0, time.Time{},
			[]string{`until \"2026-11-01T00:00:00Z\"`, `since \"2026-11-08T00:00:00Z\"`, "not after"}},
		{"until equal to since", "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", http.StatusBadRequest, 0, time.Time{}, []string{"not after"}},
		{"ages the wrong way round", "1d", "30d", http.StatusBadRequest, 0, time.Time{}, []string{`until \"30d\"`, `since \"1d\"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := neturl.Values{}
			if tc.since != "" {
				q.Set("since", tc.since)
			}
			if tc.until != "" {
				q.Set("until", tc.until)
			}
			select {
			case <-rk.spans: // left by an earlier case that failed
			default:
			}
			asked := time.Now()
			resp, err := ts.Client().Get(ts.URL + "/v1/ranking/export?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("GET /v1/ranking/export?%s = %d %s; want %d", q.Encode(), resp.StatusCode, body, tc.wantStatus)
			}
			for _, w := range tc.wantBody {
				if !strings.Contains(string(body), w) {
					t.Errorf("GET /v1/ranking/export?%s = %s; want it to say %s", q.Encode(), body, w)
				}
			}
			if tc.wantStatus != http.StatusOK {
				return
			}
			var span ranking.Span
			select {
			case span = <-rk.spans:
			default:
				t.Fatalf("GET /v1/ranking/export?%s = 200 without asking for an export", q.Encode())
			}
			switch {
			case !tc.wantSince.IsZero() && !span.Since.Equal(tc.wantSince):
				t.Errorf("GET /v1/ranking/export?%s exported from %v; want %v", q.Encode(), span.Since, tc.wantSince)
			case tc.wantSinceAgo > 0 && (span.Since.Before(asked.Add(-tc.wantSinceAgo)) || span.Since.After(asked.Add(-tc.wantSinceAgo+time.Minute))):
				t.Errorf("GET /v1/ranking/export?%s exported from %v; want %v before %v", q.Encode(), span.Since, tc.wantSinceAgo, asked)
			}
		})
	}
}

// Spam answers carry ranker_version like CI answers: present and empty while no spam_check
// model is stored, the model's version once one re-ranks the reasons (docs/spam.md,
// docs/ranking.md).
func TestSpamAnswersNameTheSpamModel(t *testing.T) {
	_, store, svc := rankingDB(t)
	checker, err := spam.New(spam.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newTestServer(t, Config{}, WithSpamChecker(checker), WithRanking(svc))
	check := func(text string) (spam.Response, []byte) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"text": text})
		resp, data := post(t, ts.URL+"/v1/spam/check", body, map[string]string{"Content-Type": "application/json"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /v1/spam/check: %d %s", resp.StatusCode, data)
		}
		var out spam.Response
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		return out, data
	}
	// Two texts: the second check of one text would add a near-duplicate reason.
	const scam = "URGENT: send your seed phrase to claim the airdrop at http://bit.ly/x "
	before, raw := check(scam + "@a @b @c @d @e @f @g @h @i @j @k")
	if !bytes.Contains(raw, []byte(`"ranker_version":""`)) || len(before.Reasons) < 2 {
		t.Fatalf("spam check without a spam model = %s; want several reasons and \"ranker_version\":\"\"", raw)
	}
	version, err := store.SaveModel(t.Context(), linearModelOf(ranking.KindSpamCheck, -1))
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); svc.Version(ranking.KindSpamCheck) != version; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("model %s not loaded after 30s", version)
		}
	}
	after, raw := check(scam + "@l @m @n @o @p @q @r @s @t @u @v")
	if after.RankerVersion != version || !strings.HasPrefix(version, ranking.KindSpamCheck+"-") {
		t.Errorf("spam check with model %s stored: ranker_version %q; want %q", version, after.RankerVersion, version)
	}
	if len(after.Reasons) != len(before.Reasons) || after.Reasons[0].Code != before.Reasons[len(before.Reasons)-1].Code {
		t.Errorf("reasons under the reversing spam model = %s; want the proposer's order %v reversed", raw, before.Reasons)
	}
}

// TestRerankedAnswerFollowsItsTop: a model that reverses the proposer's order serves the
// specific causes reversed and the wrapper (t.generic, weight 0.2) still last, never above a
// specific cause; the answer's category and confidence are those of the served first
// proposition and its runner-up. They used to keep the proposer's confidence beside the new
// first one's category, and a model fitted to noise served "unknown, confidence 0.872" with a
// runner's exit-code line first.
func TestRerankedAnswerFollowsItsTop(t *testing.T) {
	url := pgtest.URL(t)
	if err := pipeline.Migrate(t.Context(), url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	// No Run: Reload below is what a poll does, without waiting for one.
	svc, err := ranking.OpenService(t.Context(), url, ranking.ServiceConfig{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	_, ts := newTestServer(t, Config{}, WithRanking(svc))
	const log = threeCauses + "Process completed with exit code 1.\n"
	explain := func() apiv1.ExplainResponse {
		t.Helper()
		_, body := post(t, ts.URL+"/v1/ci/explain?repo=acme/api", []byte(log), map[string]string{"Content-Type": "text/plain"})
		var out apiv1.ExplainResponse
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("explain: %v in %q", err, body)
		}
		return out
	}
	static := explain()
	if n := len(static.Propositions); n != 4 || static.Propositions[n-1].CauseID != "t.generic" || static.RankerVersion != "" {
		t.Fatalf("explain without a model: %s (ranker_version %q); want three specific causes, then t.generic", causeOrder(static), static.RankerVersion)
	}
	if _, err := ranking.NewStore(pool).SaveModel(t.Context(), linearModel(-1)); err != nil {
		t.Fatal(err)
	}
	if err := svc.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}

	got := explain()
	p := static.Propositions
	if want := strings.Join([]string{p[2].CauseID, p[1].CauseID, p[0].CauseID, p[3].CauseID}, ","); got.RankerVersion == "" || causeOrder(got) != want {
		t.Fatalf("explain with a reversing model: %s (ranker_version %q); want %s: the specific causes reversed, the wrapper still last", causeOrder(got), got.RankerVersion, want)
	}
	// The engine's rule (README): the top score, discounted by up to a quarter when the
	// runner-up scores within 0.15 of it, or above it.
	top, second := got.Propositions[0], got.Propositions[1]
	margin := max(0, min(1, (top.Score-second.Score)/0.15))
	wantConfidence := math.Round(top.Score*(0.75+0.25*margin)*1000) / 1000
	if got.Category != top.Category || got.Confidence != wantConfidence {
		t.Errorf("re-ranked answer: category %s, confidence %v; want %s, %v from its first proposition %s (score %v) and runner-up (score %v); the proposer said %s, %v",
			got.Category, got.Confidence, top.Category, wantConfidence, top.CauseID, top.Score, second.Score, static.Category, static.Confidence)
	}
	for i, q := range got.Propositions {
		if q.Score != scoreOf(static, q.CauseID) {
			t.Errorf("proposition %d (%s): score %v; want the proposer's %v", i+1, q.CauseID, q.Score, scoreOf(static, q.CauseID))
		}
	}
}

func scoreOf(resp apiv1.ExplainResponse, cause string) float64 {
	for _, p := range resp.Propositions {
		if p.CauseID == cause {
			return p.Score
		}
	}
	return -1
}
