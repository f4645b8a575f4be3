package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
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
	waitForMetricWithin(t, base, want, 10*time.Second)
}

func waitForMetricWithin(t *testing.T, base, want string, within time.Duration) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
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

// openRedis: no URL is no client and no word; a malformed URL stops the start (a typo in
// REDIS_URL must not ship as a silently cache-less service); a Redis that does not answer is
// one warning and a client that connects later; every line, go-redis's own included, is JSON.
func TestOpenRedis(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	if rdb, err := openRedis(context.Background(), "", logger); rdb != nil || err != nil || logs.Len() != 0 {
		t.Errorf("no REDIS_URL: client %v, error %v, logs %q; want none of them", rdb, err, logs.String())
	}
	for _, bad := range []string{"http://x", "redis://127.0.0.1/abc"} {
		if rdb, err := openRedis(context.Background(), bad, logger); rdb != nil || err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
			t.Errorf("REDIS_URL %s: client %v, error %v; want a REDIS_URL error", bad, rdb, err)
		}
	}
	rdb, err := openRedis(context.Background(), "redis://127.0.0.1:1/0", logger)
	if err != nil || rdb == nil {
		t.Fatalf("an unreachable Redis: client %v, error %v; want a client that connects later", rdb, err)
	}
	rdb.Close()
	if n := strings.Count(logs.String(), "Redis not answering at start"); n != 1 {
		t.Errorf("an unreachable Redis logged %d start warnings: %s; want one", n, logs.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line %q is not JSON", line)
		}
	}
}

// A replica that starts while Redis is away gets the shared near-duplicate memory once Redis
// answers, without a restart: its client and its follower keep trying.
func TestReplicaStartedBeforeRedisShares(t *testing.T) {
	redisURL, stream := redistest.URL(t), redistest.Key(t, "ciagent:test")
	target, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	// A port nothing listens on yet; the proxy to the real Redis opens on it later.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	late := l.Addr().String()
	l.Close()
	proxied := *target
	proxied.Host = late

	bin := buildCIAgent(t)
	env := []string{"CIAGENT_SPAM_DUP_STREAM=" + stream, "DATABASE_URL="}
	_, a := startServe(t, bin, append(env, "REDIS_URL="+proxied.String(), "CIAGENT_SPOOL_DIR="+t.TempDir())...)
	_, b := startServe(t, bin, append(env, "REDIS_URL="+redisURL, "CIAGENT_SPOOL_DIR="+t.TempDir())...)

	proxy, err := net.Listen("tcp", late)
	if err != nil {
		t.Skipf("the port %s was taken in between: %v", late, err)
	}
	defer proxy.Close()
	go func() {
		for {
			in, err := proxy.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target.Host)
			if err != nil {
				in.Close()
				continue
			}
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()

	const text = "Dear developers, a limited grant of free credits awaits every contributor of this repository, register at the partner portal before the weekend."
	if checkSpam(t, b, text)[spam.CodeNearDuplicate] {
		t.Fatal("first sighting, on replica B, is already a near duplicate")
	}
	// The follower's back-off after failures at start reaches a few seconds, not more.
	waitForMetricWithin(t, a, `ciagent_spam_fingerprints_total{result="received"} 1`, 45*time.Second)
	if !checkSpam(t, a, text)[spam.CodeNearDuplicate] {
		t.Error("replica A, started before Redis answered, does not see B's text as a near duplicate")
	}
}
