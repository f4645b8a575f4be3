package pipeline

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

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

func TestUUIDFloorMatchesSQL(t *testing.T) {
	dbURL := pgtest.URL(t)
	if err := Migrate(t.Context(), dbURL, quietLogger()); err != nil {
		t.Fatal(err)
	}
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
		if _, err := w.write(t.Context(), batch); err != nil {
			t.Fatalf("writing %d events at %s: %v", len(batch), at, err)
		}
	}
	return ids
}

// TestHotQueriesUseIndexes checks with EXPLAIN that the queries the API and the ranking feeder
// run are served by indexes and partition pruning, not by scanning every day.
func TestHotQueriesUseIndexes(t *testing.T) {
	dbURL := pgtest.URL(t)
	if err := Migrate(t.Context(), dbURL, quietLogger()); err != nil {
		t.Fatal(err)
	}
	w, err := newPGWriter(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
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
			"SELECT EXISTS (SELECT 1 FROM requests WHERE id = $1)", []any{[16]byte(ids[42])},
			[]string{"Index Only Scan", partitionName("requests", today) + "_pkey"},
			[]string{"Seq Scan", oldPart("requests")},
		},
		{
			"feedback target: proposition by request and cause",
			"SELECT EXISTS (SELECT 1 FROM propositions WHERE request_id = $1 AND cause_id = $2)", []any{[16]byte(ids[42]), "cause.42"},
			[]string{"Index Scan", partitionName("propositions", today) + "_pkey"},
			[]string{"Seq Scan", oldPart("propositions")},
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
