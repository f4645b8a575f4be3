// Package logthrottle logs an operation that keeps failing without burying the log: with
// Redis away every request fails, and a warning each time would be thousands a minute. It
// logs the first failure, then every Every-th while they go on, and one line when the
// operation works again; the next failure after that is logged at once, even days later.
package logthrottle

import (
	"fmt"
	"log/slog"
	"sync/atomic"
)

// Every is how many failures in a row pass between two warnings.
const Every = 100

// Throttle follows the failures in a row of one operation. The zero value is ready, and it
// is safe for concurrent use. Give each operation that can fail on its own a Throttle of its
// own: one shared by a lookup that works and a store that fails would log every failure.
type Throttle struct {
	failing atomic.Uint64 // failures since the last success
}

// Failed counts a failure of what ("answer cache lookup") and logs "<what> failed" at warning
// level, with err and the count, when it is the first since a success or an Every-th.
func (t *Throttle) Failed(log *slog.Logger, what string, err error) {
	if n := t.failing.Add(1); n == 1 || n%Every == 0 {
		log.Warn(what+" failed", "err", err, "failures", n)
	}
}

// Succeeded ends a run of failures of what: the first success after them logs "<what>
// recovered after N failures" at info level, and re-arms Failed.
func (t *Throttle) Succeeded(log *slog.Logger, what string) {
	// The usual case, nothing failing, only reads: requests succeeding at once do not
	// contend for the counter's cache line.
	if t.failing.Load() == 0 {
		return
	}
	if n := t.failing.Swap(0); n > 0 {
		log.Info(fmt.Sprintf("%s recovered after %d failures", what, n), "failures", n)
	}
}
