package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the pipeline's series; dashboards and alerts use their names.
type metrics struct {
	recorded    *prometheus.CounterVec
	rejected    *prometheus.CounterVec
	batchSize   prometheus.Histogram
	writeTime   prometheus.Histogram
	rows        *prometheus.CounterVec
	retries     prometheus.Counter
	writeErrors prometheus.Counter
	dropped     prometheus.Counter
	replayed    prometheus.Counter
	corrupt     prometheus.Counter
	collectors  []prometheus.Collector
}

func newMetrics(p *Pipeline) *metrics {
	m := &metrics{
		recorded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ciagent_pipeline_events_recorded_total", Help: "Events spooled and acknowledged, by kind.",
		}, []string{"kind"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ciagent_pipeline_events_rejected_total", Help: "Events not recorded, by reason (spool_full, error); their requests were answered 503.",
		}, []string{"reason"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ciagent_pipeline_batch_size", Help: "Events per batch written to PostgreSQL.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}),
		writeTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ciagent_pipeline_write_duration_seconds", Help: "Time to commit one batch (successful attempts).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 10),
		}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ciagent_pipeline_rows_written_total", Help: "Rows inserted, by table (replayed duplicates not counted).",
		}, []string{"table"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ciagent_pipeline_retries_total", Help: "Batch write attempts repeated after an error.",
		}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ciagent_pipeline_write_errors_total", Help: "Failed batch write attempts.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ciagent_pipeline_events_dropped_total", Help: "Events PostgreSQL refused as data (never retried); each is logged.",
		}),
		replayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ciagent_pipeline_events_replayed_total", Help: "Events read back from the spool (at start, or after the queue overflowed).",
		}),
		corrupt: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ciagent_pipeline_spool_corrupt_records_total", Help: "Spool records or tails found corrupt at start.",
		}),
	}
	m.collectors = []prometheus.Collector{
		m.recorded, m.rejected, m.batchSize, m.writeTime, m.rows, m.retries, m.writeErrors, m.dropped, m.replayed, m.corrupt,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ciagent_pipeline_queue_depth", Help: "Events waiting in the in-memory queue.",
		}, func() float64 { return float64(len(p.queue)) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ciagent_pipeline_spool_bytes", Help: "Bytes in the spool's segments (events not yet known to be committed).",
		}, func() float64 { return float64(p.spool.bytes()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ciagent_pipeline_spool_max_bytes", Help: "The spool's size cap; at it, the API answers 503.",
		}, func() float64 { return float64(p.cfg.SpoolMaxBytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ciagent_pipeline_spool_segments", Help: "Segment files in the spool.",
		}, func() float64 { return float64(p.spool.segmentCount()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ciagent_pipeline_catching_up", Help: "1 while the writer reads the spool itself (replay, or after the queue overflowed).",
		}, func() float64 {
			if p.catchingUp() {
				return 1
			}
			return 0
		}),
	}
	return m
}

func (m *metrics) register(reg prometheus.Registerer) error {
	for _, c := range m.collectors {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
