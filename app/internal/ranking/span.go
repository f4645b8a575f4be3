package ranking

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseSpan reads the bounds of a span as `ciagent ranking` flags and the query parameters of
// GET /v1/ranking/export give them. It is the one parser of both, so that `--since 30d` and
// `?since=30d` select the same requests. since is required and until optional (now); each is
// an RFC 3339 time or an age before now ("90d", "36h", "30m"). An until that is not after since
// is an error: the export would otherwise be empty and look like a quiet span. Errors name a
// bound as prefix+"since" or prefix+"until" ("--" for flags, "" for query parameters) with the
// value as given. The returned span has no Kind.
func ParseSpan(since, until string, now time.Time, prefix string) (Span, error) {
	var span Span
	var err error
	if span.Since, err = ParseWhen(since, now); err != nil || span.Since.IsZero() {
		return Span{}, fmt.Errorf("%ssince %q: want an RFC 3339 time (2026-11-01T00:00:00Z) or an age before now (30d, 12h)", prefix, since)
	}
	if strings.TrimSpace(until) == "" {
		return span, nil
	}
	if span.Until, err = ParseWhen(until, now); err != nil {
		return Span{}, fmt.Errorf("%suntil %q: want an RFC 3339 time (2026-11-08T00:00:00Z) or an age before now (1d, 12h); leave it out for now", prefix, until)
	}
	if !span.Until.After(span.Since) {
		return Span{}, fmt.Errorf("%suntil %q (%s) is not after %ssince %q (%s): the span would select nothing",
			prefix, until, span.Until.UTC().Format(time.RFC3339), prefix, since, span.Since.UTC().Format(time.RFC3339))
	}
	return span, nil
}

// ParseWhen reads an RFC 3339 time or an age before now ("90d", "36h", "30m"); "" is the zero
// time.
func ParseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		// Past ~290 years the Duration overflows and the age would land in the future.
		if err != nil || n < 0 || n > 100_000 {
			return time.Time{}, errors.New("bad age")
		}
		return now.Add(-time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, errors.New("bad time")
	}
	return now.Add(-d), nil
}
