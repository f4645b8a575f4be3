package pipeline

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for goose
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/ci-agent/ci-agent/app/internal/pgconf"
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
	if set.Component != "" {
		logger = logger.With("component", set.Component)
	}
	// A database a newer ciagent migrated (this one was rolled back): nothing to apply, and
	// not an error, or a rollback would stop the service from starting and writing; migrations
	// only add, so this binary's statements still work. Said once, so nobody reads it as
	// "up to date".
	current, known, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("reading the %s version: %w", what, err)
	}
	if current > known {
		logger.Warn("the database schema is newer than this binary: a newer ciagent migrated it; nothing applied",
			"database_version", current, "known_version", known)
		return nil
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("applying %s: %w", what, err)
	}
	for _, r := range res {
		logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration.String())
	}
	return nil
}

// MigrationStatus lists every embedded migration of the pipeline and whether it is applied.
func MigrationStatus(ctx context.Context, url string) ([]string, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	return MigrationStatusFS(ctx, url, sub, MigrationSet{})
}

// MigrationStatusFS lists the migrations in fsys and whether each is applied, and says so
// when the database is at a version this binary does not know. It changes nothing: on a
// database that was never migrated (no version table) every migration is pending.
func MigrationStatusFS(ctx context.Context, url string, fsys fs.FS, set MigrationSet) ([]string, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	defer db.Close()
	table := set.VersionTable
	if table == "" {
		table = goose.DefaultTablename
	}
	var migrated bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&migrated); err != nil {
		return nil, fmt.Errorf("reading migration status: %w", err)
	}
	opts := []goose.ProviderOption{}
	if set.VersionTable != "" {
		opts = append(opts, goose.WithTableName(set.VersionTable))
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading migrations: %w", err)
	}
	var out []string
	if !migrated {
		for _, src := range p.ListSources() {
			out = append(out, fmt.Sprintf("%05d %s %s", src.Version, goose.StatePending, src.Path))
		}
		return out, nil
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading migration status: %w", err)
	}
	for _, s := range st {
		line := fmt.Sprintf("%05d %s %s", s.Source.Version, s.State, s.Source.Path)
		if !s.AppliedAt.IsZero() {
			line += " " + s.AppliedAt.UTC().Format(time.RFC3339)
		}
		out = append(out, line)
	}
	if current, known, err := p.GetVersions(ctx); err == nil && current > known {
		out = append(out, fmt.Sprintf("%05d applied by a newer ciagent: this binary knows up to %05d", current, known))
	} else if err != nil {
		return nil, fmt.Errorf("reading migration status: %w", err)
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

// ensurePartition creates the day's partitions of requests and propositions. The writers,
// every replica and the maintenance loop call it when they first need a day, so several
// often do at once. IF NOT EXISTS does not cover that: the check and the creation are not
// atomic, and the losers of the race get duplicate_table (42P07) or, on the catalog's unique
// index, unique_violation (23505), which PostgreSQL raises only once the winner has
// committed. Either means the partition is there.
func ensurePartition(ctx context.Context, db execer, t time.Time) error {
	day, lo, hi := dayBounds(t)
	for _, table := range partitionedTables {
		q := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
			pgx.Identifier{partitionName(table, day)}.Sanitize(), table, lo, hi)
		if _, err := db.Exec(ctx, q); err != nil && !createdConcurrently(err) {
			return fmt.Errorf("creating partition %s: %w", partitionName(table, day), err)
		}
	}
	return nil
}

func createdConcurrently(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "42P07" || pgErr.Code == "23505") // duplicate_table, unique_violation
}

// dropPartitionsBefore drops the day partitions of requests and propositions that end on or
// before cutoff, and returns their names. A day's feedback keeps what the ranking history
// groups it by: its rows get the request's kind and repo and the proposition's category in
// the transaction that drops the day, so no moment exists where they are lost.
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
	old := map[string]map[string]string{} // day → parent table → partition
	for rows.Next() {
		var name, parent string
		if err := rows.Scan(&name, &parent); err != nil {
			return nil, err
		}
		suffix := strings.TrimPrefix(name, parent+"_p")
		day, err := time.Parse("20060102", suffix)
		if err != nil {
			continue // not ours
		}
		if !day.Add(24 * time.Hour).After(cutoff) {
			if old[suffix] == nil {
				old[suffix] = map[string]string{}
			}
			old[suffix][parent] = name
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing partitions: %w", err)
	}
	var dropped []string
	for _, day := range slices.Sorted(maps.Keys(old)) {
		parts := old[day]
		if err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			// Every replica runs this hourly. Two at once would each update the day's feedback
			// and then wait on the other's read of the partition to drop it: a deadlock. One at
			// a time; the second finds the day gone.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ciagent_retention'))`); err != nil {
				return fmt.Errorf("waiting for another replica's retention: %w", err)
			}
			exists := func(name string) (bool, error) {
				var ok bool
				err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgx.Identifier{name}.Sanitize()).Scan(&ok)
				return ok, err
			}
			reqs, ok := parts["requests"]
			if ok {
				// Another replica may have dropped the day while this one waited.
				found, err := exists(reqs)
				if err != nil {
					return err
				}
				ok = found
			}
			if ok {
				category := "NULL"
				if props, ok := parts["propositions"]; ok {
					if found, err := exists(props); err != nil {
						return err
					} else if found {
						category = `(SELECT p.category FROM ` + pgx.Identifier{props}.Sanitize() + ` p
							WHERE p.request_id = f.request_id AND p.cause_id = f.cause_id LIMIT 1)`
					}
				}
				if _, err := tx.Exec(ctx, `UPDATE feedback f SET kind = r.kind, repo = r.repo, category = `+category+`
					FROM `+pgx.Identifier{reqs}.Sanitize()+` r
					WHERE f.request_id = r.id AND f.kind IS NULL`); err != nil {
					return fmt.Errorf("keeping the context of %s's feedback: %w", reqs, err)
				}
			}
			for _, table := range partitionedTables {
				if name, ok := parts[table]; ok {
					if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
						return fmt.Errorf("dropping partition %s: %w", name, err)
					}
				}
			}
			return nil
		}); err != nil {
			return dropped, err
		}
		for _, table := range partitionedTables {
			if name, ok := parts[table]; ok {
				dropped = append(dropped, name)
			}
		}
	}
	return dropped, nil
}

// pgWriter owns one connection and writes batches through per-connection staging tables.
type pgWriter struct {
	url        string // parsed again for each connection (pgconf: a rotated password)
	cfg        *pgx.ConnConfig
	conn       *pgx.Conn
	partitions map[time.Time]bool
	migrate    func(context.Context) error // pending migrations, when they failed at Open

	copy copyBatch    // a batch's COPY data, reused
	rd   bytes.Reader // reads it into the COPY
}

func newPGWriter(url string) (*pgWriter, error) {
	cfg, err := pgconf.Conn(url)
	if err != nil {
		return nil, err
	}
	return &pgWriter{url: url, cfg: cfg, partitions: map[time.Time]bool{}}, nil
}

// The staging tables are temporary (never WAL-logged, no indexes), created once per
// connection and emptied by every commit.
const createStaging = `
CREATE TEMP TABLE IF NOT EXISTS requests_stage (LIKE requests) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS propositions_stage (LIKE propositions) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS feedback_stage (LIKE feedback) ON COMMIT DELETE ROWS;`

// preferLZ4 makes the writer's session compress long values (the stored CI-log excerpt, up
// to 16 KiB by default) with lz4 instead of pglz, where the server was built with lz4.
// Compression happens once, in the COPY into staging: the insert into the partitions keeps
// the compressed datum. A server without lz4 keeps pglz; this is not an error.
const preferLZ4 = `SELECT set_config('default_toast_compression', 'lz4', false)
FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)`

const (
	requestColumns     = "id, kind, received_at, latency_us, client, repo, meta, input_size, input_sha256, input, input_truncated, outcome, score, ranker_version"
	propositionColumns = "request_id, rank, cause_id, category, score, features"
	feedbackColumns    = "id, request_id, cause_id, outcome, actor, at, kind, repo, category, client"
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
	if err := pgconf.Refresh(w.url, w.cfg); err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, w.cfg)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	if _, err := conn.Exec(ctx, createStaging); err != nil {
		conn.Close(ctx)
		return fmt.Errorf("creating staging tables: %w", err)
	}
	if _, err := conn.Exec(ctx, preferLZ4); err != nil {
		conn.Close(ctx)
		return fmt.Errorf("choosing the TOAST compression: %w", err)
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

// write commits a batch of spool records in one transaction: COPY into the staging tables,
// then INSERT … ON CONFLICT DO NOTHING into the real ones. It returns the rows inserted per
// table (0 for rows already there).
func (w *pgWriter) write(ctx context.Context, batch []item) (map[string]int64, error) {
	if err := w.connect(ctx); err != nil {
		return nil, err
	}
	var days []time.Time
	w.copy.reset()
	for _, it := range batch {
		if err := w.copy.add(it.rec); err != nil {
			return nil, err
		}
		if it.feedback {
			continue
		}
		day, _, _ := dayBounds(UUIDTime(it.id))
		if !slices.Contains(days, day) {
			if !w.partitions[day] {
				if err := ensurePartition(ctx, w.conn, day); err != nil {
					w.fail()
					return nil, err
				}
				w.partitions[day] = true
			}
			days = append(days, day)
		}
	}
	nreq, nprop, nfb := w.copy.nreq, w.copy.nprop, w.copy.nfb
	rows := map[string]int64{}
	err := pgx.BeginFunc(ctx, w.conn, func(tx pgx.Tx) error {
		for _, t := range []struct {
			table, cols string
			n           int
			data        *copyBuf
		}{
			{"requests", requestColumns, nreq, &w.copy.reqs},
			{"propositions", propositionColumns, nprop, &w.copy.props},
			{"feedback", feedbackColumns, nfb, &w.copy.fbs},
		} {
			if t.n == 0 {
				continue
			}
			w.rd.Reset(t.data.finish())
			if _, err := w.conn.PgConn().CopyFrom(ctx, &w.rd, fmt.Sprintf("COPY %s_stage (%s) FROM STDIN (FORMAT binary)", t.table, t.cols)); err != nil {
				return fmt.Errorf("copying into %s_stage: %w", t.table, err)
			}
		}
		if nfb > 0 {
			tag, err := tx.Exec(ctx, "INSERT INTO feedback ("+feedbackColumns+") SELECT "+feedbackColumns+" FROM feedback_stage ON CONFLICT (id) DO NOTHING", pgx.QueryExecModeExec)
			if err != nil {
				return fmt.Errorf("moving rows into feedback: %w", err)
			}
			rows["feedback"] += tag.RowsAffected()
			// The id names a vote (request, cause, outcome, actor), not a moment, so a repeated
			// POST stays one row. But an actor who says accepted, then rejected, then accepted
			// again must read as accepted: the row of a vote given again keeps the latest time
			// (the ranking labels take each actor's latest vote by it).
			if _, err := tx.Exec(ctx, `UPDATE feedback f SET at = s.at
	FROM (SELECT id, max(at) AS at FROM feedback_stage GROUP BY id) s
	WHERE f.id = s.id AND s.at > f.at`, pgx.QueryExecModeExec); err != nil {
				return fmt.Errorf("updating feedback given again: %w", err)
			}
		}
		for _, day := range days {
			// Straight into the day's partitions: routing each row through the parent costs
			// about as much again as the insert itself (measured: docs/benchmarks.md).
			//
			// Only the requests need ON CONFLICT: a request's propositions are committed in the
			// same transaction as the request, so the propositions of the requests inserted now
			// cannot be there yet, and those of a request already there are skipped with it.
			// A plain insert saves the speculative insertion's extra index probe and WAL record
			// on two thirds of the rows.
			_, lo, hi := dayBounds(day)
			reqWhere, propWhere := "", ""
			if len(days) > 1 {
				reqWhere = fmt.Sprintf(" WHERE id >= '%s' AND id < '%s'", lo, hi)
				propWhere = fmt.Sprintf(" AND request_id >= '%s' AND request_id < '%s'", lo, hi)
			}
			q := fmt.Sprintf(`WITH r AS (
	INSERT INTO %s (%s) SELECT %s FROM requests_stage%s ON CONFLICT (id) DO NOTHING RETURNING id
), p AS (
	INSERT INTO %s (%s) SELECT %s FROM propositions_stage WHERE request_id IN (SELECT id FROM r)%s RETURNING 1
)
SELECT (SELECT count(*) FROM r), (SELECT count(*) FROM p)`,
				pgx.Identifier{partitionName("requests", day)}.Sanitize(), requestColumns, requestColumns, reqWhere,
				pgx.Identifier{partitionName("propositions", day)}.Sanitize(), propositionColumns, propositionColumns, propWhere)
			var nr, np int64
			// QueryExecModeExec plans each time: a cached plan made for a batch of one would
			// be kept for batches of thousands.
			if err := tx.QueryRow(ctx, q, pgx.QueryExecModeExec).Scan(&nr, &np); err != nil {
				return fmt.Errorf("moving rows into %s: %w", partitionName("requests", day), err)
			}
			rows["requests"] += nr
			rows["propositions"] += np
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

// lostConnection tells an outage (no connection, a broken one, a server shutting down or
// starting up: SQLSTATE class 08 and class 57 but for 57014, a cancelled statement) from a
// server that answered and refused the batch (a lock or statement timeout, a read-only
// replica, a full disk), which keeps its backoff. The writer drops its connection after any
// error, so the connection's state cannot tell them apart.
func lostConnection(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "08": // connection exception
			return true
		case "57": // operator intervention: shutdown, crash, starting up; not a cancelled statement
			return pgErr.Code != "57014"
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err)
}
