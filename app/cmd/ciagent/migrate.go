package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ci-agent/ci-agent/app/internal/api"
	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/ranking"
)

// runMigrate is `ciagent migrate [--status]`: apply the embedded migrations (serve also does at
// start) or list them.
func runMigrate(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	dbURL := fs.String("database-url", getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL)")
	status := fs.Bool("status", false, "list the migrations and whether each is applied, change nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("migrate takes no arguments (got %q)", fs.Args())
	}
	if *dbURL == "" {
		return usageErrorf("migrate needs a database: set DATABASE_URL or pass --database-url")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if *status {
		for _, set := range []struct {
			name   string
			status func(context.Context, string) ([]string, error)
		}{{"pipeline", pipeline.MigrationStatus}, {"ranking", ranking.MigrationStatus}} {
			lines, err := set.status(ctx, *dbURL)
			if err != nil {
				return fmt.Errorf("%s: %w", set.name, err)
			}
			for _, l := range lines {
				fmt.Fprintf(stdout, "%-8s %s\n", set.name, l)
			}
		}
		return nil
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := pipeline.Migrate(ctx, *dbURL, logger); err != nil {
		return err
	}
	// The ranking feeder's models table has its own migration sequence.
	if err := ranking.Migrate(ctx, *dbURL, logger); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

// addPipelineFlags declares serve's logging-pipeline flags; the returned function builds the
// pipeline's Config once the flags are parsed.
func addPipelineFlags(fs *flag.FlagSet, getenv env) func(databaseURL, spoolDir string) (pipeline.Config, error) {
	d := pipeline.DefaultConfig()
	spoolMax := fs.String("spool-max", envOr(getenv, "CIAGENT_SPOOL_MAX", "1GiB"), "spool size cap; beyond it the API answers 503 (env CIAGENT_SPOOL_MAX)")
	fsync := fs.String("spool-fsync", envOr(getenv, "CIAGENT_SPOOL_FSYNC", string(d.Fsync)), "when spool writes are fsynced: batch (before each answer, one fsync per group), interval or never (env CIAGENT_SPOOL_FSYNC)")
	input := fs.String("store-input", envOr(getenv, "CIAGENT_STORE_INPUT", string(d.InputMode)), "how much of each input to store, redacted: excerpt (the end), full or none (env CIAGENT_STORE_INPUT)")
	inputBytes := fs.String("store-input-bytes", envOr(getenv, "CIAGENT_STORE_INPUT_BYTES", "16KiB"), "cap on the stored input (env CIAGENT_STORE_INPUT_BYTES)")
	retention := fs.Int("retention-days", d.RetentionDays, "drop request partitions older than this many days; 0 keeps all (env CIAGENT_RETENTION_DAYS)")
	// A malformed CIAGENT_RETENTION_DAYS is a usage error, not a silent fall-back to the default.
	var retentionEnvErr error
	if v := getenv("CIAGENT_RETENTION_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			retentionEnvErr = usageErrorf("CIAGENT_RETENTION_DAYS %q: want a whole number of days", v)
		}
		*retention = n
	}
	return func(databaseURL, spoolDir string) (pipeline.Config, error) {
		cfg := d
		if retentionEnvErr != nil {
			return cfg, retentionEnvErr
		}
		cfg.DatabaseURL, cfg.SpoolDir, cfg.RetentionDays = databaseURL, spoolDir, *retention
		var err error
		if cfg.SpoolMaxBytes, err = parseSize(*spoolMax); err != nil {
			return cfg, usageErrorf("--spool-max: %v", err)
		}
		if cfg.Fsync, err = pipeline.ParseFsyncPolicy(*fsync); err != nil {
			return cfg, usageErrorf("--spool-fsync: %v", err)
		}
		switch m := pipeline.InputMode(*input); m {
		case pipeline.InputExcerpt, pipeline.InputFull, pipeline.InputNone:
			cfg.InputMode = m
		default:
			return cfg, usageErrorf("--store-input %q: want excerpt, full or none", *input)
		}
		n, err := parseSize(*inputBytes)
		if err != nil || n > 64<<20 {
			return cfg, usageErrorf("--store-input-bytes: want a size up to 64MiB")
		}
		cfg.InputBytes = int(n)
		if *retention < 0 {
			return cfg, usageErrorf("--retention-days: want 0 or more")
		}
		return cfg, nil
	}
}

// startPipeline opens the logging pipeline (migrating and replaying the spool) and returns the
// server options that wire it in, and a stop function that drains it.
func startPipeline(ctx context.Context, cfg pipeline.Config, logger *slog.Logger) ([]api.Option, func(), error) {
	reg := prometheus.NewRegistry()
	p, err := pipeline.Open(ctx, cfg, logger, reg)
	if err != nil {
		return nil, nil, fmt.Errorf("starting the logging pipeline: %w", err)
	}
	p.Start()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := p.Close(sctx); err != nil {
			logger.Error("closing the logging pipeline", "err", err)
		}
	}
	// Readiness follows the spool, not the database: without PostgreSQL the replica still
	// answers (and spools) until the spool nears its cap.
	opts := []api.Option{
		api.WithRegistry(reg),
		api.WithRecorder(p),
		api.WithReadyCheck(api.ReadyCheck{Name: "spool", Check: p.SpoolCheck}),
		api.WithLiveCheck(api.ReadyCheck{Name: "spool_writable", Check: p.SpoolHealth}),
	}
	return opts, stop, nil
}
