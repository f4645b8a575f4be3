package logthrottle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

// recorder is a slog.Handler that keeps each record as "LEVEL message failures=N".
type recorder struct{ lines []string }

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	line := rec.Level.String() + " " + rec.Message
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "failures":
			line += " failures=" + a.Value.String()
		case "since_last_warning":
			line += " since=" + a.Value.String()
		}
		return true
	})
	r.lines = append(r.lines, line)
	return nil
}

func TestThrottle(t *testing.T) {
	// A run is a sequence of steps: "f" a failure, "fN" N failures, "s" a success, "w" a wait
	// of Quiet.
	tests := []struct {
		name string
		run  []string
		want []string
	}{
		{"nothing fails", []string{"s", "s"}, nil},
		{"first failure", []string{"f"}, []string{"WARN op failed failures=1 since=1"}},
		{"the next 98 are quiet", []string{"f99"}, []string{"WARN op failed failures=1 since=1"}},
		{"every 100th", []string{"f250"}, []string{"WARN op failed failures=1 since=1", "WARN op failed failures=100 since=99", "WARN op failed failures=200 since=100"}},
		{"recovery is logged once", []string{"f3", "s", "s"}, []string{"WARN op failed failures=1 since=1", "INFO op recovered after 3 failures failures=3"}},
		{"a failure long after recovery is logged again", []string{"f2", "s", "w", "f", "s"}, []string{
			"WARN op failed failures=1 since=1", "INFO op recovered after 2 failures failures=2",
			"WARN op failed failures=1 since=2", "INFO op recovered after 1 failures failures=1"}},
		// One call in a hundred failing must not log a warning and a recovery for each: the
		// failures soon after a warning are counted into the next one.
		{"intermittent failures within Quiet are counted, not logged", []string{"f", "s", "f", "s", "f", "s", "w", "f", "s"}, []string{
			"WARN op failed failures=1 since=1", "INFO op recovered after 1 failures failures=1",
			"WARN op failed failures=1 since=3", "INFO op recovered after 1 failures failures=1"}},
		{"a long run after an unlogged one still warns every 100th", []string{"f", "s", "f", "s", "f100"}, []string{
			"WARN op failed failures=1 since=1", "INFO op recovered after 1 failures failures=1",
			"WARN op failed failures=100 since=101"}},
		// A slow outage (one failure a minute, a backing-off follower) that starts within Quiet
		// of the last warning is still warned about a Quiet later, and so its end is logged.
		{"a slow outage starting within Quiet is warned about a Quiet later", []string{"f", "s", "f", "w", "f", "w", "f", "s"}, []string{
			"WARN op failed failures=1 since=1", "INFO op recovered after 1 failures failures=1",
			"WARN op failed failures=2 since=2", "WARN op failed failures=3 since=1", "INFO op recovered after 3 failures failures=3"}},
		{"the count restarts after recovery", []string{"f150", "s", "w", "f100"}, []string{
			"WARN op failed failures=1 since=1", "WARN op failed failures=100 since=99", "INFO op recovered after 150 failures failures=150",
			"WARN op failed failures=1 since=51", "WARN op failed failures=100 since=99"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rec recorder
			log := slog.New(&rec)
			now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
			th := Throttle{now: func() time.Time { return now }}
			for _, step := range tc.run {
				switch step {
				case "s":
					th.Succeeded(log, "op")
					continue
				case "w":
					now = now.Add(Quiet)
					continue
				}
				n := 1
				if rest := strings.TrimPrefix(step, "f"); rest != "" {
					if _, err := fmt.Sscan(rest, &n); err != nil {
						t.Fatal(err)
					}
				}
				for range n {
					th.Failed(log, "op", errors.New("connection refused"))
				}
			}
			if !slices.Equal(rec.lines, tc.want) {
				t.Errorf("logged\n%s\nwant\n%s", strings.Join(rec.lines, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
