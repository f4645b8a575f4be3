// Package loadgen is a constant-arrival-rate HTTP load generator: the scenario of
// tests/load/scenario.js (k6) for machines without k6. Arrivals are scheduled by the clock,
// not by the previous answer, so a slow server meets the same offered load instead of
// throttling its own benchmark.
package loadgen

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Summary is one scenario's (or the total's) outcome.
type Summary struct {
	Name      string
	Scheduled int // arrivals the schedule asked for
	Dropped   int // arrivals not sent because MaxInFlight requests were already waiting (k6's dropped_iterations)
	Sent      int // requests sent
	Answered  int // 2xx/3xx answers
	Failed    int // transport errors, timeouts and status >= 400 (k6's http_req_failed)
	Elapsed   time.Duration
	P50, P90  time.Duration
	P99, Max  time.Duration
}

// FailedRate is Failed over Sent (0 when nothing was sent), as k6 computes http_req_failed.
func (s Summary) FailedRate() float64 {
	if s.Sent == 0 {
		return 0
	}
	return float64(s.Failed) / float64(s.Sent)
}

// DroppedRate is Dropped over Scheduled.
func (s Summary) DroppedRate() float64 {
	if s.Scheduled == 0 {
		return 0
	}
	return float64(s.Dropped) / float64(s.Scheduled)
}

// AnsweredPerSecond is the achieved rate of answers.
func (s Summary) AnsweredPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Answered) / s.Elapsed.Seconds()
}

// summarize computes a Summary; it sorts latencies in place.
func summarize(name string, scheduled, dropped, sent, answered, failed int, latencies []time.Duration, elapsed time.Duration) Summary {
	slices.Sort(latencies)
	s := Summary{Name: name, Scheduled: scheduled, Dropped: dropped, Sent: sent, Answered: answered, Failed: failed, Elapsed: elapsed}
	s.P50 = Percentile(latencies, 50)
	s.P90 = Percentile(latencies, 90)
	s.P99 = Percentile(latencies, 99)
	if n := len(latencies); n > 0 {
		s.Max = latencies[n-1]
	}
	return s
}

// Percentile of sorted durations by linear interpolation between closest ranks, the method k6
// uses for p(N), so figures from both tools compare. It returns 0 for no data.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if p <= 0 {
		return sorted[0]
	}
	if p >= 100 {
		return sorted[n-1]
	}
	rank := p / 100 * float64(n-1)
	lo := int(math.Floor(rank))
	hi := min(lo+1, n-1)
	frac := rank - float64(lo)
	return sorted[lo] + time.Duration(frac*float64(sorted[hi]-sorted[lo]))
}

// Thresholds are the pass/fail limits of a run.
type Thresholds struct {
	MaxFailedRate  float64       // http_req_failed rate<0.01
	MaxP99         time.Duration // http_req_duration p(99)<500
	MaxDroppedRate float64       // not in the k6 script: a generator that silently skips arrivals hides saturation
}

// DefaultThresholds are the seed's: failures under 1 %, p99 under 500 ms, and (ours) under 1 %
// of arrivals dropped.
var DefaultThresholds = Thresholds{MaxFailedRate: 0.01, MaxP99: 500 * time.Millisecond, MaxDroppedRate: 0.01}

// Verdict is one threshold's outcome.
type Verdict struct {
	Name string
	Got  string
	Want string
	Pass bool
}

// Check judges the total of a run against t. Each limit is strict, as in k6 ("rate<0.01").
func (t Thresholds) Check(total Summary) []Verdict {
	return []Verdict{
		{
			Name: "http_req_failed", Pass: total.FailedRate() < t.MaxFailedRate,
			Got: fmt.Sprintf("%.4f", total.FailedRate()), Want: fmt.Sprintf("rate<%g", t.MaxFailedRate),
		},
		{
			Name: "http_req_duration", Pass: total.Sent > 0 && total.P99 < t.MaxP99,
			Got: fmt.Sprintf("p(99)=%s", ms(total.P99)), Want: fmt.Sprintf("p(99)<%s", ms(t.MaxP99)),
		},
		{
			Name: "dropped_iterations", Pass: total.DroppedRate() < t.MaxDroppedRate,
			Got: fmt.Sprintf("%.4f", total.DroppedRate()), Want: fmt.Sprintf("rate<%g", t.MaxDroppedRate),
		},
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
