// Package logthrottle logs an operation that keeps failing without burying the log: with
// Redis away every request fails, and a warning each time would be thousands a minute. It
// logs the first failure, then every Every-th while they go on, and one line when the
// operation works again. The next failure after that is logged at once if the last warning
// is older than Quiet (Redis failing again days later); sooner, it is counted and reported
// with the next warning, so a Redis that fails one call in a hundred does not log a warning
// and a recovery for each.
package logthrottle

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// Every is how many failures in a row pass between two warnings.
	Every = 100
	// Quiet is how long after a warning a new run of failures waits for its own warning.
	Quiet = time.Minute
)

// Throttle follows the failures of one operation. The zero value is ready, and it is safe for
// concurrent use. Give each operation that can fail on its own a Throttle of its own: one
// shared by a lookup that works and a store that fails would log every failure.
type Throttle struct {
	failing atomic.Uint64 // failures since the last success

	mu         sync.Mutex
	lastWarn   time.Time // when the last warning was logged
	unreported uint64    // failures since then that no warning counted
	warnedRun  bool      // this run of failures was warned about, so its end is logged

	now func() time.Time // time.Now; tests set it
}

// Failed counts a failure of what ("answer cache lookup") and logs "<what> failed" at warning
// level, with err, the failures in a row and those since the last warning: when the last
// warning is older than Quiet (so the first failure after a quiet spell, and one a Quiet
// into a slow outage whose start fell within the last one's Quiet), and for every Every-th
// of a run.
func (t *Throttle) Failed(log *slog.Logger, what string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// Counted under the lock, so that a Succeeded between the count and the warning cannot
	// end the run before it is known to be warned about.
	n := t.failing.Add(1)
	t.unreported++
	now := t.clock()
	if n%Every == 0 || t.lastWarn.IsZero() || now.Sub(t.lastWarn) >= Quiet {
		log.Warn(what+" failed", "err", err, "failures", n, "since_last_warning", t.unreported)
		t.lastWarn, t.unreported, t.warnedRun = now, 0, true
	}
}

// Succeeded ends a run of failures of what. The end of a run that was warned about logs
// "<what> recovered after N failures" at info level.
func (t *Throttle) Succeeded(log *slog.Logger, what string) {
	// The usual case, nothing failing, only reads: requests succeeding at once do not
	// contend for the counter's cache line or the lock.
	if t.failing.Load() == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.failing.Swap(0)
	if n > 0 && t.warnedRun {
		t.warnedRun = false
		log.Info(fmt.Sprintf("%s recovered after %d failures", what, n), "failures", n)
	}
}

func (t *Throttle) clock() time.Time {
	if t.now != nil {
		return t.now()
	}
	return time.Now()
}
