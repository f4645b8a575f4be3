package pipeline

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for goose
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies the embedded migrations to the database at url. Replicas starting together
// take turns through a PostgreSQL advisory lock.
func Migrate(ctx context.Context, url string, logger *slog.Logger) error {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	return MigrateFS(ctx, url, sub, MigrationSet{}, logger)
}

// MigrationSet names a sequence of migrations kept apart from the pipeline's own, so another
// package (the ranking feeder) can version its tables independently in the same database.
type MigrationSet struct {
	Component    string // for messages and logs; empty for the pipeline's own
	VersionTable string // goose's version table; empty: goose's default
	LockID       int64  // advisory lock id; 0: goose's default
}

// MigrateFS applies the goose migrations in fsys to the database at url, under set's version
// table and advisory lock.
func MigrateFS(ctx context.Context, url string, fsys fs.FS, set MigrationSet, logger *slog.Logger) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return fmt.Errorf("opening the database: %w", err)
	}
	defer db.Close()
	var lockOpts []lock.SessionLockerOption
	if set.LockID != 0 {
		lockOpts = append(lockOpts, lock.WithLockID(set.LockID))
	}
	locker, err := lock.NewPostgresSessionLocker(lockOpts...)
	if err != nil {
		return err
	}
	opts := []goose.ProviderOption{goose.WithSessionLocker(locker)}
	if set.VersionTable != "" {
		opts = append(opts, goose.WithTableName(set.VersionTable))
	}
	what := "migrations"
	if set.Component != "" {
		what = set.Component + " migrations"
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, opts...)
	if err != nil {
		return fmt.Errorf("loading %s: %w", what, err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("applying %s: %w", what, err)
	}
	if set.Component != "" {
		logger = logger.With("component", set.Component)
	}
	for _, r := range res {
		logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration.String())
	}
	return nil
}

// MigrationStatus lists every embedded migration and whether it is applied.
func MigrationStatus(ctx context.Context, url string) ([]string, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	defer db.Close()
	sub, _ := fs.Sub(migrationFiles, "migrations")
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub)
	if err != nil {
		return nil, fmt.Errorf("loading migrations: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading migration status: %w", err)
	}
	var out []string
	for _, s := range st {
		line := fmt.Sprintf("%05d %s %s", s.Source.Version, s.State, s.Source.Path)
		if !s.AppliedAt.IsZero() {
			line += " " + s.AppliedAt.UTC().Format(time.RFC3339)
		}
		out = append(out, line)
	}
	return out, nil
}

// dayBounds returns the UUIDv7 range of the UTC day holding t: [lo, hi).
func dayBounds(t time.Time) (day time.Time, lo, hi uuid.UUID) {
	day = t.UTC().Truncate(24 * time.Hour)
	return day, uuidFloor(day), uuidFloor(day.Add(24 * time.Hour))
}

// uuidFloor is the least UUIDv7 of time t (as ciagent_uuid7_floor in SQL).
func uuidFloor(t time.Time) uuid.UUID {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	for i := 0; i < 6; i++ {
		u[i] = byte(ms >> (40 - 8*i) & 0xff)
	}
	return u
}

var partitionedTables = []string{"requests", "propositions"}

func partitionName(table string, day time.Time) string {
	return table + "_p" + day.Format("20060102")
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// ensurePartition creates the day's partitions of requests and propositions.
func ensurePartition(ctx context.Context, db execer, t time.Time) error {
	day, lo, hi := dayBounds(t)
	for _, table := range partitionedTables {
		q := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
			pgx.Identifier{partitionName(table, day)}.Sanitize(), table, lo, hi)
		if _, err := db.Exec(ctx, q); err != nil {
			return fmt.Errorf("creating partition %s: %w", partitionName(table, day), err)
		}
	}
	return nil
}

// DropPartitionsBefore drops the day partitions of requests and propositions that end on or
// before cutoff, and returns their names.
func dropPartitionsBefore(ctx context.Context, db *pgxpool.Pool, cutoff time.Time) ([]string, error) {
	rows, err := db.Query(ctx, `
		SELECT c.relname, p.relname
		FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		JOIN pg_class p ON p.oid = i.inhparent
		JOIN pg_namespace n ON n.oid = p.relnamespace
		WHERE n.nspname = current_schema() AND p.relname = ANY($1)`, partitionedTables)
	if err != nil {
		return nil, fmt.Errorf("listing partitions: %w", err)
	}
	type part struct{ name, parent string }
	var old []part
	for rows.Next() {
		var pt part
		if err := rows.Scan(&pt.name, &pt.parent); err != nil {
			return nil, err
		}
		day, err := time.Parse("20060102", strings.TrimPrefix(pt.name, pt.parent+"_p"))
		if err != nil {
			continue // not ours
		}
		if !day.Add(24 * time.Hour).After(cutoff) {
			old = append(old, pt)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing partitions: %w", err)
	}
	sort.Slice(old, func(i, j int) bool { return old[i].name < old[j].name })
	var dropped []string
	for _, pt := range old {
		if _, err := db.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{pt.name}.Sanitize()); err != nil {
			return dropped, fmt.Errorf("dropping partition %s: %w", pt.name, err)
		}
		dropped = append(dropped, pt.name)
	}
	return dropped, nil
}

// pgWriter owns one connection and writes batches through per-connection staging tables.
type pgWriter struct {
	cfg        *pgx.ConnConfig
	conn       *pgx.Conn
	partitions map[time.Time]bool
	migrate    func(context.Context) error // pending migrations, when they failed at Open
}

func newPGWriter(url string) (*pgWriter, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing DATABASE_URL: %w", err)
	}
	return &pgWriter{cfg: cfg, partitions: map[time.Time]bool{}}, nil
}

const createStaging = `
CREATE TEMP TABLE IF NOT EXISTS requests_stage (LIKE requests) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS propositions_stage (LIKE propositions) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS feedback_stage (LIKE feedback) ON COMMIT DELETE ROWS;`

var (
	requestColumns     = []string{"id", "kind", "received_at", "latency_us", "client", "repo", "meta", "input_size", "input_sha256", "input", "input_truncated", "outcome", "score", "ranker_version"}
	propositionColumns = []string{"request_id", "rank", "cause_id", "category", "score", "features"}
	feedbackColumns    = []string{"id", "request_id", "cause_id", "outcome", "actor", "at"}
)

func (w *pgWriter) connect(ctx context.Context) error {
	if w.conn != nil && !w.conn.IsClosed() {
		return nil
	}
	if w.migrate != nil {
		if err := w.migrate(ctx); err != nil {
			return err
		}
		w.migrate = nil
	}
	conn, err := pgx.ConnectConfig(ctx, w.cfg)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	if _, err := conn.Exec(ctx, createStaging); err != nil {
		conn.Close(ctx)
		return fmt.Errorf("creating staging tables: %w", err)
	}
	w.conn = conn
	return nil
}

func (w *pgWriter) close() {
	if w.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		w.conn.Close(ctx)
		cancel()
		w.conn = nil
	}
}

// write commits a batch: COPY into staging, then INSERT … ON CONFLICT DO NOTHING, in one
// transaction. It returns the rows inserted per table (0 for rows already there).
func (w *pgWriter) write(ctx context.Context, batch []*Event) (map[string]int64, error) {
	if err := w.connect(ctx); err != nil {
		return nil, err
	}
	var reqs, props, fbs [][]any
	var days []time.Time
	for _, ev := range batch {
		switch ev.Kind {
		case KindFeedback:
			f := ev.Feedback
			fbs = append(fbs, []any{[16]byte(ev.ID), [16]byte(f.RequestID), f.CauseID, f.Outcome, f.Actor, f.At})
		default:
			day, _, _ := dayBounds(UUIDTime(ev.ID))
			if !w.partitions[day] {
				if err := ensurePartition(ctx, w.conn, day); err != nil {
					w.fail()
					return nil, err
				}
				w.partitions[day] = true
			}
			if !slices.Contains(days, day) {
				days = append(days, day)
			}
			var meta any
			if len(ev.Meta) > 0 {
				meta = ev.Meta
			}
			reqs = append(reqs, []any{[16]byte(ev.ID), ev.Kind, ev.ReceivedAt, ev.Latency.Microseconds(), ev.Client, ev.Repo, meta,
				ev.InputSize, ev.InputSHA256, ev.Input, ev.InputTruncated, ev.Outcome, ev.Score, ev.RankerVersion})
			for _, p := range ev.Propositions {
				var feats any
				if p.Features != nil {
					b, err := json.Marshal(p.Features)
					if err != nil {
						return nil, fmt.Errorf("%w: features of %s: %w", ErrInvalidEvent, ev.ID, err)
					}
					feats = string(b)
				}
				props = append(props, []any{[16]byte(ev.ID), p.Rank, p.CauseID, p.Category, p.Score, feats})
			}
		}
	}
	rows := map[string]int64{}
	err := pgx.BeginFunc(ctx, w.conn, func(tx pgx.Tx) error {
		for _, t := range []struct {
			table, key string
			cols       []string
			rows       [][]any
		}{
			{"requests", "id", requestColumns, reqs},
			{"propositions", "request_id", propositionColumns, props},
			{"feedback", "id", feedbackColumns, fbs},
		} {
			if len(t.rows) == 0 {
				continue
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.table + "_stage"}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
				return fmt.Errorf("copying into %s_stage: %w", t.table, err)
			}
			cols := strings.Join(t.cols, ", ")
			conflict := "(id)"
			if t.table == "propositions" {
				conflict = "(request_id, rank)"
			}
			if t.table == "feedback" {
				tag, err := tx.Exec(ctx, fmt.Sprintf("INSERT INTO feedback (%s) SELECT %s FROM feedback_stage ON CONFLICT %s DO NOTHING", cols, cols, conflict))
				if err != nil {
					return fmt.Errorf("moving rows into feedback: %w", err)
				}
				rows[t.table] += tag.RowsAffected()
				continue
			}
			// Straight into the day's partition: routing each row through the parent costs
			// about as much again as the insert itself (measured: docs/benchmarks.md).
			for _, day := range days {
				_, lo, hi := dayBounds(day)
				where := ""
				if len(days) > 1 {
					where = fmt.Sprintf(" WHERE %s >= '%s' AND %s < '%s'", t.key, lo, t.key, hi)
				}
				q := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s_stage%s ON CONFLICT %s DO NOTHING",
					pgx.Identifier{partitionName(t.table, day)}.Sanitize(), cols, cols, t.table, where, conflict)
				tag, err := tx.Exec(ctx, q)
				if err != nil {
					return fmt.Errorf("moving rows into %s: %w", partitionName(t.table, day), err)
				}
				rows[t.table] += tag.RowsAffected()
			}
		}
		return nil
	})
	if err != nil {
		w.fail()
		return nil, err
	}
	return rows, nil
}

// fail drops the connection after an error: the next attempt starts from a clean session
// (staging tables, transaction state, partition cache).
func (w *pgWriter) fail() {
	w.close()
	clear(w.partitions)
}

// permanent reports whether retrying err cannot help: the data itself is refused.
func permanent(err error) bool {
	if errors.Is(err, ErrInvalidEvent) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code == "23514" {
			// Also "no partition of relation found for row": a partition dropped under a
			// cached writer. The retry recreates it.
			return false
		}
		switch pgErr.Code[:2] {
		case "22", "23": // data exception, integrity constraint violation
			return true
		}
	}
	return false
}
