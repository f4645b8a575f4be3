package api

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the HTTP layer's series. Their names are relied on by the PrometheusRules,
// dashboards and the HPA in deploy/ and components/: rename with care.
type metrics struct {
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	categories *prometheus.CounterVec
	verdicts   *prometheus.CounterVec
	cache      *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ciagent_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ciagent_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .2, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		categories: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ciagent_ci_explain_category_total",
			Help: "CI failure answers by top category.",
		}, []string{"category"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ciagent_answer_cache_total",
			Help: "Answer-cache lookups and stores by result (hit, miss, error).",
		}, []string{"result"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ciagent_spam_verdicts_total",
			Help: "Spam/scam answers by verdict.",
		}, []string{"verdict"}),
	}
	for _, c := range []prometheus.Collector{
		m.requests, m.duration, m.categories, m.verdicts, m.cache,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			if !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
				return nil, err
			}
		}
	}
	return m, nil
}
