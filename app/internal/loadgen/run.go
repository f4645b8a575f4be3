package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Scenario is one stream of arrivals at a constant rate.
type Scenario struct {
	Name string
	Rate float64 // arrivals per second
	// Request builds the n-th request's method, path, content type and body. Bodies must
	// differ per request when the server caches answers by input hash, as real logs do.
	Request func(n int) (method, path, contentType string, body []byte)
}

// Config is a run.
type Config struct {
	BaseURL     string        // e.g. http://127.0.0.1:8080
	APIKey      string        // sent as a Bearer token when set
	Duration    time.Duration // how long arrivals are scheduled
	MaxInFlight int           // concurrent requests per scenario before arrivals are dropped (k6's maxVUs)
	Timeout     time.Duration // per request
	Scenarios   []Scenario
}

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	switch {
	case c.BaseURL == "":
		return errors.New("loadgen: BaseURL is required")
	case c.Duration <= 0 || c.Duration > 24*time.Hour:
		return fmt.Errorf("loadgen: duration %s out of range (0, 24h]", c.Duration)
	case c.MaxInFlight <= 0:
		return errors.New("loadgen: MaxInFlight must be positive")
	case c.Timeout <= 0:
		return errors.New("loadgen: Timeout must be positive")
	case len(c.Scenarios) == 0:
		return errors.New("loadgen: no scenarios")
	}
	for _, s := range c.Scenarios {
		if s.Rate <= 0 || s.Rate > 1e6 || s.Request == nil {
			return fmt.Errorf("loadgen: scenario %q needs a rate in (0, 1e6] and a Request", s.Name)
		}
	}
	return nil
}

// Report is a run's outcome per scenario and in total.
type Report struct {
	Scenarios []Summary
	Total     Summary
}

// Run offers the configured load and waits for every answer (each bounded by Timeout).
// Cancelling ctx stops scheduling new arrivals early.
func Run(ctx context.Context, client *http.Client, cfg Config) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	start := time.Now()
	results := make([]*recorder, len(cfg.Scenarios))
	var wg sync.WaitGroup
	for i, sc := range cfg.Scenarios {
		// Arrivals are bounded in count: rate × duration, never an open-ended loop.
		total := int(sc.Rate * cfg.Duration.Seconds())
		rec := &recorder{latencies: make([]time.Duration, 0, total)}
		results[i] = rec
		wg.Add(1)
		go func() {
			defer wg.Done()
			schedule(ctx, client, cfg, sc, total, start, rec)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	var rep Report
	var all []time.Duration
	var t recorder
	for i, sc := range cfg.Scenarios {
		r := results[i]
		all = append(all, r.latencies...)
		t.scheduled += r.scheduled
		t.dropped += r.dropped
		t.sent += r.sent
		t.answered += r.answered
		t.failed += r.failed
		rep.Scenarios = append(rep.Scenarios, summarize(sc.Name, r.scheduled, r.dropped, r.sent, r.answered, r.failed, r.latencies, elapsed))
	}
	rep.Total = summarize("total", t.scheduled, t.dropped, t.sent, t.answered, t.failed, all, elapsed)
	return rep, nil
}

type recorder struct {
	mu                                         sync.Mutex
	scheduled, dropped, sent, answered, failed int
	latencies                                  []time.Duration
}

func (r *recorder) record(latency time.Duration, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent++
	r.latencies = append(r.latencies, latency)
	if ok {
		r.answered++
	} else {
		r.failed++
	}
}

// schedule fires arrival n at start + n/rate. When it falls behind it fires at once (catching
// up), and when MaxInFlight requests are outstanding the arrival is dropped and counted.
func schedule(ctx context.Context, client *http.Client, cfg Config, sc Scenario, total int, start time.Time, rec *recorder) {
	slots := make(chan struct{}, cfg.MaxInFlight)
	var inflight sync.WaitGroup
	interval := time.Duration(float64(time.Second) / sc.Rate)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for n := 0; n < total; n++ {
		if wait := time.Until(start.Add(time.Duration(n) * interval)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				inflight.Wait()
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			break
		}
		rec.mu.Lock()
		rec.scheduled++
		rec.mu.Unlock()
		select {
		case slots <- struct{}{}:
		default:
			rec.mu.Lock()
			rec.dropped++
			rec.mu.Unlock()
			continue
		}
		inflight.Add(1)
		go func(n int) {
			defer func() { <-slots; inflight.Done() }()
			latency, ok := do(ctx, client, cfg, sc, n)
			rec.record(latency, ok)
		}(n)
	}
	inflight.Wait()
}

// do sends one request and reads the whole answer; ok means a 2xx/3xx status.
func do(ctx context.Context, client *http.Client, cfg Config, sc Scenario, n int) (time.Duration, bool) {
	method, path, contentType, body := sc.Request(n)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, cfg.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, false
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.APIKey)
	}
	began := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return time.Since(began), false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close() // the body was read to the end; nothing to report
	latency := time.Since(began)
	return latency, err == nil && resp.StatusCode < 400
}
