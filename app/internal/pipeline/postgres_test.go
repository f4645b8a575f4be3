package pipeline

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"

	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
)

// uuidAt returns a random UUIDv7 created at t.
func uuidAt(t time.Time) uuid.UUID {
	u := uuidFloor(t)
	rand.Read(u[6:])
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u
}

// migratedURL gives a freshly migrated test database.
func migratedURL(tb testing.TB) string {
	tb.Helper()
	dbURL := pgtest.URL(tb)
	if err := Migrate(context.Background(), dbURL, quietLogger()); err != nil {
		tb.Fatal(err)
	}
	return dbURL
}

// migratedWriter gives a writer on a freshly migrated test database, closed with the test.
func migratedWriter(tb testing.TB) (dbURL string, w *pgWriter) {
	tb.Helper()
	dbURL = migratedURL(tb)
	w, err := newPGWriter(dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.close)
	return dbURL, w
}

func TestUUIDFloorMatchesSQL(t *testing.T) {
	dbURL := migratedURL(t)
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	for _, ts := range []time.Time{time.Unix(0, 0), time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 13, 14, 15, 999e6, time.UTC)} {
		var got [16]byte
		if err := conn.QueryRow(t.Context(), "SELECT ciagent_uuid7_floor($1)", ts).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := uuidFloor(ts); uuid.UUID(got) != want {
			t.Errorf("ciagent_uuid7_floor(%s) = %s; want %s (as uuidFloor)", ts, uuid.UUID(got), want)
		}
		if id := uuidAt(ts); !UUIDTime(id).Equal(ts.Truncate(time.Millisecond)) || id.Version() != 7 {
			t.Errorf("uuidAt(%s) = %s (time %s, version %d)", ts, id, UUIDTime(id), id.Version())
		}
	}
}

// records encodes events as the writer receives them.
func records(evs []*Event) []item {
	items := make([]item, len(evs))
	for i, ev := range evs {
		items[i] = item{seq: uint64(i + 1), id: ev.ID, feedback: ev.Kind == KindFeedback, rec: encodeEvent(nil, ev)}
	}
	return items
}

// fill writes n request events (2 propositions each) created at t, and feedback on some.
func fill(t *testing.T, w *pgWriter, at time.Time, n int) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	for start := 0; start < n; start += 2000 {
		var batch []*Event
		for i := start; i < min(n, start+2000); i++ {
			ev := testEvent(i)
			ev.ID = uuidAt(at.Add(time.Duration(i) * time.Millisecond))
			ev.ReceivedAt = UUIDTime(ev.ID)
			ev.Propositions[0].CauseID = fmt.Sprintf("cause.%d", i%50)
			batch = append(batch, ev)
			ids = append(ids, ev.ID)
			if i%10 == 0 {
				batch = append(batch, NewFeedback(ev.ID, ev.Propositions[0].CauseID, Outcomes[i%4], "bob", at))
			}
		}
		if _, err := w.write(t.Context(), records(batch)); err != nil {
			t.Fatalf("writing %d events at %s: %v", len(batch), at, err)
		}
	}
	return ids
}

// TestHotQueriesUseIndexes checks with EXPLAIN that the queries the API and the ranking feeder
// run are served by indexes and partition pruning, not by scanning every day.
func TestHotQueriesUseIndexes(t *testing.T) {
	dbURL, w := migratedWriter(t)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	old := today.AddDate(0, 0, -3)
	fill(t, w, old, 5000)
	ids := fill(t, w, today, 5000)
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	oldPart := func(table string) string { return partitionName(table, old) }
	tests := []struct {
		name    string
		query   string
		args    []any
		want    []string // substrings the plan must contain
		notWant []string
	}{
		{
			"feedback target: request by id",
			targetRequestQuery, []any{[16]byte(ids[42])},
			[]string{"Index Scan", partitionName("requests", today) + "_pkey"},
			[]string{"Seq Scan", oldPart("requests")},
		},
		{
			"feedback target: proposition by request and cause",
			targetPropositionQuery, []any{[16]byte(ids[42]), "cause.42"},
			[]string{"Index Scan", partitionName("propositions", today) + "_pkey", partitionName("requests", today) + "_pkey"},
			[]string{"Seq Scan", oldPart("propositions"), oldPart("requests")},
		},
		{
			"ranking export since a time: only the days since",
			`SELECT r.id, p.rank, p.cause_id, p.features, f.outcome
			 FROM requests r JOIN propositions p ON p.request_id = r.id
			 LEFT JOIN feedback f ON f.request_id = r.id AND f.cause_id = p.cause_id
			 WHERE r.id >= ciagent_uuid7_floor($1::timestamptz) AND p.request_id >= ciagent_uuid7_floor($1::timestamptz)`, []any{today.Add(-time.Hour)},
			[]string{partitionName("requests", today), partitionName("propositions", today)},
			[]string{oldPart("requests"), oldPart("propositions")},
		},
		{
			"acceptance rate of a cause",
			"SELECT outcome, count(*) FROM feedback WHERE cause_id = $1 GROUP BY outcome", []any{"cause.10"},
			[]string{"feedback_cause_id_at"},
			[]string{"Seq Scan"},
		},
		{
			"feedback on a request",
			"SELECT outcome FROM feedback WHERE request_id = $1", []any{[16]byte(ids[40])},
			[]string{"feedback_request_id"},
			[]string{"Seq Scan"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := conn.Query(t.Context(), "EXPLAIN "+tc.query, tc.args...)
			if err != nil {
				t.Fatalf("EXPLAIN %s: %v", tc.query, err)
			}
			var lines []string
			for rows.Next() {
				var l string
				if err := rows.Scan(&l); err != nil {
					t.Fatal(err)
				}
				lines = append(lines, l)
			}
			plan := strings.Join(lines, "\n")
			for _, s := range tc.want {
				if !strings.Contains(plan, s) {
					t.Errorf("plan of %s lacks %q:\n%s", tc.name, s, plan)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(plan, s) {
					t.Errorf("plan of %s has %q:\n%s", tc.name, s, plan)
				}
			}
		})
	}
}

func TestRetentionDropsOldPartitions(t *testing.T) {
	dbURL := pgtest.URL(t)
	p := openTest(t, Config{DatabaseURL: dbURL, RetentionDays: 30})
	defer closeTest(t, p)
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	for _, d := range []int{-40, -31, -30, -1} {
		if err := ensurePartition(t.Context(), p.db, today.AddDate(0, 0, d)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Maintain(context.Background(), now); err != nil {
		t.Fatalf("Maintain: %v", err)
	}
	rows, err := p.db.Query(t.Context(), `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class pr ON pr.oid = i.inhparent JOIN pg_namespace n ON n.oid = pr.relnamespace
		WHERE n.nspname = current_schema() AND pr.relname = 'requests' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	var want []string
	for _, d := range []int{-30, -1, 0, 1} {
		want = append(want, partitionName("requests", today.AddDate(0, 0, d)))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("requests partitions after retention of 30 days = %v; want %v", got, want)
	}
}

// Retention drops a day's requests, but its feedback keeps the request's kind and repo and
// the proposition's category (the ranking history groups by them); feedback on requests still
// kept is left to read them from the request.
func TestRetentionKeepsFeedbackContext(t *testing.T) {
	dbURL, w := migratedWriter(t)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	old, recent := testEvent(1), testEvent(2)
	old.ID = uuidAt(today.AddDate(0, 0, -40).Add(time.Hour))
	old.Repo = "acme/old"
	recent.ID = uuidAt(today.Add(time.Hour))
	batch := []*Event{old, recent,
		NewFeedback(old.ID, "go.vet", "rejected", "bob", today),          // a proposition: its category is kept
		NewFeedback(old.ID, "", "accepted", "bob", today),                // the whole answer: no category
		NewFeedback(recent.ID, "go.undefined", "accepted", "bob", today), // still has its request
	}
	if _, err := w.write(t.Context(), records(batch)); err != nil {
		t.Fatal(err)
	}
	p := openTest(t, Config{DatabaseURL: dbURL, RetentionDays: 30})
	defer closeTest(t, p)
	if err := p.Maintain(t.Context(), time.Now()); err != nil {
		t.Fatalf("Maintain: %v", err)
	}
	// Feedback accepted before the day was dropped (FindTarget read its Target) but written
	// after it: it waited in the spool through a database outage at the retention edge. It
	// keeps its context although the request is gone. A version 1 record (an older
	// release's spool) has no Target: its feedback is written, with NULLs.
	lateEvs := []*Event{
		withTarget(NewFeedback(old.ID, "go.undefined", "accepted", "carol", today), Target{Kind: KindCIExplain, Repo: "acme/old", Category: "compile"}),
		withTarget(NewFeedback(old.ID, "", "rejected", "carol", today), Target{Kind: KindCIExplain, Repo: "acme/old"}),
		NewFeedback(old.ID, "go.vet", "accepted", "dave", today),
	}
	late := records(lateEvs)
	late[2].rec = asVersion1(t, lateEvs[2])
	if _, err := w.write(t.Context(), late); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		request uuid.UUID
		cause   string
		actor   string
		want    string // kind|repo|category, "NULL" for a NULL column
	}{
		{old.ID, "go.vet", "bob", "ci_explain|acme/old|lint"},
		{old.ID, "", "bob", "ci_explain|acme/old|NULL"},
		{recent.ID, "go.undefined", "bob", "NULL|NULL|NULL"},
		{old.ID, "go.undefined", "carol", "ci_explain|acme/old|compile"},
		{old.ID, "", "carol", "ci_explain|acme/old|NULL"},
		{old.ID, "go.vet", "dave", "NULL|NULL|NULL"},
	}
	for _, tc := range tests {
		var got string
		if err := p.db.QueryRow(t.Context(), `SELECT concat_ws('|', coalesce(kind, 'NULL'), coalesce(repo, 'NULL'), coalesce(category, 'NULL'))
			FROM feedback WHERE request_id = $1 AND cause_id = $2 AND actor = $3`, [16]byte(tc.request), tc.cause, tc.actor).Scan(&got); err != nil {
			t.Fatalf("%s's feedback on %s/%q: %v", tc.actor, tc.request, tc.cause, err)
		}
		if got != tc.want {
			t.Errorf("%s's feedback on %s/%q after retention = %s; want %s", tc.actor, tc.request, tc.cause, got, tc.want)
		}
	}
	var n int
	if err := p.db.QueryRow(t.Context(), `SELECT count(*) FROM requests WHERE id = $1`, [16]byte(old.ID)).Scan(&n); err != nil || n != 0 {
		t.Errorf("the 40-day-old request is still there (%d, %v); want its partition dropped", n, err)
	}
}

// TestWriteRoundTripAndIdempotent writes a batch spanning two days through the binary COPY
// encoding, reads every column back, then writes it again with one new event: only the new
// event's rows are inserted, and nothing is duplicated.
func TestWriteRoundTripAndIdempotent(t *testing.T) {
	dbURL, w := migratedWriter(t)
	day1 := time.Date(2026, 11, 25, 23, 59, 59, 0, time.UTC)
	day2 := day1.Add(2 * time.Second)
	full := testEvent(1)
	full.ID = uuidAt(day1)
	full.ReceivedAt = time.Date(2026, 11, 25, 23, 59, 59, 123456789, time.UTC)
	full.Latency = 1234567 * time.Nanosecond
	full.Meta = map[string]string{"job": "build \"7\"\n", "tab\tkey": "é\x01", "bad\xffkey": "v"}
	full.InputSHA256 = []byte{0, 1, 2, 0xff}
	full.InputTruncated = true
	full.RankerVersion = "rv-3"
	full.Propositions[0].Features = map[string]float64{"a": 1e-9, "b": -2.5e21, "c": 0}
	empty := testEvent(2)
	empty.ID = uuidAt(day2)
	empty.Meta, empty.Propositions, empty.Input = nil, nil, ""
	fb := NewFeedback(full.ID, "go.undefined", "accepted", "alice", day2)
	batch := []*Event{full, empty, fb}

	rows, err := w.write(t.Context(), records(batch))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"requests": 2, "propositions": 2, "feedback": 1}; fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("first write inserted %v; want %v", rows, want)
	}

	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var (
		kind, client, repo, input, outcome, ranker string
		receivedAt                                 time.Time
		latencyUS, inputSize                       int64
		meta                                       map[string]string
		sha                                        []byte
		truncated                                  bool
		score                                      float64
	)
	if err := conn.QueryRow(t.Context(), `SELECT kind, received_at, latency_us, client, repo, meta, input_size, input_sha256, input, input_truncated, outcome, score, ranker_version
		FROM requests_p20261125 WHERE id = $1`, [16]byte(full.ID)).Scan(&kind, &receivedAt, &latencyUS, &client, &repo, &meta, &inputSize, &sha, &input, &truncated, &outcome, &score, &ranker); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(kind, receivedAt.UTC(), latencyUS, client, repo, meta, inputSize, string(sha), input, truncated, outcome, score, ranker)
	wantMeta := map[string]string{"job": "build \"7\"\n", "tab\tkey": "é\x01", "bad\uFFFDkey": "v"}
	want := fmt.Sprint(full.Kind, full.ReceivedAt.Truncate(time.Microsecond), int64(1234), full.Client, full.Repo, wantMeta, full.InputSize, string(full.InputSHA256), full.Input, true, full.Outcome, full.Score, "rv-3")
	if got != want {
		t.Errorf("stored request:\n got %s\nwant %s", got, want)
	}
	var feats map[string]float64
	var nullFeats bool
	if err := conn.QueryRow(t.Context(), `SELECT (SELECT features FROM propositions WHERE request_id = $1 AND rank = 1),
		(SELECT features IS NULL FROM propositions WHERE request_id = $1 AND rank = 2)`, [16]byte(full.ID)).Scan(&feats, &nullFeats); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(feats) != fmt.Sprint(full.Propositions[0].Features) || !nullFeats {
		t.Errorf("features = %v, NULL for rank 2: %v; want %v and true", feats, nullFeats, full.Propositions[0].Features)
	}
	var emptyMeta, emptySHA bool
	if err := conn.QueryRow(t.Context(), `SELECT meta IS NULL, input_sha256 IS NULL FROM requests_p20261126 WHERE id = $1`, [16]byte(empty.ID)).Scan(&emptyMeta, &emptySHA); err != nil {
		t.Fatal(err)
	}
	if !emptyMeta || !emptySHA {
		t.Errorf("empty meta and sha stored as NULL: %v, %v; want true, true", emptyMeta, emptySHA)
	}
	var fbAt time.Time
	var fbActor string
	if err := conn.QueryRow(t.Context(), `SELECT at, actor FROM feedback WHERE id = $1`, [16]byte(fb.ID)).Scan(&fbAt, &fbActor); err != nil {
		t.Fatal(err)
	}
	if !fbAt.Equal(day2) || fbActor != "alice" {
		t.Errorf("feedback at %s by %q; want %s by alice", fbAt, fbActor, day2)
	}

	// A retried or replayed batch, with one event that is new.
	fresh := testEvent(3)
	fresh.ID = uuidAt(day2.Add(time.Second))
	rows, err = w.write(t.Context(), records(append(batch, fresh)))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"requests": 1, "propositions": 2, "feedback": 0}; fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("second write inserted %v; want %v (only the new event)", rows, want)
	}
	var nreq, nprop, nfb int
	if err := conn.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM propositions), (SELECT count(*) FROM feedback)`).Scan(&nreq, &nprop, &nfb); err != nil {
		t.Fatal(err)
	}
	if nreq != 3 || nprop != 4 || nfb != 1 {
		t.Errorf("rows: %d requests, %d propositions, %d feedback; want 3, 4, 1", nreq, nprop, nfb)
	}
}

// A stored CI-log excerpt long enough to be compressed is compressed with lz4 where the server
// has it, and reads back unchanged.
func TestLongInputStoredWithLZ4(t *testing.T) {
	dbURL, w := migratedWriter(t)
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var hasLZ4 bool
	if err := conn.QueryRow(t.Context(), `SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&hasLZ4); err != nil {
		t.Fatal(err)
	}
	ev := testEvent(1)
	ev.Input = strings.Repeat("npm ERR! code ERESOLVE unable to resolve dependency tree\n", 300)
	if _, err := w.write(t.Context(), records([]*Event{ev})); err != nil {
		t.Fatal(err)
	}
	var input string
	var method *string
	if err := conn.QueryRow(t.Context(), `SELECT input, pg_column_compression(input) FROM requests WHERE id = $1`, [16]byte(ev.ID)).Scan(&input, &method); err != nil {
		t.Fatal(err)
	}
	if input != ev.Input {
		t.Errorf("stored input differs from the input (%d bytes, want %d)", len(input), len(ev.Input))
	}
	want := "pglz"
	if hasLZ4 {
		want = "lz4"
	}
	if method == nil || *method != want {
		t.Errorf("input compressed with %v; want %s", method, want)
	}
}

// Writers, replicas and the maintenance loop all create a day's partitions when they first
// need them, so several do it at once at start and at midnight. Every one must succeed.
func TestEnsurePartitionConcurrently(t *testing.T) {
	dbURL := migratedURL(t)
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for d := range 5 {
		day := time.Date(2030, 1, 1+d, 12, 0, 0, 0, time.UTC)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- ensurePartition(t.Context(), pool, day)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("ensurePartition(%s) while others create it too: %v", day.Format(time.DateOnly), err)
			}
		}
	}
}

// Feedback is stored with the API key (client) that sent it, whatever actor it names, so it
// can be attributed. A record without a client (the previous release's spool: it never set
// one on feedback; a server without API keys) is stored with client NULL, as the rows written
// before the column existed.
func TestFeedbackStoresItsClient(t *testing.T) {
	_, w := migratedWriter(t)
	answer := testEvent(1)
	target := Target{Kind: KindCIExplain, Repo: "acme/api", Category: "compile"}
	tests := []struct {
		name    string
		ev      *Event
		version byte   // the spool record's codec version
		want    string // the stored client, "NULL" for NULL
	}{
		{"explicit actor", fromKey("ci-bot", withTarget(NewFeedback(answer.ID, "go.vet", "accepted", "alice", time.Now()), target)), codecVersion, "ci-bot"},
		{"actor defaulted to the key's name", fromKey("ci-bot", withTarget(NewFeedback(answer.ID, "go.vet", "accepted", "ci-bot", time.Now()), target)), codecVersion, "ci-bot"},
		{"another key naming the same actor", fromKey("moderators", withTarget(NewFeedback(answer.ID, "go.vet", "rejected", "alice", time.Now()), target)), codecVersion, "moderators"},
		{"without a target (version 1 record)", fromKey("ci-bot", NewFeedback(answer.ID, "", "rejected", "bob", time.Now())), codecV1, "ci-bot"},
		{"without a client", withTarget(NewFeedback(answer.ID, "go.vet", "accepted", "carol", time.Now()), target), codecVersion, "NULL"},
		{"previous release's record: no client, no target", NewFeedback(answer.ID, "go.vet", "rejected", "dave", time.Now()), codecV1, "NULL"},
	}
	batch := []*Event{answer}
	for _, tc := range tests {
		batch = append(batch, tc.ev)
	}
	items := records(batch)
	if _, err := w.write(t.Context(), items); err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if v := items[i+1].rec[0]; v != tc.version {
				t.Errorf("spool record version %d; want %d", v, tc.version)
			}
			var got string
			if err := w.conn.QueryRow(t.Context(), `SELECT coalesce(client, 'NULL') FROM feedback WHERE id = $1`, [16]byte(tc.ev.ID)).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("stored client = %s; want %s", got, tc.want)
			}
		})
	}

	// The feedback id stays derived from request, cause, outcome and actor, not the client:
	// the same vote sent again by another key is the same row, and keeps its first client.
	again := fromKey("other-bot", withTarget(NewFeedback(answer.ID, "go.vet", "accepted", "alice", time.Now()), target))
	if again.ID != tests[0].ev.ID {
		t.Fatalf("feedback id %s from another key; want %s (the id does not depend on the client)", again.ID, tests[0].ev.ID)
	}
	rows, err := w.write(t.Context(), records([]*Event{again}))
	if err != nil {
		t.Fatal(err)
	}
	var client string
	if err := w.conn.QueryRow(t.Context(), `SELECT client FROM feedback WHERE id = $1`, [16]byte(again.ID)).Scan(&client); err != nil {
		t.Fatal(err)
	}
	if rows["feedback"] != 0 || client != "ci-bot" {
		t.Errorf("the same vote from another key inserted %d rows, client %q; want 0 and ci-bot", rows["feedback"], client)
	}
}

// An actor who changes their mind back (accepted, rejected, accepted) reads as accepted: the
// third vote has the first one's id, so its row must take the later time, also when both
// arrive in one batch.
func TestFeedbackGivenAgainKeepsTheLatestTime(t *testing.T) {
	_, w := migratedWriter(t)
	answer := testEvent(1)
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	vote := func(outcome string, at time.Time) *Event {
		return NewFeedback(answer.ID, "go.vet", outcome, "alice", at)
	}
	batches := [][]*Event{
		{answer, vote("accepted", t0)},
		{vote("rejected", t0.Add(time.Minute))},
		{vote("accepted", t0.Add(2*time.Minute)), vote("accepted", t0.Add(3*time.Minute))},
		{vote("accepted", t0.Add(time.Second))}, // a late retry of an older POST moves nothing back
	}
	for i, b := range batches {
		if _, err := w.write(t.Context(), records(b)); err != nil {
			t.Fatalf("batch %d: %v", i+1, err)
		}
	}
	var latest string
	if err := w.conn.QueryRow(t.Context(), `SELECT outcome FROM feedback WHERE request_id = $1 AND actor = 'alice' ORDER BY at DESC LIMIT 1`, [16]byte(answer.ID)).Scan(&latest); err != nil {
		t.Fatal(err)
	}
	var at time.Time
	if err := w.conn.QueryRow(t.Context(), `SELECT at FROM feedback WHERE id = $1`, [16]byte(vote("accepted", t0).ID)).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if latest != "accepted" || !at.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("latest vote %s at %v; want accepted at %v", latest, at.UTC(), t0.Add(3*time.Minute))
	}
}

// A database at the previous schema version (00002) gets the client column from Migrate:
// the feedback rows already there read NULL (nothing recorded their key), and new feedback is
// written with its client.
func TestMigrateAddsFeedbackClient(t *testing.T) {
	dbURL := pgtest.URL(t)
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	previous, err := goose.NewProvider(goose.DialectPostgres, db, migrations)
	if err != nil {
		t.Fatal(err)
	}
	const previousVersion = 2
	if _, err := previous.UpTo(t.Context(), previousVersion); err != nil {
		t.Fatalf("migrating to %d: %v", previousVersion, err)
	}
	before := NewFeedback(uuid.Must(uuid.NewV7()), "go.vet", "accepted", "alice", time.Now())
	if _, err := db.ExecContext(t.Context(), `INSERT INTO feedback (id, request_id, cause_id, outcome, actor, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		before.ID, before.Feedback.RequestID, before.Feedback.CauseID, before.Feedback.Outcome, before.Feedback.Actor, before.Feedback.At); err != nil {
		t.Fatalf("feedback row at version %d: %v", previousVersion, err)
	}

	if err := Migrate(t.Context(), dbURL, quietLogger()); err != nil {
		t.Fatalf("Migrate from version %d: %v", previousVersion, err)
	}
	w, err := newPGWriter(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	after := NewFeedback(before.Feedback.RequestID, "go.vet", "accepted", "bob", time.Now())
	after.Client = "ci-bot"
	if _, err := w.write(t.Context(), records([]*Event{after})); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		id   uuid.UUID
		want string
	}{
		{"written before the migration", before.ID, "NULL"},
		{"written after it", after.ID, "ci-bot"},
	} {
		var got string
		if err := db.QueryRowContext(t.Context(), `SELECT coalesce(client, 'NULL') FROM feedback WHERE id = $1`, tc.id).Scan(&got); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("feedback %s: client %s; want %s", tc.name, got, tc.want)
		}
	}
}
