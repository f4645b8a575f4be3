package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/ci-agent/ci-agent/app/internal/answercache"
	"github.com/ci-agent/ci-agent/app/internal/api"
	"github.com/ci-agent/ci-agent/app/internal/cifailure"
	"github.com/ci-agent/ci-agent/app/internal/dupshare"
	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/ranking"
	"github.com/ci-agent/ci-agent/app/internal/redisconn"
	"github.com/ci-agent/ci-agent/app/internal/spam"
)

// serveConfig is everything `ciagent serve` reads from flags and the environment.
type serveConfig struct {
	api            api.Config
	pipeline       pipeline.Config
	ranking        ranking.ServiceConfig
	databaseURL    string
	spoolDir       string
	kbDir          string
	spamConfig     string
	redisURL       string
	dupStream      string
	apiKeysFile    string
	logLevel       slog.Level
	insecureNoAuth bool
}

func parseServeFlags(args []string, getenv env, stderr io.Writer) (serveConfig, error) {
	cfg := serveConfig{api: api.DefaultConfig()}
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&cfg.api.Addr, "addr", envOr(getenv, "CIAGENT_ADDR", cfg.api.Addr), "listen address (env CIAGENT_ADDR)")
	fs.StringVar(&cfg.databaseURL, "database-url", getenv("DATABASE_URL"), "PostgreSQL URL for the logging pipeline (env DATABASE_URL); empty: spool only")
	fs.StringVar(&cfg.spoolDir, "spool-dir", envOr(getenv, "CIAGENT_SPOOL_DIR", "spool"), "directory of the durable spool (env CIAGENT_SPOOL_DIR)")
	pipelineConfig := addPipelineFlags(fs, getenv)
	checkRankingFlags := addRankingServeFlags(fs, getenv, &cfg.ranking)
	maxBody := fs.String("max-body", envOr(getenv, "CIAGENT_MAX_BODY", "64MiB"), "request body cap, e.g. 64MiB (env CIAGENT_MAX_BODY)")
	fs.StringVar(&cfg.kbDir, "kb", getenv("CIAGENT_KB_DIR"), "directory of extra knowledge-base *.yaml files (env CIAGENT_KB_DIR)")
	fs.StringVar(&cfg.redisURL, "redis-url", getenv("REDIS_URL"), "Redis URL (redis:// or rediss://) of the optional answer cache and shared near-duplicate memory (env REDIS_URL); empty: neither")
	fs.StringVar(&cfg.dupStream, "spam-dup-stream", envOr(getenv, "CIAGENT_SPAM_DUP_STREAM", dupshare.DefaultKey), "Redis stream through which replicas share the spam near-duplicate memory; one per deployment (env CIAGENT_SPAM_DUP_STREAM)")
	fs.StringVar(&cfg.spamConfig, "spam-config", getenv("CIAGENT_SPAM_CONFIG"), "spam proposer config file: verdict thresholds (env CIAGENT_SPAM_CONFIG); empty: the defaults")
	fs.StringVar(&cfg.apiKeysFile, "api-keys-file", getenv("CIAGENT_API_KEYS_FILE"), "file of hashed API keys; when set every /v1 call needs a Bearer key (env CIAGENT_API_KEYS_FILE)")
	fs.BoolVar(&cfg.insecureNoAuth, "insecure-no-auth", false, "allow a non-loopback address without API keys")
	logLevel := fs.String("log-level", envOr(getenv, "CIAGENT_LOG_LEVEL", "info"), "debug, info, warn or error (env CIAGENT_LOG_LEVEL)")
	if err := parseFlags(fs, args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, usageErrorf("serve takes no arguments (got %q)", fs.Args())
	}
	n, err := parseSize(*maxBody)
	if err != nil {
		return cfg, usageErrorf("--max-body: %v", err)
	}
	cfg.api.MaxBody = n
	if cfg.pipeline, err = pipelineConfig(cfg.databaseURL, cfg.spoolDir); err != nil {
		return cfg, err
	}
	if err := checkRankingFlags(); err != nil {
		return cfg, err
	}
	if err := cfg.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return cfg, usageErrorf("--log-level %q: want debug, info, warn or error", *logLevel)
	}
	cfg.api.InsecureNoAuth = cfg.insecureNoAuth
	return cfg, nil
}

func runServe(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	return serve(ctx, cfg, logger, nil)
}

// serve runs the server until ctx ends; ready (optional) gets the bound address.
func serve(ctx context.Context, cfg serveConfig, logger *slog.Logger, ready chan<- string) error {
	if cfg.apiKeysFile != "" {
		keys, err := api.LoadKeySet(cfg.apiKeysFile)
		if err != nil {
			return err
		}
		cfg.api.APIKeys = keys
	}
	// Fail before loading anything when the server would be open to the network by accident.
	if err := api.CheckExposure(cfg.api.Addr, cfg.api.APIKeys, cfg.insecureNoAuth); err != nil {
		return &usageError{msg: err.Error()}
	}
	// Configuration errors first, before anything is logged or started.
	checker, err := loadSpamChecker(cfg.spamConfig)
	if err != nil {
		return err
	}
	rdb, err := openRedis(ctx, cfg.redisURL, logger)
	if err != nil {
		return err
	}
	if rdb != nil {
		defer rdb.Close()
	}
	kb, err := cifailure.Load(cfg.kbDir)
	if err != nil {
		return fmt.Errorf("loading the knowledge base: %w", err)
	}
	eng, err := cifailure.New(kb, cifailure.Options{})
	if err != nil {
		return err
	}
	logger.Info("knowledge base loaded", "causes", len(kb.Causes))
	opts, stopPipeline, err := startPipeline(ctx, cfg.pipeline, logger)
	if err != nil {
		return err
	}
	defer stopPipeline()
	rankingOpts, stopRanking := startRanking(ctx, cfg.databaseURL, cfg.ranking, logger)
	defer stopRanking()
	opts = append(opts, rankingOpts...)
	opts = append(opts, api.WithSpamChecker(checker))
	if rdb != nil {
		opts = append(opts, api.WithAnswerCache(answercache.New(rdb, answercache.DefaultTTL)))
		build, err := answercache.BuildID()
		if err != nil {
			logger.Warn("cannot read the binary to name the answer cache's keys; this replica caches under keys of its own", "err", err)
		}
		logger.Info("answer cache on", "ttl", answercache.DefaultTTL.String(), "build", build)
	}
	dupMetrics, stopSharing := shareNearDuplicates(ctx, rdb, cfg.dupStream, checker, logger)
	defer stopSharing()
	srv, err := api.New(cfg.api, logger, eng, opts...)
	if err != nil {
		return err
	}
	if dupMetrics != nil {
		if err := srv.Registry().Register(dupMetrics); err != nil {
			return err
		}
	}
	return srv.Serve(ctx, addrNotifier(ready))
}

// openRedis makes the client of the optional Redis, for the answer cache and the shared
// near-duplicate memory; nil when none is configured. A malformed URL is a configuration
// error. A Redis that does not answer at start is one warning, and the client is kept: it
// connects once Redis answers (a replica started during a Redis restart gets its shared memory
// back then, not at its own next restart), and until then a lookup fails (within the
// client's 2 s dial timeout; go-redis stops dialling per call after repeated failures), which
// costs only the cache hit, as when Redis goes away later. go-redis's own log lines go to logger.
func openRedis(ctx context.Context, url string, logger *slog.Logger) (*redis.Client, error) {
	if url == "" {
		return nil, nil
	}
	rdb, err := redisconn.Open(url)
	if err != nil {
		return nil, err
	}
	redisconn.LogTo(logger)
	if err := redisconn.Ping(ctx, rdb); err != nil {
		logger.Warn("Redis not answering at start: the answer cache and the shared near-duplicate memory work once it does", "err", err)
	}
	return rdb, nil
}

// shareNearDuplicates connects the spam proposer's near-duplicate memory with the other
// replicas' through a Redis stream (package dupshare): it reads the newest fingerprints back
// before the server listens, then shares until stop is called. Without Redis, or with the
// memory off (history_size 0), each process keeps its own memory, as before.
func shareNearDuplicates(ctx context.Context, rdb *redis.Client, stream string, checker *spam.Checker, logger *slog.Logger) (metrics prometheus.Collector, stop func()) {
	size := checker.Config().HistorySize
	if rdb == nil || size == 0 {
		return nil, func() {}
	}
	share, err := dupshare.New(rdb, dupshare.Config{Key: stream, Size: size}, logger)
	if err != nil {
		logger.Warn("near-duplicate memory not shared", "err", err)
		return nil, func() {}
	}
	checker.ShareFingerprints(share.Publish)
	// Bounded: a Redis that drops connections must not hold the start past the startup probe;
	// the follower reads from the stream's start once Redis answers.
	warmCtx, cancelWarm := context.WithTimeout(ctx, 3*time.Second)
	n, from, err := share.Warm(warmCtx, checker)
	cancelWarm()
	if err != nil {
		// from is then the start of the stream, which holds at most size fingerprints.
		logger.Warn("near-duplicate memory not read back", "err", err)
	}
	logger.Info("near-duplicate memory shared", "stream", stream, "read_back", n)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { share.Run(runCtx, checker, from); close(done) }()
	return share.Collector(), func() { cancel(); <-done }
}

// loadSpamChecker builds the spam proposer from its config file, or with the defaults.
func loadSpamChecker(path string) (*spam.Checker, error) {
	cfg := spam.DefaultConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("spam config: %w", err)
		}
		if cfg, err = spam.ParseConfig(data); err != nil {
			return nil, fmt.Errorf("spam config %s: %w", path, err)
		}
	}
	return spam.New(cfg)
}

func addrNotifier(ready chan<- string) chan<- net.Addr {
	if ready == nil {
		return nil
	}
	ch := make(chan net.Addr, 1)
	go func() { ready <- (<-ch).String() }()
	return ch
}

func envOr(getenv env, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// parseSize reads "1048576", "64MiB", "64MB", "512KiB", "1GiB" (MB and MiB both mean 2^20:
// nobody sizing a body cap means 10^6).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"GB", 1 << 30}, {"MiB", 1 << 20}, {"MB", 1 << 20}, {"KiB", 1 << 10}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("want a positive size like 64MiB")
	}
	return n * mult, nil
}
