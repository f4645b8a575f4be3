// Package answercache is the optional Redis cache of CI answers: the same log sent twice (a
// re-run job, several bots asking about one failure) is classified once. It adapts go-redis;
// the API sees only Get and Set, and a cache failure never fails a request.
package answercache

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cache stores answers in Redis under a key derived from the input.
type Cache struct {
	rdb *redis.Client
	ttl time.Duration
}

// DefaultTTL is how long an answer stays cached: long enough for re-runs of the same job,
// short enough that a knowledge-base update is seen within the day even without a new key.
const DefaultTTL = 6 * time.Hour

// callTimeout bounds one Get or Set, dial included: a Redis that drops connections must cost
// a request a moment, not the client's dial timeout.
const callTimeout = 250 * time.Millisecond

// maxValue bounds what one cached answer may occupy.
const maxValue = 1 << 20

// New caches in rdb (see redisconn.Dial), which stays the caller's to close. A ttl of 0 or
// less is DefaultTTL.
func New(rdb *redis.Client, ttl time.Duration) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Cache{rdb: rdb, ttl: ttl}
}

// BuildID names the running binary in every key. Serve asks for it at start, so the first
// request does not wait for the binary to be read and a failure is logged: the keys are then
// this process's alone (a cache miss is safe; two releases sharing keys is not).
func BuildID() (string, error) { return buildID() }

// Key names the answer to input under a given answering configuration (the knowledge base's
// fingerprint) and the running build: a changed knowledge base never serves an old answer,
// and neither does a new release whose engine reads the same knowledge base differently
// (replicas of the old and the new release, side by side in a rollout, keep apart).
func Key(kind, config string, input []byte) string {
	sum := sha256.Sum256(input)
	return "ciagent:" + kind + ":" + build() + ":" + config + ":" + hex.EncodeToString(sum[:])
}

// build names the running binary by a digest of its file, read once: any change of code
// changes it, whether or not the build stamped a version. When the file cannot be read the
// name is unique to the process: a cache miss is safe, two releases sharing keys is not.
func build() string {
	id, err := buildID()
	if err != nil {
		return processID
	}
	return id
}

// buildID reads the binary once.
var buildID = sync.OnceValues(func() (string, error) { return executableDigest(executablePath()) })

// executablePath is the running file: /proc/self/exe still opens it after a new release was
// renamed over its path, where os.Executable would name the new one.
func executablePath() string {
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe"
	}
	path, _ := os.Executable()
	return path
}

var processID = func() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "p" + hex.EncodeToString(b)
}()

func executableDigest(path string) (string, error) {
	if path == "" {
		return "", errors.New("the running executable has no path")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:6]), nil
}

// Get returns the cached value of key; ok is false on a miss.
func (c *Cache) Get(ctx context.Context, key string) (value []byte, ok bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	v, err := c.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// Set caches value under key for the cache's TTL. Values over 1 MiB are not cached.
func (c *Cache) Set(ctx context.Context, key string, value []byte) error {
	if len(value) > maxValue {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return c.rdb.Set(ctx, key, value, c.ttl).Err()
}
