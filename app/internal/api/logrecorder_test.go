package api

import (
	"context"
	"log/slog"
	"strings"
	"sync"
)

// logRecorder is a slog.Handler that keeps each record's level and message, for tests that
// assert what the server logs. The server logs from its handlers' goroutines, some of it
// (the access log) after the client has its answer, hence the lock.
type logRecorder struct {
	mu      sync.Mutex
	records []string // "LEVEL message"
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Level.String()+" "+r.Message)
	return nil
}

// take returns the records so far whose message starts with prefix, and forgets them all.
func (l *logRecorder) take(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var got []string
	for _, r := range l.records {
		if _, msg, _ := strings.Cut(r, " "); strings.HasPrefix(msg, prefix) {
			got = append(got, r)
		}
	}
	l.records = nil
	return got
}
