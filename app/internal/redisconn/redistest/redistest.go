// Package redistest gives tests the real Redis that make test starts, as pgtest does for
// PostgreSQL.
package redistest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ci-agent/ci-agent/app/internal/redisconn"
)

// URL returns REDIS_URL. It skips the test when REDIS_URL is unset.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		t.Skip("REDIS_URL is unset: make test starts a throwaway redis-server and sets it")
	}
	return url
}

// Client returns a client of the test Redis, closed when the test ends. It skips the test when
// REDIS_URL is unset.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	rdb, err := redisconn.Dial(context.Background(), URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// Key returns a key no other test or run uses, under prefix, and deletes it when the test
// ends. It skips the test when REDIS_URL is unset.
func Key(t testing.TB, prefix string) string {
	t.Helper()
	url := URL(t)
	key := fmt.Sprintf("%s:%s:%d", prefix, t.Name(), time.Now().UnixNano())
	t.Cleanup(func() {
		rdb, err := redisconn.Dial(context.Background(), url)
		if err != nil {
			t.Errorf("deleting test key %s: %v", key, err)
			return
		}
		defer rdb.Close()
		if err := rdb.Del(context.Background(), key).Err(); err != nil {
			t.Errorf("deleting test key %s: %v", key, err)
		}
	})
	return key
}
