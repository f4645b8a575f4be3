// Package dupshare shares the spam proposer's near-duplicate memory between the replicas of a
// deployment, and keeps it across restarts, through one Redis stream.
//
// A spam wave pastes the same text into many repositories within minutes. Behind a load
// balancer each replica sees only its share of the wave, and a replica that restarts (a deploy,
// the HPA scaling out) starts with an empty memory, so a per-process memory misses most of the
// repeats. Each replica still keeps its own ring, so a look-up stays a few microseconds of
// popcounts and never waits on the network; what travels is the 64-bit SimHash of every text
// the replica remembers (a fingerprint, not the text):
//
//   - Publish queues a fingerprint without blocking; a writer goroutine appends the queue to
//     the stream in pipelined batches, trimmed to about the memory's size (XADD MAXLEN ~).
//   - Warm, before serving, reads the newest fingerprints back into the memory.
//   - Run follows the stream (XREAD BLOCK) and remembers the other replicas' fingerprints.
//
// Redis only adds recall here: when it is away the proposer answers as before, the queue
// drops what it cannot hold (counted), and the follower retries with back-off.
package dupshare

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/ci-agent/ci-agent/app/internal/logthrottle"
)

// DefaultKey is the stream the replicas share.
const DefaultKey = "ciagent:spam:fingerprints"

// Memory is where fingerprints from elsewhere go: the spam Checker.
type Memory interface {
	RememberFingerprints(fps ...uint64)
}

// Config says which stream to share and how much of it to keep.
type Config struct {
	Key  string // the stream; DefaultKey when empty
	Size int    // fingerprints kept in the stream and read back by Warm: the memory's size
}

// Share is one replica's end of the stream.
type Share struct {
	rdb    *redis.Client // the caller's: the writer's pipelined appends
	reader *redis.Client // the Share's own connection for the blocking XREAD; Close ends it
	key    string
	size   int
	origin string // this process, so that the follower skips its own fingerprints
	queue  chan uint64
	log    *slog.Logger

	published, received, dropped, failures atomic.Uint64
	// One line per failure would be thousands a minute with Redis down. The writer and the
	// follower have a throttle each: Redis out of memory refuses XADD but serves XREAD.
	publishLog, followLog logthrottle.Throttle
	closeOnce             sync.Once
	closeErr              error
}

// queueSize bounds the fingerprints waiting for Redis: at 1,000 texts/s it is four seconds of
// traffic, and 32 KiB.
const queueSize = 4096

// batchSize is the most fingerprints one pipelined round trip carries.
const batchSize = 256

// followBlock is how long one XREAD waits for news; a variable so that a test can make idle
// rounds quick.
var followBlock = 5 * time.Second

// New shares through rdb (see redisconn.Dial), which stays the caller's to close: the service
// connects once and its answer cache uses the same client. The follower gets a connection of
// its own with rdb's options, because a blocked XREAD ends only when its connection closes,
// and closing rdb at shutdown would fail requests still using it. Cfg.Size is the
// near-duplicate memory's size (> 0).
func New(rdb *redis.Client, cfg Config, log *slog.Logger) (*Share, error) {
	if cfg.Size <= 0 {
		return nil, fmt.Errorf("dupshare: size must be positive, got %d", cfg.Size)
	}
	if cfg.Key == "" {
		cfg.Key = DefaultKey
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := *rdb.Options()
	opts.PoolSize, opts.MinIdleConns, opts.MaxIdleConns = 1, 0, 1
	return &Share{rdb: rdb, reader: redis.NewClient(&opts), key: cfg.Key, size: cfg.Size,
		origin: hex.EncodeToString(id[:]), queue: make(chan uint64, queueSize), log: log}, nil
}

// Publish queues fp for the other replicas. It never blocks: when Redis cannot keep up, the
// fingerprint is dropped and counted.
func (s *Share) Publish(fp uint64) {
	select {
	case s.queue <- fp:
	default:
		s.dropped.Add(1)
	}
}

// Warm reads the newest fingerprints of the stream, up to the memory's size, into mem, oldest
// first, and returns how many it read and the stream position to follow from: the start of
// the stream ("0") when it could not read it.
func (s *Share) Warm(ctx context.Context, mem Memory) (int, string, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.key, "+", "-", int64(s.size)).Result()
	if err != nil {
		return 0, "0", fmt.Errorf("reading the shared near-duplicate memory: %w", err)
	}
	fps := make([]uint64, 0, len(msgs))
	for i := len(msgs) - 1; i >= 0; i-- {
		if fp, _, ok := parse(msgs[i]); ok {
			fps = append(fps, fp)
		}
	}
	mem.RememberFingerprints(fps...)
	s.received.Add(uint64(len(fps)))
	last := "0"
	if len(msgs) > 0 {
		last = msgs[0].ID
	}
	return len(fps), last, nil
}

// Run writes the queue to the stream and follows the stream from position from (the one Warm
// returned; "0" is the whole stream) into mem, until ctx ends.
func (s *Share) Run(ctx context.Context, mem Memory, from string) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.write(ctx) }()
	go func() { defer wg.Done(); s.follow(ctx, mem, from) }()
	stopped := make(chan struct{})
	go func() {
		// A blocked XREAD does not end with its context; closing the client ends it, so that
		// a shutdown does not wait out the block time.
		select {
		case <-ctx.Done():
			s.Close()
		case <-stopped:
		}
	}()
	wg.Wait()
	close(stopped)
}

// Close releases the follower's connection (not the caller's client). Run calls it when its
// context ends.
func (s *Share) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.reader.Close() })
	return s.closeErr
}

func (s *Share) write(ctx context.Context) {
	batch := make([]uint64, 0, batchSize)
	for {
		select {
		case <-ctx.Done():
			return
		case fp := <-s.queue:
			batch = append(batch[:0], fp)
		}
	fill:
		for len(batch) < batchSize {
			select {
			case fp := <-s.queue:
				batch = append(batch, fp)
			default:
				break fill
			}
		}
		pipe := s.rdb.Pipeline()
		for _, fp := range batch {
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: s.key, MaxLen: int64(s.size), Approx: true,
				Values: []string{"fp", strconv.FormatUint(fp, 16), "o", s.origin}})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			// The batch is lost: the memory is best effort, and replaying it later would
			// only mark old texts as recent.
			s.dropped.Add(uint64(len(batch)))
			s.failures.Add(1)
			s.publishLog.Failed(s.log, publishing, err)
			s.sleep(ctx, time.Second)
			continue
		}
		s.publishLog.Succeeded(s.log, publishing)
		s.published.Add(uint64(len(batch)))
	}
}

func (s *Share) follow(ctx context.Context, mem Memory, from string) {
	backoff := time.Second
	for ctx.Err() == nil {
		streams, err := s.reader.XRead(ctx, &redis.XReadArgs{Streams: []string{s.key, from}, Count: 1024, Block: followBlock}).Result()
		if err != nil && !errors.Is(err, redis.Nil) { // Nil: nothing new within the block time
			if ctx.Err() != nil {
				return
			}
			s.failures.Add(1)
			s.followLog.Failed(s.log, following, err)
			s.sleep(ctx, backoff)
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		s.followLog.Succeeded(s.log, following)
		backoff = time.Second
		for _, st := range streams {
			fps := make([]uint64, 0, len(st.Messages))
			for _, m := range st.Messages {
				from = m.ID
				if fp, origin, ok := parse(m); ok && origin != s.origin {
					fps = append(fps, fp)
				}
			}
			mem.RememberFingerprints(fps...)
			s.received.Add(uint64(len(fps)))
		}
	}
}

// parse reads one stream entry; entries that are not ours (a stray writer, a changed format)
// are skipped.
func parse(m redis.XMessage) (fp uint64, origin string, ok bool) {
	v, _ := m.Values["fp"].(string)
	fp, err := strconv.ParseUint(v, 16, 64)
	if err != nil {
		return 0, "", false
	}
	origin, _ = m.Values["o"].(string)
	return fp, origin, true
}

// What the writer and the follower do, as their log lines name it.
const (
	publishing = "publishing near-duplicate fingerprints"
	following  = "following the shared near-duplicate memory"
)

func (s *Share) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Stats are the Share's counters since New.
type Stats struct {
	Published uint64 // fingerprints written to the stream
	Received  uint64 // fingerprints of other replicas (and of earlier runs) remembered
	Dropped   uint64 // fingerprints not shared: the queue was full or Redis failed
	Failures  uint64 // Redis errors
}

// Stats returns the counters.
func (s *Share) Stats() Stats {
	return Stats{Published: s.published.Load(), Received: s.received.Load(), Dropped: s.dropped.Load(), Failures: s.failures.Load()}
}

// Collector exposes the counters as ciagent_spam_fingerprints_total{result}.
func (s *Share) Collector() prometheus.Collector {
	return &collector{s: s, desc: prometheus.NewDesc("ciagent_spam_fingerprints_total",
		"Near-duplicate fingerprints shared between replicas through Redis, by result (published, received, dropped, failure).",
		[]string{"result"}, nil)}
}

type collector struct {
	s    *Share
	desc *prometheus.Desc
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	for _, v := range []struct {
		result string
		n      uint64
	}{{"published", st.Published}, {"received", st.Received}, {"dropped", st.Dropped}, {"failure", st.Failures}} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(v.n), v.result)
	}
}
