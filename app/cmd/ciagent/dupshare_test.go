package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ci-agent/ci-agent/app/internal/redisconn/redistest"
	"github.com/ci-agent/ci-agent/app/internal/spam"
)

// TestReplicasShareNearDuplicates runs two replicas of the real binary against one Redis: a
// text posted to one is a near duplicate on the other, and on a third started after the
// first has stopped.
func TestReplicasShareNearDuplicates(t *testing.T) {
	redisURL, stream := redistest.URL(t), redistest.Key(t, "ciagent:test")
	bin := buildCIAgent(t)
	replica := func() (stop func(), url string) {
		cmd, url := startServe(t, bin, "REDIS_URL="+redisURL, "CIAGENT_SPAM_DUP_STREAM="+stream,
			"DATABASE_URL=", "CIAGENT_SPOOL_DIR="+t.TempDir())
		return func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }, url
	}
	stopA, a := replica()
	_, b := replica()

	const text = "Hello maintainers, our team is giving away free tokens to every contributor of this project, claim yours at the official portal before Friday."
	if checkSpam(t, a, text)[spam.CodeNearDuplicate] {
		t.Fatal("first sighting, on replica A, is already a near duplicate")
	}
	// Wait until B has A's fingerprint before asking B: asking earlier would make B remember
	// the text itself, and the test would pass without any sharing.
	waitForMetric(t, b, `ciagent_spam_fingerprints_total{result="received"} 1`)
	if !checkSpam(t, b, text)[spam.CodeNearDuplicate] {
		t.Error("replica B does not see the text replica A saw as a near duplicate")
	}

	stopA()
	_, c := replica()
	if !checkSpam(t, c, text)[spam.CodeNearDuplicate] {
		t.Error("replica C, started after A stopped, does not see A's text as a near duplicate")
	}
}

// checkSpam posts text to /v1/spam/check and returns the answer's reason codes.
func checkSpam(t *testing.T, base, text string) map[string]bool {
	t.Helper()
	body, _ := json.Marshal(spam.Request{Kind: "comment", Text: text})
	resp, err := http.Post(base+"/v1/spam/check", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out spam.Response
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/spam/check: %d, %v", resp.StatusCode, err)
	}
	codes := map[string]bool{}
	for _, r := range out.Reasons {
		codes[r.Code] = true
	}
	return codes
}

// waitForMetric polls base's /metrics until a line equals want, for up to 10 s.
func waitForMetric(t *testing.T, base, want string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "ciagent_spam_fingerprints_total") {
				last = line
				if line == want {
					resp.Body.Close()
					return
				}
			}
		}
		resp.Body.Close()
	}
	t.Fatalf("/metrics never had %q (last fingerprint line %q)", want, last)
}

// Without a reachable Redis the service starts without the cache and the shared memory, and
// says so once: both used to dial (and wait out a ping) on their own.
func TestDialRedis(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	if rdb := dialRedis(context.Background(), "", logger); rdb != nil || logs.Len() != 0 {
		t.Errorf("no REDIS_URL: client %v, logs %q; want neither", rdb, logs.String())
	}
	if rdb := dialRedis(context.Background(), "redis://127.0.0.1:1/0", logger); rdb != nil {
		t.Error("an unreachable Redis gave a client; want none")
	}
	if n := strings.Count(logs.String(), `"level":"WARN"`); n != 1 || !strings.Contains(logs.String(), "answer cache off, near-duplicate memory not shared") {
		t.Errorf("an unreachable Redis logged %d warnings: %s; want one naming both", n, logs.String())
	}
	rdb := dialRedis(context.Background(), redistest.URL(t), logger)
	if rdb == nil {
		t.Fatal("the test Redis gave no client")
	}
	rdb.Close()
}
