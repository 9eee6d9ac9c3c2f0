package backends

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a back-end request, the values of the outcome label.
const (
	outcomeOK          = "ok"          // the back end finished the generation
	outcomeStopped     = "stopped"     // emit returned ErrStop
	outcomeCancelled   = "cancelled"   // ctx was cancelled, or emit failed
	outcomeTimeout     = "timeout"     // the configured limit or the caller's deadline passed
	outcomeUnavailable = "unavailable" // the back end failed: ErrUnavailable
)

// metrics are the collectors of one Registerer; a nil *metrics records nothing.
type metrics struct {
	requests *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	requests, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "codectx_backend_requests_total",
		Help: "Requests to model back ends, by kind, use and outcome (ok, stopped, cancelled, timeout, unavailable).",
	}, []string{"kind", "use", "outcome"}))
	if err != nil {
		return nil, err
	}
	seconds, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "codectx_backend_request_seconds",
		Help:    "Duration of requests to model back ends, from sending to the end of the stream.",
		Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
	}, []string{"kind", "use"}))
	if err != nil {
		return nil, err
	}
	return &metrics{requests: requests, seconds: seconds}, nil
}

// register registers c, or returns the equal collector that an earlier client already registered
// with reg, so that every client of one Registerer shares one set.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("registering back-end metrics: %w", err)
}

func (m *metrics) observe(kind Kind, use, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(string(kind), use, outcome).Inc()
	m.seconds.WithLabelValues(string(kind), use).Observe(d.Seconds())
}
