// Package api is the filter API's HTTP layer: routes, middleware, limits and the wire format.
// It turns requests into calls on the proposers and knows nothing of how answers are stored
// beyond the Recorder it is given.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ci-agent/ci-agent/app/internal/cifailure"
	"github.com/ci-agent/ci-agent/app/internal/logthrottle"
	"github.com/ci-agent/ci-agent/app/internal/spam"
)

// Config is what the HTTP layer needs. Zero values mean the defaults in DefaultConfig.
type Config struct {
	Addr              string        // listen address
	MaxBody           int64         // request body cap in bytes (compressed size for gzip bodies)
	MaxLogBytes       int64         // cap on a decompressed log
	APIKeys           *KeySet       // nil: no authentication (loopback only, unless InsecureNoAuth)
	InsecureNoAuth    bool          // allow a non-loopback address without API keys
	ReadHeaderTimeout time.Duration // slowloris guard
	ReadTimeout       time.Duration // a whole request, body included
	WriteTimeout      time.Duration // a whole response
	IdleTimeout       time.Duration // keep-alive
	HandlerTimeout    time.Duration // work on one request
	ShutdownTimeout   time.Duration // draining on SIGTERM
}

// DefaultConfig returns the production defaults.
func DefaultConfig() Config {
	return Config{
		Addr:              ":8080",
		MaxBody:           64 << 20,
		MaxLogBytes:       1 << 30,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      3 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		HandlerTimeout:    2 * time.Minute,
		ShutdownTimeout:   25 * time.Second,
	}
}

// Server serves the filter API.
type Server struct {
	cfg      Config
	logger   *slog.Logger
	explain  *cifailure.Engine
	spam     *spam.Checker // nil: spam.DefaultConfig (see WithSpamChecker)
	recorder Recorder      // nil: answers are not recorded (see WithRecorder)
	ranking  Ranking       // nil: the proposers' order, no export (see WithRanking)
	// exporting holds a token while a ranking export runs (capacity 1).
	exporting chan struct{}
	// bodies is the memory JSON request bodies may hold at once (jsonBudget).
	bodies   bodyBudget
	registry *prometheus.Registry
	metrics  *metrics
	ready    []ReadyCheck
	live     []ReadyCheck
	handler  http.Handler
	cache    AnswerCache
	// cacheLookups and cacheStores log some of the answer cache's failures. Each has its own:
	// Redis out of memory refuses a store and still serves a lookup.
	cacheLookups, cacheStores logthrottle.Throttle
	patterns                  []string // every registered route, for the OpenAPI test
}

// ReadyCheck reports whether a dependency can take traffic; /readyz runs them all.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Option configures optional parts of a Server.
type Option func(*Server)

// WithReadyCheck adds a dependency to /readyz.
func WithReadyCheck(rc ReadyCheck) Option { return func(s *Server) { s.ready = append(s.ready, rc) } }

// WithLiveCheck adds a condition to /healthz: one that only a restart clears (the liveness
// probe restarts the process when /healthz fails). It also counts for /readyz.
func WithLiveCheck(rc ReadyCheck) Option {
	return func(s *Server) { s.live = append(s.live, rc); s.ready = append(s.ready, rc) }
}

// WithRegistry registers the server's metrics on reg (and serves reg on /metrics), so other
// packages can add theirs to the same endpoint.
func WithRegistry(reg *prometheus.Registry) Option { return func(s *Server) { s.registry = reg } }

// New builds a Server. cfg is merged over DefaultConfig.
func New(cfg Config, logger *slog.Logger, explain *cifailure.Engine, opts ...Option) (*Server, error) {
	if explain == nil {
		return nil, errors.New("api: no CI failure engine")
	}
	s := &Server{cfg: withDefaults(cfg), logger: logger.With("component", "api"), explain: explain, exporting: make(chan struct{}, 1), bodies: bodyBudget{left: jsonBudget}}
	for _, o := range opts {
		o(s)
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	m, err := newMetrics(s.registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.handler = s.routes()
	return s, nil
}

func withDefaults(c Config) Config {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	for _, p := range []struct{ v, def *int64 }{{&c.MaxBody, &d.MaxBody}, {&c.MaxLogBytes, &d.MaxLogBytes}} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	for _, p := range []struct{ v, def *time.Duration }{
		{&c.ReadHeaderTimeout, &d.ReadHeaderTimeout}, {&c.ReadTimeout, &d.ReadTimeout},
		{&c.WriteTimeout, &d.WriteTimeout}, {&c.IdleTimeout, &d.IdleTimeout},
		{&c.HandlerTimeout, &d.HandlerTimeout}, {&c.ShutdownTimeout, &d.ShutdownTimeout},
	} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	return c
}

// Handler is the server's root handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Registry is where the server's metrics live.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// CheckExposure refuses an unauthenticated server on a non-loopback address, so that a
// deployment is never open by accident while `make run` on a laptop just works.
func CheckExposure(addr string, keys *KeySet, insecureNoAuth bool) error {
	if keys != nil || insecureNoAuth {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to listen on %q without API keys: set CIAGENT_API_KEYS_FILE, listen on a loopback address (e.g. 127.0.0.1:8080), or pass --insecure-no-auth", addr)
}

// Serve listens on cfg.Addr until ctx is done, then drains in-flight requests.
// ready, when not nil, receives the bound address once the listener is up.
func (s *Server) Serve(ctx context.Context, ready chan<- net.Addr) error {
	if err := CheckExposure(s.cfg.Addr, s.cfg.APIKeys, s.cfg.InsecureNoAuth); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.logger.Info("listening", "addr", ln.Addr().String(), "auth", s.cfg.APIKeys != nil)
	if ready != nil {
		ready <- ln.Addr()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// A client still sending its body (or reading slowly) would hold the process for
		// its full read or write timeout. What was answered is recorded; what was not gets
		// no answer and is the client's to retry. Cut it, and exit cleanly.
		s.logger.Warn("requests still running at the shutdown timeout were cut", "err", err)
		if err := srv.Close(); err != nil {
			return fmt.Errorf("closing connections: %w", err)
		}
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
