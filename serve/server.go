// Package serve is codectx's HTTP front: the context API (/v1/context), health and readiness,
// and Prometheus metrics. It ranks context by combining the signals an index offers.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/codectx/codectx"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

var (
	errBadRequest = errors.New("bad request")
	errTooLarge   = errors.New("request body too large")
)

// Config wires a server.
type Config struct {
	Retriever *Retriever
	// Ready reports whether every configured source has finished its first sync.
	Ready    func() bool
	Log      *slog.Logger
	Gatherer prometheus.Gatherer
	// Registerer receives the server's metrics (nil: not registered).
	Registerer prometheus.Registerer
}

// Server serves codectx's HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	latency *prometheus.HistogramVec
	// retrievals admits one context retrieval per CPU at a time. Retrieval is CPU-bound, so
	// running more at once only shares the CPUs between them and lets the scheduler pick
	// favourites; admitted in turn, they finish in the order they came.
	retrievals chan struct{}
}

// New builds a server; use it as an http.Handler.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Ready == nil {
		cfg.Ready = func() bool { return true }
	}
	s := &Server{cfg: cfg, log: cfg.Log, mux: http.NewServeMux(), retrievals: make(chan struct{}, runtime.GOMAXPROCS(0))}
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "codectx_http_request_seconds",
		Help:    "HTTP request latency by route and status.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"route", "status"})
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(s.latency)
	}
	s.handle("POST /v1/context", s.handleContext)
	s.handle("GET /healthz", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	})
	s.handle("GET /readyz", func(w http.ResponseWriter, r *http.Request) error {
		if !s.cfg.Ready() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "syncing"})
			return nil
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		return nil
	})
	if cfg.Gatherer != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{}))
	}
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// handle registers a route whose errors are mapped to statuses in one place (writeError).
func (s *Server) handle(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("handler panicked", "route", pattern, "panic", p)
				s.writeError(sw, r, fmt.Errorf("panic: %v", p))
			}
			s.latency.WithLabelValues(pattern, strconv.Itoa(sw.status)).Observe(time.Since(start).Seconds())
		}()
		if err := h(sw, r); err != nil {
			s.writeError(sw, r, err)
		}
	})
}

// writeError is the one table from errors to HTTP statuses. Internal details are logged, not
// returned.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	switch {
	case errors.Is(err, errTooLarge):
		status, msg = http.StatusRequestEntityTooLarge, err.Error()
	case errors.Is(err, errBadRequest):
		status, msg = http.StatusBadRequest, err.Error()
	case errors.Is(err, codectx.ErrNotFound):
		status, msg = http.StatusNotFound, err.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusRequestTimeout, "request cancelled or timed out"
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads a JSON body of at most MaxBodyBytes into v. Unknown fields are ignored.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return fmt.Errorf("%w: reading body: %v", errBadRequest, err)
	}
	if len(body) > MaxBodyBytes {
		return fmt.Errorf("%w: the limit is %d bytes", errTooLarge, MaxBodyBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("%w: invalid JSON at byte %d: %v", errBadRequest, se.Offset, se)
		case errors.As(err, &te):
			return fmt.Errorf("%w: field %q must be %s, not %s", errBadRequest, te.Field, te.Type, te.Value)
		default:
			return fmt.Errorf("%w: invalid JSON: %v", errBadRequest, err)
		}
	}
	return nil
}

func (s *Server) handleContext(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	var req ContextRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return err
	}
	select {
	case s.retrievals <- struct{}{}:
	case <-r.Context().Done():
		return r.Context().Err()
	}
	snippets, err := s.cfg.Retriever.Retrieve(r.Context(), req)
	<-s.retrievals
	if err != nil {
		return err
	}
	took := float64(time.Since(start).Microseconds()) / 1000
	writeJSON(w, http.StatusOK, ContextResponse{Snippets: snippets, TookMS: took})
	return nil
}
