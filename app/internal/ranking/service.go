package ranking

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ci-agent/ci-agent/app/internal/pgconf"
)

// ServiceConfig tunes a Service. Zero values mean the defaults.
type ServiceConfig struct {
	PollInterval    time.Duration // how often to look for a new model version (default 10s)
	HistoryInterval time.Duration // how often to reload the feedback history (default 1m)
}

func (c ServiceConfig) withDefaults() ServiceConfig {
	if c.PollInterval <= 0 {
		c.PollInterval = 10 * time.Second
	}
	if c.HistoryInterval <= 0 {
		c.HistoryInterval = time.Minute
	}
	return c
}

// Service is the ranker that serve uses: it holds the newest model of each kind and the
// feedback history, swaps in a new model version as soon as one is stored (no restart), and
// serves the export. Rank never touches the database: it reads two atomic pointers.
type Service struct {
	store   *Store
	db      *pgxpool.Pool
	cfg     ServiceConfig
	logger  *slog.Logger
	models  atomic.Pointer[map[string]*Model]
	history atomic.Pointer[History]
	ids     map[string]int64 // the loaded version of each kind; only the reloader touches it

	// migrate applies the ranking migrations; Run calls it until it succeeds when the database
	// was away at start. nil once done.
	migrate  func(context.Context) error
	failures int // consecutive failed attempts of migrate, for logging
}

// OpenService migrates the ranking table, connects, and loads the newest models and the
// feedback history. A database that is down only means "no model yet": ranking falls back to
// the proposers' order and Run keeps trying, the migrations included. The error is for a URL
// that cannot be parsed.
func OpenService(ctx context.Context, url string, cfg ServiceConfig, logger *slog.Logger) (*Service, error) {
	pool, err := pgconf.NewPool(ctx, url) // connects lazily: nothing here needs the database up
	if err != nil {
		return nil, err
	}
	migrateLogger := logger // MigrateFS names the component itself
	logger = logger.With("component", "ranking")
	s := &Service{store: NewStore(pool), db: pool, cfg: cfg.withDefaults(), logger: logger, ids: map[string]int64{}}
	s.models.Store(&map[string]*Model{})
	s.history.Store(NewHistory())
	s.migrate = func(ctx context.Context) error { return Migrate(ctx, url, migrateLogger) }
	if !s.tryMigrate(ctx) {
		return s, nil
	}
	// Reload loads the history with the first model; without a model nothing reads it.
	if err := s.Reload(ctx); err != nil {
		logger.Warn("loading ranking models; using the proposers' order until it works", "err", err)
	}
	return s, nil
}

// tryMigrate applies the migrations if they are not applied yet and reports whether they are.
// Failures are logged on the first attempt and then every 30th (five minutes at the default
// poll), not at every poll of an outage.
func (s *Service) tryMigrate(ctx context.Context) bool {
	if s.migrate == nil {
		return true
	}
	if err := s.migrate(ctx); err != nil {
		if s.failures%30 == 0 && ctx.Err() == nil {
			s.logger.Warn("ranking: cannot migrate yet; answers keep the proposers' order until the database answers", "err", err, "attempts", s.failures+1)
		}
		s.failures++
		return false
	}
	if s.failures > 0 {
		s.logger.Info("ranking: database reached; migrations applied", "attempts", s.failures+1)
	}
	s.migrate, s.failures = nil, 0
	return true
}

// Close releases the database connections.
func (s *Service) Close() { s.db.Close() }

// Store is the service's store, for the export.
func (s *Service) Store() *Store { return s.store }

// Run polls for new model versions and refreshes the history until ctx ends.
func (s *Service) Run(ctx context.Context) {
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	hist := time.NewTicker(s.cfg.HistoryInterval)
	defer hist.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
			if !s.tryMigrate(ctx) {
				continue
			}
			if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
				s.logger.Warn("checking for a new ranking model", "err", err)
			}
		case <-hist.C:
			if s.migrate != nil {
				continue // not migrated yet: the poll above keeps trying
			}
			if err := s.ReloadHistory(ctx); err != nil && ctx.Err() == nil {
				s.logger.Warn("reloading the feedback history", "err", err)
			}
		}
	}
}

// Reload swaps in any model version newer than the loaded one, with the feedback history
// reloaded first: a model just trained on the newest feedback would otherwise rank with
// history up to a minute older than its training data. When the history cannot be read, the
// new model waits for the next poll. A model this binary cannot apply (other features) is
// skipped with a warning and the previous one stays.
func (s *Service) Reload(ctx context.Context) error {
	ids, err := s.store.latestIDs(ctx)
	if err != nil {
		return fmt.Errorf("listing model versions: %w", err)
	}
	next := maps.Clone(*s.models.Load())
	tried := map[string]int64{}
	var loaded []*Model
	for kind, id := range ids {
		if !ValidKind(kind) || s.ids[kind] == id {
			continue
		}
		m, err := s.store.LatestModel(ctx, kind)
		if err != nil {
			return err
		}
		tried[kind] = id // a bad model is not re-read at every poll
		if err := m.check(); err != nil {
			s.logger.Warn("ranking model skipped", "version", m.Version, "err", err)
			continue
		}
		next[kind] = m
		loaded = append(loaded, m)
	}
	if len(loaded) > 0 {
		if err := s.ReloadHistory(ctx); err != nil {
			return fmt.Errorf("reloading the feedback history for a new model: %w", err)
		}
		s.models.Store(&next)
		for _, m := range loaded {
			s.logger.Info("ranking model loaded", "version", m.Version, "trained_until", m.TrainedUntil, "pairs", m.Pairs)
		}
	}
	maps.Copy(s.ids, tried)
	return nil
}

// ReloadHistory reloads the feedback counts behind the history features.
func (s *Service) ReloadHistory(ctx context.Context) error {
	h, err := s.store.LoadHistory(ctx)
	if err != nil {
		return err
	}
	s.history.Store(h)
	return nil
}

// Version is the version of the loaded model of kind, "" when there is none.
func (s *Service) Version(kind string) string {
	if m := (*s.models.Load())[kind]; m != nil {
		return m.Version
	}
	return ""
}

// Rank orders one answer's propositions, given in the proposer's order with their stored
// feature vectors. It returns the new order (indices into cands) and the model version, or
// nil and "" when no model applies: the proposer's order stands.
func (s *Service) Rank(kind, repo string, at time.Time, cands []Candidate) ([]int, string) {
	if s == nil || len(cands) == 0 {
		return nil, ""
	}
	m := (*s.models.Load())[kind]
	if m == nil {
		return nil, ""
	}
	q := &Query{Kind: kind, Repo: repo, At: at, Cands: cands}
	return m.Order(vectors(q, s.history.Load())), m.Version
}

// Export streams span's rows in format to w.
func (s *Service) Export(ctx context.Context, w io.Writer, span Span, format string) (int64, error) {
	return Export(ctx, s.store, w, span, format)
}

// Export streams span's rows from store in format to w.
func Export(ctx context.Context, store *Store, w io.Writer, span Span, format string) (int64, error) {
	ew, err := NewWriter(w, format, span.Kind)
	if err != nil {
		return 0, err
	}
	err = store.Queries(ctx, span, ew.Write)
	if ferr := ew.Flush(); err == nil {
		err = ferr
	}
	return ew.Rows(), err
}
