package redisconn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/ci-agent/ci-agent/app/internal/redisconn"
	"github.com/ci-agent/ci-agent/app/internal/redisconn/redistest"
)

func TestDial(t *testing.T) {
	rdb := redistest.Client(t) // dials REDIS_URL through Dial
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Errorf("Ping after Dial: %v", err)
	}
}

func TestDialReportsBadURLsAtOnce(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"http://nope", "REDIS_URL"},
		{"redis://127.0.0.1/abc", "REDIS_URL"},
		{"redis://127.0.0.1:1/0", "connecting to Redis at 127.0.0.1:1"},
	} {
		if _, err := redisconn.Dial(context.Background(), tc.url); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Dial(%s) = %v; want an error with %q", tc.url, err, tc.want)
		}
	}
}

// Open does no I/O: a Redis that is down at start still gives a client, which connects once
// Redis answers; only a malformed URL is an error.
func TestOpen(t *testing.T) {
	rdb, err := redisconn.Open("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatalf("Open(a closed port) = %v; want a client", err)
	}
	defer rdb.Close()
	if err := redisconn.Ping(context.Background(), rdb); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("Ping(a closed port) = %v; want an error naming the address", err)
	}
	if _, err := redisconn.Open("redis://127.0.0.1/abc"); err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
		t.Errorf("Open(a bad database number) = %v; want a REDIS_URL error", err)
	}
	// The error becomes the process's exit message: it must not carry the auth token.
	if _, err := redisconn.Open("rediss://:S3cretTok@host:port/0"); err == nil || strings.Contains(err.Error(), "S3cretTok") {
		t.Errorf("Open(a malformed URL with a token) = %v; want an error without the token", err)
	}
}

// go-redis's own lines (here: a pool that cannot dial) arrive in the service's JSON log, not
// as plain text on standard error.
func TestLogTo(t *testing.T) {
	var buf bytes.Buffer
	redisconn.LogTo(slog.New(slog.NewJSONHandler(&buf, nil)))
	rdb, err := redisconn.Open("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	for range 6 { // go-redis logs after several failed dials
		_ = rdb.Ping(context.Background()).Err()
	}
	if buf.Len() == 0 {
		t.Skip("this go-redis version logged nothing for failed dials")
	}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec struct {
			Level, Msg, Component string
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level != "WARN" || rec.Component != "redis" || rec.Msg == "" {
			t.Errorf("go-redis line %q: want a JSON WARN with component redis (%v)", line, err)
		}
	}
}
