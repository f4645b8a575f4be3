package dupshare

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ci-agent/ci-agent/app/internal/redisconn/redistest"
	"github.com/ci-agent/ci-agent/app/internal/spam"
)

// testShare connects to the test Redis on a stream of the test's own.
func testShare(t *testing.T, key string, size int) *Share {
	t.Helper()
	s, err := New(redistest.Client(t), Config{Key: key, Size: size}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// streamKey is a stream no other test run uses, deleted afterwards.
func streamKey(t *testing.T) string { return redistest.Key(t, "ciagent:test") }

// start warms mem from the stream and runs s until the test ends, as serve does.
func start(t *testing.T, s *Share, mem Memory) {
	t.Helper()
	_, from, err := s.Warm(context.Background(), mem)
	if err != nil {
		t.Fatal(err)
	}
	run(t, s, mem, from)
}

// run runs s from stream position from until the test ends.
func run(t *testing.T, s *Share, mem Memory, from string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, mem, from); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitFor polls cond for up to 10 s: the stream delivers in milliseconds, the margin is for a
// loaded machine. It fails the test with what if cond never holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting until %s", what)
}

// recorder is a Memory that keeps what it is given.
type recorder struct {
	mu  sync.Mutex
	fps []uint64
}

func (r *recorder) RememberFingerprints(fps ...uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fps = append(r.fps, fps...)
}

func (r *recorder) got() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.fps)
}

const wave = "Congratulations! Our community airdrop is live for every contributor of this repository, claim your tokens today at the link below before the snapshot closes."

func newChecker(t *testing.T) *spam.Checker {
	t.Helper()
	c, err := spam.New(spam.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func hasReason(resp spam.Response, code string) bool {
	return slices.ContainsFunc(resp.Reasons, func(r spam.Reason) bool { return r.Code == code })
}

// A text one replica saw is a near duplicate on another replica.
func TestReplicasShareTheMemory(t *testing.T) {
	key := streamKey(t)
	a, b := newChecker(t), newChecker(t)
	shareA, shareB := testShare(t, key, 4096), testShare(t, key, 4096)
	a.ShareFingerprints(shareA.Publish)
	b.ShareFingerprints(shareB.Publish)
	start(t, shareA, a)
	start(t, shareB, b)

	if resp, _ := a.Check(spam.Request{Text: wave}); hasReason(resp, spam.CodeNearDuplicate) {
		t.Fatalf("first sighting on replica A is already a near duplicate: %+v", resp.Reasons)
	}
	waitFor(t, "replica B has received A's fingerprint", func() bool { return shareB.Stats().Received == 1 })
	resp, _ := b.Check(spam.Request{Text: wave})
	if !hasReason(resp, spam.CodeNearDuplicate) {
		t.Errorf("replica B, after A saw the text: reasons %+v; want near_duplicate", resp.Reasons)
	}
	waitFor(t, "replica A has received B's fingerprint", func() bool { return shareA.Stats().Received == 1 })
	if st := shareA.Stats(); st.Published != 1 || st.Dropped != 0 || st.Failures != 0 {
		t.Errorf("replica A stats %+v; want 1 published, 1 received (B's, not its own), none dropped", st)
	}
}

// A replica that starts later reads the newest fingerprints back before it serves.
func TestWarmReadsTheNewestFingerprints(t *testing.T) {
	key := streamKey(t)
	writer := testShare(t, key, 10)
	start(t, writer, &recorder{})
	for i := range 25 {
		writer.Publish(uint64(1000 + i))
	}
	waitFor(t, "25 fingerprints are published", func() bool { return writer.Stats().Published == 25 })

	later := testShare(t, key, 10)
	rec := &recorder{}
	n, from, err := later.Warm(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{1015, 1016, 1017, 1018, 1019, 1020, 1021, 1022, 1023, 1024}
	if got := rec.got(); n != 10 || !slices.Equal(got, want) {
		t.Fatalf("Warm = %d, %v; want the newest 10, oldest first: %v", n, got, want)
	}

	// Following from Warm's position gives what came after, not the warm set again.
	run(t, later, rec, from)
	writer.Publish(2000)
	waitFor(t, "the follower has 11 fingerprints", func() bool { return len(rec.got()) == 11 })
	if got := rec.got(); got[10] != 2000 {
		t.Errorf("after Warm, followed %v; want 2000 only", got[10:])
	}
}

// A restarted replica sees, as near duplicates, the texts it saw before the restart.
func TestMemorySurvivesARestart(t *testing.T) {
	key := streamKey(t)
	before := newChecker(t)
	share := testShare(t, key, 4096)
	before.ShareFingerprints(share.Publish)
	start(t, share, before)
	if _, err := before.Check(spam.Request{Text: wave}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the fingerprint is published", func() bool { return share.Stats().Published == 1 })

	after := newChecker(t)
	if _, _, err := testShare(t, key, 4096).Warm(context.Background(), after); err != nil {
		t.Fatal(err)
	}
	if resp, _ := after.Check(spam.Request{Text: wave}); !hasReason(resp, spam.CodeNearDuplicate) {
		t.Errorf("after a restart: reasons %+v; want near_duplicate", resp.Reasons)
	}
}

// A quiet stream is not a failure: rounds of XREAD that time out with nothing new (longer
// than the client's 500 ms read timeout) count nothing and log nothing.
func TestIdleStreamIsNotAFailure(t *testing.T) {
	old := followBlock
	t.Cleanup(func() { followBlock = old }) // registered first, so it runs after Run has ended
	followBlock = 700 * time.Millisecond
	s := testShare(t, streamKey(t), 100)
	rec := &recorder{}
	start(t, s, rec)
	time.Sleep(3 * followBlock)
	s.Publish(7)
	waitFor(t, "the fingerprint is published", func() bool { return s.Stats().Published == 1 })
	if st := s.Stats(); st.Failures != 0 || st.Dropped != 0 {
		t.Errorf("after idle rounds: %+v; want no failures and nothing dropped", st)
	}
}

// Entries another writer (or an older format) put on the stream are skipped, not fatal.
func TestForeignEntriesAreSkipped(t *testing.T) {
	key := streamKey(t)
	s := testShare(t, key, 100)
	ctx := context.Background()
	for _, values := range [][]string{{"fp", "not-hex"}, {"text", "hello"}, {"fp", "ff", "o", "other"}, {"fp", "1234567890abcdef1"}} {
		if err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: values}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	rec := &recorder{}
	n, _, err := s.Warm(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.got(); n != 1 || !slices.Equal(got, []uint64{0xff}) {
		t.Errorf("Warm over foreign entries = %d, %v; want only 0xff", n, got)
	}
}

// Publish never blocks: what does not fit in the queue is dropped and counted.
func TestPublishDropsWhenTheQueueIsFull(t *testing.T) {
	s := testShare(t, streamKey(t), 100)
	for i := range queueSize + 10 {
		s.Publish(uint64(i)) // no Run: nothing drains the queue
	}
	if st := s.Stats(); st.Dropped != 10 {
		t.Errorf("Dropped = %d; want 10", st.Dropped)
	}
}

func TestNewRejectsASizeOfZero(t *testing.T) {
	if _, err := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), Config{}, nil); err == nil {
		t.Error("New with size 0 succeeded; want an error")
	}
}

// Stopping Run ends a blocked XREAD at once, by closing the follower's own connection, and
// leaves the caller's client (which the answer cache shares) open.
func TestStopEndsTheFollowerAndKeepsTheCallersClient(t *testing.T) {
	old := followBlock
	t.Cleanup(func() { followBlock = old })
	followBlock = time.Hour // a stop that waited for the block to time out would hang the test
	rdb := redistest.Client(t)
	s, err := New(rdb, Config{Key: streamKey(t), Size: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx, &recorder{}, "$"); close(done) }()
	waitFor(t, "the follower is blocked in XREAD", func() bool {
		clients, err := rdb.ClientList(context.Background()).Result()
		return err == nil && strings.Contains(clients, "cmd=xread")
	})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Errorf("the caller's client after Run stopped: %v; want it still open", err)
	}
}

// lockedBuffer is a log destination that the Share's goroutines and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// Redis failures are logged once when they start and once when Redis works again (a failure
// after that is logged again once logthrottle.Quiet has passed: logthrottle's tests). The key
// holding a string instead of a stream makes the real Redis refuse both XADD and XREAD
// (WRONGTYPE), and deleting it makes Redis work again.
func TestFailuresAndRecoveryAreLogged(t *testing.T) {
	old := followBlock
	t.Cleanup(func() { followBlock = old })
	followBlock = 100 * time.Millisecond // the follower's recovery shows after one quiet round
	key := streamKey(t)
	rdb := redistest.Client(t)
	var logs lockedBuffer
	s, err := New(rdb, Config{Key: key, Size: 100}, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	breakRedis := func() {
		if err := rdb.Set(ctx, key, "not a stream", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	breakRedis()
	run(t, s, &recorder{}, "0")
	s.Publish(1)
	waitFor(t, "both failures are logged", func() bool {
		return logs.count(publishing+" failed") == 1 && logs.count(following+" failed") == 1
	})
	if err := rdb.Del(ctx, key).Err(); err != nil {
		t.Fatal(err)
	}
	s.Publish(2)
	waitFor(t, "both recoveries are logged", func() bool {
		return logs.count(publishing+" recovered after") == 1 && logs.count(following+" recovered after") == 1
	})
}
