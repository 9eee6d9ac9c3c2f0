package serve_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/backends"
	"github.com/codectx/codectx/backends/standin"
	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sinks/embedded"
)

// tabby is a server over the fixture index with a model stand-in behind it.
type tabby struct {
	url   string
	model *standin.Server
	store *embedded.Store
	reg   *prometheus.Registry
	api   *serve.Server
}

func newTabby(t *testing.T, kind backends.Kind, opts standin.Options, edit func(*serve.Config)) *tabby {
	t.Helper()
	st, r := fixtureIndex(t)
	m := standin.Start(kind, opts)
	t.Cleanup(m.Close)
	reg := prometheus.NewRegistry()
	cfg := serve.Config{Retriever: r, Tokens: st, Usage: st, Registerer: reg, Gatherer: reg,
		Completion: serve.CompletionOptions{RetrievalTimeout: time.Second}}
	bcfg := backends.Config{Kind: string(kind), APIEndpoint: m.URL, ModelName: "stand-in-model"}
	switch kind {
	case backends.OpenAIChat, backends.OllamaChat:
		c, err := backends.NewChatter(bcfg, backends.Options{Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Chatter = c
	default:
		if kind == backends.LlamaCppCompletion || kind == backends.VLLMCompletion {
			bcfg.PromptTemplate = "codellama"
		}
		c, err := backends.NewCompleter(bcfg, backends.Options{Registerer: reg})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Completer = c
	}
	if edit != nil {
		edit(&cfg)
	}
	api := serve.New(cfg)
	srv := httptest.NewServer(api)
	t.Cleanup(func() { srv.Close(); api.Close() })
	return &tabby{url: srv.URL, model: m, store: st, reg: reg, api: api}
}

func reply(chunks ...string) func(standin.Request) []string {
	return func(standin.Request) []string { return chunks }
}

func do(t *testing.T, method, url, token, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func complete(t *testing.T, base string, req map[string]any) (int, serve.CompletionResponse, []byte) {
	t.Helper()
	b, _ := json.Marshal(req)
	code, _, body := do(t, "POST", base+"/v1/completions", "", string(b))
	var resp serve.CompletionResponse
	if code == http.StatusOK {
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Fatalf("decoding %s: %v", body, err)
		}
	}
	return code, resp, body
}

const mainPrefix = "package main\n\nfunc main() {\n\tcfg, err := config.ParseConfig("

func TestHealthAndSettings(t *testing.T) {
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{}, func(c *serve.Config) {
		c.DisableClientTelemetry = true
		c.Build = serve.BuildInfo{Version: "v9.9.9", GitSHA: "abc"}
	})
	for _, method := range []string{"GET", "POST"} {
		code, _, body := do(t, method, tb.url+"/v1/health", "", "")
		if code != 200 {
			t.Fatalf("%s /v1/health: %d %s", method, code, body)
		}
		var h serve.HealthResponse
		if err := json.Unmarshal(body, &h); err != nil {
			t.Fatal(err)
		}
		if h.Model != "stand-in-model" || h.Device == "" || h.Version.GitDescribe != serve.TabbyVersion || h.CodectxVersion != "v9.9.9" {
			t.Fatalf("health = %+v", h)
		}
	}
	code, _, body := do(t, "GET", tb.url+"/v1beta/server_setting", "", "")
	if code != 200 || !strings.Contains(string(body), `"disable_client_side_telemetry":true`) {
		t.Fatalf("server_setting: %d %s", code, body)
	}
	code, _, body = do(t, "GET", tb.url+"/v1beta/models", "", "")
	if code != 200 || !strings.Contains(string(body), `"completion":["stand-in-model"]`) {
		t.Fatalf("models: %d %s", code, body)
	}
}

func TestCompletionUsesRetrievedDefinition(t *testing.T) {
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{Reply: reply(`"app.toml")`, "\n")}, nil)
	cases := map[string]map[string]any{
		"with filepath and git_url": {"language": "go", "segments": map[string]any{
			"prefix": mainPrefix, "suffix": "\n\t_ = cfg\n}\n", "filepath": "server/main.go", "git_url": "git@github.com:acme/backend.git"},
			"debug_options": map[string]any{"return_snippets": true, "return_prompt": true}},
		"lsp mode: prefix and suffix only": {"language": "go", "segments": map[string]any{
			"prefix": mainPrefix, "suffix": "\n}\n"},
			"debug_options": map[string]any{"return_snippets": true, "return_prompt": true}},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			n := len(tb.model.Requests())
			code, resp, body := complete(t, tb.url, req)
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			if !strings.HasPrefix(resp.ID, "cmpl-") || len(resp.Choices) != 1 || strings.TrimRight(resp.Choices[0].Text, "\n") != `"app.toml")` {
				t.Fatalf("response = %s", body)
			}
			reqs := tb.model.Requests()
			if len(reqs) != n+1 {
				t.Fatalf("the model got %d requests, want 1", len(reqs)-n)
			}
			got := reqs[len(reqs)-1].Prompt
			if !strings.Contains(got, "// Path: config/parse.go\n") || !strings.Contains(got, "// func ParseConfig(path string) (*Config, error) {") {
				t.Fatalf("the prompt lacks ParseConfig's definition:\n%s", got)
			}
			if !strings.HasPrefix(got, "<PRE> ") || !strings.Contains(got, mainPrefix+" <SUF>") {
				t.Fatalf("the prompt is not the filled CodeLlama template:\n%s", got)
			}
			if strings.Contains(got, "Path: server/main.go") && name != "lsp mode: prefix and suffix only" {
				t.Fatalf("the current file came back as context:\n%s", got)
			}
			if resp.DebugData == nil || resp.DebugData.Prompt != got || len(resp.DebugData.Snippets) == 0 {
				t.Fatalf("debug data does not show what was used: %s", body)
			}
		})
	}
}

// In LSP mode there is no filepath; the cursor's file is still left out when its indexed copy
// holds the lines above the cursor.
func TestCompletionWithoutFilepathSkipsCursorFile(t *testing.T) {
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{Reply: reply("x")}, nil)
	prefix := "package main\n\nfunc main() {\n\tcfg, err := config.ParseConfig(\"x.toml\")\n\t_ = cfg\n\t_ = err\n\tconfig.ParseConfig("
	code, _, body := complete(t, tb.url, map[string]any{"language": "go", "segments": map[string]any{"prefix": prefix}})
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	p := tb.model.Requests()[0].Prompt
	if !strings.Contains(p, "Path: config/parse.go") || strings.Contains(p, "Path: server/main.go") {
		t.Fatalf("want ParseConfig's file and not the cursor's own:\n%s", p)
	}
}

func TestCompletionClientSnippetsComeFirst(t *testing.T) {
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{Reply: reply("x")}, nil)
	code, _, body := complete(t, tb.url, map[string]any{"language": "go", "segments": map[string]any{
		"prefix": mainPrefix, "filepath": "server/main.go",
		"declarations":                         []map[string]any{{"filepath": "decl/d.go", "body": "type Decl struct{}"}},
		"relevant_snippets_from_changed_files": []map[string]any{{"filepath": "chg/c.go", "body": "func Changed() {}", "score": 0.5}},
	}})
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	p := tb.model.Requests()[0].Prompt
	d, c, r := strings.Index(p, "Path: decl/d.go"), strings.Index(p, "Path: chg/c.go"), strings.Index(p, "Path: config/parse.go")
	if d < 0 || c < 0 || r < 0 || !(d < c && c < r) {
		t.Fatalf("want declarations, changed files, then retrieved context; prompt:\n%s", p)
	}
}

func TestCompletionStopsAndKeepsLineEndings(t *testing.T) {
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{
		Reply: reply("\treturn nil\n", "}\n", "\nfunc another() {\n", "\treturn\n}\n"),
	}, nil)
	code, resp, body := complete(t, tb.url, map[string]any{"language": "go", "segments": map[string]any{
		"prefix": "package x\r\n\r\nfunc f() error {\r\n", "suffix": ""}})
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	want := "\treturn nil\r\n}"
	if got := strings.TrimRight(resp.Choices[0].Text, "\r\n"); got != want {
		t.Fatalf("text = %q, want %q (stop at the next top-level definition, CRLF restored)", resp.Choices[0].Text, want)
	}
	p := tb.model.Requests()[0].Prompt
	if strings.Contains(p, "\r") {
		t.Fatalf("the model got CRLF: %q", p)
	}
	var sent struct {
		Stop     []string `json:"stop"`
		NPredict int      `json:"n_predict"`
	}
	json.Unmarshal(tb.model.Requests()[0].Body, &sent)
	if len(sent.Stop) == 0 || sent.NPredict != serve.DefaultMaxTokens {
		t.Fatalf("stop words or max tokens not sent: %s", tb.model.Requests()[0].Body)
	}
}

func TestCompletionErrors(t *testing.T) {
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{}, nil)
	for name, tc := range map[string]struct {
		body string
		code int
	}{
		"bad json":       {`{"segments": `, 400},
		"no segments":    {`{"language":"go"}`, 400},
		"no prefix":      {`{"segments":{"suffix":"x"}}`, 400},
		"prefix no type": {`{"segments":{"prefix":3}}`, 400},
		"too large":      {`{"segments":{"prefix":"` + strings.Repeat("a", serve.MaxBodyBytes) + `"}}`, 413},
	} {
		code, _, body := do(t, "POST", tb.url+"/v1/completions", "", tc.body)
		if code != tc.code || !strings.Contains(string(body), `"error"`) {
			t.Errorf("%s: %d %s, want %d with an error", name, code, body, tc.code)
		}
	}
	// Without a model: 501.
	st, r := fixtureIndex(t)
	srv := httptest.NewServer(serve.New(serve.Config{Retriever: r, Tokens: st}))
	defer srv.Close()
	code, _, body := do(t, "POST", srv.URL+"/v1/completions", "", `{"segments":{"prefix":"x"}}`)
	if code != 501 {
		t.Fatalf("no model: %d %s", code, body)
	}
	// An empty generation is 200 with text "".
	empty := newTabby(t, backends.LlamaCppCompletion, standin.Options{Reply: reply()}, nil)
	code, resp, body := complete(t, empty.url, map[string]any{"segments": map[string]any{"prefix": "x = "}})
	if code != 200 || len(resp.Choices) != 1 || resp.Choices[0].Text != "" {
		t.Fatalf("empty generation: %d %s", code, body)
	}
}

func TestCompletionBackendDownAndSlow(t *testing.T) {
	// A back end that is down: 503 with a clear message, counted, and the server carries on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{}, func(c *serve.Config) {
		comp, err := backends.NewCompleter(backends.Config{Kind: string(backends.LlamaCppCompletion), APIEndpoint: dead, PromptTemplate: "codellama"}, backends.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c.Completer = comp
	})
	for range 2 {
		code, _, body := complete(t, tb.url, map[string]any{"segments": map[string]any{"prefix": "x = "}})
		if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "unavailable") || strings.Contains(string(body), ln.Addr().String()) {
			t.Fatalf("back end down: %d %s", code, body)
		}
	}
	if n := (counter(t, tb.reg, "codectx_completions_total", "outcome", "backend_error")); n != 2 {
		t.Fatalf("backend errors counted %v, want 2", n)
	}
	if code, _, _ := do(t, "GET", tb.url+"/v1/health", "", ""); code != 200 {
		t.Fatalf("health after back-end failures: %d", code)
	}

	// A back end slower than the request's time limit: 408.
	slow := newTabby(t, backends.LlamaCppCompletion, standin.Options{Reply: reply("a", "b", "c", "d"), ChunkDelay: 200 * time.Millisecond},
		func(c *serve.Config) { c.Completion.Timeout = 300 * time.Millisecond })
	code, _, body := complete(t, slow.url, map[string]any{"segments": map[string]any{"prefix": "x = "}})
	if code != http.StatusRequestTimeout {
		t.Fatalf("slow back end: %d %s", code, body)
	}
}

// counter reads one labelled series of a counter vector in a registry.
func counter(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{%s=%q}", name, label, value)
	return 0
}

func TestCompletionCancelReachesBackend(t *testing.T) {
	chunks := make([]string, 100)
	for i := range chunks {
		chunks[i] = "x"
	}
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{Reply: reply(chunks...), ChunkDelay: 20 * time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", tb.url+"/v1/completions", strings.NewReader(`{"segments":{"prefix":"x = "}}`))
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for tb.model.Active() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the back end never got the request")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	at := time.Now()
	if !tb.model.WaitIdle(time.Second) {
		t.Fatal("the back-end request went on after the editor went away")
	}
	if took := time.Since(at); took > 100*time.Millisecond {
		t.Fatalf("the back-end request ended %v after the editor went away, want within 100ms", took)
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v", err)
	}
}

// slowIndex delays definition lookups, to run retrieval past its time budget.
type slowIndex struct {
	codectx.Index
	delay time.Duration
}

func (s slowIndex) Definitions(ctx context.Context, names []string, f codectx.SearchFilter, limit int) ([]codectx.Hit, error) {
	time.Sleep(s.delay)
	return s.Index.Definitions(ctx, names, f, limit)
}

func TestSlowRetrievalDegradesToNoContext(t *testing.T) {
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{Reply: reply("ok")}, func(c *serve.Config) {
		c.Retriever.Index = slowIndex{Index: c.Retriever.Index, delay: 300 * time.Millisecond}
		c.Completion.RetrievalTimeout = 20 * time.Millisecond
	})
	start := time.Now()
	code, resp, body := complete(t, tb.url, map[string]any{"language": "go", "segments": map[string]any{"prefix": mainPrefix}})
	if code != 200 || resp.Choices[0].Text != "ok" {
		t.Fatalf("%d %s", code, body)
	}
	if took := time.Since(start); took > 250*time.Millisecond {
		t.Fatalf("the completion waited %v for a slow retrieval; its budget is 20ms", took)
	}
	if p := tb.model.Requests()[0].Prompt; strings.Contains(p, "Path:") {
		t.Fatalf("context arrived despite the timeout:\n%s", p)
	}
	if n := (counter(t, tb.reg, "codectx_completion_retrieval_fallbacks_total", "reason", "timeout")); n != 1 {
		t.Fatalf("fallbacks counted %v, want 1", n)
	}
}

func TestEventsAreStored(t *testing.T) {
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{Reply: reply("1")}, nil)
	code, resp, body := complete(t, tb.url, map[string]any{"language": "python", "segments": map[string]any{"prefix": "x = "}})
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	id := resp.ID
	for _, ev := range []string{
		`{"type":"view","completion_id":"` + id + `","choice_index":0,"view_id":"v1"}`,
		`{"type":"view","completion_id":"` + id + `","choice_index":0,"view_id":"v2"}`,
		`{"type":"select","completion_id":"` + id + `","choice_index":0,"elapsed":900}`,
	} {
		if code, _, body := do(t, "POST", tb.url+"/v1/events?select_kind=line", "", ev); code != 200 {
			t.Fatalf("event %s: %d %s", ev, code, body)
		}
	}
	if code, _, body := do(t, "POST", tb.url+"/v1/events", "", `{"type":"typed","completion_id":"x"}`); code != 400 || !strings.Contains(string(body), "typed") {
		t.Fatalf("unknown event type: %d %s", code, body)
	}
	tb.api.FlushUsage() // completions are recorded in the background
	rows, err := tb.store.Acceptance(context.Background(), time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Language != "python" || rows[0].Completions != 1 || rows[0].Views != 1 || rows[0].Selects != 1 {
		t.Fatalf("acceptance rows = %+v", rows)
	}
}

func TestAuthRateLimitAndCORS(t *testing.T) {
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{Reply: reply("1")}, func(c *serve.Config) {
		c.Auth = serve.AuthOn
		c.RatePerMinute = 60 // bursts of 6
	})
	secret := "cx_test_secret"
	if err := tb.store.CreateToken(context.Background(), codectx.Token{Name: "alice", Hash: serve.HashToken(secret), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, route := range []struct{ method, path, body string }{
		{"GET", "/v1/health", ""},
		{"POST", "/v1/completions", `{"segments":{"prefix":"x"}}`},
		{"POST", "/v1/context", `{"prefix":"x"}`},
		{"GET", "/v1beta/server_setting", ""},
		{"POST", "/v1/events", `{"type":"view","completion_id":"c"}`},
	} {
		for _, tok := range []string{"", "wrong"} {
			if code, _, body := do(t, route.method, tb.url+route.path, tok, route.body); code != 401 {
				t.Errorf("%s %s with token %q: %d %s, want 401", route.method, route.path, tok, code, body)
			}
		}
	}
	if code, _, body := do(t, "GET", tb.url+"/v1/health", secret, ""); code != 200 {
		t.Fatalf("health with the right token: %d %s", code, body)
	}
	if code, _, _ := do(t, "GET", tb.url+"/healthz", "", ""); code != 200 {
		t.Fatalf("/healthz needs no token: %d", code)
	}
	// Rate limit: a burst of 6, then 429 with Retry-After; health is exempt.
	limited := 0
	for range 10 {
		code, h, _ := do(t, "POST", tb.url+"/v1/completions", secret, `{"segments":{"prefix":"x"}}`)
		if code == 429 {
			limited++
			if h.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	}
	if limited < 3 {
		t.Fatalf("%d of 10 requests were limited at 60/min with bursts of 6", limited)
	}
	for range 10 {
		if code, _, _ := do(t, "GET", tb.url+"/v1/health", secret, ""); code != 200 {
			t.Fatalf("health was limited: %d", code)
		}
	}
	// CORS: a preflight needs no token and allows the origin.
	req, _ := http.NewRequest("OPTIONS", tb.url+"/v1/completions", nil)
	req.Header.Set("Origin", "https://editor.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 || resp.Header.Get("Access-Control-Allow-Origin") != "https://editor.example" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestAuthTurnsOnWithTheFirstToken(t *testing.T) {
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{}, func(c *serve.Config) { c.Auth = serve.AuthIfTokens })
	if code, _, _ := do(t, "GET", tb.url+"/v1/health", "", ""); code != 200 {
		t.Fatalf("no token exists yet, so no auth: %d", code)
	}
	if err := tb.store.CreateToken(context.Background(), codectx.Token{Name: "first", Hash: serve.HashToken("s3cret"), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _, _ := do(t, "GET", tb.url+"/v1/health", "", "")
		if code == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("auth did not turn on after the first token was created")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _, _ := do(t, "GET", tb.url+"/v1/health", "s3cret", ""); code != 200 {
		t.Fatalf("with the token: %d", code)
	}
}

func TestChat(t *testing.T) {
	tb := newTabby(t, backends.OpenAIChat, standin.Options{Reply: reply("Parse", "Config reads", " the file.")}, nil)
	body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"what does ParseConfig do?"}]}`
	for _, path := range []string{"/v1/chat/completions", "/v1beta/chat/completions"} {
		req, _ := http.NewRequest("POST", tb.url+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		var text strings.Builder
		done := false
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			if line == "[DONE]" {
				done = true
				break
			}
			var chunk struct {
				Choices []struct {
					Delta struct{ Content string } `json:"delta"`
				} `json:"choices"`
			}
			if err := json.Unmarshal([]byte(line), &chunk); err != nil {
				t.Fatalf("bad chunk %q: %v", line, err)
			}
			text.WriteString(chunk.Choices[0].Delta.Content)
		}
		resp.Body.Close()
		if !done || text.String() != "ParseConfig reads the file." {
			t.Fatalf("%s: streamed %q (done %v)", path, text.String(), done)
		}
	}
	got := tb.model.Requests()[0]
	if len(got.Messages) != 2 || got.Messages[0].Role != "system" || !strings.Contains(got.Messages[0].Content, "func ParseConfig") {
		t.Fatalf("the model did not get retrieved context as a system message: %+v", got.Messages)
	}
	// Not streamed: one JSON answer.
	code, _, b := do(t, "POST", tb.url+"/v1/chat/completions", "", `{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`)
	if code != 200 || !strings.Contains(string(b), `"content":"ParseConfig reads the file."`) {
		t.Fatalf("non-streamed chat: %d %s", code, b)
	}
	// No chat model: 501.
	noChat := newTabby(t, backends.LlamaCppCompletion, standin.Options{}, nil)
	if code, _, b := do(t, "POST", noChat.url+"/v1/chat/completions", "", body); code != 501 {
		t.Fatalf("no chat model: %d %s", code, b)
	}
	if code, _, b := do(t, "POST", tb.url+"/v1/chat/completions", "", `{"messages":[]}`); code != 400 {
		t.Fatalf("empty messages: %d %s", code, b)
	}
}

// Limits are per token: without auth (the loopback default) nothing is limited.
func TestNoRateLimitWithoutAuth(t *testing.T) {
	tb := newTabby(t, backends.LlamaCppCompletion, standin.Options{Reply: reply("1")}, func(c *serve.Config) { c.RatePerMinute = 60 })
	for i := range 20 {
		if code, _, body := do(t, "POST", tb.url+"/v1/completions", "", `{"segments":{"prefix":"x"}}`); code != 200 {
			t.Fatalf("request %d: %d %s", i, code, body)
		}
	}
}
