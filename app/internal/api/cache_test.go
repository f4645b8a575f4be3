package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ci-agent/ci-agent/app/internal/answercache"
	"github.com/ci-agent/ci-agent/app/internal/apiv1"
	"github.com/ci-agent/ci-agent/app/internal/redisconn/redistest"
)

// TestExplainAnswerCache runs against the real Redis of make test: the second identical log
// is answered from the cache, with its own id, the same answer, and the features restored.
func TestExplainAnswerCache(t *testing.T) {
	cache := answercache.New(redistest.Client(t), time.Minute)
	s, ts := newTestServer(t, Config{}, WithAnswerCache(cache))
	log := []byte("ok\nmain.go:1:1: undefined: x\n# " + t.Name() + time.Now().String() + "\n")

	explain := func() apiv1.ExplainResponse {
		resp, data := post(t, ts.URL+"/v1/ci/explain", log, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, data)
		}
		var out apiv1.ExplainResponse
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	first, second := explain(), explain()
	if first.ID == second.ID {
		t.Errorf("cached answer reused the id %s; every answer needs its own", first.ID)
	}
	if first.Propositions[0].CauseID != second.Propositions[0].CauseID || first.Propositions[0].Score != second.Propositions[0].Score {
		t.Errorf("cached answer %+v differs from the fresh one %+v", second.Propositions[0], first.Propositions[0])
	}
	if got := counterValue(t, s, "ciagent_answer_cache_total", "hit"); got != 1 {
		t.Errorf("cache hits = %v; want 1", got)
	}
	key := answercache.Key("explain", s.explain.Fingerprint(), log)
	data, ok, err := cache.Get(context.Background(), key)
	if err != nil || !ok {
		t.Fatalf("the answer is not in Redis under %s: %v", key, err)
	}
	var c cachedAnswer
	if err := json.Unmarshal(data, &c); err != nil || len(c.Features) == 0 || c.Features[0].Weight == 0 {
		t.Errorf("cached entry %s: want the features kept for ranking and recording", data)
	}
}

// failingCache is a cache whose Redis is down.
type failingCache struct{}

func (failingCache) Get(context.Context, string) ([]byte, bool, error) {
	return nil, false, errors.New("connection refused")
}
func (failingCache) Set(context.Context, string, []byte) error {
	return errors.New("connection refused")
}

func TestExplainWithBrokenCacheStillAnswers(t *testing.T) {
	s, ts := newTestServer(t, Config{}, WithAnswerCache(failingCache{}))
	var logs logRecorder
	s.logger = slog.New(&logs)
	resp, data := post(t, ts.URL+"/v1/ci/explain", []byte("undefined: x\n"), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), "t.single") {
		t.Fatalf("with Redis down: %d %s; want the answer", resp.StatusCode, data)
	}
	if got := counterValue(t, s, "ciagent_answer_cache_total", "error"); got != 2 {
		t.Errorf("cache errors = %v; want 2 (lookup and store)", got)
	}
	// A log over the cacheable size streams past the cache entirely.
	big := strings.Repeat("noise line\n", maxCachedLog/10) + "undefined: y\n"
	resp, data = post(t, ts.URL+"/v1/ci/explain", []byte(big), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), "t.single") {
		t.Fatalf("big log: %d %.200s; want the answer", resp.StatusCode, data)
	}
	if got := counterValue(t, s, "ciagent_answer_cache_total", "error"); got != 2 {
		t.Errorf("cache errors after a big log = %v; want still 2 (no lookup)", got)
	}
	// Every request fails twice while Redis is away: the log gets the first failure of each
	// operation, then every 100th, not one warning each.
	for range 3 {
		post(t, ts.URL+"/v1/ci/explain", []byte("undefined: x\n"), nil)
	}
	want := []string{"WARN answer cache lookup failed", "WARN answer cache store failed"}
	if got := logs.take("answer cache"); !slices.Equal(got, want) {
		t.Errorf("after 8 failures the log holds %q; want only the first lookup's and the first store's %q", got, want)
	}
}

// flakyCache is an answer cache whose Redis goes away while down is set.
type flakyCache struct {
	down bool // set between requests, which the server serves one at a time here
	answers
}

type answers map[string][]byte

func (c *flakyCache) Get(_ context.Context, key string) ([]byte, bool, error) {
	if c.down {
		return nil, false, errors.New("connection refused")
	}
	v, ok := c.answers[key]
	return v, ok, nil
}

func (c *flakyCache) Set(_ context.Context, key string, value []byte) error {
	if c.down {
		return errors.New("connection refused")
	}
	c.answers[key] = value
	return nil
}

// A cache that fails and works again: the recovery is logged once. A failure soon after is
// counted into the next warning instead of logged at once (logthrottle.Quiet), so a cache that
// fails now and then does not log a warning and a recovery per request; logthrottle's own
// tests cover the failure logged again once Quiet has passed.
func TestAnswerCacheFailuresAndRecoveryAreLogged(t *testing.T) {
	cache := &flakyCache{answers: answers{}}
	s, ts := newTestServer(t, Config{}, WithAnswerCache(cache))
	var logs logRecorder
	s.logger = slog.New(&logs)
	explain := func(log string) {
		t.Helper()
		if resp, data := post(t, ts.URL+"/v1/ci/explain", []byte(log), nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, data)
		}
	}
	steps := []struct {
		down bool
		want []string // what the request adds to the log
	}{
		{true, []string{"WARN answer cache lookup failed", "WARN answer cache store failed"}},
		{true, nil},
		{false, []string{"INFO answer cache lookup recovered after 2 failures", "INFO answer cache store recovered after 2 failures"}},
		{false, nil},
		{true, nil},
	}
	for i, step := range steps {
		cache.down = step.down
		// A new log each time: a miss, then a store. The cache logs before the answer is sent.
		explain(fmt.Sprintf("undefined: x%d\n", i))
		if got := logs.take("answer cache"); !slices.Equal(got, step.want) {
			t.Errorf("request %d (cache down: %v) logged %q; want %q", i+1, step.down, got, step.want)
		}
	}
}

func counterValue(t *testing.T, s *Server, name, result string) float64 {
	t.Helper()
	mfs, err := s.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
