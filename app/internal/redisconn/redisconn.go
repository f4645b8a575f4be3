// Package redisconn opens the service's Redis connections (the answer cache, the shared
// near-duplicate memory) one way: the URL forms ElastiCache needs, short timeouts, a ping so
// that a wrong address is reported at start, and go-redis's own log lines in the service's
// log.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	neturl "net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Open makes a client of the Redis at url (redis:// or rediss:// for TLS, as ElastiCache
// in-transit encryption needs) without connecting: a malformed URL is a configuration error,
// reported before anything starts. Commands time out after half a second: Redis only ever
// saves work here, and a slow Redis must not hold a request. The client connects when first
// used, and again after Redis comes back.
func Open(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		// url.Error quotes the whole URL, auth token included: keep only what is wrong.
		var uerr *neturl.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 2*time.Second, 500*time.Millisecond, 500*time.Millisecond
	// One attempt per command and one dial per attempt: go-redis's defaults (3 retries × 5
	// dials × the dial timeout) held a call ~40 s against a Redis that drops connections,
	// and the cache only ever saves work.
	opts.MaxRetries, opts.DialerRetries = -1, 1
	return redis.NewClient(opts), nil
}

// Ping checks that rdb's Redis answers, within 3 seconds.
func Ping(ctx context.Context, rdb *redis.Client) error {
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		return fmt.Errorf("connecting to Redis at %s: %w", rdb.Options().Addr, err)
	}
	return nil
}

// Dial is Open and Ping: a client of a Redis that answers now.
func Dial(ctx context.Context, url string) (*redis.Client, error) {
	rdb, err := Open(url)
	if err != nil {
		return nil, err
	}
	if err := Ping(ctx, rdb); err != nil {
		rdb.Close()
		return nil, err
	}
	return rdb, nil
}

// LogTo sends go-redis's own log lines (a pool that cannot dial, a reconnect) to logger as
// warnings, instead of the plain text go-redis prints on standard error by default, which
// breaks a JSON log stream. It sets go-redis's process-wide logger.
func LogTo(logger *slog.Logger) {
	redis.SetLogger(slogPrinter{logger.With("component", "redis")})
}

type slogPrinter struct{ logger *slog.Logger }

func (p slogPrinter) Printf(ctx context.Context, format string, v ...any) {
	p.logger.WarnContext(ctx, strings.TrimPrefix(strings.TrimSpace(fmt.Sprintf(format, v...)), "redis: "))
}
