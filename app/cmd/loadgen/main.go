// Command loadgen offers the seed's load scenario (tests/load/scenario.js) to a running filter
// API at a constant arrival rate and judges it by the same thresholds; `make load` runs it. It
// exists because k6 cannot be built here (AGPL, see docs/benchmarks.md).
//
// Exit codes: 0 thresholds met, 1 usage or setup error, 99 thresholds failed (as k6).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ci-agent/ci-agent/app/internal/loadgen"
)

const exitThresholds = 99

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type config struct {
	mix         loadgen.Mix
	url         string
	apiKey      string
	duration    time.Duration
	maxInFlight int
	timeout     time.Duration
	ciLogs      string
	spamTexts   string
	waitReady   time.Duration
	databaseURL string
	drainWait   time.Duration
	jsonOut     string
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg := config{mix: loadgen.DefaultMix}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.url, "url", "http://127.0.0.1:8080", "base URL of the filter API")
	fs.StringVar(&cfg.apiKey, "api-key", getenv("CIAGENT_API_KEY"), "Bearer key for /v1 (env CIAGENT_API_KEY)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Minute, "how long arrivals are scheduled")
	fs.Float64Var(&cfg.mix.Rate, "rate", cfg.mix.Rate, "arrivals per second of CI logs and spam checks together")
	fs.Float64Var(&cfg.mix.CIShare, "ci-share", cfg.mix.CIShare, "share of -rate that is CI logs; the rest is spam checks")
	fs.Float64Var(&cfg.mix.LargeRate, "large-rate", cfg.mix.LargeRate, "large logs per second, on top of -rate")
	fs.IntVar(&cfg.mix.LargeSize, "large-size", cfg.mix.LargeSize, "bytes of each large log")
	fs.IntVar(&cfg.maxInFlight, "max-inflight", 1000, "outstanding requests per scenario before arrivals are dropped (k6 maxVUs)")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.StringVar(&cfg.ciLogs, "ci-logs", "internal/cifailure/testdata/causes", "directory of */match.log CI logs")
	fs.StringVar(&cfg.spamTexts, "spam-texts", "internal/spam/testdata/legit.txt,internal/spam/testdata/scam.txt", "comma-separated corpus files of texts separated by ===== lines")
	fs.DurationVar(&cfg.waitReady, "wait-ready", 60*time.Second, "wait this long for GET /readyz to answer 200 before starting")
	fs.StringVar(&cfg.databaseURL, "database-url", getenv("DATABASE_URL"), "when set, count the rows logged in requests afterwards (env DATABASE_URL)")
	fs.DurationVar(&cfg.drainWait, "drain-wait", 5*time.Minute, "how long to wait for logged rows to stop growing")
	fs.StringVar(&cfg.jsonOut, "json", "", "also write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if err := loadAndRun(ctx, cfg, stdout); err != nil {
		if errors.Is(err, errThresholds) {
			fmt.Fprintln(stderr, "loadgen:", err)
			return exitThresholds
		}
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	return 0
}

var errThresholds = errors.New("some thresholds have failed")

func loadAndRun(ctx context.Context, cfg config, stdout io.Writer) error {
	logs, err := loadgen.ReadCILogs(cfg.ciLogs, 1000)
	if err != nil {
		return err
	}
	var texts []string
	for _, p := range strings.Split(cfg.spamTexts, ",") {
		b, err := os.ReadFile(strings.TrimSpace(p)) // #nosec G304 -- a corpus the operator names by flag
		if err != nil {
			return fmt.Errorf("reading spam texts: %w", err)
		}
		texts = append(texts, loadgen.SplitTexts(b)...)
	}
	scenarios, err := cfg.mix.Scenarios(logs, texts)
	if err != nil {
		return err
	}
	conns := cfg.maxInFlight * len(scenarios)
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: 90 * time.Second,
		DisableCompression: true,
	}}
	if err := waitReady(ctx, client, cfg.url, cfg.waitReady); err != nil {
		return err
	}

	started := time.Now()
	fmt.Fprintf(stdout, "loadgen: %s for %s: %.0f req/s (%.0f%% CI logs, rest spam) + %.1f large logs/s of %d bytes; %d CI logs, %d texts\n",
		cfg.url, cfg.duration, cfg.mix.Rate, 100*cfg.mix.CIShare, cfg.mix.LargeRate, cfg.mix.LargeSize, len(logs), len(texts))
	rep, err := loadgen.Run(ctx, client, loadgen.Config{
		BaseURL: cfg.url, APIKey: cfg.apiKey, Duration: cfg.duration,
		MaxInFlight: cfg.maxInFlight, Timeout: cfg.timeout, Scenarios: scenarios,
	})
	if err != nil {
		return err
	}
	printReport(stdout, rep)

	verdicts := loadgen.DefaultThresholds.Check(rep.Total)
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nthreshold\tgot\twant\t")
	ok := true
	for _, v := range verdicts {
		mark := "PASS"
		if !v.Pass {
			mark, ok = "FAIL", false
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, v.Got, v.Want, mark)
	}
	_ = tw.Flush()

	if cfg.databaseURL != "" {
		d, err := countLogged(ctx, cfg.databaseURL, started, cfg.drainWait)
		if err != nil {
			fmt.Fprintf(stdout, "\nrows logged in PostgreSQL: unknown (%v)\n", err)
		} else {
			answered := float64(max(1, rep.Total.Answered))
			fmt.Fprintf(stdout, "\nrows logged in PostgreSQL (requests since the start): %d vs requests answered: %d (%.2f%%)\n",
				d.last, rep.Total.Answered, 100*float64(d.last)/answered)
			state := "then stable"
			if d.growing {
				state = fmt.Sprintf("still growing when the wait ended: %d answers were in the spool, not yet in PostgreSQL", int64(rep.Total.Answered)-d.last)
			}
			fmt.Fprintf(stdout, "  %d rows (%.2f%%) when the load stopped, %d after %s of draining, %s\n",
				d.atEnd, 100*float64(d.atEnd)/answered, d.last, d.waited.Round(time.Second), state)
		}
	}
	if cfg.jsonOut != "" {
		b, _ := json.MarshalIndent(struct {
			Report     loadgen.Report
			Thresholds []loadgen.Verdict
		}{rep, verdicts}, "", "  ")
		if err := os.WriteFile(cfg.jsonOut, b, 0o600); err != nil {
			return fmt.Errorf("writing the JSON report: %w", err)
		}
	}
	if !ok {
		return errThresholds
	}
	return nil
}

func printReport(w io.Writer, rep loadgen.Report) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tscheduled\tsent\tdropped\tanswered\tfailed\terror rate\tanswered/s\tp50\tp90\tp99\tmax\t")
	for _, s := range append(rep.Scenarios, rep.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.4f\t%.1f\t%s\t%s\t%s\t%s\t\n", s.Name, s.Scheduled, s.Sent, s.Dropped, s.Answered, s.Failed,
			s.FailedRate(), s.AnsweredPerSecond(), msf(s.P50), msf(s.P90), msf(s.P99), msf(s.Max))
	}
	_ = tw.Flush()
}

func msf(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

// waitReady polls /readyz until it answers 200, at most for limit.
func waitReady(ctx context.Context, client *http.Client, base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, "GET", base+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s/readyz not ready after %s (last: %v)", base, limit, statusOrErr(resp, err))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func statusOrErr(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

// drain is how the logged-row count evolved after the run.
type drain struct {
	atEnd, last int64         // rows when the run ended, and when the wait ended
	waited      time.Duration // how long we watched
	growing     bool          // still growing when the wait ended (the spool had not drained)
}

// countLogged counts the requests rows received since started, polling once a second until the
// count stops growing for three polls (the pipeline drains its spool asynchronously) or limit.
func countLogged(ctx context.Context, databaseURL string, started time.Time, limit time.Duration) (drain, error) {
	ctx, cancel := context.WithTimeout(ctx, limit+10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return drain{}, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	d := drain{atEnd: -1, last: -1}
	stable := 0
	begin := time.Now()
	for time.Since(begin) < limit && stable < 3 {
		var n int64
		// Slightly before the start: received_at is stamped by the server's clock.
		if err := conn.QueryRow(ctx, "select count(*) from requests where received_at >= $1", started.Add(-time.Second)).Scan(&n); err != nil {
			return drain{}, fmt.Errorf("counting requests: %w", err)
		}
		if d.atEnd < 0 {
			d.atEnd = n
		}
		if n == d.last {
			stable++
		} else {
			stable, d.last = 0, n
		}
		select {
		case <-ctx.Done():
			d.waited = time.Since(begin)
			return d, nil
		case <-time.After(time.Second):
		}
	}
	d.waited = time.Since(begin)
	d.growing = stable < 3
	return d, nil
}
