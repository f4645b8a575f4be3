package ranking

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
)

func TestParseSpan(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name, since, until string
		wantSince          time.Time
		wantUntil          time.Time // zero: now
		wantErr            []string  // substrings of the error; nil: no error
	}{
		{"age in days", "30d", "", now.Add(-30 * day), time.Time{}, nil},
		{"age as a duration", "36h", "12h", now.Add(-36 * time.Hour), now.Add(-12 * time.Hour), nil},
		{"RFC 3339", "2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z",
			time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC), nil},
		{"time and age mixed", "2026-11-01T00:00:00Z", "1d", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), now.Add(-day), nil},
		{"blank until is now", "30d", " ", now.Add(-30 * day), time.Time{}, nil},
		{"since missing", "", "", time.Time{}, time.Time{}, []string{`--since ""`, "RFC 3339", "30d"}},
		{"since not a time", "yesterday", "", time.Time{}, time.Time{}, []string{`--since "yesterday"`}},
		{"negative age", "-3d", "", time.Time{}, time.Time{}, []string{`--since "-3d"`}},
		{"age past the duration's range", "200000d", "", time.Time{}, time.Time{}, []string{`--since "200000d"`}},
		{"until not a time", "30d", "soon", time.Time{}, time.Time{}, []string{`--until "soon"`}},
		{"until before since", "2026-11-08T00:00:00Z", "2026-11-01T00:00:00Z", time.Time{}, time.Time{},
			[]string{`--until "2026-11-01T00:00:00Z"`, `--since "2026-11-08T00:00:00Z"`, "not after"}},
		{"until equal to since", "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", time.Time{}, time.Time{},
			[]string{`--until "2026-11-01T00:00:00Z"`, `--since "2026-11-01T00:00:00Z"`}},
		{"ages the wrong way round", "1d", "30d", time.Time{}, time.Time{},
			[]string{`--until "30d" (2026-11-01T12:00:00Z)`, `--since "1d" (2026-11-30T12:00:00Z)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			span, err := ParseSpan(tc.since, tc.until, now, "--")
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("ParseSpan(%q, %q) = %+v; want an error", tc.since, tc.until, span)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("ParseSpan(%q, %q) error %q; want it to say %q", tc.since, tc.until, err, w)
					}
				}
				return
			}
			if err != nil || !span.Since.Equal(tc.wantSince) || !span.Until.Equal(tc.wantUntil) {
				t.Errorf("ParseSpan(%q, %q) = %v … %v, %v; want %v … %v", tc.since, tc.until, span.Since, span.Until, err, tc.wantSince, tc.wantUntil)
			}
		})
	}
}

// TestJSONLWritesEveryDocumentedField: a row whose repo, category and model version are empty
// (a spam reason served in the proposer's order, no repository) still has every field that
// docs/ranking.md lists, so readers with a fixed schema get every column.
func TestJSONLWritesEveryDocumentedField(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/ranking.md")
	if err != nil {
		t.Fatalf("reading docs/ranking.md: %v", err)
	}
	_, list, ok := strings.Cut(strings.Join(strings.Fields(string(doc)), " "), "JSON lines carry the same rows with names: `")
	list, _, ok2 := strings.Cut(list, "`")
	if !ok || !ok2 {
		t.Fatal("docs/ranking.md no longer lists the JSON-lines fields as \"JSON lines carry the same rows with names: `…`\"")
	}
	fields := strings.Split(list, ", ")

	for _, kind := range Kinds {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, FormatJSONL, kind)
		if err != nil {
			t.Fatal(err)
		}
		q := &Query{QID: 1, Kind: kind, At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
			Cands: []Candidate{{CauseID: "phishing_url", Rank: 1}}, Labels: []int{LabelNone},
			X: [][]float64{make([]float64, len(FeatureNames(kind)))}}
		if err := w.Write(q); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		var row map[string]any
		if err := json.Unmarshal(buf.Bytes(), &row); err != nil {
			t.Fatalf("%s row %q: %v", kind, buf.Bytes(), err)
		}
		for _, f := range fields {
			name, _, _ := strings.Cut(f, "{") // features{name: value}
			if _, ok := row[name]; !ok {
				t.Errorf("%s row %s has no %q; docs/ranking.md lists it", kind, buf.Bytes(), name)
			}
		}
		if len(row) != len(fields) {
			t.Errorf("%s row has %d fields; docs/ranking.md lists %d: %v", kind, len(row), len(fields), fields)
		}
	}
}

// TestCheckSchema: a database the pipeline never migrated is refused by name, and neither the
// check nor LatestModel creates anything in it; once migrated, the check passes and a missing
// ranking_models table reads as "no model yet".
func TestCheckSchema(t *testing.T) {
	url := pgtest.URL(t)
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := NewStore(pool)
	tables := func() int {
		t.Helper()
		var n int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	err = store.CheckSchema(t.Context())
	if !errors.Is(err, ErrNoSchema) || !strings.Contains(err.Error(), "table requests") || !strings.Contains(err.Error(), "ciagent migrate") {
		t.Errorf("CheckSchema on an empty schema = %v; want ErrNoSchema naming the missing tables and `ciagent migrate`", err)
	}
	if _, err := store.LatestModel(t.Context(), KindCIExplain); !errors.Is(err, ErrNoModel) {
		t.Errorf("LatestModel without ranking_models = %v; want ErrNoModel", err)
	}
	if n := tables(); n != 0 {
		t.Errorf("the checks created %d relations; want none", n)
	}

	if err := pipeline.Migrate(t.Context(), url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if err := store.CheckSchema(t.Context()); err != nil {
		t.Errorf("CheckSchema after the pipeline's migrations = %v; want nil", err)
	}
	if _, err := store.LatestModel(t.Context(), KindCIExplain); !errors.Is(err, ErrNoModel) {
		t.Errorf("LatestModel on a pipeline-only database = %v; want ErrNoModel", err)
	}
}
