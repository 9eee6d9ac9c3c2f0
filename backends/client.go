package backends

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
)

// framing is how a kind's response body is cut into messages.
type framing int

const (
	framingSSE    framing = iota // text/event-stream, one JSON object per data payload
	framingNDJSON                // one JSON object per line (Ollama)
)

// decodeFunc turns one message of the stream (an SSE data payload or an NDJSON line) into the
// text it carries. done reports the kind's end marker. An error means the back end reported a
// failure or sent something malformed.
type decodeFunc func(msg []byte) (text string, done bool, err error)

// drainWait is how long a finished stream may take to reach its end of body, so that the
// connection goes back to the pool instead of being closed. Servers end the body right after
// their end marker; one that lingers is cut off.
const drainWait = 50 * time.Millisecond

// excerptLen bounds the body excerpt quoted in errors.
const excerptLen = 200

// client is the HTTP machinery shared by every kind: one POST, a streamed body, cancellation,
// error classification and metrics.
type client struct {
	kind    Kind
	use     string
	url     string // where requests go
	shown   string // the URL as errors and logs show it
	apiKey  string
	timeout time.Duration
	http    *http.Client
	metrics *metrics
	log     *slog.Logger
}

// sharedHTTP is the default HTTP client. Completion traffic is many short concurrent streams to
// one host, so it keeps more idle connections per host than net/http's default of two.
var sharedHTTP = sync.OnceValue(func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32
	return &http.Client{Transport: t}
})

func newClient(cfg Config, use string, opts Options) (*client, error) {
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	c := &client{
		kind:    Kind(cfg.Kind),
		use:     use,
		url:     endpointURL(Kind(cfg.Kind), cfg.APIEndpoint),
		apiKey:  cfg.APIKey,
		timeout: cfg.timeout(use),
		http:    opts.HTTPClient,
		metrics: m,
		log:     opts.Log,
	}
	c.shown = displayURL(c.url)
	if c.http == nil {
		c.http = sharedHTTP()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// stream posts body and hands the text of each streamed message to emit, following the rules of
// Completer.Complete.
func (c *client) stream(ctx context.Context, body any, fr framing, decode decodeFunc, emit func(string) error) error {
	start := time.Now()
	outcome, err := c.run(ctx, body, fr, decode, emit)
	if outcome != "" {
		c.metrics.observe(c.kind, c.use, outcome, time.Since(start))
	}
	switch outcome {
	case outcomeUnavailable, outcomeTimeout:
		c.log.Warn("model back end request failed", "kind", c.kind, "use", c.use, "endpoint", c.shown,
			"outcome", outcome, "err", err)
	}
	return err
}

func (c *client) run(ctx context.Context, body any, fr framing, decode decodeFunc, emit func(string) error) (string, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		// The caller's mistake (a NaN temperature, say): nothing was sent, nothing is counted.
		return "", fmt.Errorf("%s: encoding request: %w", c.kind, err)
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(rctx, http.MethodPost, c.url, bytes.NewReader(payload))
	if err != nil {
		return outcomeUnavailable, c.unavailable("building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if fr == framingSSE {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/x-ndjson")
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return c.failed(ctx, rctx, err)
	}
	// Closing the body before its end makes net/http drop the connection, which is how the back
	// end learns that nobody is listening any more.
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		excerpt, rerr := c.excerpt(resp.Body)
		if rerr != nil && rctx.Err() != nil {
			return c.failed(ctx, rctx, rerr)
		}
		return outcomeUnavailable, c.unavailable("HTTP %d: %s", resp.StatusCode, excerpt)
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mediaType == "text/html" {
		excerpt, _ := c.excerpt(resp.Body)
		return outcomeUnavailable, c.unavailable("answered an HTML page, not a %s stream: %s", c.kind, excerpt)
	}

	next := c.messages(resp.Body, fr, mediaType)
	for {
		msg, final, err := next()
		if err == io.EOF && rctx.Err() == nil {
			return outcomeUnavailable, c.unavailable("the stream ended before its end marker")
		}
		if err != nil {
			return c.failed(ctx, rctx, err)
		}
		var text string
		done := final
		if msg != nil {
			var end bool
			if text, end, err = decode(msg); err != nil {
				return outcomeUnavailable, c.unavailable("%w", err)
			}
			done = done || end
		}
		if text != "" {
			if err := emit(text); err != nil {
				cancel()
				resp.Body.Close()
				if errors.Is(err, ErrStop) {
					return outcomeStopped, nil
				}
				return outcomeCancelled, err
			}
		}
		if done {
			drain(resp.Body, cancel)
			return outcomeOK, nil
		}
	}
}

// messages returns a function yielding the body's messages one by one, then io.EOF. final marks
// the last message of the answer: SSE's "data: [DONE]" (which has no message of its own) or a
// whole JSON answer. Some OpenAI-compatible servers answer a streamed request with one JSON
// object; that object is the only, final message. An SSE error event is a back-end error.
func (c *client) messages(body io.Reader, fr framing, mediaType string) func() (msg []byte, final bool, err error) {
	if fr == framingNDJSON {
		r := newNDJSONReader(body)
		return func() ([]byte, bool, error) {
			line, err := r.next()
			return line, false, err
		}
	}
	if mediaType == "application/json" {
		sent := false
		return func() ([]byte, bool, error) {
			if sent {
				return nil, false, io.EOF
			}
			sent = true
			b, err := io.ReadAll(io.LimitReader(body, maxLine+1))
			if err == nil && len(b) > maxLine {
				err = bufio.ErrTooLong
			}
			if err != nil {
				return nil, false, err
			}
			return b, true, nil
		}
	}
	r := newSSEReader(body)
	return func() ([]byte, bool, error) {
		for {
			ev, err := r.next()
			if err != nil {
				return nil, false, err
			}
			data := strings.TrimSpace(ev.data)
			switch {
			case ev.name == "error":
				return nil, false, &backendError{msg: "back end reported an error: " + clip(data)}
			case data == "[DONE]":
				return nil, true, nil
			case data == "":
				continue
			}
			return []byte(data), false, nil
		}
	}
}

// backendError is a failure the back end reported inside a 2xx stream, or a malformed message.
type backendError struct{ msg string }

func (e *backendError) Error() string { return e.msg }

// failed classifies an error of the request or of reading its body.
func (c *client) failed(ctx, rctx context.Context, err error) (string, error) {
	var be *backendError
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return outcomeTimeout, fmt.Errorf("%s at %s: the caller's deadline passed: %w", c.kind, c.shown, ctx.Err())
	case ctx.Err() != nil:
		return outcomeCancelled, fmt.Errorf("%s at %s: %w", c.kind, c.shown, ctx.Err())
	case rctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		return outcomeTimeout, fmt.Errorf("%s at %s: no complete answer within %v: %w",
			c.kind, c.shown, c.timeout, context.DeadlineExceeded)
	case errors.As(err, &be):
		return outcomeUnavailable, c.unavailable("%w", err)
	case errors.Is(err, bufio.ErrTooLong):
		return outcomeUnavailable, c.unavailable("malformed stream: a message longer than %d bytes", maxLine)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		// A transport-level timeout (the HTTP client's own limit, a dial timeout).
		return outcomeTimeout, fmt.Errorf("%s at %s: %v: %w", c.kind, c.shown, err, context.DeadlineExceeded)
	}
	return outcomeUnavailable, c.unavailable("%w", err)
}

// unavailable wraps ErrUnavailable with the kind, the endpoint and the detail.
func (c *client) unavailable(format string, args ...any) error {
	detail := fmt.Errorf(format, args...)
	return &unavailableError{msg: fmt.Sprintf("%v: %s at %s: %s", ErrUnavailable, c.kind, c.shown, c.redact(detail.Error())), cause: errors.Unwrap(detail)}
}

// unavailableError keeps the detail's own cause reachable (a *net.OpError, say) next to
// ErrUnavailable, while its message has the api key removed.
type unavailableError struct {
	msg   string
	cause error
}

func (e *unavailableError) Error() string { return e.msg }
func (e *unavailableError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrUnavailable}
	}
	return []error{ErrUnavailable, e.cause}
}

// excerpt reads the start of an error body and shortens it to one line.
func (c *client) excerpt(body io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(body, 4<<10))
	s := clip(string(b))
	if s == "" {
		s = "(empty body)"
	}
	return c.redact(s), err
}

// clip collapses whitespace and shortens s to excerptLen characters.
func clip(s string) string {
	s = strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, "?"), unicode.IsSpace), " ")
	if r := []rune(s); len(r) > excerptLen {
		s = string(r[:excerptLen]) + "…"
	}
	return s
}

// redact removes the api key from text that came from the back end (some echo it in errors).
func (c *client) redact(s string) string {
	if len(c.apiKey) >= 4 {
		s = strings.ReplaceAll(s, c.apiKey, "[api_key]")
	}
	return s
}

// drain reads a finished body to its end for a little while, so the connection can be reused.
func drain(body io.Reader, cancel context.CancelFunc) {
	t := time.AfterFunc(drainWait, cancel)
	defer t.Stop()
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
}

// errorText returns the message of a JSON "error" member: a string, an object with a message,
// or the raw JSON. It is empty when there is no error.
func errorText(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) || bytes.Equal(t, []byte(`""`)) {
		return ""
	}
	var s string
	if json.Unmarshal(t, &s) == nil {
		return clip(s)
	}
	var o struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(t, &o) == nil && o.Message != "" {
		return clip(o.Message)
	}
	return clip(string(t))
}

// parse decodes one message into v. A message that is not the expected JSON, or that carries an
// error member, is an error.
func parse(msg []byte, v interface{ errorField() json.RawMessage }) error {
	if err := json.Unmarshal(msg, v); err != nil {
		return &backendError{msg: fmt.Sprintf("malformed stream: %v in %q", err, clip(string(msg)))}
	}
	if e := errorText(v.errorField()); e != "" {
		return &backendError{msg: "back end reported an error: " + e}
	}
	return nil
}
