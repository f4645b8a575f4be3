package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"

	"github.com/ci-agent/ci-agent/app/internal/pipeline/pgtest"
)

// BenchmarkPipelineThroughput measures sustained events/s through the whole pipeline: Record
// (redaction, encoding, spool append, group-commit fsync) from many concurrent callers, the
// queue, and the writer's COPY + INSERT into PostgreSQL, until every event is committed.
//
//	scripts/testenv.sh bash -c 'cd app && GOWORK=off go test ./internal/pipeline -run XXX -bench PipelineThroughput -benchtime 200000x -count 3'
func BenchmarkPipelineThroughput(b *testing.B) {
	// 0 and 2 KiB are the figures kept since the first run; 16 KiB is the default excerpt cap,
	// as a real failed job stores it, from log lines that differ as real ones do.
	for _, input := range []int{0, 2 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("input=%dB", input), func(b *testing.B) {
			dbURL := pgtest.URL(b)
			p, err := Open(context.Background(), Config{DatabaseURL: dbURL, SpoolDir: b.TempDir()}, quietLogger(), nil)
			if err != nil {
				b.Fatal(err)
			}
			p.Start()
			defer p.Close(context.Background())
			text := strings.Repeat("npm ERR! code ERESOLVE unable to resolve dependency tree\n", input/57+1)[:input]
			if input > 2<<10 {
				text = benchLog(input)
			}
			const callers = 512 // in flight at once, as in a server at this rate with a few ms of latency (Little's law)
			var next atomic.Int64
			b.ResetTimer()
			cpu0 := processCPU()
			start := time.Now()
			var wg sync.WaitGroup
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						ev := testEvent(0)
						ev.Input = text
						// A full spool is the server's 503 with Retry-After: back off and
						// retry, as a client would. Long inputs at full speed reach the cap.
						err := p.Record(context.Background(), ev)
						for errors.Is(err, ErrSpoolFull) {
							time.Sleep(10 * time.Millisecond)
							err = p.Record(context.Background(), ev)
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			recorded := time.Since(start)
			waitCommitted(b, p, dbURL, b.N)
			elapsed := time.Since(start)
			goCPU := processCPU() - cpu0
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(b.N)/recorded.Seconds(), "acked/s")
			// CPU time per event, which the machine's load does not inflate: this process
			// (Record, spool, writer) and the writer's PostgreSQL backend.
			b.ReportMetric(float64(goCPU.Microseconds())/float64(b.N), "go-cpu-µs/event")
			var pgCPU time.Duration
			for _, pid := range p.writerPIDs() {
				pgCPU += backendCPU(pid)
			}
			b.ReportMetric(float64(pgCPU.Microseconds())/float64(b.N), "pg-cpu-µs/event")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// benchLog is input bytes of CI-log-like lines: timestamps, paths, durations and hashes that
// change from line to line, so the text compresses about as well as a real log does.
func benchLog(input int) string {
	var sb strings.Builder
	for i := 0; sb.Len() < input; i++ {
		fmt.Fprintf(&sb, "2026-12-06T05:%02d:%02d.%06dZ ok  \tgithub.com/acme/svc/internal/pkg%d\t%d.%03ds\tcoverage: %d.%d%% of statements [%08x]\n",
			i/60%60, i%60, i*7919%1000000, i*31%97, i%7, i*13%1000, i*17%100, i%10, uint32(i)*2654435761)
	}
	return sb.String()[:input]
}

// waitCommitted waits until the writers report n request rows committed, then checks the
// table. It watches the writers' own counter rather than polling count(*): a count over
// 100,000 rows every few milliseconds took a good part of a core from the PostgreSQL server
// whose throughput is being measured.
func waitCommitted(b *testing.B, p *Pipeline, dbURL string, n int) {
	rows := p.metrics.rows.WithLabelValues("requests")
	committed := func() float64 {
		var m dto.Metric
		if err := rows.Write(&m); err != nil {
			b.Fatal(err)
		}
		return m.GetCounter().GetValue()
	}
	for deadline := time.Now().Add(10 * time.Minute); committed() < float64(n); time.Sleep(time.Millisecond) {
		if b.Failed() { // a caller gave up: n will never be reached
			b.FailNow()
		}
		if time.Now().After(deadline) {
			b.Fatalf("events not committed within 10 minutes")
		}
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	var got int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM requests").Scan(&got); err != nil {
		b.Fatal(err)
	}
	if got != n {
		b.Fatalf("the writers counted %d request rows, the table holds %d", n, got)
	}
}

// BenchmarkSpoolLatency measures the latency the spool adds to a request (Record: redaction,
// encoding, append and the fsync wait) at a constant 1000 events/s, with PostgreSQL writing
// at the same time. It reports the median, p99 and maximum of Record's duration.
//
//	scripts/testenv.sh bash -c 'cd app && GOWORK=off go test ./internal/pipeline -run XXX -bench SpoolLatency -benchtime 10000x -count 3'
func BenchmarkSpoolLatency(b *testing.B) {
	dbURL := pgtest.URL(b)
	p, err := Open(context.Background(), Config{DatabaseURL: dbURL, SpoolDir: b.TempDir()}, quietLogger(), nil)
	if err != nil {
		b.Fatal(err)
	}
	p.Start()
	defer p.Close(context.Background())
	const rate = 1000
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		// Constant arrival rate: each request starts on schedule, whatever the others do.
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / rate)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := testEvent(i)
			t0 := time.Now()
			if err := p.Record(context.Background(), ev); err != nil {
				b.Error(err)
			}
			lat[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkWriterBatch measures the PostgreSQL side alone: one batch of 4096 events (COPY into
// staging + INSERT … ON CONFLICT) per op.
//
//	scripts/testenv.sh bash -c 'cd app && GOWORK=off go test ./internal/pipeline -run XXX -bench WriterBatch -benchtime 20x'
func BenchmarkWriterBatch(b *testing.B) {
	_, w := migratedWriter(b)
	const size = 4096
	batches := make([][]item, b.N)
	for i := range batches {
		var evs []*Event
		for j := range size {
			evs = append(evs, testEvent(j))
		}
		batches[i] = records(evs)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if _, err := w.write(context.Background(), batches[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "events/s")
}

// processCPU is this process's user+system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // cannot fail for RUSAGE_SELF and a valid pointer
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU is the CPU time of a PostgreSQL backend on this machine (from /proc; 0 when the
// server is elsewhere).
func backendCPU(pid uint32) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command: state is field 3, utime 14, stime 15.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}
