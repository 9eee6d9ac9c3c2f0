// Package serve is codectx's HTTP front: the context API (/v1/context), the Tabby-compatible
// completion API (/v1/completions, /v1/health, /v1/events, chat), health and readiness, and
// Prometheus metrics. It ranks context by combining the signals an index offers, and lays it
// into fill-in-the-middle prompts for a model back end.
package serve

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/cors"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/backends"
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

	// Completer is the completion model back end (nil: /v1/completions answers 501).
	Completer backends.Completer
	// Chatter is the chat model back end (nil: chat answers 501).
	Chatter    backends.Chatter
	Completion CompletionOptions
	// ChatTimeout bounds a whole chat request (default 5 minutes).
	ChatTimeout time.Duration
	// Auth says when /v1* routes need a bearer token; Tokens holds them.
	Auth   AuthMode
	Tokens codectx.Tokens
	// RatePerMinute limits requests per token on /v1* routes other
	// than health; 0 means no limit.
	RatePerMinute int
	// Usage records completions and editor events (nil: not recorded).
	Usage                  codectx.Usage
	DisableClientTelemetry bool
	Build                  BuildInfo
	// Retrievals is how many context retrievals run at once (0: GOMAXPROCS); the others wait
	// their turn in arrival order.
	Retrievals int
}

// Server serves codectx's HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	latency *prometheus.HistogramVec
	metrics serverMetrics
	tokens  *tokenCache
	limits  *limiters
	// retrievals admits one context retrieval per CPU at a time. Retrieval is CPU-bound, so
	// running more at once only shares the CPUs between them and lets the scheduler pick
	// favourites; admitted in turn, they finish in the order they came.
	retrievals chan struct{}
	// usage writes completion records in the background (nil without Config.Usage).
	usage *usageRecorder
}

// New builds a server; use it as an http.Handler.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Ready == nil {
		cfg.Ready = func() bool { return true }
	}
	cfg.Completion.fill()
	if cfg.ChatTimeout <= 0 {
		cfg.ChatTimeout = 5 * time.Minute
	}
	if cfg.Auth == "" {
		cfg.Auth = AuthOff
	}
	s := &Server{cfg: cfg, log: cfg.Log, mux: http.NewServeMux(), retrievals: make(chan struct{}, cmp.Or(max(cfg.Retrievals, 0), runtime.GOMAXPROCS(0)))}
	if cfg.Usage != nil {
		s.usage = newUsageRecorder(cfg.Usage, cfg.Log)
	}
	if cfg.Tokens != nil {
		s.tokens = &tokenCache{tokens: cfg.Tokens, byHash: map[string]tokenEntry{}}
	}
	if cfg.RatePerMinute > 0 {
		s.limits = &limiters{perMinute: cfg.RatePerMinute, byKey: map[string]*limiterEntry{}}
	}
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "codectx_http_request_seconds",
		Help:    "HTTP request latency by route and status.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"route", "status"})
	s.metrics = newServerMetrics()
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(s.latency)
		s.metrics.register(cfg.Registerer)
	}
	s.handle("POST /v1/context", s.handleContext)
	s.handle("GET /v1/health", s.handleHealth)
	s.handle("POST /v1/health", s.handleHealth)
	s.handle("POST /v1/completions", s.handleCompletions)
	s.handle("POST /v1/events", s.handleEvents)
	s.handle("GET /v1beta/server_setting", s.handleServerSetting)
	s.handle("GET /v1beta/models", s.handleModels)
	s.handle("POST /v1/chat/completions", s.handleChat)
	s.handle("POST /v1beta/chat/completions", s.handleChat)
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
	// Permissive CORS: the browser build of Tabby's client calls the same endpoints. Preflight
	// requests are answered before auth, as browsers send them without credentials.
	s.handler = cors.New(cors.Options{
		AllowOriginFunc:  func(string) bool { return true },
		AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders:   []string{"*"},
		AllowCredentials: true,
		MaxAge:           600,
	}).Handler(s.guard(s.mux))
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

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
	case errors.Is(err, errUnauthorized):
		status, msg = http.StatusUnauthorized, err.Error()
	case errors.Is(err, errRateLimited):
		status, msg = http.StatusTooManyRequests, err.Error()
	case errors.Is(err, errNoModel):
		status, msg = http.StatusNotImplemented, err.Error()
	case errors.Is(err, errBackendTimeout):
		status, msg = http.StatusRequestTimeout, errBackendTimeout.Error()
	case errors.Is(err, backends.ErrUnavailable):
		// The details name the back end's address: they go to the log only.
		s.log.Warn("model back end unavailable", "path", r.URL.Path, "err", err)
		status, msg = http.StatusServiceUnavailable, "the model back end is unavailable"
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
	buf := getBuf()
	defer putBuf(buf)
	body, err := readBody(r, buf)
	if err != nil {
		return err
	}
	return unmarshalBody(body, v)
}

// bufs holds the buffers that request bodies are read into and answers encoded in. A body is
// only decoded (what decoding keeps is copied), and an answer only written, so the next request
// reuses the buffer. With them a /v1/context request allocates 27.6 kB instead of 37.3 kB.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuf is the largest buffer kept for reuse; a rare huge body does not stay in memory.
const maxPooledBuf = 64 << 10

func getBuf() *bytes.Buffer { return bufs.Get().(*bytes.Buffer) }

// putBuf keeps b for another request. Nothing may read what b held after this.
func putBuf(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBuf {
		b.Reset()
		bufs.Put(b)
	}
}

// readBody reads a request body of at most MaxBodyBytes into buf and returns buf's bytes.
func readBody(r *http.Request, buf *bytes.Buffer) ([]byte, error) {
	buf.Reset()
	if n := r.ContentLength; n > 0 && n <= MaxBodyBytes {
		buf.Grow(int(n) + bytes.MinRead) // read whole without growing; EOF needs MinRead free
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, MaxBodyBytes+1)); err != nil {
		return nil, fmt.Errorf("%w: reading body: %v", errBadRequest, err)
	}
	if buf.Len() > MaxBodyBytes {
		return nil, fmt.Errorf("%w: the limit is %d bytes", errTooLarge, MaxBodyBytes)
	}
	return buf.Bytes(), nil
}

// unmarshalBody decodes a JSON body, turning decoding errors into bad requests that say where.
func unmarshalBody(body []byte, v any) error {
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

// admit waits for a retrieval slot (see Server.retrievals) or the end of ctx; the caller
// releases the slot with <-s.retrievals. The wait is measured: under load it is most of a
// request's latency.
func (s *Server) admit(ctx context.Context) error {
	select {
	case s.retrievals <- struct{}{}:
		s.metrics.retrievalWait.Observe(0)
		return nil
	default:
	}
	start := time.Now()
	select {
	case s.retrievals <- struct{}{}:
		s.metrics.retrievalWait.Observe(time.Since(start).Seconds())
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) handleContext(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	in, out := getBuf(), getBuf()
	defer putBuf(in)
	defer putBuf(out)
	body, err := readBody(r, in)
	if err != nil {
		return err
	}
	// Everything after the read is CPU work: admitted in arrival order, one request per CPU,
	// so that requests finish in the order they came instead of sharing the CPUs at random.
	if err := s.admit(r.Context()); err != nil {
		return err
	}
	err = s.contextAnswer(r.Context(), body, start, out)
	<-s.retrievals
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(out.Bytes())
	return err
}

// contextAnswer answers the /v1/context request body, encoded in out with a final newline.
func (s *Server) contextAnswer(ctx context.Context, body []byte, start time.Time, out *bytes.Buffer) error {
	var req ContextRequest
	if err := unmarshalBody(body, &req); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return err
	}
	snippets, err := s.cfg.Retriever.Retrieve(ctx, req)
	if err != nil {
		return err
	}
	took := float64(time.Since(start).Microseconds()) / 1000
	return json.NewEncoder(out).Encode(ContextResponse{Snippets: snippets, TookMS: took})
}

// FlushUsage waits until the completion records of the requests answered so far are stored.
func (s *Server) FlushUsage() {
	if s.usage != nil {
		s.usage.flush()
	}
}

// Close stores the completion records still queued. Call it once the HTTP server has stopped
// taking requests, before closing the store.
func (s *Server) Close() {
	if s.usage != nil {
		s.usage.close()
	}
}
