package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codectx/codectx/sources/git/gittest"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "codectx.toml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func envMap(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigFileEnvAndFlags(t *testing.T) {
	p := writeFile(t, `
data_dir = "/from/file"
addr = "127.0.0.1:9000"
workers = 3
[index]
max_file_bytes = 2048
[[sources]]
url = "/src/backend"
branch = "main"
[[sources]]
name = "docs"
url = "/src/docs"
`)
	cf := commonFlags{config: p}
	cfg, err := cf.load(envMap(map[string]string{"CODECTX_ADDR": "127.0.0.1:9100", "CODECTX_WORKERS": "4"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/from/file" || cfg.Addr != "127.0.0.1:9100" || cfg.Workers != 4 || cfg.Index.MaxFileBytes != 2048 || cfg.Index.ChunkTargetChars != defaultChunkChars {
		t.Fatalf("cfg = %+v", cfg)
	}
	cf.dataDir = "/from/flag"
	cfg, _ = cf.load(envMap(map[string]string{"CODECTX_DATA_DIR": "/from/env"}))
	if cfg.DataDir != "/from/flag" {
		t.Fatalf("flag must win over env and file: %s", cfg.DataDir)
	}
	nameSources(cfg.Sources)
	if cfg.Sources[0].Name != "backend@main" || cfg.Sources[1].Name != "docs" {
		t.Fatalf("names = %s, %s", cfg.Sources[0].Name, cfg.Sources[1].Name)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		env        map[string]string
		want       []string
	}{
		{"unknown key", "data_dir = \"/x\"\nworkerz = 2\n[index]\nmax_file_byte = 3\n", nil, []string{"unknown keys", "workerz", "index.max_file_byte"}},
		{"bad values", `
addr = "nope"
log_level = "loud"
[index]
max_file_bytes = 10
[[sources]]
name = "a b"
include = ["[unclosed"]
[[sources]]
name = "x"
url = "/a"
[[sources]]
name = "x"
url = "/b"
`, nil, []string{"addr", "log_level", "max_file_bytes", "url is required", "name may hold", "bad glob", "used twice"}},
		{"bad env", "", map[string]string{"CODECTX_WORKERS": "many"}, []string{"CODECTX_WORKERS"}},
		{"not TOML", "this is = = not toml", nil, []string{"reading config"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := []string{"config", "validate"}
			if tc.file != "" {
				args = append(args, "--config", writeFile(t, tc.file))
			}
			code := run(context.Background(), args, &stdout, &stderr, envMap(tc.env))
			if code == 0 {
				t.Fatalf("config validate accepted it: %s", stdout.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"config", "validate", "--config", writeFile(t, "[[sources]]\nurl = \"/repo\"\n")}, &stdout, &stderr, envMap(nil)); code != 0 {
		t.Fatalf("a good config was refused: %s", stderr.String())
	}
}

func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	notRepo := filepath.Join(dir, "plain")
	os.MkdirAll(notRepo, 0o755)
	repo := gittest.NewRepo(t)
	repo.Write("a.go", "package a\n")
	repo.Commit("one")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"index"}, 2, "--source"},
		{[]string{"index", "--data-dir", dir, "--source", filepath.Join(dir, "missing")}, 1, "no such directory"},
		{[]string{"index", "--data-dir", dir, "--source", notRepo, "--branch", "dev"}, 1, "not a git repository"},
		{[]string{"index", "--data-dir", dir, "--source", repo.Dir(), "--branch", "nope"}, 1, "branch nope not found"},
		{[]string{"index", "--data-dir", dir, "--source", "https://127.0.0.1:1/o/r.git"}, 1, "127.0.0.1:1"},
		{[]string{"search", "--data-dir", dir}, 2, "--file and --line"},
		{[]string{"search", "--data-dir", dir, "--file", filepath.Join(dir, "nope.go"), "--line", "3"}, 1, "nope.go"},
		{[]string{"serve", "--data-dir", dir, "--addr", "nonsense"}, 1, "addr"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr, envMap(nil))
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("codectx %s: exit %d, stderr %q; want exit %d mentioning %q", strings.Join(tc.args, " "), code, stderr.String(), tc.code, tc.want)
		}
	}
}

func TestConfigModelAndServerTables(t *testing.T) {
	good := writeFile(t, `
[server]
auth = "on"
rate_limit_per_minute = 600
[model.completion.http]
kind = "llama.cpp/completion"
api_endpoint = "http://127.0.0.1:8080"
prompt_template = "qwen2.5-coder"
[model.chat.http]
kind = "openai/chat"
api_endpoint = "http://127.0.0.1:8000/v1"
model_name = "chat"
[completion]
context_chars = 4096
max_tokens = 128
`)
	cfg, err := (&commonFlags{config: good}).load(envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Model.Completion.HTTP.PromptTemplate != "qwen2.5-coder" || cfg.Completion.ContextChars != 4096 || cfg.Completion.RetrievalTimeoutMS != 50 {
		t.Fatalf("cfg = %+v", cfg)
	}

	bad := writeFile(t, `
[server]
auth = "maybe"
[model.completion.http]
kind = "gpt/teleport"
api_endpoint = "not a url"
[completion]
max_tokens = 0
retrieval_timeout_ms = 0
`)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"config", "validate", "--config", bad}, &stdout, &stderr, envMap(nil))
	msg := stderr.String()
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, msg)
	}
	for _, want := range []string{`server.auth "maybe"`, `gpt/teleport`, `completion.max_tokens 0`, `completion.retrieval_timeout_ms 0`} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q:\n%s", want, msg)
		}
	}
	typo := writeFile(t, "[model.completion.http]\nkind = \"llama.cpp/completion\"\napi_endpiont = \"http://x\"\n")
	if _, err := (&commonFlags{config: typo}).load(envMap(nil)); err == nil || !strings.Contains(err.Error(), "api_endpiont") {
		t.Fatalf("an unknown key must be an error: %v", err)
	}
}
