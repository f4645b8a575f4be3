// Package redisconn opens the service's Redis connections (the answer cache, the shared
// near-duplicate memory) one way: the URL forms ElastiCache needs, short timeouts, and a ping
// so that a wrong address is reported at start, not on the first request.
package redisconn

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Dial connects to the Redis at url (redis:// or rediss:// for TLS, as ElastiCache in-transit
// encryption needs) and checks it answers. Commands time out after half a second: Redis only
// ever saves work here, and a slow Redis must not hold a request.
func Dial(ctx context.Context, url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 2*time.Second, 500*time.Millisecond, 500*time.Millisecond
	rdb := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connecting to Redis at %s: %w", opts.Addr, err)
	}
	return rdb, nil
}
