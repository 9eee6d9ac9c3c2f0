package serve

import "github.com/prometheus/client_golang/prometheus"

// serverMetrics are the completion front end's own metrics; back-end calls are counted by the
// backends package.
type serverMetrics struct {
	completions        *prometheus.CounterVec
	retrievalSeconds   prometheus.Histogram
	retrievalWait      prometheus.Histogram
	retrievalFallbacks *prometheus.CounterVec
	events             *prometheus.CounterVec
	authFailures       prometheus.Counter
	rateLimited        prometheus.Counter
}

func newServerMetrics() serverMetrics {
	return serverMetrics{
		completions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codectx_completions_total",
			Help: "Completions by outcome: ok, cancelled (the editor went away), timeout, backend_error.",
		}, []string{"outcome"}),
		retrievalSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "codectx_completion_retrieval_seconds",
			Help:    "Time spent retrieving context for a completion, within its budget.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 12),
		}),
		retrievalWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "codectx_retrieval_wait_seconds",
			Help:    "Time a retrieval (context, completion or chat) waited for one of the slots that admit one retrieval per CPU at a time.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12),
		}),
		retrievalFallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codectx_completion_retrieval_fallbacks_total",
			Help: "Completions served without retrieved context because retrieval failed or ran out of time.",
		}, []string{"reason"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "codectx_completion_events_total",
			Help: "Completion events reported by editors, by type.",
		}, []string{"type"}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "codectx_auth_failures_total",
			Help: "Requests refused for a missing or invalid token.",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "codectx_rate_limited_total",
			Help: "Requests refused with 429.",
		}),
	}
}

func (m serverMetrics) register(r prometheus.Registerer) {
	r.MustRegister(m.completions, m.retrievalSeconds, m.retrievalWait, m.retrievalFallbacks, m.events, m.authFailures, m.rateLimited)
}
