package serve_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers"
	"github.com/codectx/codectx/embedders/lexical"
	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sinks/embedded"
)

// fixture indexes a few files straight into a real embedded store, the way the pipeline does.
func fixture(t *testing.T) (*httptest.Server, *embedded.Store) {
	t.Helper()
	st, r := fixtureIndex(t)
	srv := httptest.NewServer(serve.New(serve.Config{Retriever: r}))
	t.Cleanup(srv.Close)
	return srv, st
}

// fixtureIndex fills a real embedded store and returns it with a retriever over it.
func fixtureIndex(t *testing.T) (*embedded.Store, *serve.Retriever) {
	t.Helper()
	ctx := context.Background()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	files := map[string]map[string]string{
		"backend": {
			"config/parse.go": "package config\n\n// ParseConfig reads a configuration file.\nfunc ParseConfig(path string) (*Config, error) {\n\treturn load(path)\n}\n",
			"config/types.go": "package config\n\n// Config is the whole configuration.\ntype Config struct {\n\tAddr string\n\tWorkers int\n}\n",
			"server/main.go":  "package main\n\nfunc main() {\n\tcfg, err := config.ParseConfig(\"x.toml\")\n\t_ = cfg\n\t_ = err\n}\n",
			"web/app.ts":      "export function ParseConfig(s: string): object {\n  return JSON.parse(s);\n}\n",
			"docs/config.md":  "# Configuration\n\nParseConfig reads the file named by --config.\n",
		},
		"frontend": {
			"src/util.js": "export function formatDate(d) {\n  return d.toISOString();\n}\n",
		},
	}
	return indexFiles(t, st, files)
}

// indexFiles chunks and stores files (by source, then path) and returns a retriever over
// every source of the store.
func indexFiles(t *testing.T, st *embedded.Store, files map[string]map[string]string) (*embedded.Store, *serve.Retriever) {
	t.Helper()
	ctx := context.Background()
	ch := chunkers.New(chunkers.Options{})
	for src, fs := range files {
		for path, content := range fs {
			lang := codectx.LanguageForPath(path)
			chunks, err := ch.Chunk(path, lang, []byte(content))
			if err != nil {
				t.Fatal(err)
			}
			f := codectx.File{Source: src, Path: path, Language: lang, BlobHash: codectx.ContentHash([]byte(content))}
			for _, c := range chunks {
				c.Source, c.Path = src, path
				c.ID = codectx.ChunkID(src, path, c.StartLine, c.EndLine, c.ContentHash)
				terms, n := lexical.Vector([]byte(c.Body))
				f.Chunks = append(f.Chunks, codectx.IndexedChunk{Chunk: c, Terms: terms, Length: n})
			}
			if err := st.PutFile(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := &serve.Retriever{
		Index:       st,
		Sources:     func() []string { names, _ := st.Sources(ctx); return names },
		Query:       lexical.Query,
		Identifiers: lexical.Identifiers,
	}
	return st, r
}

func post(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url+"/v1/context", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestContextFindsTheDefinitionAcrossFiles(t *testing.T) {
	srv, _ := fixture(t)
	status, body := post(t, srv.URL, `{"git_url": "git@github.com:acme/backend.git", "filepath": "server/main.go", "language": "go",
		"prefix": "package main\n\nfunc main() {\n\tcfg, err := ", "suffix": "config.ParseConfig(\"x.toml\")\n}\n"}`)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var resp serve.ContextResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Snippets) == 0 {
		t.Fatal("no snippets")
	}
	first := resp.Snippets[0]
	if first.Filepath != "config/parse.go" || !strings.Contains(first.Body, "func ParseConfig") {
		t.Fatalf("first snippet = %+v", first)
	}
	if !contains(first.Signals, "symbol:ParseConfig") {
		t.Errorf("signals = %v", first.Signals)
	}
	total := 0
	for _, s := range resp.Snippets {
		total += len(s.Body)
		if s.Filepath == "server/main.go" {
			t.Error("the cursor's own file was returned")
		}
		if s.Filepath == "web/app.ts" {
			t.Error("a TypeScript snippet was returned for a Go cursor")
		}
		if s.Source != "backend" {
			t.Errorf("git_url matched backend, but a snippet from %s came back", s.Source)
		}
	}
	if total > serve.DefaultMaxChars {
		t.Errorf("bodies add up to %d chars, over the default budget", total)
	}
}

func TestContextBudgetAndLimits(t *testing.T) {
	srv, _ := fixture(t)
	for _, tc := range []struct {
		maxChars, maxSnippets int
	}{{60, 10}, {2048, 1}, {300, 2}} {
		req, _ := json.Marshal(serve.ContextRequest{Filepath: "server/main.go", Prefix: "cfg, err := config.ParseConfig(path) // Config Addr Workers",
			MaxChars: tc.maxChars, MaxSnippets: tc.maxSnippets})
		status, body := post(t, srv.URL, string(req))
		if status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
		var resp serve.ContextResponse
		json.Unmarshal(body, &resp)
		total := 0
		for _, s := range resp.Snippets {
			total += len(s.Body)
		}
		if total > tc.maxChars || len(resp.Snippets) > tc.maxSnippets {
			t.Errorf("max_chars %d, max_snippets %d: got %d chars in %d snippets", tc.maxChars, tc.maxSnippets, total, len(resp.Snippets))
		}
		if len(resp.Snippets) == 0 {
			t.Errorf("max_chars %d: nothing fit", tc.maxChars)
		}
	}
}

func TestContextWithoutFilepathSearchesEverySource(t *testing.T) {
	srv, _ := fixture(t)
	status, body := post(t, srv.URL, `{"prefix": "const s = formatDate(", "language": "javascript"}`)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	if !strings.Contains(string(body), "src/util.js") {
		t.Fatalf("the definition in the other source was not found: %s", body)
	}
}

func TestContextErrors(t *testing.T) {
	srv, _ := fixture(t)
	big := `{"prefix": "` + strings.Repeat("x", serve.MaxBodyBytes) + `"}`
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"malformed JSON", `{"prefix": `, 400, "invalid JSON"},
		{"wrong type", `{"prefix": 3}`, 400, "must be string"},
		{"no prefix", `{"filepath": "a.go"}`, 400, "prefix"},
		{"bad budget", `{"prefix": "x", "max_chars": -1}`, 400, "max_chars"},
		{"unknown source", `{"prefix": "x", "source": "nope"}`, 404, "nope"},
		{"oversized body", big, 413, "too large"},
		{"unknown fields are ignored", `{"prefix": "ParseConfig", "future_field": {"a": 1}}`, 200, "snippets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, srv.URL, tc.body)
			if status != tc.status || !strings.Contains(string(body), tc.want) {
				t.Fatalf("status %d body %s; want %d containing %q", status, body, tc.status, tc.want)
			}
			if status != 200 {
				var e struct{ Error string }
				if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
					t.Fatalf("error body is not {\"error\": ...}: %s", body)
				}
			}
		})
	}
	resp, err := http.Get(srv.URL + "/v1/context")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/context: %d", resp.StatusCode)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	ready := false
	srv := httptest.NewServer(serve.New(serve.Config{Retriever: &serve.Retriever{}, Ready: func() bool { return ready }}))
	defer srv.Close()
	get := func(p string) int {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz") != 200 || get("/readyz") != 503 {
		t.Fatal("before the first sync: want healthz 200, readyz 503")
	}
	ready = true
	if get("/readyz") != 200 {
		t.Fatal("readyz after the first sync")
	}
}

func TestMatchGitURL(t *testing.T) {
	names := []string{"backend", "backend@release", "web"}
	for url, want := range map[string]string{
		"git@github.com:acme/backend.git":  "backend,backend@release",
		"https://github.com/acme/web":      "web",
		"https://github.com/acme/web.git/": "web",
		"ssh://git@host:22/x/unknown.git":  "",
	} {
		if got := strings.Join(serve.MatchGitURL(url, names), ","); got != want {
			t.Errorf("MatchGitURL(%q) = %q, want %q", url, got, want)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
