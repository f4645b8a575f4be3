package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ci-agent/ci-agent/app/internal/api"
	"github.com/ci-agent/ci-agent/app/internal/pgconf"
	"github.com/ci-agent/ci-agent/app/internal/ranking"
)

const rankingUsage = `usage: ciagent ranking <export|train|eval> [flags]

  export   stream learning-to-rank rows (svmlight with qid:, or jsonl) for an external ranker
  train    fit the built-in pairwise model on the older part of the data, store it as a new version
  eval     NDCG@1/@3 and MRR of the newest model against the proposers' order on the newest data

Every subcommand reads DATABASE_URL (or --database-url). docs/ranking.md describes the features.`

// runRanking is `ciagent ranking …`: the ML ranking feeder.
func runRanking(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, rankingUsage)
		if len(args) == 0 {
			return usageErrorf("ranking needs a subcommand: export, train or eval")
		}
		return errFlagHelp
	}
	switch args[0] {
	case "export":
		return runRankingExport(ctx, args[1:], getenv, stdout, stderr)
	case "train":
		return runRankingTrain(ctx, args[1:], getenv, stdout, stderr)
	case "eval":
		return runRankingEval(ctx, args[1:], getenv, stdout, stderr)
	}
	return usageErrorf("unknown ranking subcommand %q (want export, train or eval)", args[0])
}

// rankingFlags are the flags every ranking subcommand shares.
type rankingFlags struct {
	dbURL, since, until, kind string
}

func addRankingFlags(fs interface {
	StringVar(p *string, name, value, usage string)
}, getenv env, defaultSince string) *rankingFlags {
	f := &rankingFlags{}
	fs.StringVar(&f.dbURL, "database-url", getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL)")
	fs.StringVar(&f.since, "since", defaultSince, "first request time: RFC 3339 (2026-11-01T00:00:00Z) or an age (90d, 12h)")
	fs.StringVar(&f.until, "until", "", "end of the span, exclusive: RFC 3339 or an age; default now")
	fs.StringVar(&f.kind, "kind", ranking.KindCIExplain, "which answers: ci_explain or spam_check")
	return f
}

// span checks the shared flags and returns the span they select. The bounds go through
// ranking.ParseSpan, the parser of the HTTP export too.
func (f *rankingFlags) span(now time.Time) (ranking.Span, error) {
	if f.dbURL == "" {
		return ranking.Span{}, usageErrorf("ranking needs a database: set DATABASE_URL or pass --database-url")
	}
	if !ranking.ValidKind(f.kind) {
		return ranking.Span{}, usageErrorf("--kind %q: want one of %s", f.kind, strings.Join(ranking.Kinds, ", "))
	}
	span, err := ranking.ParseSpan(f.since, f.until, now, "--")
	if err != nil {
		return span, usageErrorf("%v", err)
	}
	span.Kind = f.kind
	return span, nil
}

// openRankingStore connects and refuses a database without the pipeline's tables before
// anything else happens: a wrong DATABASE_URL gets one clear message, not a missing relation
// halfway through, and nothing is created in it. With migrate (train, which stores a model)
// the ranking migrations are applied after that check.
func openRankingStore(ctx context.Context, url string, migrate bool) (*ranking.Store, func(), error) {
	pool, err := pgconf.NewPool(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	store := ranking.NewStore(pool)
	if err := store.CheckSchema(ctx); err != nil {
		pool.Close()
		return nil, nil, err
	}
	if migrate {
		if err := ranking.Migrate(ctx, url, slog.New(slog.DiscardHandler)); err != nil {
			pool.Close()
			return nil, nil, err
		}
	}
	return store, pool.Close, nil
}

func runRankingExport(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("ranking export", stderr)
	f := addRankingFlags(fs, getenv, "")
	format := fs.String("format", ranking.FormatSVMLight, "svmlight (label qid:N i:v …) or jsonl")
	out := fs.String("out", "", "write the rows to this file (and the feature header to FILE.features); default stdout")
	header := fs.String("features", "", "write the feature-name header to this file (default FILE.features with --out)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("ranking export takes no arguments (got %q)", fs.Args())
	}
	if *format != ranking.FormatSVMLight && *format != ranking.FormatJSONL {
		return usageErrorf("--format %q: want svmlight or jsonl", *format)
	}
	if f.since == "" {
		return usageErrorf("ranking export needs --since (an RFC 3339 time or an age like 30d)")
	}
	span, err := f.span(time.Now())
	if err != nil {
		return err
	}
	if *header == "" && *out != "" {
		*header = *out + ".features"
	}
	store, closeStore, err := openRankingStore(ctx, f.dbURL, false)
	if err != nil {
		return err
	}
	defer closeStore()
	w := stdout
	var file *os.File
	if *out != "" {
		if file, err = os.Create(*out); err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	rows, err := ranking.Export(ctx, store, w, span, *format)
	if err != nil {
		return fmt.Errorf("exporting (%d rows written): %w", rows, err)
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return err
		}
	}
	if *header != "" {
		hf, err := os.Create(*header)
		if err != nil {
			return err
		}
		if err := ranking.WriteFeatureHeader(hf, span.Kind); err != nil {
			hf.Close()
			return err
		}
		if err := hf.Close(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "ranking export: %d rows\n", rows)
	return nil
}

func runRankingTrain(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("ranking train", stderr)
	f := addRankingFlags(fs, getenv, "90d")
	holdout := fs.Float64("holdout", 0.2, "newest share of requests kept out of training and used to evaluate (0 trains on all)")
	epochs := fs.Int("epochs", 0, "training passes (default 300)")
	l2 := fs.Float64("l2", 0, "pull towards the proposers' order (default 0.05)")
	minJudged := fs.Int("min-judged", ranking.DefaultMinJudged, "fewest held-out requests with feedback that tells propositions apart on which the model must beat the proposers before it is stored")
	minRepositories := fs.Int("min-repositories", ranking.DefaultMinRepositories, "fewest repositories those requests must come from before the model is stored (a request that names none counts as one; 1 for a deployment that serves one repository)")
	dryRun := fs.Bool("dry-run", false, "train and evaluate, store nothing")
	force := fs.Bool("force", false, "store the model even when the hold-out does not show it ranks better than the proposers, or when nothing is held out (--holdout 0)")
	asJSON := fs.Bool("json", false, "print the model's summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("ranking train takes no arguments (got %q)", fs.Args())
	}
	if !(*holdout >= 0 && *holdout < 1) { // NaN too
		return usageErrorf("--holdout %v: want 0 ≤ share < 1", *holdout)
	}
	// Each flag on its own: naming both sent users looking for a problem with the one they
	// never gave.
	if *epochs < 0 {
		return usageErrorf("--epochs %d: want 0 or more (0, the default, means 300)", *epochs)
	}
	if !(*l2 >= 0) || math.IsInf(*l2, 1) { // NaN too
		return usageErrorf("--l2 %v: want a finite number, 0 or more (0, the default, means 0.05)", *l2)
	}
	if *minJudged < 1 {
		return usageErrorf("--min-judged %d: want 1 or more (default %d)", *minJudged, ranking.DefaultMinJudged)
	}
	if *minRepositories < 1 {
		return usageErrorf("--min-repositories %d: want 1 or more (default %d)", *minRepositories, ranking.DefaultMinRepositories)
	}
	span, err := f.span(time.Now())
	if err != nil {
		return err
	}
	store, closeStore, err := openRankingStore(ctx, f.dbURL, true)
	if err != nil {
		return err
	}
	defer closeStore()
	// Streamed: only the requests that can teach or judge something are kept (docs/ranking.md,
	// Limits); the rest count for the split and the standardisation and are dropped.
	data, err := ranking.NewCollector(span.Kind)
	if err != nil {
		return err
	}
	if _, err := store.QueriesSplit(ctx, span, *holdout, data.Add); err != nil {
		return err
	}
	m, err := data.Fit(ranking.TrainOptions{Epochs: *epochs, L2: *l2})
	if err != nil {
		return fmt.Errorf("training on %d requests: %w", data.TrainRequests, err)
	}
	if data.TestRequests > 0 {
		rep := data.Evaluate(m)
		m.Holdout = &rep
	}
	stored := ""
	var refused error
	why := notStoredBecause(m, data.TestRequests, *holdout, *minJudged, *minRepositories)
	switch {
	case *dryRun:
	case why != "" && !*force:
		// Said after the report, as the command's error: exit 2, so a scheduled job sees it.
		refused = fmt.Errorf("ranking train: not stored: %s; --force stores it anyway", why)
	default:
		if stored, err = store.SaveModel(ctx, m); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(m); err != nil {
			return err
		}
		return refused
	}
	if stored != "" {
		fmt.Fprintf(stdout, "ranking model %s stored\n", stored)
	}
	fmt.Fprintf(stdout, "trained on %d requests (%d with feedback that tells propositions apart, %d pairs), %s … %s\n",
		data.TrainRequests, m.Queries, m.Pairs, m.TrainedFrom.Format(time.RFC3339), m.TrainedUntil.Format(time.RFC3339))
	if m.Holdout != nil {
		printReport(stdout, span.Kind, data.TestRequests, *m.Holdout)
	}
	return refused
}

// notStoredBecause says why a trained model should not be stored, "" when it may be: only a
// model that ranks the held-out requests better than the proposers by more than the noise of
// the hold-out is served (Report.NotBetterBecause; docs/decisions/ranking-0003). With nothing
// held out (--holdout 0) or none of the held-out requests able to judge it, nothing shows that
// it does, and it would reorder every answer unjudged.
func notStoredBecause(m *ranking.Model, heldOut int, holdout float64, minJudged, minRepositories int) string {
	switch {
	case holdout == 0:
		return "--holdout 0 trains on every request and holds none out, so the model cannot be compared with the proposers (keep a hold-out, 0.2 by default, to compare it)"
	case m.Holdout == nil || m.Holdout.Queries == 0:
		return fmt.Sprintf("none of the %d held-out requests has feedback that tells its propositions apart, so the model cannot be compared with the proposers (widen --since or wait for more feedback)", heldOut)
	}
	why := m.Holdout.NotBetterBecause(minJudged, minRepositories)
	switch g := m.Holdout.Gain; {
	case why == "":
	case m.Holdout.Queries < minJudged:
		why += " (--min-judged)"
	case g != nil && g.Units < minRepositories:
		why += " (--min-repositories)"
	}
	return why
}

func runRankingEval(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlagSet("ranking eval", stderr)
	f := addRankingFlags(fs, getenv, "90d")
	holdout := fs.Float64("holdout", 0.2, "newest share of requests to evaluate on")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("ranking eval takes no arguments (got %q)", fs.Args())
	}
	if *holdout <= 0 || *holdout > 1 {
		return usageErrorf("--holdout %v: want 0 < share ≤ 1", *holdout)
	}
	span, err := f.span(time.Now())
	if err != nil {
		return err
	}
	// No migration: a report reads, and a database that never had a model has none to report.
	store, closeStore, err := openRankingStore(ctx, f.dbURL, false)
	if err != nil {
		return err
	}
	defer closeStore()
	m, err := store.LatestModel(ctx, span.Kind)
	if errors.Is(err, ranking.ErrNoModel) {
		fmt.Fprintf(stderr, "ranking eval: no %s model yet; reporting the proposers' order only\n", span.Kind)
		m, err = nil, nil
	}
	if err != nil {
		return err
	}
	// Streamed like train: only the held-out requests that can judge the model are kept.
	data, err := ranking.NewEvalCollector(span.Kind)
	if err != nil {
		return err
	}
	if _, err := store.QueriesSplit(ctx, span, *holdout, data.Add); err != nil {
		return err
	}
	rep := data.Evaluate(m)
	if m != nil && data.TestRequests > 0 && !m.TrainedUntil.Before(rep.From) {
		fmt.Fprintf(stderr, "ranking eval: warning: model %s was trained on requests up to %s, inside the held-out span from %s: the figures flatter it\n",
			m.Version, m.TrainedUntil.Format(time.RFC3339), rep.From.Format(time.RFC3339))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if m != nil {
		fmt.Fprintf(stdout, "model %s (trained up to %s)\n", m.Version, m.TrainedUntil.Format(time.RFC3339))
	}
	printReport(stdout, span.Kind, data.TestRequests, rep)
	return nil
}

// printReport prints a hold-out evaluation of n requests of kind. A figure over no request is
// "-", not 0.000: there is nothing to measure, which is not a measured zero.
func printReport(w io.Writer, kind string, n int, rep ranking.Report) {
	if n == 0 {
		fmt.Fprintf(w, "held-out: no data: the span has no %s requests to evaluate on\n", kind)
		return
	}
	fmt.Fprintf(w, "held-out: %d requests, %s … %s; %d with feedback that tells propositions apart (NDCG), %d with an accepted one (MRR)\n",
		n, rep.From.Format(time.RFC3339), rep.Until.Format(time.RFC3339), rep.Queries, rep.MRRQueries)
	if rep.Queries == 0 && rep.MRRQueries == 0 {
		fmt.Fprintln(w, "no figures: no held-out request has feedback on its propositions")
		return
	}
	figure := func(v float64, over int) string {
		if over == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f", v)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tNDCG@1\tNDCG@3\tMRR")
	for _, row := range []struct {
		name string
		m    ranking.Metrics
	}{{"proposers", rep.Static}, {"model", rep.Model}} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.name, figure(row.m.NDCG1, rep.Queries), figure(row.m.NDCG3, rep.Queries), figure(row.m.MRR, rep.MRRQueries))
	}
	tw.Flush()
	if g := rep.Gain; g != nil {
		from := fmt.Sprintf("%d repositories", g.Repositories)
		if none := g.Units - g.Repositories; none > 0 {
			from += fmt.Sprintf(" and %d requests that name none", none)
		}
		fmt.Fprintf(w, "gain in NDCG@3: %s (paired bootstrap over the %d requests, by repository: %s)\n", g, rep.Queries, from)
		fmt.Fprintf(w, "first proposition changed on %d of the %d requests: to a better-rated one on %d, a worse-rated one on %d\n",
			g.TopChanged, rep.Queries, g.TopBetter, g.TopWorse)
	}
}

// addRankingServeFlags declares serve's ranking flags; the returned function checks them once
// they are parsed. A malformed or non-positive CIAGENT_RANKING_POLL or --ranking-poll is a
// usage error, like the other settings: it used to fall back to 10 s without a word, and
// "--ranking-poll 0" polled at the default too.
func addRankingServeFlags(fs *flag.FlagSet, getenv env, cfg *ranking.ServiceConfig) func() error {
	poll := 10 * time.Second
	var envErr error
	if v := getenv("CIAGENT_RANKING_POLL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			envErr = usageErrorf("CIAGENT_RANKING_POLL %q: want a positive duration such as 10s or 1m", v)
		}
		poll = d
	}
	fs.DurationVar(&cfg.PollInterval, "ranking-poll", poll, "how often serve looks for a new ranking model version (env CIAGENT_RANKING_POLL)")
	return func() error {
		if envErr != nil {
			return envErr
		}
		if cfg.PollInterval <= 0 {
			return usageErrorf("--ranking-poll %v: want a positive duration such as 10s or 1m", cfg.PollInterval)
		}
		return nil
	}
}

// startRanking opens the ranker for serve: the newest model of each kind, hot-reloaded as new
// versions are stored. Without a database, answers keep the proposers' order (ranker_version
// empty) and serve goes on; a database that is down at start is retried at every poll.
func startRanking(ctx context.Context, databaseURL string, cfg ranking.ServiceConfig, logger *slog.Logger) ([]api.Option, func()) {
	if databaseURL == "" {
		logger.Info("ranking: no database; answers keep the proposers' order")
		return nil, func() {}
	}
	svc, err := ranking.OpenService(ctx, databaseURL, cfg, logger)
	if err != nil {
		logger.Error("ranking: not started; answers keep the proposers' order", "err", err)
		return nil, func() {}
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.Run(rctx)
	}()
	stop := func() {
		cancel()
		<-done
		svc.Close()
	}
	return []api.Option{api.WithRanking(svc)}, stop
}
