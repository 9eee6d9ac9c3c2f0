package backends_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/codectx/codectx/backends"
)

func TestTemplateBuiltins(t *testing.T) {
	want := map[string]string{
		"codellama":      "<PRE> P <SUF>S <MID>",
		"starcoder":      "<fim_prefix>P<fim_suffix>S<fim_middle>",
		"starcoder2":     "<fim_prefix>P<fim_suffix>S<fim_middle>",
		"deepseek-coder": "<｜fim▁begin｜>P<｜fim▁hole｜>S<｜fim▁end｜>",
		"qwen2.5-coder":  "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>",
		"codegemma":      "<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>",
	}
	names := backends.TemplateNames()
	if !slices.IsSorted(names) || len(names) != len(want) {
		t.Fatalf("TemplateNames() = %q", names)
	}
	for _, name := range names {
		for _, spelling := range []string{name, strings.ToUpper(name), " " + name + " "} {
			tmpl, err := backends.Template(spelling)
			if err != nil {
				t.Fatalf("Template(%q): %v", spelling, err)
			}
			if got := backends.FillTemplate(tmpl, "P", "S"); got != want[name] {
				t.Errorf("%s: filled %q, want %q", spelling, got, want[name])
			}
		}
	}
	// The DeepSeek tokens are the full-width bar U+FF5C and the block U+2581, not ASCII.
	tmpl, _ := backends.Template("deepseek-coder")
	if !strings.Contains(tmpl, "\uff5cfim\u2581begin\uff5c") || strings.ContainsAny(tmpl, "|_") {
		t.Errorf("deepseek-coder template has the wrong characters: %q", tmpl)
	}
}

func TestTemplateLiteral(t *testing.T) {
	lit := "<s>[SUFFIX]{suffix}[PREFIX]{prefix}"
	tmpl, err := backends.Template(lit)
	if err != nil || tmpl != lit {
		t.Fatalf("Template(literal) = %q, %v", tmpl, err)
	}
	if got := backends.FillTemplate(tmpl, "a", "b"); got != "<s>[SUFFIX]b[PREFIX]a" {
		t.Errorf("filled %q", got)
	}
	if got := backends.FillTemplate("{prefix}", "only", "ignored"); got != "only" {
		t.Errorf("prefix-only template filled %q", got)
	}
	for _, bad := range []string{"", "  ", "starcoder3", "<PRE>{suffix}"} {
		if _, err := backends.Template(bad); err == nil {
			t.Errorf("Template(%q) accepted", bad)
		}
	}
}

func TestFillTemplateDoesNotReexpand(t *testing.T) {
	prefix := "fmt.Println(\"{suffix}\") // {prefix} {"
	suffix := "}\n// {prefix}{suffix}"
	got := backends.FillTemplate("<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>", prefix, suffix)
	want := "<fim_prefix>" + prefix + "<fim_suffix>" + suffix + "<fim_middle>"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// FuzzFillTemplate checks FillTemplate against strings.Replacer, which it replaces.
func FuzzFillTemplate(f *testing.F) {
	for _, tmpl := range []string{"<PRE> {prefix} <SUF>{suffix} <MID>", "{prefix}", "{suffix}{prefix}{prefix}", "{{prefix}}", "{pre{suffix}fix}", "{", "", "{prefix"} {
		f.Add(tmpl, "func f() {", "}\n// {suffix}")
	}
	f.Fuzz(func(t *testing.T, tmpl, prefix, suffix string) {
		want := strings.NewReplacer("{prefix}", prefix, "{suffix}", suffix).Replace(tmpl)
		if got := backends.FillTemplate(tmpl, prefix, suffix); got != want {
			t.Fatalf("FillTemplate(%q, %q, %q) = %q, want %q", tmpl, prefix, suffix, got, want)
		}
	})
}

// BenchmarkFillTemplate compares FillTemplate with a strings.Replacer built for each call, as
// a completion has its own prefix and suffix.
func BenchmarkFillTemplate(b *testing.B) {
	tmpl, _ := backends.Template("codellama")
	prefix := strings.Repeat("\tx := f(y) // {not a placeholder}\n", 120)
	suffix := strings.Repeat("\treturn x\n}\n", 40)
	b.Run("replacer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			strings.NewReplacer("{prefix}", prefix, "{suffix}", suffix).Replace(tmpl)
		}
	})
	b.Run("fill", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			backends.FillTemplate(tmpl, prefix, suffix)
		}
	})
}

func TestValidate(t *testing.T) {
	ok := func(kind backends.Kind) backends.Config {
		c := backends.Config{Kind: string(kind), APIEndpoint: "http://localhost:8080", ModelName: "m", APIKey: "k"}
		if kind == backends.LlamaCppCompletion || kind == backends.VLLMCompletion {
			c.PromptTemplate = "codellama"
		}
		return c
	}
	for _, use := range []string{backends.UseCompletion, backends.UseChat} {
		for _, kind := range backends.Kinds(use) {
			if err := ok(kind).Validate(use); err != nil {
				t.Errorf("%s %s: %v", use, kind, err)
			}
		}
	}
	// Tabby's documented shapes.
	good := []struct {
		use string
		cfg backends.Config
	}{
		{"completion", backends.Config{Kind: "llama.cpp/completion", APIEndpoint: "http://localhost:8888", PromptTemplate: "<PRE> {prefix} <SUF>{suffix} <MID>"}},
		{"completion", backends.Config{Kind: "ollama/completion", APIEndpoint: "http://localhost:11434", ModelName: "codellama:7b"}},
		{"completion", backends.Config{Kind: "deepseek/completion", APIEndpoint: "https://api.deepseek.com/beta", ModelName: "deepseek-chat", APIKey: "k"}},
		{"completion", backends.Config{Kind: "mistral/completion", APIKey: "k"}},
		{"completion", backends.Config{Kind: "openai/completion", APIEndpoint: "http://localhost:1234/v1", ModelName: "m", PromptTemplate: "ignored here"}},
		{"chat", backends.Config{Kind: "openai/chat", APIEndpoint: "https://api.openai.com/v1", ModelName: "gpt-4o", APIKey: "k", TimeoutMS: 5000}},
	}
	for _, g := range good {
		if err := g.cfg.Validate(g.use); err != nil {
			t.Errorf("%+v: %v", g.cfg, err)
		}
	}

	bad := []struct {
		use  string
		cfg  backends.Config
		want []string // every message expected in the one error
	}{
		{"completion", backends.Config{Kind: "foo", APIEndpoint: "http://x"},
			[]string{`model.completion.http.kind "foo": want one of llama.cpp/completion, ollama/completion`}},
		{"completion", backends.Config{APIEndpoint: "http://x"}, []string{"model.completion.http.kind: missing"}},
		{"chat", backends.Config{Kind: "llama.cpp/completion", APIEndpoint: "http://x", PromptTemplate: "codellama"},
			[]string{`model.chat.http.kind "llama.cpp/completion": want one of openai/chat`, "model.chat.http.prompt_template"}},
		{"completion", backends.Config{Kind: "openai/chat", APIEndpoint: "http://x", ModelName: "m"},
			[]string{`model.completion.http.kind "openai/chat"`}},
		{"completion", backends.Config{Kind: "llama.cpp/completion"},
			[]string{"model.completion.http.api_endpoint: missing", "model.completion.http.prompt_template: missing"}},
		{"completion", backends.Config{Kind: "vllm/completion", APIEndpoint: "ftp://x/v1", PromptTemplate: "nope"},
			[]string{`model.completion.http.api_endpoint "ftp://x/v1"`, "model.completion.http.model_name: missing",
				`model.completion.http.prompt_template: "nope" is neither`}},
		{"completion", backends.Config{Kind: "llama.cpp/completion", APIEndpoint: "localhost:8080", PromptTemplate: "codellama"},
			[]string{`model.completion.http.api_endpoint "localhost:8080"`}},
		{"completion", backends.Config{Kind: "llama.cpp/completion", APIEndpoint: "http://x/?a=b", PromptTemplate: "codellama"},
			[]string{"query or fragment"}},
		{"completion", backends.Config{Kind: "ollama/completion", APIEndpoint: "http://x", ModelName: "m", PromptTemplate: "<PRE>{suffix}"},
			[]string{"model.completion.http.prompt_template"}},
		{"completion", backends.Config{Kind: "mistral/completion"}, []string{"model.completion.http.api_key: missing"}},
		{"completion", backends.Config{Kind: "openai/completion", APIEndpoint: "http://x", ModelName: "m", APIKey: "k\nX-Evil: 1"},
			[]string{"model.completion.http.api_key: contains control characters"}},
		{"chat", backends.Config{Kind: "ollama/chat", APIEndpoint: "http://x", TimeoutMS: -1},
			[]string{"model.chat.http.model_name: missing", "model.chat.http.timeout_ms -1"}},
		{"embedding", backends.Config{Kind: "openai/embedding"}, []string{"model.embedding.http: unsupported use"}},
	}
	for _, b := range bad {
		err := b.cfg.Validate(b.use)
		if err == nil {
			t.Errorf("%s %+v: accepted", b.use, b.cfg)
			continue
		}
		for _, w := range b.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %+v:\n%v\nlacks %q", b.use, b.cfg, err, w)
			}
		}
		if strings.Contains(err.Error(), "X-Evil") {
			t.Errorf("error echoes the api key: %v", err)
		}
	}

	if _, err := backends.NewCompleter(backends.Config{Kind: "foo"}, backends.Options{}); err == nil {
		t.Error("NewCompleter accepted an invalid configuration")
	}
	if _, err := backends.NewChatter(backends.Config{Kind: "openai/chat"}, backends.Options{}); err == nil {
		t.Error("NewChatter accepted an invalid configuration")
	}
}
