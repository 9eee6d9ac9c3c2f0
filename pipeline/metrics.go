package pipeline

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	changes       *prometheus.CounterVec
	skips         *prometheus.CounterVec
	syncs         *prometheus.CounterVec
	retries       prometheus.Counter
	panics        prometheus.Counter
	deadLetters   prometheus.Counter
	handleSeconds prometheus.Histogram
	syncSeconds   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codectx_pipeline_changes_total", Help: "Change events handled, by operation and result.",
		}, []string{"op", "result"}),
		skips: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codectx_pipeline_skipped_files_total", Help: "Files not indexed, by reason.",
		}, []string{"reason"}),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codectx_pipeline_syncs_total", Help: "Source syncs, by result (ok, unchanged, error).",
		}, []string{"result"}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "codectx_pipeline_retries_total", Help: "Handler retries after transient errors.",
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "codectx_pipeline_panics_total", Help: "Handler panics recovered.",
		}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "codectx_pipeline_dead_letters_total", Help: "Events sent to a dead-letter topic.",
		}),
		handleSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "codectx_pipeline_change_seconds", Help: "Time to handle one change event.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}),
		syncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "codectx_pipeline_sync_seconds", Help: "Duration of syncs that changed something.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}),
	}
	if reg != nil {
		reg.MustRegister(m.changes, m.skips, m.syncs, m.retries, m.panics, m.deadLetters, m.handleSeconds, m.syncSeconds)
	}
	return m
}
