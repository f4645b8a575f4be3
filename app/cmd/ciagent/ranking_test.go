package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ci-agent/ci-agent/app/internal/pipeline"
	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
	"github.com/ci-agent/ci-agent/app/internal/ranking"
	"github.com/ci-agent/ci-agent/app/internal/ranking/rankingtest"
)

func TestRankingUsageErrors(t *testing.T) {
	noDB := func(string) string { return "" }
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"ranking"}, "needs a subcommand"},
		{"unknown subcommand", []string{"ranking", "fit"}, "unknown ranking subcommand"},
		{"export without since", []string{"ranking", "export", "--database-url", "postgres://x"}, "needs --since"},
		{"no database", []string{"ranking", "train"}, "needs a database"},
		{"bad format", []string{"ranking", "export", "--since", "1d", "--format", "csv"}, "--format"},
		{"bad since", []string{"ranking", "eval", "--database-url", "postgres://x", "--since", "yesterday"}, "--since"},
		{"bad kind", []string{"ranking", "eval", "--database-url", "postgres://x", "--kind", "email"}, "--kind"},
		{"bad holdout", []string{"ranking", "train", "--database-url", "postgres://x", "--holdout", "1"}, "--holdout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(t.Context(), tc.args, noDB, nil, &out, &errOut)
			if code := exitCode(err, &errOut); code != exitUsage || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("ciagent %s: exit %d, stderr %q; want exit %d mentioning %q", strings.Join(tc.args, " "), code, errOut.String(), exitUsage, tc.want)
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
	var ignored bytes.Buffer
	if err := run(context.Background(), []string{"ranking", "train", "--epochs", "-5"}, getenv, nil, &ignored, &ignored); !strings.Contains(fmt.Sprint(err), "--epochs -5") {
		t.Errorf("ranking train --epochs -5 = %v; want a usage error naming it", err)
	}

	out, errOut := ciagent("ranking", "eval", "--since", since, "--until", until)
	if !strings.Contains(out, "model "+m.Version) || !strings.Contains(out, "NDCG@3") || strings.Contains(errOut, "warning") ||
		!strings.Contains(out, fmt.Sprintf("held-out: %d requests, %s … %s; %d with feedback", len(test), wantReport.From.Format(time.RFC3339), wantReport.Until.Format(time.RFC3339), wantReport.Queries)) {
		t.Errorf("ranking eval printed %q (stderr %q); want the model %s's figures and no leakage warning", out, errOut, m.Version)
	}
	t.Logf("ranking eval:\n%s", out)
}

func TestNotStoredBecause(t *testing.T) {
	report := func(queries int, static, model float64) *ranking.Report {
		r := &ranking.Report{Queries: queries}
		r.Static.NDCG3, r.Model.NDCG3 = static, model
		return r
	}
	tests := []struct {
		name    string
		holdout *ranking.Report
		share   float64
		want    string // substring; "" means store
	}{
		{"better than the proposers", report(40, 0.80, 0.90), 0.2, ""},
		{"worse than the proposers", report(40, 0.80, 0.70), 0.2, "worse than the proposers"},
		{"no judgeable held-out request", report(0, 0, 0), 0.2, "none of the 3 held-out requests"},
		{"no held-out requests at all", nil, 0.2, "none of the 3 held-out requests"},
		{"trained on all, as asked", nil, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := notStoredBecause(&ranking.Model{Holdout: tc.holdout}, 3, tc.share)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("notStoredBecause = %q; want %q", got, tc.want)
			}
		})
	}
}
