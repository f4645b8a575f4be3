package loadgen

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 99, 0},
		{"one value", ms(7), 50, 7 * time.Millisecond},
		{"median of odd count", ms(1, 2, 3), 50, 2 * time.Millisecond},
		{"median interpolates", ms(1, 2, 3, 4), 50, 2500 * time.Microsecond},
		{"p0 is the minimum", ms(1, 5, 9), 0, time.Millisecond},
		{"p100 is the maximum", ms(1, 5, 9), 100, 9 * time.Millisecond},
		{"p99 of 1..101", ms(seq(1, 101)...), 99, 100 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.sorted, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v; want %v", tc.sorted, tc.p, got, tc.want)
			}
		})
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestThresholdsCheck(t *testing.T) {
	tests := []struct {
		name  string
		total Summary
		want  []bool // failed, duration, dropped
	}{
		{"all good", Summary{Scheduled: 1000, Sent: 1000, Failed: 9, P99: 499 * time.Millisecond}, []bool{true, true, true}},
		{"failure rate at the limit fails (strict)", Summary{Scheduled: 100, Sent: 100, Failed: 1, P99: time.Millisecond}, []bool{false, true, true}},
		{"slow p99", Summary{Scheduled: 10, Sent: 10, P99: 500 * time.Millisecond}, []bool{true, false, true}},
		{"too many dropped", Summary{Scheduled: 100, Dropped: 2, Sent: 98, P99: time.Millisecond}, []bool{true, true, false}},
		{"nothing sent is not a pass", Summary{Scheduled: 10, Dropped: 10}, []bool{true, false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DefaultThresholds.Check(tc.total)
			for i, v := range got {
				if v.Pass != tc.want[i] {
					t.Errorf("Check(%+v) %s pass = %v (got %s, want %s); want pass = %v", tc.total, v.Name, v.Pass, v.Got, v.Want, tc.want[i])
				}
			}
		})
	}
}

func TestSplitTexts(t *testing.T) {
	data, err := os.ReadFile("testdata/texts.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := SplitTexts(data)
	want := []string{"Send us your seed phrase.", "Fix the flaky test in ci.yml.", "Last text"}
	if !slices.Equal(got, want) {
		t.Errorf("SplitTexts(testdata/texts.txt) = %q; want %q", got, want)
	}
}

func TestMixScenariosBodies(t *testing.T) {
	logs := [][]byte{[]byte("ok\n"), []byte("error: boom\n")}
	texts := []string{`say "hi"` + "\n\tbye"}
	mix := Mix{Rate: 100, CIShare: 0.6, LargeRate: 1, LargeSize: 1000}
	scs, err := mix.Scenarios(logs, texts)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range scs {
		names = append(names, s.Name)
	}
	if want := []string{"ci_logs", "spam", "large_logs"}; !slices.Equal(names, want) {
		t.Fatalf("Scenarios names = %v; want %v", names, want)
	}
	if scs[0].Rate != 60 || scs[1].Rate != 40 || scs[2].Rate != 1 {
		t.Errorf("rates = %v, %v, %v; want 60, 40, 1", scs[0].Rate, scs[1].Rate, scs[2].Rate)
	}

	_, _, ct, b0 := scs[1].Request(0)
	_, _, _, b1 := scs[1].Request(1)
	var req struct{ Kind, Text string }
	if err := json.Unmarshal(b0, &req); err != nil || ct != "application/json" {
		t.Fatalf("spam body %s (%s) is not JSON: %v", b0, ct, err)
	}
	if req.Kind != "comment" || !strings.HasPrefix(req.Text, texts[0]) {
		t.Errorf("spam body %s = kind %q text %q; want comment and the text", b0, req.Kind, req.Text)
	}
	if string(b0) == string(b1) {
		t.Errorf("spam bodies 0 and 1 are equal (%s); want unique bodies", b0)
	}

	_, path, _, large := scs[2].Request(3)
	if len(large) < 1000 || !strings.HasSuffix(string(large), "ok\n") || !strings.HasPrefix(path, "/v1/ci/explain") {
		t.Errorf("large log: %d bytes to %s ending %q; want >= 1000 bytes to /v1/ci/explain ending in the first log", len(large), path, large[max(0, len(large)-10):])
	}

	if _, err := mix.Scenarios(nil, texts); err == nil {
		t.Error("Scenarios(no logs) succeeded; want an error")
	}
}

func TestRunCountsAnswersFailuresAndDrops(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()

	req := func(path string) func(int) (string, string, string, []byte) {
		return func(int) (string, string, string, []byte) { return "POST", path, "text/plain", []byte("x") }
	}
	cfg := Config{
		BaseURL: srv.URL, Duration: 200 * time.Millisecond, MaxInFlight: 50, Timeout: 5 * time.Second,
		Scenarios: []Scenario{{Name: "ok", Rate: 100, Request: req("/ok")}, {Name: "fail", Rate: 50, Request: req("/fail")}},
	}
	rep, err := Run(context.Background(), srv.Client(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ok, fail := rep.Scenarios[0], rep.Scenarios[1]
	if ok.Scheduled != 20 || fail.Scheduled != 10 {
		t.Errorf("scheduled = %d, %d; want 20, 10 (rate × duration)", ok.Scheduled, fail.Scheduled)
	}
	for _, s := range []Summary{ok, fail, rep.Total} {
		if s.Sent+s.Dropped != s.Scheduled || s.Answered+s.Failed != s.Sent {
			t.Errorf("%s: scheduled %d, sent %d, dropped %d, answered %d, failed %d; want sent+dropped = scheduled and answered+failed = sent",
				s.Name, s.Scheduled, s.Sent, s.Dropped, s.Answered, s.Failed)
		}
	}
	if fail.Answered != 0 || fail.Failed != fail.Sent {
		t.Errorf("fail scenario answered %d, failed %d of %d; want every 500 counted as failed", fail.Answered, fail.Failed, fail.Sent)
	}
	if int(hits.Load()) != rep.Total.Sent {
		t.Errorf("server saw %d requests; report says %d sent", hits.Load(), rep.Total.Sent)
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{BaseURL: "http://x", Duration: time.Second, MaxInFlight: 1, Timeout: time.Second,
		Scenarios: []Scenario{{Name: "a", Rate: 1, Request: func(int) (string, string, string, []byte) { return "", "", "", nil }}}}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v; want nil", err)
	}
	bad := map[string]func(*Config){
		"no url":       func(c *Config) { c.BaseURL = "" },
		"zero time":    func(c *Config) { c.Duration = 0 },
		"no inflight":  func(c *Config) { c.MaxInFlight = 0 },
		"no scenarios": func(c *Config) { c.Scenarios = nil },
		"zero rate":    func(c *Config) { c.Scenarios = []Scenario{{Name: "z", Request: good.Scenarios[0].Request}} },
	}
	for name, mutate := range bad {
		c := good
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%s) = nil; want an error", name)
		}
	}
}
