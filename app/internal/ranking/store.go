package ranking

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable keeps this package's migrations apart from the pipeline's: each package
// numbers its own files, and neither can shadow the other's versions.
const versionTable = "ranking_goose_db_version"

// migrationSet keeps the ranking feeder's migrations apart from the pipeline's.
var migrationSet = pipeline.MigrationSet{Component: "ranking", VersionTable: versionTable, LockID: 0x72616e6b}

// Migrate applies the ranking migrations (the ranking_models table) to the database at url,
// with a version table and a lock id of their own: the pipeline's migrations may run at the
// same moment.
func Migrate(ctx context.Context, url string, logger *slog.Logger) error {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	return pipeline.MigrateFS(ctx, url, sub, migrationSet, logger)
}

// MigrationStatus lists the ranking feeder's migrations and whether each is applied; it
// changes nothing.
func MigrationStatus(ctx context.Context, url string) ([]string, error) {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	return pipeline.MigrationStatusFS(ctx, url, sub, migrationSet)
}

// Store reads the pipeline's tables and reads and writes ranking_models.
type Store struct {
	db *pgxpool.Pool
}

// NewStore wraps a pool. SaveModel needs the ranking migrations applied (Migrate); the
// readers do not.
func NewStore(db *pgxpool.Pool) *Store { return &Store{db: db} }

// ErrNoSchema means the database lacks the logging pipeline's tables that the ranking feeder
// reads: the wrong database, or one that `ciagent migrate` never ran on.
var ErrNoSchema = errors.New("the database has no ciagent schema")

// CheckSchema returns ErrNoSchema, naming what is missing, when the pipeline's tables or its
// UUIDv7 function are absent. It reads the catalog only: a report or an export must not
// change the schema it reads, and "relation does not exist" halfway through says nothing
// about which database was meant.
func (s *Store) CheckSchema(ctx context.Context) error {
	var requests, propositions, feedback, floor bool
	if err := s.db.QueryRow(ctx, `SELECT to_regclass('requests') IS NOT NULL, to_regclass('propositions') IS NOT NULL,
		to_regclass('feedback') IS NOT NULL, to_regprocedure('ciagent_uuid7_floor(timestamptz)') IS NOT NULL`).
		Scan(&requests, &propositions, &feedback, &floor); err != nil {
		return fmt.Errorf("checking the schema: %w", err)
	}
	var missing []string
	for _, o := range []struct {
		name    string
		present bool
	}{{"table requests", requests}, {"table propositions", propositions}, {"table feedback", feedback}, {"function ciagent_uuid7_floor", floor}} {
		if !o.present {
			missing = append(missing, o.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w (missing: %s): wrong database, or run `ciagent migrate` first", ErrNoSchema, strings.Join(missing, ", "))
	}
	return nil
}

// SaveModel stores m as a new version and sets m.Version.
func (s *Store) SaveModel(ctx context.Context, m *Model) (string, error) {
	if err := m.check(); err != nil {
		return "", err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encoding the model: %w", err)
	}
	var id int64
	if err := s.db.QueryRow(ctx, `INSERT INTO ranking_models (kind, model) VALUES ($1, $2) RETURNING id`, m.Kind, body).Scan(&id); err != nil {
		return "", fmt.Errorf("storing the model: %w", err)
	}
	m.Version = version(m.Kind, id)
	return m.Version, nil
}

func version(kind string, id int64) string { return kind + "-" + strconv.FormatInt(id, 10) }

// undefinedTable is PostgreSQL's SQLSTATE for a relation that does not exist.
const undefinedTable = "42P01"

// ErrNoModel means no model of the kind was ever trained.
var ErrNoModel = errors.New("no ranking model")

// LatestModel returns the newest model of kind, or ErrNoModel.
func (s *Store) LatestModel(ctx context.Context, kind string) (*Model, error) {
	var id int64
	var body []byte
	err := s.db.QueryRow(ctx, `SELECT id, model FROM ranking_models WHERE kind = $1 ORDER BY id DESC LIMIT 1`, kind).Scan(&id, &body)
	// No table: the ranking migrations never ran here, so no model was ever stored. A reader
	// (eval) says so rather than creating the table to find it empty.
	var pgErr *pgconn.PgError
	if errors.Is(err, pgx.ErrNoRows) || errors.As(err, &pgErr) && pgErr.Code == undefinedTable {
		return nil, ErrNoModel
	}
	if err != nil {
		return nil, fmt.Errorf("reading the newest %s model: %w", kind, err)
	}
	var m Model
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("decoding model %s: %w", version(kind, id), err)
	}
	m.Version = version(kind, id)
	return &m, nil
}

// latestIDs returns the newest model id of each kind: the cheap query the reloader polls.
func (s *Store) latestIDs(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT kind, max(id) FROM ranking_models GROUP BY kind`)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for rows.Next() {
		var kind string
		var id int64
		if err := rows.Scan(&kind, &id); err != nil {
			return nil, err
		}
		out[kind] = id
	}
	return out, rows.Err()
}

// causeFeedback is proposition-level feedback with what the history groups it by: the
// request's kind and repo and the proposition's category, read from the request while it is
// kept and, once retention has dropped it, from the copy the pipeline put on the feedback
// (migration 00002). kind is NULL for feedback whose request went before that copy existed.
const causeFeedback = `(
		SELECT coalesce(r.kind, f.kind) AS kind, coalesce(r.repo, f.repo) AS repo, f.cause_id,
			coalesce(p.category, f.category, '') AS category, f.outcome, f.at
		FROM feedback f
		LEFT JOIN requests r ON r.id = f.request_id
		LEFT JOIN LATERAL (SELECT category FROM propositions p
			WHERE p.request_id = f.request_id AND p.cause_id = f.cause_id LIMIT 1) p ON true
		WHERE f.cause_id <> '') AS cause_feedback`

// LoadHistory reads every piece of proposition-level feedback into a History, as serving needs
// it now.
func (s *Store) LoadHistory(ctx context.Context) (*History, error) {
	rows, err := s.db.Query(ctx, `
		SELECT kind, repo, cause_id, category, outcome, count(*), max(at)
		FROM `+causeFeedback+`
		WHERE kind IS NOT NULL
		GROUP BY 1, 2, 3, 4, 5`)
	if err != nil {
		return nil, fmt.Errorf("reading feedback history: %w", err)
	}
	h := NewHistory()
	for rows.Next() {
		var kind, repo, cause, category, outcome string
		var n int64
		var last time.Time
		if err := rows.Scan(&kind, &repo, &cause, &category, &outcome, &n, &last); err != nil {
			return nil, fmt.Errorf("reading feedback history: %w", err)
		}
		h.Add(kind, repo, cause, category, outcome, float64(n), last)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading feedback history: %w", err)
	}
	return h, nil
}

// Span selects requests of one kind received in [Since, Until); a zero Until means now.
type Span struct {
	Kind  string
	Since time.Time
	Until time.Time
}

// Queries streams the requests of span in time order, each with its propositions (proposer
// order), feature vectors computed with the feedback history as it stood when the request was
// answered, and labels from the feedback given on it. fn may keep the query.
func (s *Store) Queries(ctx context.Context, span Span, fn func(*Query) error) error {
	_, err := s.queries(ctx, span, -1, func(q *Query, _ bool) error { return fn(q) })
	return err
}

// SplitCount is how many requests of a span fall on each side of a time split.
type SplitCount struct {
	Train, HeldOut int
}

// QueriesSplit streams the requests of span as Queries does and tells fn whether each one is
// held out: among the newest holdout share (0 ≤ holdout ≤ 1) of the span's requests by request
// time, exactly the requests SplitByTime would put in its test part of AllQueries (ties in
// request time go by request id, as the stream comes). It counts the span and finds the cut
// first, with two queries that read only the requests' ids and times, in the same snapshot as
// the stream: no request needs to be held to know its side.
func (s *Store) QueriesSplit(ctx context.Context, span Span, holdout float64, fn func(q *Query, heldOut bool) error) (SplitCount, error) {
	if holdout < 0 || holdout > 1 || math.IsNaN(holdout) {
		return SplitCount{}, fmt.Errorf("holdout %v: want 0 ≤ share ≤ 1", holdout)
	}
	return s.queries(ctx, span, holdout, fn)
}

// latestPerActor is the feedback that labels the proposition p: each actor's latest outcome on
// it that says something about one proposition (accepted, rejected, false_positive). An actor
// who accepted a cause and then rejected it changed their mind; both rows stay (the feedback
// id is derived from the outcome), and counting both made a tie of it. Equal times go by the
// feedback id, so the choice is the same at every read.
//
// An actor is a name within the client (API key) that sent it: each client names its own
// people and bots, so "ci-bot" of one client is not "ci-bot" of another, and a key with
// feedback:any scope cannot replace the vote of another client's actor by sending the same
// name later. Feedback from before the client was recorded (client NULL) is one client.
const latestPerActor = `
	SELECT DISTINCT ON (f.client, f.actor) f.outcome
	FROM feedback f
	WHERE f.request_id = p.request_id AND f.cause_id = p.cause_id
	  AND f.outcome IN ('accepted', 'rejected', 'false_positive')
	ORDER BY f.client, f.actor, f.at DESC, f.id DESC`

// querier is a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// spanRequests is the filter of the requests a span selects ($1 kind, $2 since, $3 until):
// the requests stream's, and the split's count and cut (a request without propositions is not
// streamed, so it is not counted either).
const spanRequests = `
	FROM requests r
	WHERE r.kind = $1 AND r.id >= ciagent_uuid7_floor($2) AND r.id < ciagent_uuid7_floor($3)
	  AND EXISTS (SELECT 1 FROM propositions p WHERE p.request_id = r.id)`

// splitCut counts the span's requests and returns the key (request time, id) of the first
// held-out one; ok is false when none is held out.
func splitCut(ctx context.Context, db querier, kind string, since, until time.Time, holdout float64) (count SplitCount, at time.Time, id [16]byte, ok bool, err error) {
	var n int
	if err = db.QueryRow(ctx, `SELECT count(*)`+spanRequests, kind, since, until).Scan(&n); err != nil {
		return count, at, id, false, fmt.Errorf("counting requests: %w", err)
	}
	// SplitByTime's rounding: the oldest round(n·(1 − holdout)) requests train.
	cut := max(0, min(n, int(math.Round(float64(n)*(1-holdout)))))
	count = SplitCount{Train: cut, HeldOut: n - cut}
	if cut == n {
		return count, at, id, false, nil
	}
	if err = db.QueryRow(ctx, `SELECT r.received_at, r.id`+spanRequests+`
		ORDER BY r.received_at, r.id OFFSET $4 LIMIT 1`, kind, since, until, cut).Scan(&at, &id); err != nil {
		return count, at, id, false, fmt.Errorf("finding the hold-out cut: %w", err)
	}
	return count, at.UTC(), id, true, nil
}

// queries is Queries, and with holdout ≥ 0 QueriesSplit.
func (s *Store) queries(ctx context.Context, span Span, holdout float64, fn func(q *Query, heldOut bool) error) (SplitCount, error) {
	var count SplitCount
	if !ValidKind(span.Kind) {
		return count, fmt.Errorf("unknown kind %q (want one of %s)", span.Kind, strings.Join(Kinds, ", "))
	}
	until := span.Until
	if until.IsZero() {
		until = time.Now()
	}
	// ciagent_uuid7_floor is only defined from 1970 on: an earlier time (--since 36500d, "all
	// of it") wraps to the largest id and would select nothing. No UUIDv7 is older anyway.
	since := span.Since
	epoch := time.Unix(0, 0)
	if since.Before(epoch) {
		since = epoch
	}
	if until.Before(epoch) {
		until = epoch
	}
	// Two connections: one walks the requests, the other replays feedback into the history
	// just ahead of each request's time.
	reqConn, err := s.db.Acquire(ctx)
	if err != nil {
		return count, fmt.Errorf("connecting: %w", err)
	}
	defer reqConn.Release()
	fbConn, err := s.db.Acquire(ctx)
	if err != nil {
		return count, fmt.Errorf("connecting: %w", err)
	}
	defer fbConn.Release()

	// With a split, the count, the cut and the stream read one snapshot: a request the
	// pipeline writes meanwhile cannot move the cut away from the requests streamed.
	var reqDB querier = reqConn
	var cutAt time.Time
	var cutID [16]byte
	hasCut := false
	if holdout >= 0 {
		tx, err := reqConn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return count, fmt.Errorf("reading requests: %w", err)
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		reqDB = tx
		if count, cutAt, cutID, hasCut, err = splitCut(ctx, tx, span.Kind, since, until, holdout); err != nil {
			return count, err
		}
	}
	heldOut := func(q *Query) bool {
		if !hasCut {
			return false
		}
		if !q.At.Equal(cutAt) {
			return q.At.After(cutAt)
		}
		return bytes.Compare(q.RequestID[:], cutID[:]) >= 0
	}

	fbRows, err := fbConn.Query(ctx, `
		SELECT repo, cause_id, category, outcome, at
		FROM `+causeFeedback+`
		WHERE kind = $1 AND at < $2
		ORDER BY at`, span.Kind, until)
	if err != nil {
		return count, fmt.Errorf("reading feedback: %w", err)
	}
	defer fbRows.Close()
	history := NewHistory()
	type fb struct {
		repo, cause, category, outcome string
		at                             time.Time
	}
	var next *fb
	advance := func(t time.Time) error {
		for {
			if next == nil {
				if !fbRows.Next() {
					return fbRows.Err()
				}
				var f fb
				if err := fbRows.Scan(&f.repo, &f.cause, &f.category, &f.outcome, &f.at); err != nil {
					return err
				}
				next = &f
			}
			if !next.at.Before(t) {
				return nil
			}
			history.Add(span.Kind, next.repo, next.cause, next.category, next.outcome, 1, next.at)
			next = nil
		}
	}

	rows, err := reqDB.Query(ctx, `
		SELECT r.id, r.received_at, r.repo, r.ranker_version,
		       p.rank, p.cause_id, p.category, p.score, p.features,
		       coalesce(l.accepted, 0), coalesce(l.rejected, 0)
		FROM requests r
		JOIN propositions p ON p.request_id = r.id
		LEFT JOIN LATERAL (
			SELECT count(*) FILTER (WHERE f.outcome = 'accepted') AS accepted,
			       count(*) FILTER (WHERE f.outcome <> 'accepted') AS rejected
			FROM (`+latestPerActor+`) f) l ON true
		WHERE r.kind = $1 AND r.id >= ciagent_uuid7_floor($2) AND r.id < ciagent_uuid7_floor($3)
		ORDER BY r.id, p.rank`, span.Kind, since, until)
	if err != nil {
		return count, fmt.Errorf("reading requests: %w", err)
	}
	defer rows.Close()

	var q *Query
	var qid int64
	var acc, rej []int
	flush := func() error {
		if q == nil {
			return nil
		}
		if err := advance(q.At); err != nil {
			return fmt.Errorf("reading feedback: %w", err)
		}
		// Labels follow the candidates into proposer order.
		type lab struct{ a, r int }
		labs := map[string]lab{}
		for i, c := range q.Cands {
			labs[c.CauseID+"\x00"+strconv.Itoa(c.Rank)] = lab{acc[i], rej[i]}
		}
		proposerOrder(q.Kind, q.Cands)
		q.Labels = make([]int, len(q.Cands))
		for i, c := range q.Cands {
			l := labs[c.CauseID+"\x00"+strconv.Itoa(c.Rank)]
			q.Labels[i] = Label(l.a, l.r)
		}
		q.X = vectors(q, history)
		qid++
		q.QID = qid
		err := fn(q, heldOut(q))
		q, acc, rej = nil, nil, nil
		return err
	}
	for rows.Next() {
		var (
			id         [16]byte
			at         time.Time
			repo, rv   string
			c          Candidate
			features   []byte
			nAcc, nRej int
		)
		if err := rows.Scan(&id, &at, &repo, &rv, &c.Rank, &c.CauseID, &c.Category, &c.Score, &features, &nAcc, &nRej); err != nil {
			return count, fmt.Errorf("reading requests: %w", err)
		}
		if q == nil || q.RequestID != id {
			if err := flush(); err != nil {
				return count, err
			}
			q = &Query{RequestID: id, Kind: span.Kind, Repo: repo, At: at.UTC(), RankerVersion: rv}
		}
		if len(features) > 0 {
			if err := json.Unmarshal(features, &c.Stored); err != nil {
				return count, fmt.Errorf("request %s: features of %s: %w", q.RequestID, c.CauseID, err)
			}
		}
		q.Cands = append(q.Cands, c)
		acc, rej = append(acc, nAcc), append(rej, nRej)
	}
	if err := rows.Err(); err != nil {
		return count, fmt.Errorf("reading requests: %w", err)
	}
	return count, flush()
}

// AllQueries collects Queries into memory: every request of the span, informative or not, so
// its memory grows with traffic. Training and evaluation stream through QueriesSplit and a
// Collector instead; this is for tests and small spans.
func (s *Store) AllQueries(ctx context.Context, span Span) ([]*Query, error) {
	var out []*Query
	err := s.Queries(ctx, span, func(q *Query) error {
		out = append(out, q)
		return nil
	})
	return out, err
}
