package redisconn_test

import (
	"context"
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
		{"redis://127.0.0.1:1/0", "connecting to Redis at 127.0.0.1:1"},
	} {
		if _, err := redisconn.Dial(context.Background(), tc.url); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Dial(%s) = %v; want an error with %q", tc.url, err, tc.want)
		}
	}
}
