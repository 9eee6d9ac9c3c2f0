package backends_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codectx/codectx/backends"
	"github.com/codectx/codectx/backends/standin"
)

const apiKey = "sk-standin-secret"

var (
	complReq = backends.CompletionRequest{
		Prefix:      "def add(a, b):\n    {\"x\": 1}\n    return ",
		Suffix:      "\n\nprint(add(1, 2))\n",
		MaxTokens:   32,
		Temperature: 0.25,
		Seed:        7,
		Stop:        []string{"\n\n", "\ndef "},
	}
	chatReq = backends.ChatRequest{
		Messages:    []backends.ChatMessage{{Role: "system", Content: "be brief"}, {Role: "user", Content: "hello"}},
		MaxTokens:   100,
		Temperature: 0.5,
		Seed:        3,
	}
	starcoderPrompt = backends.FillTemplate("<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>", complReq.Prefix, complReq.Suffix)
)

// target is one kind under test, with the request fields its back end must receive.
type target struct {
	name     string
	kind     backends.Kind
	use      string
	template string
	path     string         // the path the stand-in must see
	want     map[string]any // top-level body fields and their values
	absent   []string       // body fields that must not be sent
}

var targets = []target{
	{name: "llama.cpp", kind: backends.LlamaCppCompletion, use: "completion", template: "starcoder", path: "/completion",
		want: map[string]any{"prompt": starcoderPrompt, "n_predict": 32, "temperature": 0.25, "seed": 7, "stream": true,
			"stop": complReq.Stop},
		absent: []string{"suffix", "model"}},
	{name: "ollama templated", kind: backends.OllamaCompletion, use: "completion", template: "starcoder", path: "/api/generate",
		want: map[string]any{"model": "test-model", "prompt": starcoderPrompt, "raw": true, "stream": true,
			"options": map[string]any{"num_predict": 32, "temperature": 0.25, "seed": 7, "stop": complReq.Stop}},
		absent: []string{"suffix"}},
	{name: "ollama", kind: backends.OllamaCompletion, use: "completion", path: "/api/generate",
		want: map[string]any{"model": "test-model", "prompt": complReq.Prefix, "suffix": complReq.Suffix, "stream": true,
			"options": map[string]any{"num_predict": 32, "temperature": 0.25, "seed": 7, "stop": complReq.Stop}},
		absent: []string{"raw"}},
	{name: "openai", kind: backends.OpenAICompletion, use: "completion", path: "/v1/completions",
		want: map[string]any{"model": "test-model", "prompt": complReq.Prefix, "suffix": complReq.Suffix, "max_tokens": 32,
			"temperature": 0.25, "seed": 7, "stream": true, "stop": complReq.Stop}},
	{name: "deepseek", kind: backends.DeepSeekCompletion, use: "completion", path: "/v1/completions",
		want: map[string]any{"model": "test-model", "prompt": complReq.Prefix, "suffix": complReq.Suffix, "max_tokens": 32,
			"stream": true, "stop": complReq.Stop}},
	{name: "vllm", kind: backends.VLLMCompletion, use: "completion", template: "starcoder", path: "/v1/completions",
		want: map[string]any{"model": "test-model", "prompt": starcoderPrompt, "max_tokens": 32, "temperature": 0.25,
			"stream": true, "stop": complReq.Stop},
		absent: []string{"suffix"}},
	{name: "mistral", kind: backends.MistralCompletion, use: "completion", path: "/v1/fim/completions",
		want: map[string]any{"model": "test-model", "prompt": complReq.Prefix, "suffix": complReq.Suffix, "max_tokens": 32,
			"temperature": 0.25, "random_seed": 7, "stream": true, "stop": complReq.Stop}},
	{name: "openai chat", kind: backends.OpenAIChat, use: "chat", path: "/v1/chat/completions",
		want: map[string]any{"model": "test-model", "messages": chatReq.Messages, "max_tokens": 100, "temperature": 0.5,
			"seed": 3, "stream": true}},
	{name: "mistral chat", kind: backends.MistralChat, use: "chat", path: "/v1/chat/completions",
		want:   map[string]any{"model": "test-model", "messages": chatReq.Messages, "random_seed": 3, "stream": true},
		absent: []string{"seed"}},
	{name: "ollama chat", kind: backends.OllamaChat, use: "chat", path: "/api/chat",
		want: map[string]any{"model": "test-model", "messages": chatReq.Messages, "stream": true,
			"options": map[string]any{"num_predict": 100, "temperature": 0.5, "seed": 3}}},
}

func (tg target) config(endpoint string) backends.Config {
	return backends.Config{Kind: string(tg.kind), APIEndpoint: endpoint, APIKey: apiKey, ModelName: "test-model",
		PromptTemplate: tg.template}
}

// run sends the kind's test request to endpoint and collects what is emitted; emit may be
// replaced to steer the stream.
func (tg target) run(ctx context.Context, t *testing.T, cfg backends.Config, opts backends.Options, emit func(string) error) error {
	t.Helper()
	if tg.use == "chat" {
		c, err := backends.NewChatter(cfg, opts)
		if err != nil {
			t.Fatalf("NewChatter: %v", err)
		}
		if c.Kind() != tg.kind || c.Model() != cfg.ModelName {
			t.Errorf("Kind, Model = %s, %s", c.Kind(), c.Model())
		}
		return c.Chat(ctx, chatReq, emit)
	}
	c, err := backends.NewCompleter(cfg, opts)
	if err != nil {
		t.Fatalf("NewCompleter: %v", err)
	}
	if c.Kind() != tg.kind || c.Model() != cfg.ModelName {
		t.Errorf("Kind, Model = %s, %s", c.Kind(), c.Model())
	}
	return c.Complete(ctx, complReq, emit)
}

func forEachKind(t *testing.T, f func(t *testing.T, tg target)) {
	covered := map[backends.Kind]bool{}
	for _, tg := range targets {
		covered[tg.kind] = true
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			f(t, tg)
		})
	}
	for _, use := range []string{"completion", "chat"} {
		for _, k := range backends.Kinds(use) {
			if !covered[k] {
				t.Errorf("kind %s has no test target", k)
			}
		}
	}
}

func chunks(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("c%d ", i)
	}
	return out
}

func TestStreamsInOrder(t *testing.T) {
	forEachKind(t, func(t *testing.T, tg target) {
		reply := []string{"alpha ", "{prefix} ", "γάμμα\n", "delta"}
		srv := standin.Start(tg.kind, standin.Options{Reply: func(standin.Request) []string { return reply }})
		defer srv.Close()

		var got []string
		err := tg.run(t.Context(), t, tg.config(srv.URL), backends.Options{}, func(s string) error {
			got = append(got, s)
			return nil
		})
		if err != nil {
			t.Fatalf("err = %v", err)
		}
		if !slices.Equal(got, reply) {
			t.Fatalf("emitted %q, want %q", got, reply)
		}

		reqs := srv.Requests()
		if len(reqs) != 1 {
			t.Fatalf("stand-in saw %d requests", len(reqs))
		}
		r := reqs[0]
		if r.Path != tg.path {
			t.Errorf("path %q, want %q", r.Path, tg.path)
		}
		if h := r.Header.Get("Authorization"); h != "Bearer "+apiKey {
			t.Errorf("Authorization %q", h)
		}
		if !r.Stream {
			t.Error("stream is not true")
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		for k, v := range tg.want {
			want, _ := json.Marshal(v)
			if got, ok := body[k]; !ok {
				t.Errorf("body lacks %q: %s", k, r.Body)
			} else if !jsonEqual(got, want) {
				t.Errorf("body %q = %s, want %s", k, got, want)
			}
		}
		for _, k := range tg.absent {
			if _, ok := body[k]; ok {
				t.Errorf("body has %q, which %s does not take: %s", k, tg.kind, body[k])
			}
		}
		if tg.use == "completion" {
			c, _ := backends.NewCompleter(tg.config(srv.URL), backends.Options{})
			if p := c.Prompt(complReq); p != r.Prompt {
				t.Errorf("Prompt() = %q, but the back end got %q", p, r.Prompt)
			}
		}
	})
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestRawPrompt(t *testing.T) {
	for _, tg := range targets {
		if tg.use != "completion" {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			srv := standin.Start(tg.kind, standin.Options{})
			defer srv.Close()
			c, err := backends.NewCompleter(tg.config(srv.URL), backends.Options{})
			if err != nil {
				t.Fatal(err)
			}
			req := backends.CompletionRequest{RawPrompt: "<raw>{prefix}</raw>", Prefix: "ignored", Suffix: "ignored too"}
			if p := c.Prompt(req); p != req.RawPrompt {
				t.Errorf("Prompt() = %q", p)
			}
			var got strings.Builder
			if err := c.Complete(t.Context(), req, func(s string) error { got.WriteString(s); return nil }); err != nil {
				t.Fatal(err)
			}
			if got.String() != "standin completion" {
				t.Errorf("emitted %q", got.String())
			}
			r := srv.Requests()[0]
			if r.Prompt != req.RawPrompt || r.Suffix != "" {
				t.Errorf("back end got prompt %q suffix %q", r.Prompt, r.Suffix)
			}
			if tg.kind == backends.OllamaCompletion && !bytes.Contains(r.Body, []byte(`"raw":true`)) {
				t.Errorf("ollama raw prompt without raw:true: %s", r.Body)
			}
		})
	}
}

func TestStopEndsGeneration(t *testing.T) {
	forEachKind(t, func(t *testing.T, tg target) {
		srv := standin.Start(tg.kind, standin.Options{
			Reply:      func(standin.Request) []string { return chunks(50) },
			ChunkDelay: 20 * time.Millisecond,
		})
		defer srv.Close()

		var got []string
		var stoppedAt time.Time
		err := tg.run(t.Context(), t, tg.config(srv.URL), backends.Options{}, func(s string) error {
			got = append(got, s)
			if len(got) == 2 {
				stoppedAt = time.Now()
				return backends.ErrStop
			}
			return nil
		})
		if err != nil {
			t.Fatalf("err = %v, want nil after ErrStop", err)
		}
		if !slices.Equal(got, chunks(2)) {
			t.Errorf("emitted %q", got)
		}
		if !srv.WaitIdle(100 * time.Millisecond) {
			t.Fatalf("stand-in still serving %d requests 100ms after ErrStop", srv.Active())
		}
		r := srv.Requests()[0]
		if !r.ClientGone {
			t.Error("stand-in did not see the client go away")
		}
		if d := r.Ended.Sub(stoppedAt); d > 100*time.Millisecond {
			t.Errorf("stand-in request ended %v after ErrStop", d)
		}
	})
}

func TestEmitErrorIsReturned(t *testing.T) {
	tg := targets[0]
	srv := standin.Start(tg.kind, standin.Options{Reply: func(standin.Request) []string { return chunks(5) }, ChunkDelay: 10 * time.Millisecond})
	defer srv.Close()
	boom := errors.New("editor write failed")
	err := tg.run(t.Context(), t, tg.config(srv.URL), backends.Options{}, func(string) error { return boom })
	if err != boom {
		t.Fatalf("err = %v, want the emit error itself", err)
	}
	if !srv.WaitIdle(100 * time.Millisecond) {
		t.Fatal("back-end request still running after emit failed")
	}
}

func TestCancelReachesBackend(t *testing.T) {
	forEachKind(t, func(t *testing.T, tg target) {
		srv := standin.Start(tg.kind, standin.Options{
			Reply:      func(standin.Request) []string { return chunks(20) },
			ChunkDelay: 500 * time.Millisecond,
		})
		defer srv.Close()

		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		first := make(chan struct{})
		var once sync.Once
		var cancelledAt time.Time
		cancelled := make(chan struct{})
		go func() {
			<-first
			cancelledAt = time.Now()
			cancel()
			close(cancelled)
		}()
		start := time.Now()
		err := tg.run(ctx, t, tg.config(srv.URL), backends.Options{}, func(string) error {
			once.Do(func() { close(first) })
			return nil
		})
		<-cancelled
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if errors.Is(err, backends.ErrUnavailable) {
			t.Errorf("a cancelled request reported the back end unavailable: %v", err)
		}
		if d := time.Since(start); d > 400*time.Millisecond {
			t.Errorf("Complete returned %v after start; the cancel did not cut the stream", d)
		}
		if !srv.WaitIdle(100 * time.Millisecond) {
			t.Fatalf("stand-in still serving 100ms after cancel")
		}
		r := srv.Requests()[0]
		if !r.ClientGone {
			t.Error("stand-in did not see the client go away")
		}
		if d := r.Ended.Sub(cancelledAt); d > 100*time.Millisecond {
			t.Errorf("stand-in saw the disconnect %v after cancel, want < 100ms", d)
		}
	})
}

func TestTimeout(t *testing.T) {
	forEachKind(t, func(t *testing.T, tg target) {
		srv := standin.Start(tg.kind, standin.Options{
			Reply:      func(standin.Request) []string { return chunks(3) },
			ChunkDelay: 2 * time.Second,
		})
		defer srv.Close()
		cfg := tg.config(srv.URL)
		cfg.TimeoutMS = 100
		start := time.Now()
		var got []string
		err := tg.run(t.Context(), t, cfg, backends.Options{}, func(s string) error { got = append(got, s); return nil })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
		if errors.Is(err, backends.ErrUnavailable) {
			t.Errorf("a timeout reported the back end unavailable: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("timed out after %v, limit 100ms", d)
		}
		if !slices.Equal(got, chunks(1)) {
			t.Errorf("emitted %q before the timeout, want the first chunk", got)
		}
		if !srv.WaitIdle(100 * time.Millisecond) {
			t.Error("stand-in still serving after the timeout")
		}
	})
}

// closedPort returns the address of a loopback port nobody listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestBackendDown(t *testing.T) {
	forEachKind(t, func(t *testing.T, tg target) {
		endpoint := "http://" + closedPort(t)
		start := time.Now()
		err := tg.run(t.Context(), t, tg.config(endpoint), backends.Options{}, func(string) error { return nil })
		if !errors.Is(err, backends.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("took %v to notice", d)
		}
		msg := err.Error()
		if !strings.Contains(msg, endpoint) || !strings.Contains(msg, string(tg.kind)) {
			t.Errorf("message does not name the kind and endpoint: %s", msg)
		}
		if strings.Contains(msg, apiKey) {
			t.Errorf("message leaks the api key: %s", msg)
		}
		var opErr *net.OpError
		if !errors.As(err, &opErr) {
			t.Errorf("the network error is not reachable through %v", err)
		}
	})
}

func TestBackendStatus(t *testing.T) {
	forEachKind(t, func(t *testing.T, tg target) {
		srv := standin.Start(tg.kind, standin.Options{Status: http.StatusInternalServerError})
		defer srv.Close()
		err := tg.run(t.Context(), t, tg.config(srv.URL), backends.Options{}, func(string) error {
			t.Error("emit called on an error status")
			return nil
		})
		if !errors.Is(err, backends.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		for _, s := range []string{"HTTP 500", "standin error", string(tg.kind), "127.0.0.1"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q lacks %q", err, s)
			}
		}
	})
}

// streamContentType is the media type a kind streams with.
func streamContentType(kind backends.Kind) string {
	if kind == backends.OllamaCompletion || kind == backends.OllamaChat {
		return "application/x-ndjson"
	}
	return "text/event-stream"
}

func TestMalformedStream(t *testing.T) {
	forEachKind(t, func(t *testing.T, tg target) {
		ndjson := streamContentType(tg.kind) == "application/x-ndjson"
		for name, body := range map[string]string{
			"not json":  map[bool]string{false: "data: {\"choices\": [tru\n\n", true: "{\"response\": tru\n"}[ndjson],
			"truncated": map[bool]string{false: ": keep-alive\n\n", true: "\n"}[ndjson],
			"error event": map[bool]string{
				false: "data: {\"error\":{\"message\":\"model crashed\"}}\n\n",
				true:  "{\"error\":\"model crashed\"}\n"}[ndjson],
			"html": "<html><body>proxy login</body></html>",
		} {
			contentType := streamContentType(tg.kind)
			if name == "html" {
				contentType = "text/html"
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", contentType)
				io.WriteString(w, body)
			}))
			err := tg.run(t.Context(), t, tg.config(srv.URL), backends.Options{}, func(string) error { return nil })
			srv.Close()
			if !errors.Is(err, backends.ErrUnavailable) {
				t.Errorf("%s: err = %v, want ErrUnavailable", name, err)
				continue
			}
			if name == "error event" && !strings.Contains(err.Error(), "model crashed") {
				t.Errorf("%s: %v lacks the back end's message", name, err)
			}
		}
	})
}

func TestLlamaCppErrorEvent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"content\":\"a\",\"stop\":false}\n\nerror: {\"code\":500,\"message\":\"context shift disabled\"}\n\n")
	}))
	defer srv.Close()
	tg := targets[0]
	var got string
	err := tg.run(t.Context(), t, tg.config(srv.URL), backends.Options{}, func(s string) error { got += s; return nil })
	if !errors.Is(err, backends.ErrUnavailable) || !strings.Contains(err.Error(), "context shift disabled") {
		t.Fatalf("err = %v", err)
	}
	if got != "a" {
		t.Errorf("emitted %q", got)
	}
}

// An SSE stream written in awkward pieces: lines split across writes, \r\n ends, comments.
func TestSSEAcrossWrites(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		f := w.(http.Flusher)
		for _, piece := range []string{
			": ping\r\n\r\n", "da", "ta: {\"choices\":[{\"te", "xt\":\"one \"}]}\r", "\n\r\n",
			"data: {\"choices\":[{\"text\":\"two\",\"finish_reason\":null}]}\n\n",
			"data: [DO", "NE]\n\n",
		} {
			io.WriteString(w, piece)
			f.Flush()
			time.Sleep(2 * time.Millisecond)
		}
	}))
	defer srv.Close()
	tg := targets[3] // openai
	var got []string
	err := tg.run(t.Context(), t, tg.config(srv.URL), backends.Options{}, func(s string) error { got = append(got, s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"one ", "two"}) {
		t.Fatalf("emitted %q", got)
	}
}

// Some OpenAI-compatible servers ignore stream:true and answer one JSON object.
func TestWholeJSONAnswer(t *testing.T) {
	for _, tg := range targets {
		if streamContentType(tg.kind) != "text/event-stream" {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			srv := standin.Start(tg.kind, standin.Options{})
			defer srv.Close()
			// Replay the stand-in's own stream:false answer from a server that ignores stream.
			whole := postJSON(t, srv.URL, tg, false)
			fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Write(whole)
			}))
			defer fake.Close()
			endpoint := fake.URL
			if strings.HasSuffix(srv.URL, "/v1") {
				endpoint += "/v1"
			}
			var got string
			err := tg.run(t.Context(), t, tg.config(endpoint), backends.Options{}, func(s string) error { got += s; return nil })
			if err != nil || got != "standin completion" {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

// postJSON sends the stand-in a minimal request for tg by hand and returns the body.
func postJSON(t *testing.T, endpoint string, tg target, stream bool) []byte {
	t.Helper()
	base := strings.TrimSuffix(endpoint, "/v1")
	body := map[string]any{"model": "m", "stream": stream, "prompt": "p"}
	if tg.use == "chat" {
		body = map[string]any{"model": "m", "stream": stream, "messages": chatReq.Messages}
	}
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+tg.path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("stand-in answered %d: %s", resp.StatusCode, out)
	}
	return out
}

func TestStandinHonoursStreamFalse(t *testing.T) {
	forEachKind(t, func(t *testing.T, tg target) {
		srv := standin.Start(tg.kind, standin.Options{Reply: func(standin.Request) []string { return []string{"a", "b"} }})
		defer srv.Close()
		out := postJSON(t, srv.URL, tg, false)
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("stream:false answer is not one JSON object: %v: %s", err, out)
		}
		if !bytes.Contains(out, []byte(`"ab"`)) {
			t.Errorf("whole answer lacks the joined text: %s", out)
		}
		if r := srv.Requests()[0]; r.Stream {
			t.Error("stand-in recorded stream:true")
		}
		// Paths the kind does not serve are 404s.
		resp, err := http.Post(strings.TrimSuffix(srv.URL, "/v1")+"/v1/embeddings", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown path answered %d", resp.StatusCode)
		}
	})
}

// The OpenAI-style kinds accept api_endpoint with or without the version segment.
func TestEndpointWithoutVersion(t *testing.T) {
	for _, tg := range targets {
		if !strings.HasPrefix(tg.path, "/v1/") {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			srv := standin.Start(tg.kind, standin.Options{})
			defer srv.Close()
			for _, endpoint := range []string{srv.URL, strings.TrimSuffix(srv.URL, "/v1"), srv.URL + "/"} {
				if err := tg.run(t.Context(), t, tg.config(endpoint), backends.Options{}, func(string) error { return nil }); err != nil {
					t.Errorf("api_endpoint %q: %v", endpoint, err)
				}
			}
		})
	}
}

// openai/completion forwards at most 4 stop sequences, the OpenAI API's limit.
func TestStopCap(t *testing.T) {
	srv := standin.Start(backends.OpenAICompletion, standin.Options{})
	defer srv.Close()
	c, err := backends.NewCompleter(targets[3].config(srv.URL), backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := complReq
	req.Stop = []string{"a", "b", "c", "d", "e", "f"}
	if err := c.Complete(t.Context(), req, func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var body struct{ Stop []string }
	json.Unmarshal(srv.Requests()[0].Body, &body)
	if !slices.Equal(body.Stop, []string{"a", "b", "c", "d"}) {
		t.Errorf("stop = %q", body.Stop)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	opts := backends.Options{Registerer: reg}
	tg := targets[0] // llama.cpp
	ok := standin.Start(tg.kind, standin.Options{Reply: func(standin.Request) []string { return chunks(3) }, ChunkDelay: 50 * time.Millisecond})
	defer ok.Close()
	broken := standin.Start(tg.kind, standin.Options{Status: http.StatusServiceUnavailable})
	defer broken.Close()

	// Two clients on one registerer share the collectors.
	c1, err := backends.NewCompleter(tg.config(ok.URL), opts)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := backends.NewCompleter(tg.config(broken.URL), opts)
	if err != nil {
		t.Fatal(err)
	}
	slowCfg := tg.config(ok.URL)
	slowCfg.TimeoutMS = 20
	c3, err := backends.NewCompleter(slowCfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	chatSrv := standin.Start(backends.OpenAIChat, standin.Options{})
	defer chatSrv.Close()
	ch, err := backends.NewChatter(targets[7].config(chatSrv.URL), opts)
	if err != nil {
		t.Fatal(err)
	}

	none := func(string) error { return nil }
	ctx := t.Context()
	if err := c1.Complete(ctx, complReq, none); err != nil {
		t.Fatal(err)
	}
	if err := c1.Complete(ctx, complReq, func(string) error { return backends.ErrStop }); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	if err := c1.Complete(cctx, complReq, func(string) error { cancel(); return nil }); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if err := c2.Complete(ctx, complReq, none); !errors.Is(err, backends.ErrUnavailable) {
		t.Fatal(err)
	}
	if err := c3.Complete(ctx, complReq, none); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	if err := ch.Chat(ctx, chatReq, none); err != nil {
		t.Fatal(err)
	}

	got := counts(t, reg)
	want := map[string]float64{
		"llama.cpp/completion/completion/ok":          1,
		"llama.cpp/completion/completion/stopped":     1,
		"llama.cpp/completion/completion/cancelled":   1,
		"llama.cpp/completion/completion/unavailable": 1,
		"llama.cpp/completion/completion/timeout":     1,
		"openai/chat/chat/ok":                         1,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests_total = %v\nwant %v", got, want)
	}
}

// counts reads codectx_backend_requests_total by kind/use/outcome, and checks that the histogram
// counted as many requests.
func counts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	var total float64
	var observed uint64
	for _, f := range families {
		switch f.GetName() {
		case "codectx_backend_requests_total":
			for _, m := range f.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				out[labels["kind"]+"/"+labels["use"]+"/"+labels["outcome"]] = m.GetCounter().GetValue()
				total += m.GetCounter().GetValue()
			}
		case "codectx_backend_request_seconds":
			for _, m := range f.GetMetric() {
				observed += m.GetHistogram().GetSampleCount()
			}
		}
	}
	if float64(observed) != total {
		t.Errorf("histogram observed %d requests, counter %v", observed, total)
	}
	return out
}

// A finished stream hands its connection back for the next request: no new TCP (or TLS)
// handshake on the completion path.
func TestConnectionReuse(t *testing.T) {
	forEachKind(t, func(t *testing.T, tg target) {
		srv := standin.Start(tg.kind, standin.Options{Reply: func(standin.Request) []string { return chunks(3) }})
		defer srv.Close()
		opts := backends.Options{HTTPClient: &http.Client{Transport: &http.Transport{}}}
		var reused []bool
		ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = append(reused, info.Reused) },
		})
		for range 3 {
			if err := tg.run(ctx, t, tg.config(srv.URL), opts, func(string) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(reused, []bool{false, true, true}) {
			t.Errorf("connections reused: %v", reused)
		}
	})
}

func TestMistralDefaults(t *testing.T) {
	c, err := backends.NewCompleter(backends.Config{Kind: "mistral/completion", APIKey: "k"}, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Model() != "codestral-latest" {
		t.Errorf("Model() = %q", c.Model())
	}
	c, err = backends.NewCompleter(backends.Config{Kind: "llama.cpp/completion", APIEndpoint: "http://x", PromptTemplate: "codellama"}, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Model() != "llama.cpp/completion" {
		t.Errorf("Model() without model_name = %q, want the kind", c.Model())
	}
}
