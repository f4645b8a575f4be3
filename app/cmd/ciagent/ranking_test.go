package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
	"github.com/ci-agent/ci-agent/app/internal/ranking"
	"github.com/ci-agent/ci-agent/app/internal/ranking/rankingtest"
)

func TestRankingUsageErrors(t *testing.T) {
	noDB := func(string) string { return "" }
	for _, tc := range []struct {
		name    string
		args    []string
		want    string
		notWant string // a flag the message must not blame
	}{
		{"no subcommand", []string{"ranking"}, "needs a subcommand", ""},
		{"unknown subcommand", []string{"ranking", "fit"}, "unknown ranking subcommand", ""},
		{"export without since", []string{"ranking", "export", "--database-url", "postgres://x"}, "needs --since", ""},
		{"no database", []string{"ranking", "train"}, "needs a database", ""},
		{"bad format", []string{"ranking", "export", "--since", "1d", "--format", "csv"}, "--format", ""},
		{"bad since", []string{"ranking", "eval", "--database-url", "postgres://x", "--since", "yesterday"}, "--since", ""},
		{"bad kind", []string{"ranking", "eval", "--database-url", "postgres://x", "--kind", "email"}, "--kind", ""},
		{"bad holdout", []string{"ranking", "train", "--database-url", "postgres://x", "--holdout", "1"}, "--holdout", ""},
		{"negative epochs", []string{"ranking", "train", "--database-url", "postgres://x", "--since", "1d", "--epochs", "-1"}, "--epochs -1", "--l2"},
		{"negative l2", []string{"ranking", "train", "--database-url", "postgres://x", "--since", "1d", "--l2", "-0.5"}, "--l2 -0.5", "--epochs"},
		{"l2 not a number", []string{"ranking", "train", "--database-url", "postgres://x", "--l2", "NaN"}, "--l2 NaN", "--epochs"},
		{"min-judged zero", []string{"ranking", "train", "--database-url", "postgres://x", "--min-judged", "0"}, "--min-judged 0: want 1 or more", ""},
		{"min-repositories zero", []string{"ranking", "train", "--database-url", "postgres://x", "--min-repositories", "0"}, "--min-repositories 0: want 1 or more", ""},
		{"export until before since", []string{"ranking", "export", "--database-url", "postgres://x", "--since", "2026-11-08T00:00:00Z", "--until", "2026-11-01T00:00:00Z"},
			`--until "2026-11-01T00:00:00Z" (2026-11-01T00:00:00Z) is not after --since "2026-11-08T00:00:00Z"`, ""},
		{"eval until equal to since", []string{"ranking", "eval", "--database-url", "postgres://x", "--since", "2026-11-01T00:00:00Z", "--until", "2026-11-01T00:00:00Z"}, "is not after --since", ""},
		{"train ages the wrong way round", []string{"ranking", "train", "--database-url", "postgres://x", "--since", "1d", "--until", "30d"}, `--until "30d"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(t.Context(), tc.args, noDB, nil, &out, &errOut)
			if code := exitCode(err, &errOut); code != exitUsage || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("ciagent %s: exit %d, stderr %q; want exit %d mentioning %q", strings.Join(tc.args, " "), code, errOut.String(), exitUsage, tc.want)
			}
			if tc.notWant != "" && strings.Contains(errOut.String(), tc.notWant) {
				t.Errorf("ciagent %s: stderr %q names %s, which was not given", strings.Join(tc.args, " "), errOut.String(), tc.notWant)
			}
		})
	}
}

// TestRankingWithoutSchema: against a database the pipeline never migrated (a wrong
// DATABASE_URL), every ranking command refuses up front with one clear message and creates
// nothing; eval was creating the ranking tables and export, eval and train failed later on
// a missing relation. On a database with the pipeline's tables but no ranking migration, eval
// reports the proposers only and still creates nothing.
func TestRankingWithoutSchema(t *testing.T) {
	url := pgtest.URL(t)
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	relations := func() []string {
		t.Helper()
		rows, err := pool.Query(t.Context(), `SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	out := filepath.Join(t.TempDir(), "rows.svm")
	for _, args := range [][]string{
		{"ranking", "eval", "--since", "30d"},
		{"ranking", "export", "--since", "30d", "--out", out},
		{"ranking", "export", "--since", "30d", "--format", "jsonl"},
		{"ranking", "train", "--since", "30d", "--dry-run"},
		{"ranking", "train", "--since", "30d", "--kind", "spam_check"},
	} {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), args, getenv, nil, &stdout, &stderr)
			code := exitCode(err, &stderr)
			if code != exitInput || !strings.Contains(stderr.String(), "the database has no ciagent schema") || !strings.Contains(stderr.String(), "run `ciagent migrate`") {
				t.Errorf("ciagent %s on an empty database: exit %d, stderr %q; want exit %d saying it has no ciagent schema and to run `ciagent migrate`",
					strings.Join(args, " "), code, stderr.String(), exitInput)
			}
			if got := relations(); len(got) != 0 {
				t.Errorf("ciagent %s on an empty database created %v; want nothing", strings.Join(args, " "), got)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused export created %s (%v); want no file", out, err)
	}

	if err := pipeline.Migrate(t.Context(), url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"ranking", "eval", "--since", "30d"}, getenv, nil, &stdout, &stderr); err != nil || !strings.Contains(stderr.String(), "no ci_explain model yet") {
		t.Errorf("ranking eval without the ranking migration: %v, stderr %q; want the proposers' figures and \"no ci_explain model yet\"", err, stderr.String())
	}
	if slices.Contains(relations(), "ranking_models") {
		t.Errorf("ranking eval created ranking_models; a report must not change the schema")
	}
}

// TestRankingServePoll: a poll interval serve cannot use, from the environment or the flag,
// stops serve before it starts; it used to fall back to 10 s (a bad env) or be taken (0, -1s).
func TestRankingServePoll(t *testing.T) {
	tests := []struct {
		name, env string
		args      []string
		want      time.Duration
		wantErr   string
	}{
		{"default", "", nil, 10 * time.Second, ""},
		{"env", "30s", nil, 30 * time.Second, ""},
		{"flag over env", "30s", []string{"--ranking-poll", "1m"}, time.Minute, ""},
		{"env not a duration", "soon", nil, 0, `CIAGENT_RANKING_POLL "soon": want a positive duration`},
		{"env zero", "0s", nil, 0, `CIAGENT_RANKING_POLL "0s"`},
		{"env negative", "-1s", nil, 0, `CIAGENT_RANKING_POLL "-1s"`},
		{"flag zero", "", []string{"--ranking-poll", "0"}, 0, "--ranking-poll 0s: want a positive duration"},
		{"flag negative", "", []string{"--ranking-poll", "-1s"}, 0, "--ranking-poll -1s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "CIAGENT_RANKING_POLL" {
					return tc.env
				}
				return ""
			}
			cfg, err := parseServeFlags(tc.args, getenv, io.Discard)
			var ue *usageError
			switch {
			case tc.wantErr != "":
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("serve %v with CIAGENT_RANKING_POLL=%q: err %v; want a usage error saying %q", tc.args, tc.env, err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("serve %v with CIAGENT_RANKING_POLL=%q: %v", tc.args, tc.env, err)
			case cfg.ranking.PollInterval != tc.want:
				t.Errorf("serve %v with CIAGENT_RANKING_POLL=%q: poll %v; want %v", tc.args, tc.env, cfg.ranking.PollInterval, tc.want)
			}
		})
	}
}

// TestRankingCommands runs export, train and eval against a simulated history.
func TestRankingCommands(t *testing.T) {
	url := pgtest.URL(t)
	if err := pipeline.Migrate(t.Context(), url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	sim := rankingtest.Simulate(t, url, rankingtest.Config{Seed: 3, Requests: 1500, Days: 10, Start: rankingtest.Start})
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}
	since, until := rankingtest.Start.Format(time.RFC3339), sim.Until.Format(time.RFC3339)
	ciagent := func(args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := run(ctx, args, getenv, nil, &out, &errOut); err != nil {
			t.Fatalf("ciagent %s: %v (stderr %q)", strings.Join(args, " "), err, errOut.String())
		}
		return out.String(), errOut.String()
	}

	file := filepath.Join(t.TempDir(), "train.svm")
	ciagent("ranking", "export", "--since", since, "--until", until, "--format", "svmlight", "--out", file)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if rows := bytes.Count(data, []byte("\n")); rows != len(sim.Labels) {
		t.Errorf("export wrote %d rows; want %d", rows, len(sim.Labels))
	}
	header, err := os.ReadFile(file + ".features")
	if err != nil || !strings.Contains(string(header), "1 proposer_score") {
		t.Errorf("feature header %s: %q, %v; want one line per feature", file+".features", header, err)
	}

	out, _ := ciagent("ranking", "train", "--since", since, "--until", until, "--json")
	var m ranking.Model
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("ranking train --json: %v in %q", err, out)
	}
	if m.Version == "" || m.Holdout == nil || m.Holdout.Model.NDCG3 <= m.Holdout.Static.NDCG3 {
		t.Fatalf("ranking train: version %q, hold-out %+v; want a stored model that beats the proposers", m.Version, m.Holdout)
	}

	// Streamed, the command counts, trains and evaluates what the in-memory path does on the
	// same span: every request held, split by time.
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	all, err := ranking.NewStore(pool).AllQueries(t.Context(), ranking.Span{Kind: ranking.KindCIExplain, Since: rankingtest.Start, Until: sim.Until})
	if err != nil {
		t.Fatal(err)
	}
	train, test := ranking.SplitByTime(all, 0.2)
	want, err := ranking.Train(ranking.KindCIExplain, train, ranking.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantReport := ranking.Evaluate(want, test)
	if m.Queries != want.Queries || m.Pairs != want.Pairs || !m.TrainedFrom.Equal(want.TrainedFrom) || !m.TrainedUntil.Equal(want.TrainedUntil) ||
		m.Holdout.Queries != wantReport.Queries || m.Holdout.MRRQueries != wantReport.MRRQueries || !m.Holdout.From.Equal(wantReport.From) || !m.Holdout.Until.Equal(wantReport.Until) {
		t.Errorf("ranking train: %d queries, %d pairs, %s … %s, hold-out %+v; in memory %d, %d, %s … %s, %+v",
			m.Queries, m.Pairs, m.TrainedFrom, m.TrainedUntil, *m.Holdout, want.Queries, want.Pairs, want.TrainedFrom, want.TrainedUntil, wantReport)
	}
	for j := range want.Weights {
		if d := math.Abs(m.Weights[j] - want.Weights[j]); d > 1e-9 {
			t.Errorf("ranking train: weight of %s %v; in memory %v", want.Features[j], m.Weights[j], want.Weights[j])
		}
	}
	if math.Abs(m.Holdout.Model.NDCG3-wantReport.Model.NDCG3) > 1e-9 || math.Abs(m.Holdout.Model.MRR-wantReport.Model.MRR) > 1e-9 {
		t.Errorf("ranking train: hold-out model figures %+v; in memory %+v", m.Holdout.Model, wantReport.Model)
	}
	text, _ := ciagent("ranking", "train", "--since", since, "--until", until, "--dry-run")
	for _, line := range []string{fmt.Sprintf("trained on %d requests (%d with feedback that tells propositions apart, %d pairs)", len(train), want.Queries, want.Pairs),
		fmt.Sprintf("held-out: %d requests, %s … %s; %d with feedback", len(test), wantReport.From.Format(time.RFC3339), wantReport.Until.Format(time.RFC3339), wantReport.Queries)} {
		if !strings.Contains(text, line) {
			t.Errorf("ranking train --dry-run printed %q; want it to say %q", text, line)
		}
	}

	// A model the hold-out cannot judge is not stored, and the command says so as an error
	// (exit 2), after its report, so that a scheduled job sees it.
	var report, refusal bytes.Buffer
	err = run(context.Background(), []string{"ranking", "train", "--since", since, "--until", until, "--holdout", "0.0001"}, getenv, nil, &report, &refusal)
	if code := exitCode(err, &refusal); code != exitInput || !strings.Contains(refusal.String(), "not stored: none of the 0 held-out requests") || !strings.Contains(report.String(), "trained on") {
		t.Errorf("ranking train with an empty hold-out: exit %d, stderr %q, stdout %q; want exit 2 naming the reason after the report", code, refusal.String(), report.String())
	}
	// Nothing held out, nothing compared: not stored without --force (it used to be).
	report.Reset()
	refusal.Reset()
	err = run(context.Background(), []string{"ranking", "train", "--since", since, "--until", until, "--holdout", "0"}, getenv, nil, &report, &refusal)
	if code := exitCode(err, &refusal); code != exitInput || !strings.Contains(refusal.String(), "not stored: --holdout 0 trains on every request") || !strings.Contains(refusal.String(), "--force stores it anyway") {
		t.Errorf("ranking train --holdout 0: exit %d, stderr %q; want exit 2: not stored, --force stores it", code, refusal.String())
	}
	var ignored bytes.Buffer
	if err := run(context.Background(), []string{"ranking", "train", "--epochs", "-5"}, getenv, nil, &ignored, &ignored); !strings.Contains(fmt.Sprint(err), "--epochs -5") {
		t.Errorf("ranking train --epochs -5 = %v; want a usage error naming it", err)
	}

	out, errOut := ciagent("ranking", "eval", "--since", since, "--until", until)
	if !strings.Contains(out, "model "+m.Version) || !strings.Contains(out, "NDCG@3") || strings.Contains(errOut, "warning") ||
		!strings.Contains(out, fmt.Sprintf("held-out: %d requests, %s … %s; %d with feedback", len(test), wantReport.From.Format(time.RFC3339), wantReport.Until.Format(time.RFC3339), wantReport.Queries)) {
		t.Errorf("ranking eval printed %q (stderr %q); want the model %s's figures and no leakage warning", out, errOut, m.Version)
	}
	for _, want := range []string{"gain in NDCG@3: +", "(paired bootstrap over the ", "first proposition changed on "} {
		if !strings.Contains(out, want) {
			t.Errorf("ranking eval printed %q; want it to say %q", out, want)
		}
	}
	t.Logf("ranking eval:\n%s", out)

	// No spam checks at all: "no data", not a table of zeros over the year 1.
	out, errOut = ciagent("ranking", "eval", "--kind", "spam_check", "--since", since, "--until", until)
	if !strings.Contains(out, "no data: the span has no spam_check requests") || strings.Contains(out, "0.000") || strings.Contains(out, "0001-01-01") {
		t.Errorf("ranking eval --kind spam_check without spam checks printed %q (stderr %q); want \"no data\"", out, errOut)
	}
	out, _ = ciagent("ranking", "eval", "--kind", "spam_check", "--since", since, "--until", until, "--json")
	if strings.Contains(out, "0001-01-01") {
		t.Errorf("ranking eval --kind spam_check --json without spam checks printed %q; want no year-1 dates", out)
	}
}

func TestNotStoredBecause(t *testing.T) {
	report := func(queries int, gain, low, high float64) *ranking.Report {
		return &ranking.Report{Queries: queries, Gain: &ranking.Gain{NDCG3: gain, Low: low, High: high, Repositories: 12, Units: 12}}
	}
	tests := []struct {
		name    string
		holdout *ranking.Report
		share   float64
		want    string // substring; "" means store
	}{
		{"significantly better than the proposers", report(240, 0.12, 0.10, 0.14), 0.2, ""},
		// The reviewer's model: 0.841 against 0.837 on 381 requests.
		{"better within the noise", report(381, 0.004, -0.006, 0.014), 0.2, "within the noise of the 381 held-out requests (NDCG@3 +0.004, 95% CI -0.006 … +0.014"},
		{"an interval that touches 0", report(381, 0.01, 0, 0.02), 0.2, "within the noise"},
		{"worse than the proposers", report(240, -0.05, -0.08, -0.02), 0.2, "worse than the proposers"},
		{"too few judged requests", report(30, 0.2, 0.1, 0.3), 0.2, "only 30 held-out requests have feedback that tells their propositions apart; the comparison with the proposers needs at least 50 (--min-judged)"},
		{"too few repositories", &ranking.Report{Queries: 240, Gain: &ranking.Gain{NDCG3: 0.12, Low: 0.10, High: 0.14, Repositories: 3, Units: 4}}, 0.2, "the 240 judged held-out requests come from only 4 repositories (a request that names none counts as one); the comparison needs at least 5, or one repository's habits pass for the model's gain (--min-repositories)"},
		{"no judgeable held-out request", &ranking.Report{}, 0.2, "none of the 3 held-out requests"},
		{"no held-out requests at all", nil, 0.2, "none of the 3 held-out requests"},
		// It used to be stored unjudged.
		{"trained on all", nil, 0, "--holdout 0 trains on every request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := notStoredBecause(&ranking.Model{Holdout: tc.holdout}, 3, tc.share, ranking.DefaultMinJudged, ranking.DefaultMinRepositories)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("notStoredBecause = %q; want %q", got, tc.want)
			}
		})
	}
}

// TestRankingTrainRefusesRandomFeedback: trained on feedback that accepts and rejects
// propositions at random, the model gains +0.013 NDCG@3 on the hold-out, inside the noise:
// train prints the gain, its interval and how many first propositions the model would
// change, and refuses to store it (exit 2). The old gate, "not worse than the proposers",
// stored it. --force still stores it.
func TestRankingTrainRefusesRandomFeedback(t *testing.T) {
	url := pgtest.URL(t)
	if err := pipeline.Migrate(t.Context(), url, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	sim := rankingtest.Simulate(t, url, rankingtest.Config{Seed: 2, Requests: 2000, Days: 10, Start: rankingtest.Start, RandomFeedback: true})
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}
	span := []string{"--since", rankingtest.Start.Format(time.RFC3339), "--until", sim.Until.Format(time.RFC3339)}
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), append([]string{"ranking", "train"}, span...), getenv, nil, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != exitInput || !strings.Contains(stderr.String(), "not stored: the model's gain over the proposers is within the noise") {
		t.Errorf("ranking train on random feedback: exit %d, stderr %q; want exit %d: not stored, within the noise", code, stderr.String(), exitInput)
	}
	for _, want := range []string{"gain in NDCG@3: +0.013, 95% CI -0.026 … +0.050 (paired bootstrap over the 257 requests, by repository: 6 repositories)", "first proposition changed on 107 of the 257 requests"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("ranking train printed %q; want it to say %q", stdout.String(), want)
		}
	}
	t.Logf("ranking train:\n%s%s", stdout.String(), stderr.String())

	stdout.Reset()
	stderr.Reset()
	if err := run(t.Context(), append([]string{"ranking", "train", "--force"}, span...), getenv, nil, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "ranking model ci_explain-1 stored") {
		t.Errorf("ranking train --force: %v, stdout %q; want it stored", err, stdout.String())
	}
}
