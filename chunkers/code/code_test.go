package code

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers/internal/chunktest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenTarget is small so that the test files, a few kilobytes each, exercise merging and
// splitting.
const goldenTarget = 400

func testFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if Supports(codectx.LanguageForPath(f)) {
			out = append(out, f)
		}
	}
	if len(out) < 12 {
		t.Fatalf("found %d test files, want one per language", len(out))
	}
	return out
}

func TestGolden(t *testing.T) {
	c := New(Options{TargetChars: goldenTarget})
	for _, f := range testFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			content, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lang := codectx.LanguageForPath(f)
			if strings.HasSuffix(f, ".jsx") {
				lang = codectx.LangJSX
			}
			chunks, err := c.Chunk(f, lang, content)
			if err != nil {
				t.Fatal(err)
			}
			if err := chunktest.Check(f, lang, content, chunks); err != nil {
				t.Fatal(err)
			}
			chunktest.CompareGolden(t, filepath.Join("testdata", "golden", filepath.Base(f)+".json"), chunks, *update)
		})
	}
}

// symbolsOf returns "kind name" for every symbol of chunks.
func symbolsOf(chunks []codectx.Chunk) map[string]bool {
	m := map[string]bool{}
	for _, c := range chunks {
		for _, s := range c.Symbols {
			m[s.Kind+" "+s.Name] = true
		}
	}
	return m
}

// TestSymbols pins, per language, definitions that must be found whatever the chunk sizes.
func TestSymbols(t *testing.T) {
	want := map[string][]string{
		"config.go":      {"function ParseConfig", "method set", "method Validate", "method Load", "struct Config", "interface Loader", "struct envLoader", "const DefaultPort", "const envPrefix", "const maxRetries", "var ErrMissing", "var verbose"},
		"shapes.py":      {"function total_area", "class Shape", "class Circle", "class Rectangle", "method area", "method unit", "method __init__", "method scale", "function largest", "const PI2", "const DEFAULT_SCALE"},
		"store.js":       {"function now", "class Store", "method set", "method get", "method create", "function createStore", "function keys", "const DEFAULT_TTL", "var instances"},
		"Component.jsx":  {"function Counter", "function Greeting", "class Panel", "method render"},
		"queue.ts":       {"interface Job", "type Comparator", "enum JobState", "const MAX_CONCURRENCY", "class PriorityQueue", "method push", "method pop", "method up", "method down", "module Scheduler", "function byPriority", "function runAll", "method run"},
		"TodoList.tsx":   {"interface Todo", "type Props", "function TodoList", "function EmptyState"},
		"Inventory.java": {"class Inventory", "method Inventory", "method add", "method remove", "method lowStock", "enum Status", "class Entry", "interface Auditor", "method audit"},
		"lexer.rs":       {"const MAX_NUMBER_LEN", "var KEYWORDS", "enum Token", "struct Lexer", "trait Source", "method next_token", "method new", "method number", "method fmt", "module util", "function is_op", "macro tok"},
		"buffer.c":       {"const BUF_INIT_CAP", "macro MAX", "struct buffer", "type buffer", "enum buf_error", "var instances", "function buf_new", "function buf_grow", "function buf_append", "function buf_free"},
		"matrix.cpp":     {"module linalg", "class Matrix", "method at", "method rows", "method cols", "method check", "method multiply", "function clamp", "struct Point", "var kMaxDim"},
		"Accounts.cs":    {"module Accounts", "class Account", "method Account", "method Deposit", "method Withdraw", "interface ILedger", "method Record", "enum Currency", "struct Money"},
		"cache.rb":       {"const MAX_ENTRIES", "module Caching", "class LRU", "method initialize", "method fetch", "method default", "method store", "method enabled?", "function helper"},
	}
	for _, target := range []int{100, goldenTarget, 1500} {
		c := New(Options{TargetChars: target})
		for _, f := range testFiles(t) {
			content, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			chunks, err := c.Chunk(f, codectx.LanguageForPath(f), content)
			if err != nil {
				t.Fatal(err)
			}
			got := symbolsOf(chunks)
			w, ok := want[filepath.Base(f)]
			if !ok {
				t.Errorf("%s: no expected symbols listed", f)
			}
			for _, s := range w {
				if !got[s] {
					t.Errorf("target %d, %s: symbol %q not found; have %v", target, f, s, got)
				}
			}
		}
	}
}

// TestSplitsLargeClass checks that a class too large for one chunk is split along its members,
// each method staying whole with its doc comment.
func TestSplitsLargeClass(t *testing.T) {
	var b strings.Builder
	b.WriteString("package big;\n\npublic class Big {\n")
	for i := 0; i < 40; i++ {
		b.WriteString("    /** Doc for m" + string(rune('A'+i%26)) + ". */\n")
		b.WriteString("    public int m" + string(rune('A'+i%26)) + string(rune('a'+i/26)) + "(int x) {\n        int y = x * 2;\n        return y + 1;\n    }\n\n")
	}
	b.WriteString("}\n")
	content := []byte(b.String())
	chunks, err := New(Options{TargetChars: 500}).Chunk("Big.java", codectx.LangJava, content)
	if err != nil {
		t.Fatal(err)
	}
	if err := chunktest.Check("Big.java", codectx.LangJava, content, chunks); err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 5 {
		t.Fatalf("got %d chunks, want the class split into several", len(chunks))
	}
	methods := 0
	for _, c := range chunks {
		if len(c.Body) > 1000 {
			t.Errorf("chunk %d-%d has %d chars, over twice the target", c.StartLine, c.EndLine, len(c.Body))
		}
		if !strings.HasPrefix(strings.TrimSpace(c.Body), "/**") && !strings.HasPrefix(c.Body, "package") && !strings.HasPrefix(c.Body, "public class") {
			t.Errorf("chunk %d-%d does not start at a doc comment: %q", c.StartLine, c.EndLine, c.Body[:min(20, len(c.Body))])
		}
		for _, s := range c.Symbols {
			if s.Kind == "method" {
				methods++
				if s.EndLine > c.EndLine {
					t.Errorf("method %s (%d-%d) is cut by chunk end %d", s.Name, s.StartLine, s.EndLine, c.EndLine)
				}
			}
		}
	}
	if methods != 40 {
		t.Errorf("found %d methods, want 40", methods)
	}
}

// TestProperties runs the chunker contract over the test files at several targets and over
// awkward inputs.
func TestProperties(t *testing.T) {
	type input struct {
		name, lang string
		content    []byte
	}
	var inputs []input
	for _, f := range testFiles(t) {
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lang := codectx.LanguageForPath(f)
		inputs = append(inputs,
			input{f, lang, content},
			input{f + " crlf", lang, []byte(strings.ReplaceAll(string(content), "\n", "\r\n"))},
			input{f + " no final newline", lang, []byte(strings.TrimRight(string(content), "\n"))},
			input{f + " truncated", lang, content[:len(content)/2]},
			input{f + " as go", codectx.LangGo, content},
		)
	}
	for _, in := range []input{
		{"empty", codectx.LangGo, nil},
		{"blank", codectx.LangPython, []byte("\n \n\t\n")},
		{"invalid utf8", codectx.LangGo, []byte("package p\n\nfunc \xff\xfe() {}\n// \xc3\x28\nvar x = \"\xff\"\n")},
		{"garbage", codectx.LangRust, []byte("}}}{{{ fn ( ( ; ;\n\n<<<>>>\nimpl impl impl\n")},
		{"long line", codectx.LangJavaScript, []byte("const a = [" + strings.Repeat("1, ", 3000) + "];\nfunction f() {}\n")},
		{"nul bytes", codectx.LangC, []byte("int a;\x00\x00\nint b;\n")},
		{"only comments", codectx.LangCPP, []byte("// a\n// b\n\n/* c\n d */\n")},
	} {
		inputs = append(inputs, in)
	}
	for _, target := range []int{50, 400, 1500} {
		c := New(Options{TargetChars: target})
		for _, in := range inputs {
			chunks, err := c.Chunk("f", in.lang, in.content)
			if err != nil {
				t.Fatalf("%s: %v", in.name, err)
			}
			if err := chunktest.Check("f", in.lang, in.content, chunks); err != nil {
				t.Errorf("target %d, %s: %v", target, in.name, err)
			}
		}
	}
}

func TestUnsupported(t *testing.T) {
	if _, err := New(Options{}).Chunk("a.txt", "cobol", []byte("x")); err == nil {
		t.Error("no error for an unsupported language")
	}
	if err := ParseOnly("cobol", []byte("x")); err == nil {
		t.Error("ParseOnly: no error for an unsupported language")
	}
	for _, l := range []string{"go", "golang", "python", "javascript", "javascriptreact", "typescript", "typescriptreact", "java", "rust", "c", "cpp", "csharp", "ruby"} {
		if !Supports(l) {
			t.Errorf("Supports(%q) = false", l)
		}
	}
}

var fuzzLanguages = []string{
	codectx.LangGo, codectx.LangPython, codectx.LangJavaScript, codectx.LangJSX, codectx.LangTypeScript,
	codectx.LangTSX, codectx.LangJava, codectx.LangRust, codectx.LangC, codectx.LangCPP,
	codectx.LangCSharp, codectx.LangRuby,
}

func FuzzChunk(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.*")
	for i, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(uint8(i), uint16(0), b)
		}
	}
	f.Add(uint8(0), uint16(30), []byte("func (\n\n}}} x := \xff\n"))
	f.Add(uint8(1), uint16(10), []byte("class A:\n    def f(self):\n        pass\n\n\n\n"))
	f.Add(uint8(8), uint16(5), []byte("#ifndef X\n#define X\nstruct s { int a; };\n#endif\n"))
	f.Add(uint8(11), uint16(0), []byte(""))
	f.Fuzz(func(t *testing.T, li uint8, target uint16, content []byte) {
		lang := fuzzLanguages[int(li)%len(fuzzLanguages)]
		chunks, err := New(Options{TargetChars: int(target)}).Chunk("f", lang, content)
		if err != nil {
			t.Fatal(err)
		}
		if err := chunktest.Check("f", lang, content, chunks); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMergesSmallNeighbours checks that many small definitions are packed into chunks close to
// the target size, neither one per definition nor far past the target.
func TestMergesSmallNeighbours(t *testing.T) {
	var b strings.Builder
	b.WriteString("package p\n\n")
	for i := 0; i < 200; i++ {
		b.WriteString("var value" + strings.Repeat("x", i%7) + " = compute(" + string(rune('a'+i%26)) + ")\n")
	}
	content := []byte(b.String())
	const target = 500
	chunks, err := New(Options{TargetChars: target}).Chunk("p.go", codectx.LangGo, content)
	if err != nil {
		t.Fatal(err)
	}
	if err := chunktest.Check("p.go", codectx.LangGo, content, chunks); err != nil {
		t.Fatal(err)
	}
	for i, c := range chunks {
		if len(c.Body) > target+target/8 {
			t.Errorf("chunk %d has %d chars, past the target", i, len(c.Body))
		}
		if i < len(chunks)-1 && len(c.Body) < target*3/4 {
			t.Errorf("chunk %d has only %d chars", i, len(c.Body))
		}
	}
	vars := 0
	for _, c := range chunks {
		vars += len(c.Symbols)
	}
	if vars != 200 {
		t.Errorf("found %d var symbols, want 200", vars)
	}
}
