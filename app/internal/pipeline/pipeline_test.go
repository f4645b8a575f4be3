package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	dto "github.com/prometheus/client_model/go"

	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
)

func quietLogger() *slog.Logger {
	if os.Getenv("PIPELINE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func testEvent(i int) *Event {
	id, err := uuid.NewV7()
	if err != nil {
		panic(err)
	}
	return &Event{
		Kind:       KindCIExplain,
		ID:         id,
		ReceivedAt: time.Now().UTC(),
		Latency:    3 * time.Millisecond,
		Client:     "ci",
		Repo:       "acme/api",
		Meta:       map[string]string{"job": fmt.Sprintf("build-%d", i)},
		InputSize:  42,
		Input:      "go build ./...\nundefined: x\n",
		Outcome:    "compile",
		Score:      0.9,
		Propositions: []Proposition{
			{Rank: 1, CauseID: "go.undefined", Category: "compile", Score: 0.9, Features: map[string]float64{"weight": 1, "position": 0.5}},
			{Rank: 2, CauseID: "go.vet", Category: "lint", Score: 0.2},
		},
	}
}

func openTest(t *testing.T, cfg Config) *Pipeline {
	t.Helper()
	if cfg.SpoolDir == "" {
		cfg.SpoolDir = t.TempDir()
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 200 * time.Millisecond
	}
	p, err := Open(t.Context(), cfg, quietLogger(), nil)
	if err != nil {
		t.Fatalf("Open(%+v): %v", cfg, err)
	}
	p.Start()
	return p
}

func closeTest(t *testing.T, p *Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// idCounts returns how many rows of requests each id has.
func idCounts(t *testing.T, dbURL string) map[uuid.UUID]int {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT id FROM requests")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[uuid.UUID]int{}
	for rows.Next() {
		var id [16]byte
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		counts[id]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return counts
}

// waitAll waits (without a timed assertion: up to a generous bound) until every id is in
// requests, then checks each is there exactly once and nothing else is.
func waitAll(t *testing.T, dbURL string, acked []uuid.UUID) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var counts map[uuid.UUID]int
	for {
		counts = idCounts(t, dbURL)
		if len(counts) >= len(acked) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	missing := 0
	for _, id := range acked {
		switch n := counts[id]; n {
		case 1:
		case 0:
			missing++
		default:
			t.Errorf("id %s is in requests %d times; want 1", id, n)
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged ids are missing from requests", missing, len(acked))
	}
}

func TestRecordWritesRequestsAndPropositions(t *testing.T) {
	dbURL := pgtest.URL(t)
	p := openTest(t, Config{DatabaseURL: dbURL})
	defer closeTest(t, p)
	var acked []uuid.UUID
	for i := range 50 {
		ev := testEvent(i)
		if i == 7 {
			ev.Input = "export AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH\n"
			ev.Repo = "https://ci:glpat-abcdefghijklmnopqrst@gitlab.example/acme/app" // $CI_REPOSITORY_URL
		}
		if err := p.Record(t.Context(), ev); err != nil {
			t.Fatalf("Record(%d): %v", i, err)
		}
		acked = append(acked, ev.ID)
	}
	waitAll(t, dbURL, acked)

	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var props int
	var feats, input string
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM propositions").Scan(&props); err != nil {
		t.Fatal(err)
	}
	if props != 100 {
		t.Errorf("propositions rows = %d; want 100", props)
	}
	if err := conn.QueryRow(t.Context(), "SELECT features::text FROM propositions WHERE request_id = $1 AND rank = 1", [16]byte(acked[0])).Scan(&feats); err != nil {
		t.Fatal(err)
	}
	if feats != `{"weight": 1, "position": 0.5}` {
		t.Errorf("features = %s; want the proposition's features as jsonb", feats)
	}
	var repo string
	if err := conn.QueryRow(t.Context(), "SELECT input, repo FROM requests WHERE id = $1", [16]byte(acked[7])).Scan(&input, &repo); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(input, "AKIA") || !strings.Contains(input, "[REDACTED:aws_access_key]") {
		t.Errorf("stored input = %q; want the AWS key redacted", input)
	}
	if strings.Contains(repo, "glpat-") || !strings.Contains(repo, "[REDACTED:") {
		t.Errorf("stored repo = %q; want the token redacted", repo)
	}
}

// TestDatabaseDownMidStream cuts PostgreSQL off (through a proxy) in the middle of a stream of
// events and brings it back: every acknowledged id ends up in requests exactly once.
func TestDatabaseDownMidStream(t *testing.T) {
	dbURL := pgtest.URL(t)
	proxy := pgtest.NewProxy(t, pgtest.Target(t, dbURL))
	p := openTest(t, Config{DatabaseURL: proxy.URL(t, dbURL), BatchEvents: 64, QueueEvents: 256})
	defer closeTest(t, p)
	var (
		mu    sync.Mutex
		acked []uuid.UUID
		wg    sync.WaitGroup
	)
	stream := func(from, n int) {
		for i := from; i < from+n; i++ {
			ev := testEvent(i)
			if err := p.Record(t.Context(), ev); err != nil {
				t.Errorf("Record(%d): %v", i, err)
				continue
			}
			mu.Lock()
			acked = append(acked, ev.ID)
			mu.Unlock()
		}
	}
	for w := range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); stream(w*10000, 1500) }()
	}
	time.Sleep(50 * time.Millisecond)
	proxy.Down()
	time.Sleep(300 * time.Millisecond)
	proxy.Up(t)
	time.Sleep(50 * time.Millisecond)
	proxy.Down()
	time.Sleep(200 * time.Millisecond)
	proxy.Up(t)
	wg.Wait()
	waitAll(t, dbURL, acked)
}

// TestWriterResumesWhenTheDatabaseAnswers: a writer that backed off for long during an outage
// writes as soon as PostgreSQL answers again, not when its backoff ends. The backoff here is an
// hour, so only the recovery probe can bring the event in before waitAll's bound.
func TestWriterResumesWhenTheDatabaseAnswers(t *testing.T) {
	dbURL := pgtest.URL(t)
	proxy := pgtest.NewProxy(t, pgtest.Target(t, dbURL))
	p := openTest(t, Config{DatabaseURL: proxy.URL(t, dbURL), MaxBackoff: time.Hour, firstBackoff: time.Hour, recoveryProbe: 20 * time.Millisecond})
	defer closeTest(t, p)

	proxy.Down()
	ev := testEvent(1)
	if err := p.Record(t.Context(), ev); err != nil {
		t.Fatalf("Record: %v", err)
	}
	retries := func() float64 {
		var m dto.Metric
		if err := p.metrics.retries.Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetCounter().GetValue()
	}
	for deadline := time.Now().Add(30 * time.Second); retries() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the writer never failed a write while the database was down")
		}
	}
	proxy.Up(t)
	waitAll(t, dbURL, []uuid.UUID{ev.ID})
}

// TestLostConnection: only an outage ends a writer's backoff early when a ping answers; a
// server that answered and refused the batch keeps it, or a lock would be retried every second.
func TestLostConnection(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"lock not available", &pgconn.PgError{Code: "55P03"}, false},
		{"read-only transaction (a replica after failover)", fmt.Errorf("copy: %w", &pgconn.PgError{Code: "25006"}), false},
		{"disk full", &pgconn.PgError{Code: "53100"}, false},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, false},
		{"administrator shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"starting up", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"refused dial", fmt.Errorf("connecting to PostgreSQL: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), true},
		{"connection closed mid-read", fmt.Errorf("copy: %w", io.ErrUnexpectedEOF), true},
		{"an event PostgreSQL refuses", ErrInvalidEvent, false},
	}
	for _, tc := range tests {
		if got := lostConnection(tc.err); got != tc.want {
			t.Errorf("%s: lostConnection(%v) = %v; want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// TestQueueOverflowCatchesUpFromSpool makes the in-memory queue too small, so the writer must
// read events back from the spool.
func TestQueueOverflowCatchesUpFromSpool(t *testing.T) {
	dbURL := pgtest.URL(t)
	p := openTest(t, Config{DatabaseURL: dbURL, QueueEvents: 4, BatchEvents: 16, SegmentBytes: 8 << 10})
	defer closeTest(t, p)
	var acked []uuid.UUID
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				ev := testEvent(w*1000 + i)
				if err := p.Record(t.Context(), ev); err != nil {
					t.Errorf("Record: %v", err)
					return
				}
				mu.Lock()
				acked = append(acked, ev.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	waitAll(t, dbURL, acked)
	if v := p.metrics.replayed; v == nil {
		t.Fatal("no replay metric")
	}
}

// TestReplayAtStart records while the database is unreachable, stops, and starts again with it
// reachable: the spool is replayed and then emptied.
func TestReplayAtStart(t *testing.T) {
	dbURL := migratedURL(t) // migrated first: Open migrates, and the proxy will be down
	proxy := pgtest.NewProxy(t, pgtest.Target(t, dbURL))
	dir := t.TempDir()
	proxy.Down()
	p := openTest(t, Config{DatabaseURL: proxy.URL(t, dbURL), SpoolDir: dir, SkipMigrate: true})
	var acked []uuid.UUID
	for i := range 300 {
		ev := testEvent(i)
		if err := p.Record(t.Context(), ev); err != nil {
			t.Fatalf("Record(%d): %v", i, err)
		}
		acked = append(acked, ev.ID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	p.Close(ctx)
	cancel()
	if n := len(idCounts(t, dbURL)); n != 0 {
		t.Fatalf("requests has %d rows while the database was unreachable; want 0", n)
	}
	p2 := openTest(t, Config{DatabaseURL: dbURL, SpoolDir: dir})
	waitAll(t, dbURL, acked)
	closeTest(t, p2)
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	var left int64
	for _, s := range segs {
		if st, err := os.Stat(s); err == nil {
			left += st.Size()
		}
	}
	if left != 0 {
		t.Errorf("after replay and close, spool segments hold %d bytes (%v); want 0", left, segs)
	}
}

// TestSpoolCap fills a small spool while the database is unreachable: Record fails with
// ErrSpoolFull, and once the database is back every acknowledged event is written.
func TestSpoolCap(t *testing.T) {
	dbURL := migratedURL(t)
	proxy := pgtest.NewProxy(t, pgtest.Target(t, dbURL))
	proxy.Down()
	p := openTest(t, Config{DatabaseURL: proxy.URL(t, dbURL), SkipMigrate: true, SpoolMaxBytes: 64 << 10, SegmentBytes: 8 << 10})
	defer closeTest(t, p)
	var acked []uuid.UUID
	full := 0
	for i := range 1000 {
		ev := testEvent(i)
		err := p.Record(t.Context(), ev)
		if errors.Is(err, ErrSpoolFull) {
			full++
			continue
		}
		if err != nil {
			t.Fatalf("Record(%d): %v", i, err)
		}
		acked = append(acked, ev.ID)
	}
	if full == 0 || len(acked) == 0 {
		t.Fatalf("a 64 KiB spool took %d events and refused %d; want both > 0", len(acked), full)
	}
	if b := p.spool.bytes(); b > 64<<10 {
		t.Errorf("spool bytes = %d; want <= the 64 KiB cap", b)
	}
	proxy.Up(t)
	waitAll(t, dbURL, acked)
	// Room again once written.
	deadline := time.Now().Add(30 * time.Second)
	for p.Record(t.Context(), testEvent(0)) != nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := p.Record(t.Context(), testEvent(0)); err != nil {
		t.Errorf("Record after the database came back: %v; want room in the spool", err)
	}
}

func TestSpoolOnlyKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	p := openTest(t, Config{SpoolDir: dir, SpoolMaxBytes: 32 << 10})
	if !p.SpoolOnly() {
		t.Fatal("SpoolOnly() = false without a DATABASE_URL")
	}
	var acked []uuid.UUID
	for i := range 1000 {
		ev := testEvent(i)
		if err := p.Record(t.Context(), ev); err != nil {
			if !errors.Is(err, ErrSpoolFull) {
				t.Fatalf("Record(%d): %v", i, err)
			}
			break
		}
		acked = append(acked, ev.ID)
	}
	for _, client := range []string{"", "ci"} {
		got, err := p.FindTarget(t.Context(), acked[0], "go.vet", client)
		if want := (Target{Kind: KindCIExplain, Repo: "acme/api", Category: "lint"}); err != nil || got != want {
			t.Errorf("FindTarget(pending request, client %q) = %+v, %v; want %+v", client, got, err, want)
		}
	}
	if got, err := p.FindTarget(t.Context(), acked[0], "", ""); err != nil || got != (Target{Kind: KindCIExplain, Repo: "acme/api"}) {
		t.Errorf("FindTarget(pending request, whole answer) = %+v, %v; want its kind and repo, no category", got, err)
	}
	if _, err := p.FindTarget(t.Context(), acked[0], "go.undefined", "other"); !errors.Is(err, ErrNotFound) {
		t.Errorf("FindTarget(pending request, another client) = %v; want ErrNotFound", err)
	}
	if _, err := p.FindTarget(t.Context(), acked[0], "no.such.cause", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("FindTarget(pending request, unknown cause) = %v; want ErrNotFound", err)
	}
	if err := p.SpoolCheck(t.Context()); err == nil {
		t.Errorf("SpoolCheck on a full spool = nil; want not ready")
	}
	closeTest(t, p)
	got := readAllIDs(t, dir)
	if len(got) != len(acked) {
		t.Fatalf("spool holds %d events; want the %d acknowledged", len(got), len(acked))
	}
}

func readAllIDs(t *testing.T, dir string) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	sp, _, err := openSpool(dir, 1<<20, 1<<30, FsyncNever, quietLogger(), func(seq uint64, payload []byte) {
		ev, err := decodeEvent(payload)
		if err != nil {
			t.Errorf("record %d: %v", seq, err)
			return
		}
		ids = append(ids, ev.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	sp.close()
	return ids
}

// TestCorruptSpoolTail damages spool segments in the ways a crash or a bad disk does: replay
// keeps every whole record, reports the rest, and never fails.
func TestCorruptSpoolTail(t *testing.T) {
	tests := []struct {
		name       string
		damage     func(data []byte) []byte
		wantKept   int // of 20 records
		wantTorn   bool
		wantBadCRC int
	}{
		{"intact", func(d []byte) []byte { return d }, 20, false, 0},
		{"torn last record", func(d []byte) []byte { return d[:len(d)-7] }, 19, true, 0},
		{"torn header", func(d []byte) []byte { return d[:len(d)-recordLen(d)+5] }, 19, true, 0},
		{"garbage appended", func(d []byte) []byte { return append(d, []byte("\x13\x00\x00\x00garbage that is not a frame")...) }, 20, true, 0},
		{"zeros appended", func(d []byte) []byte { return append(d, make([]byte, 4096)...) }, 20, true, 0},
		{"flipped byte in last payload", func(d []byte) []byte { d[len(d)-3] ^= 0xff; return d }, 19, false, 1},
		{"flipped byte in middle payload", func(d []byte) []byte { d[len(d)/2] ^= 0x01; return d }, 19, false, 1},
		{"huge length in last header", func(d []byte) []byte {
			i := len(d) - recordLen(d)
			d[i], d[i+1], d[i+2], d[i+3] = 0xff, 0xff, 0xff, 0x7f
			return d
		}, 19, true, 0},
		{"emptied", func(d []byte) []byte { return nil }, 0, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := openTest(t, Config{SpoolDir: dir})
			for i := range 20 {
				if err := p.Record(t.Context(), testEvent(i)); err != nil {
					t.Fatal(err)
				}
			}
			closeTest(t, p)
			segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
			sort.Strings(segs)
			var seg string
			for _, s := range segs {
				if st, _ := os.Stat(s); st.Size() > 0 {
					seg = s
				}
			}
			data, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(seg, tc.damage(data), 0o640); err != nil {
				t.Fatal(err)
			}
			kept := 0
			sp, rep, err := openSpool(dir, 1<<20, 1<<30, FsyncNever, quietLogger(), func(uint64, []byte) { kept++ })
			if err != nil {
				t.Fatalf("openSpool after %s: %v; want a report, not an error", tc.name, err)
			}
			defer sp.close()
			if kept != tc.wantKept || rep.Records != tc.wantKept {
				t.Errorf("%s: kept %d records (report %d); want %d", tc.name, kept, rep.Records, tc.wantKept)
			}
			if (rep.TornBytes > 0) != tc.wantTorn {
				t.Errorf("%s: report torn bytes = %d; want torn = %v", tc.name, rep.TornBytes, tc.wantTorn)
			}
			if rep.BadRecords != tc.wantBadCRC {
				t.Errorf("%s: report bad records = %d; want %d", tc.name, rep.BadRecords, tc.wantBadCRC)
			}
			if (tc.wantTorn || tc.wantBadCRC > 0) && len(rep.Problems) == 0 {
				t.Errorf("%s: no problem reported", tc.name)
			}
			// And the pipeline itself opens on it, in spool-only mode, without failing.
			sp.close()
			p2 := openTest(t, Config{SpoolDir: dir})
			closeTest(t, p2)
		})
	}
}

// recordLen is the length of the last frame of a segment written by these tests (all records
// are about the same size, so the first frame's length is a fine stand-in).
func recordLen(d []byte) int {
	return frameHeader + int(uint32(d[0])|uint32(d[1])<<8|uint32(d[2])<<16|uint32(d[3])<<24)
}

// Feedback may reach another replica than the one that answered, before that one has
// committed: a recent id is waited for, not called unknown (a 404 tells the client not to
// retry, and the feedback is lost). An old id that is nowhere is unknown at once.
func TestFindTargetWaitsForAnotherReplica(t *testing.T) {
	dbURL := pgtest.URL(t)
	answered := openTest(t, Config{DatabaseURL: dbURL, FlushInterval: 500 * time.Millisecond, BatchEvents: 1000})
	defer closeTest(t, answered)
	asked := openTest(t, Config{DatabaseURL: dbURL})
	defer closeTest(t, asked)

	ev := testEvent(1)
	if err := answered.Record(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	// The other replica has never seen ev, and it is not committed for another ~500 ms.
	got, err := asked.FindTarget(t.Context(), ev.ID, "go.undefined", "ci")
	if want := (Target{Kind: KindCIExplain, Repo: "acme/api", Category: "compile"}); err != nil || got != want {
		t.Errorf("FindTarget(answered elsewhere, committing) = %+v, %v; want %+v", got, err, want)
	}
	if got, err := asked.FindTarget(t.Context(), ev.ID, "", "ci"); err != nil || got != (Target{Kind: KindCIExplain, Repo: "acme/api"}) {
		t.Errorf("FindTarget(answered elsewhere, whole answer) = %+v, %v; want its kind and repo, no category", got, err)
	}

	old := uuid.Must(uuid.NewV7())
	ms := uint64(time.Now().Add(-time.Hour).UnixMilli())
	for i := range 6 {
		old[i] = byte(ms >> (40 - 8*i)) // a UUIDv7 of an hour ago
	}
	if _, err := asked.FindTarget(t.Context(), old, "", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("FindTarget(old unknown id) = %v; want ErrNotFound", err)
	}
}

// Another client's recent answer is not found only after the wait an unknown recent id gets:
// how long the answer takes must not tell that the id exists.
func TestFindTargetAnotherClientsAnswer(t *testing.T) {
	p := openTest(t, Config{DatabaseURL: pgtest.URL(t), FlushInterval: 10 * time.Millisecond})
	defer closeTest(t, p)
	ev := testEvent(1) // answered to "ci"
	if err := p.Record(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	unknown := uuid.Must(uuid.NewV7())
	for _, tc := range []struct {
		name         string
		id           uuid.UUID
		client       string
		wantFound    bool
		wantFullWait bool
	}{
		{"own answer", ev.ID, "ci", true, false},
		{"any client", ev.ID, "", true, false},
		{"another client's answer", ev.ID, "other", false, true},
		{"unknown recent id", unknown, "other", false, true},
	} {
		start := time.Now()
		_, err := p.FindTarget(t.Context(), tc.id, "", tc.client)
		took := time.Since(start)
		if found := err == nil; found != tc.wantFound || err != nil && !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: FindTarget = %v; want found %v", tc.name, err, tc.wantFound)
		}
		if tc.wantFullWait && took < recentWait {
			t.Errorf("%s: not found after %v; want the whole %v an unknown recent id waits", tc.name, took, recentWait)
		}
	}
}

// After a write error the spool refuses every append until a restart: the pipeline says so
// through SpoolHealth (liveness), so the replica is restarted instead of answering 503s.
func TestSpoolHealthAfterAWriteError(t *testing.T) {
	p := openTest(t, Config{})
	defer func() {
		if err := p.Close(t.Context()); err == nil {
			t.Error("Close of a broken spool = nil; want its error")
		}
	}()
	if err := p.SpoolHealth(t.Context()); err != nil {
		t.Fatalf("SpoolHealth of a working spool = %v; want nil", err)
	}
	p.spool.mu.Lock()
	p.spool.broken = errors.New("writing the spool: no space left on device") // as flushLocked records it
	p.spool.mu.Unlock()
	if err := p.Record(t.Context(), testEvent(1)); err == nil {
		t.Error("Record on a broken spool succeeded; want it refused")
	}
	if err := p.SpoolHealth(t.Context()); err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("SpoolHealth after a write error = %v; want it to fail naming the error", err)
	}
}
