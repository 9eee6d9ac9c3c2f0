package prompt

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

type stopCase struct {
	name           string
	lang           string
	prefix, suffix string
	max            int
	completion     string
	want           string
	// stopped: Push reported the end. False when the stream runs out and Text cuts on its own.
	stopped bool
}

var stopCases = []stopCase{
	// Rule 1: the next top-level definition.
	{name: "go/next func", lang: "go", prefix: "package main\n\n",
		completion: "func b() int {\n\treturn 2\n}\nfunc c() {}\n",
		want:       "func b() int {\n\treturn 2\n}", stopped: true},
	{name: "go/first line is exempt", lang: "go", prefix: "package main\n\n",
		completion: "func b() {}\n", want: "func b() {}"},
	{name: "go/leading newlines: first line with content exempt", lang: "go", prefix: "package main",
		completion: "\n\nimport \"fmt\"\nfunc main() {}\n",
		want:       "\n\nimport \"fmt\"", stopped: true},
	{name: "go/keyword must be a whole word", lang: "go", prefix: "func f() {\n",
		completion: "\tx := 1\nfuncs := 2\n", want: "\tx := 1\nfuncs := 2"},
	{name: "go/indented keyword is not top level", lang: "go", prefix: "func f() {\n\t",
		completion: "x := 1\n\tvar y = 2\n\treturn", want: "x := 1\n\tvar y = 2\n\treturn"},
	{name: "go/not inside a raw string", lang: "go", prefix: "const q = `",
		completion: "\nselect *\nfunc\n`\nvar y = 1", want: "\nselect *\nfunc\n`", stopped: true},
	{name: "go/keyword at the end of the stream", lang: "go", prefix: "func f() {\n\t",
		completion: "x()\n}\nfunc", want: "x()\n}"},
	{name: "python/next def", lang: "python", prefix: "import os\n\n",
		completion: "def a():\n    return 1\ndef b():\n    pass\n", want: "def a():\n    return 1", stopped: true},
	{name: "python/decorator", lang: "python", prefix: "",
		completion: "def a():\n    return 1\n@cache\ndef b(): pass", want: "def a():\n    return 1", stopped: true},
	{name: "python/main guard", lang: "python", prefix: "",
		completion: "def a():\n    return 1\nif __name__ == \"__main__\":\n    a()",
		want:       "def a():\n    return 1", stopped: true},
	{name: "python/not inside a docstring", lang: "python", prefix: "",
		completion: "s = '''\ndef x\n'''\ndef y(): pass", want: "s = '''\ndef x\n'''", stopped: true},
	{name: "js/export", lang: "javascript", prefix: "",
		completion: "function a() {\n  return 1;\n}\nexport const b = 2;", want: "function a() {\n  return 1;\n}", stopped: true},
	{name: "ts/interface", lang: "typescript", prefix: "",
		completion: "type A = {\n  x: number;\n};\ninterface B {}", want: "type A = {\n  x: number;\n};", stopped: true},
	{name: "tsx alias", lang: "tsx", prefix: "",
		completion: "const A = () => <div />;\nexport default A;", want: "const A = () => <div />;", stopped: true},
	{name: "java/public after import", lang: "java", prefix: "package a;\n\n",
		completion: "import java.util.List;\npublic class A {}", want: "import java.util.List;", stopped: true},
	{name: "java/annotation", lang: "java", prefix: "",
		completion: "class A {\n  void f() {}\n}\n@Deprecated\nclass B {}", want: "class A {\n  void f() {}\n}", stopped: true},
	{name: "rust/attribute", lang: "rust", prefix: "",
		completion: "fn a() -> i32 {\n    1\n}\n#[test]\nfn t() {}", want: "fn a() -> i32 {\n    1\n}", stopped: true},
	{name: "rust/impl", lang: "rust", prefix: "struct S;\n",
		completion: "struct T;\nimpl S {}", want: "struct T;", stopped: true},
	{name: "c/static", lang: "c", prefix: "#include <stdio.h>\n\n",
		completion: "int add(int a, int b) {\n    return a + b;\n}\nstatic int sub(int a, int b);",
		want:       "int add(int a, int b) {\n    return a + b;\n}", stopped: true},
	{name: "c/define", lang: "c", prefix: "",
		completion: "int x = 1;\n#define Y 2", want: "int x = 1;", stopped: true},
	{name: "cpp/template", lang: "cpp", prefix: "",
		completion: "class A {\n public:\n  int x;\n};\ntemplate <typename T>\nT id(T t);",
		want:       "class A {\n public:\n  int x;\n};", stopped: true},
	{name: "csharp/public after namespace", lang: "csharp", prefix: "using System;\n\n",
		completion: "namespace A;\npublic class B {}", want: "namespace A;", stopped: true},
	{name: "ruby/next def, end at column 0 closes our own def", lang: "ruby", prefix: "",
		completion: "def a\n  1\nend\ndef b\n  2\nend", want: "def a\n  1\nend", stopped: true},
	{name: "ruby/end closing the prefix's block", lang: "ruby", prefix: "class A\n  def f\n    ",
		completion: "x = 1\n  end\nend\n", want: "x = 1\n  end", stopped: true},
	{name: "unknown/no keywords", lang: "kotlin", prefix: "",
		completion: "fun a() = 1\nfun b() = 2", want: "fun a() = 1\nfun b() = 2"},

	// Rule 2: a blank line after a complete block.
	{name: "go/blank line", lang: "go", prefix: "func f() {\n\t",
		completion: "x := 1\n\n\ty := 2\n", want: "x := 1", stopped: true},
	{name: "go/whitespace-only blank line", lang: "go", prefix: "func f() {\n\t",
		completion: "x := 1\n\t \n\ty := 2\n", want: "x := 1", stopped: true},
	{name: "go/not inside an open block", lang: "go", prefix: "func f() {\n\t",
		completion: "if x {\n\t\ta()\n\n\t\tb()\n\t}\n\n\tc()", want: "if x {\n\t\ta()\n\n\t\tb()\n\t}", stopped: true},
	{name: "go/not inside a block comment", lang: "go", prefix: "func f() {\n\t",
		completion: "/* a {\n\n b */\n\tx()\n\n\ty()", want: "/* a {\n\n b */\n\tx()", stopped: true},
	{name: "go/brackets in strings don't count", lang: "go", prefix: "func f() {\n\t",
		completion: "s := \"{\" + `(`\n\n\tt()", want: "s := \"{\" + `(`", stopped: true},
	{name: "go/cursor inside a string", lang: "go", prefix: "func f() {\n\ts := \"",
		completion: "{\"\n\tt()\n\n\tu()", want: "{\"\n\tt()", stopped: true},
	{name: "go/closing the prefix's block", lang: "go", prefix: "func f() {\n\t",
		completion: "return 1\n}\n\nfunc g() {}", want: "return 1\n}", stopped: true},
	{name: "go/leading blank lines are not a block", lang: "go", prefix: "}",
		completion: "\n\nfunc g() {\n}\n\nvar x", want: "\n\nfunc g() {\n}", stopped: true},
	{name: "python/blank line at the cursor's indentation", lang: "python", prefix: "def f():\n    ",
		completion: "x = 1\n\n    y = 2", want: "x = 1", stopped: true},
	{name: "python/blank lines inside a new function", lang: "python", prefix: "import os\n\n",
		completion: "def a():\n    x = 1\n\n    return x\n\nprint(a())\n",
		want:       "def a():\n    x = 1\n\n    return x", stopped: true},
	{name: "python/nested block", lang: "python", prefix: "def f():\n    ",
		completion: "for i in range(3):\n        a(i)\n\n        b(i)\n\n    return 1",
		want:       "for i in range(3):\n        a(i)\n\n        b(i)", stopped: true},
	{name: "python/a colon opens a block", lang: "python", prefix: "def f():\n    ",
		completion: "if x:\n\n        y()\n\n    z()", want: "if x:\n\n        y()", stopped: true},
	{name: "python/docstring", lang: "python", prefix: "def f():\n    ",
		completion: "\"\"\"Sum.\n\n    More.\n    \"\"\"\n    return 1\n\n    x",
		want:       "\"\"\"Sum.\n\n    More.\n    \"\"\"\n    return 1", stopped: true},
	{name: "python/open bracket", lang: "python", prefix: "def f():\n    ",
		completion: "x = foo(\n        1,\n\n        2)\n\n    y",
		want:       "x = foo(\n        1,\n\n        2)", stopped: true},
	{name: "python/long cursor line", lang: "python", prefix: "def f():\n    y = " + strings.Repeat("a + ", 1000),
		completion: "1\n\n    z", want: "1", stopped: true},
	{name: "python/blank at the end of the stream", lang: "python", prefix: "",
		completion: "def a():\n    return 1\n\n", want: "def a():\n    return 1"},
	{name: "js/template literal", lang: "javascript", prefix: "const f = () => {\n  ",
		completion: "const s = `a\n\nb`;\n  g();\n\n  h();", want: "const s = `a\n\nb`;\n  g();", stopped: true},
	{name: "java/blank line", lang: "java", prefix: "class A {\n  void f() {\n    ",
		completion: "int x = 1;\n\n    int y = 2;", want: "int x = 1;", stopped: true},
	{name: "rust/lifetimes are not quotes", lang: "rust", prefix: "",
		completion: "fn g<'a>(x: &'a [u8]) -> &'a u8 {\n    let y = &x[0];\n\n    y\n}\n\nfn h() {}",
		want:       "fn g<'a>(x: &'a [u8]) -> &'a u8 {\n    let y = &x[0];\n\n    y\n}", stopped: true},
	{name: "c/char literal", lang: "c", prefix: "void f() {\n    ",
		completion: "char c = '{';\n\n    f();", want: "char c = '{';", stopped: true},
	{name: "cpp/blank line", lang: "cpp", prefix: "int main() {\n    ",
		completion: "std::vector<int> v{1, 2};\n\n    return 0;", want: "std::vector<int> v{1, 2};", stopped: true},
	{name: "csharp/blank line", lang: "csharp", prefix: "class A {\n    void F() {\n        ",
		completion: "var x = 1;\n\n        var y = 2;", want: "var x = 1;", stopped: true},
	{name: "ruby/blank lines inside a method", lang: "ruby", prefix: "",
		completion: "def a\n  x = 1\n\n  x\nend\n\nputs a", want: "def a\n  x = 1\n\n  x\nend", stopped: true},
	{name: "unknown/blank after a block", lang: "kotlin", prefix: "",
		completion: "fun a() {\n    x()\n\n    y()\n}\n\nfun b()", want: "fun a() {\n    x()\n\n    y()\n}", stopped: true},
	{name: "markdown/paragraph", lang: "markdown", prefix: "# Title\n\n",
		completion: "Don't (stop) here.\n\nMore.", want: "Don't (stop) here.", stopped: true},

	// Rule 3: the suffix repeated.
	{name: "go/suffix line", lang: "go", prefix: "func f() int {\n\t", suffix: "\n\treturn x\n}\n",
		completion: "x := 1\n\treturn x\n}", want: "x := 1", stopped: true},
	{name: "go/closing brace of our own block is no repeat", lang: "go", prefix: "func f() {\n\t", suffix: "\n}\n",
		completion: "if x {\n\t\ty()\n\t}\n\treturn\n}\n", want: "if x {\n\t\ty()\n\t}\n\treturn", stopped: true},
	{name: "go/repeat at the end of the stream", lang: "go", prefix: "func f() int {\n\t", suffix: "\n\treturn x\n}\n",
		completion: "x := 1\n\treturn x", want: "x := 1"},
	{name: "go/repeat on the first line", lang: "go", prefix: "func f() int {\n\t", suffix: "return x\n}\n",
		completion: "return x\n", want: "", stopped: true},
	{name: "go/first line after text is no repeat", lang: "go", prefix: "func f() int {\n\tx :=", suffix: "\n\tx\n}\n",
		completion: " x\n", want: " x"},
	{name: "go/keep the line break before text after the cursor", lang: "go", prefix: "func f() {\n", suffix: "}\n",
		completion: "\treturn\n}\n", want: "\treturn\n", stopped: true},
	{name: "python/suffix line", lang: "python", prefix: "def f(x):\n    ", suffix: "\n    return x\n",
		completion: "x += 1\n    return x\n", want: "x += 1", stopped: true},
	{name: "js/closing brace", lang: "javascript", prefix: "function f() {\n  ", suffix: "\n}\n",
		completion: "return 1;\n}\n", want: "return 1;", stopped: true},
	{name: "java/suffix line", lang: "java", prefix: "void f() {\n    ", suffix: "\n    g();\n}",
		completion: "int x = 1;\n    g();\n", want: "int x = 1;", stopped: true},
	{name: "rust/suffix line", lang: "rust", prefix: "fn f() {\n    ", suffix: "\n    Ok(())\n}",
		completion: "let x = 1;\n    Ok(())\n", want: "let x = 1;", stopped: true},
	{name: "c/suffix line", lang: "c", prefix: "int f(void) {\n    ", suffix: "\n    return 0;\n}",
		completion: "int x = 1;\n    return 0;\n", want: "int x = 1;", stopped: true},
	{name: "csharp/suffix line", lang: "csharp", prefix: "void F() {\n    ", suffix: "\n}",
		completion: "G();\n}\n", want: "G();", stopped: true},
	{name: "ruby/suffix line", lang: "ruby", prefix: "def f\n  ", suffix: "\nend\n",
		completion: "x = 1\nend\n", want: "x = 1", stopped: true},
	{name: "unknown/suffix line", lang: "", prefix: "a\n", suffix: "\nc\n",
		completion: "b\nc\n", want: "b", stopped: true},

	// Rule 4: the cap.
	{name: "go/cap", lang: "go", max: 5, completion: "abcdefgh", want: "abcde", stopped: true},
	{name: "python/cap in runes", lang: "python", max: 7, completion: "héllo wörld", want: "héllo w", stopped: true},
	{name: "go/cap trims", lang: "go", max: 6, completion: "x := 1\n\ty", want: "x := 1", stopped: true},
	{name: "go/cap not reached", lang: "go", max: 50, completion: "x := 1", want: "x := 1"},
	{name: "go/cap exactly reached", lang: "go", max: 6, completion: "x := 1", want: "x := 1", stopped: true},
	{name: "go/rule before the cap", lang: "go", prefix: "func f() {\n\t", max: 9,
		completion: "x := 1\n\n\ty := 2", want: "x := 1", stopped: true},
	{name: "go/cap before the rule", lang: "go", prefix: "func f() {\n\t", max: 7,
		completion: "x := 1\n\n\ty := 2", want: "x := 1", stopped: true},
	{name: "unknown/cap", lang: "zig", max: 3, completion: "const x", want: "con", stopped: true},

	// Rule 5: closing what the suffix closes.
	{name: "go/call", lang: "go", prefix: "func f() {\n\tfmt.Println(", suffix: ")\n}",
		completion: "\"hi\")\n\treturn", want: "\"hi\"", stopped: true},
	{name: "go/nested call", lang: "go", prefix: "x := f(g(", suffix: "))",
		completion: "y), z)", want: "y", stopped: true},
	{name: "go/own brackets first", lang: "go", prefix: "x := f(", suffix: ")",
		completion: "g(y))", want: "g(y)", stopped: true},
	{name: "go/suffix does not close it", lang: "go", prefix: "x := f(", suffix: "\n",
		completion: "y)", want: "y)"},
	{name: "go/suffix closes another bracket", lang: "go", prefix: "x := f(", suffix: "]",
		completion: "y)", want: "y)"},
	{name: "go/closer inside a string", lang: "go", prefix: "x := f(", suffix: ")",
		completion: "\")\")", want: "\")\"", stopped: true},
	{name: "go/brace on the next line", lang: "go", prefix: "func f() {\n\t", suffix: "\n}\n",
		completion: "return 1\n}", want: "return 1", stopped: true},
	{name: "python/call", lang: "python", prefix: "print(", suffix: ")",
		completion: "'hi')", want: "'hi'", stopped: true},
	{name: "js/call", lang: "javascript", prefix: "foo(a, ", suffix: ");",
		completion: "b);\n", want: "b", stopped: true},
	{name: "java/call", lang: "java", prefix: "list.add(", suffix: ");",
		completion: "x);", want: "x", stopped: true},
	{name: "rust/vec", lang: "rust", prefix: "let v = vec![", suffix: "];",
		completion: "1, 2];", want: "1, 2", stopped: true},
	{name: "c/index", lang: "c", prefix: "x = a[", suffix: "];",
		completion: "i + 1];", want: "i + 1", stopped: true},
	{name: "csharp/call", lang: "csharp", prefix: "Console.WriteLine(", suffix: ");",
		completion: "x);", want: "x", stopped: true},
	{name: "ruby/call", lang: "ruby", prefix: "puts(", suffix: ")",
		completion: "x)", want: "x", stopped: true},
	{name: "unknown/call", lang: "kotlin", prefix: "println(", suffix: ")",
		completion: "x)", want: "x", stopped: true},
	{name: "go/closer on its own line keeps the line break", lang: "go", prefix: "f(\n", suffix: ")\n",
		completion: "\ta,\n\tb,\n)", want: "\ta,\n\tb,\n", stopped: true},

	// Plain endings.
	{name: "go/trailing newline trimmed", lang: "go", prefix: "func f() {\n\t", suffix: "\n}",
		completion: "return 1\n", want: "return 1"},
	{name: "go/empty", lang: "go", completion: "", want: ""},
	{name: "go/whitespace only", lang: "go", completion: " \n\t", want: ""},
}

// run feeds tc.completion to a Stopper in the given chunks, calling Text after each one, and
// checks that Push keeps saying true once it has.
func run(t testing.TB, tc stopCase, chunks []string) (string, bool) {
	t.Helper()
	s := NewStopper(tc.lang, tc.prefix, tc.suffix, tc.max)
	stopped := false
	for _, c := range chunks {
		done := s.Push(c)
		if stopped && !done {
			t.Fatalf("%s: Push said true, then false", tc.name)
		}
		stopped = done
		_ = s.Text()
	}
	return s.Text(), stopped
}

func chars(s string) []string {
	out := make([]string, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = s[i : i+1]
	}
	return out
}

func TestStopper(t *testing.T) {
	for _, tc := range stopCases {
		t.Run(tc.name, func(t *testing.T) {
			got, stopped := run(t, tc, []string{tc.completion})
			if got != tc.want || stopped != tc.stopped {
				t.Errorf("got %q (stopped %v), want %q (stopped %v)", got, stopped, tc.want, tc.stopped)
			}
			if !strings.HasPrefix(tc.completion, got) {
				t.Errorf("%q is not a prefix of the completion", got)
			}
		})
	}
}

// The stop point depends on the text only: one chunk, one byte at a time, lines, or random
// pieces all give the same answer.
func TestStopperChunking(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range stopCases {
		t.Run(tc.name, func(t *testing.T) {
			want, wantStopped := run(t, tc, []string{tc.completion})
			splits := map[string][]string{
				"bytes": chars(tc.completion),
				"lines": strings.SplitAfter(tc.completion, "\n"),
			}
			for i := range 5 {
				splits["random"+string(rune('0'+i))] = randomChunks(rng, tc.completion)
			}
			for name, chunks := range splits {
				got, stopped := run(t, tc, chunks)
				if got != want || stopped != wantStopped {
					t.Errorf("%s: got %q (stopped %v), one chunk gave %q (stopped %v)", name, got, stopped, want, wantStopped)
				}
			}
		})
	}
}

func randomChunks(rng *rand.Rand, s string) []string {
	var out []string
	for len(s) > 0 {
		n := 1 + rng.IntN(min(len(s), 8))
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func TestStopperAfterStop(t *testing.T) {
	s := NewStopper("go", "x := f(", ")", 0)
	if !s.Push("a)") {
		t.Fatal("no stop at the closer")
	}
	if !s.Push("more\n\nfunc") {
		t.Fatal("Push after the stop said false")
	}
	if got := s.Text(); got != "a" {
		t.Fatalf("Text() = %q", got)
	}
}

func TestStopWords(t *testing.T) {
	tests := []struct {
		lang string
		want []string
	}{
		{"go", []string{"\nfunc ", "\ntype ", "\nvar ", "\nconst ", "\nimport ", "\npackage "}},
		{"golang", []string{"\nfunc ", "\ntype ", "\nvar ", "\nconst ", "\nimport ", "\npackage "}},
		{"kotlin", nil},
		{"", nil},
		{"markdown", nil},
	}
	for _, tc := range tests {
		if got := StopWords(tc.lang); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("StopWords(%q) = %q, want %q", tc.lang, got, tc.want)
		}
	}
	for _, lang := range []string{"python", "javascript", "typescript", "java", "rust", "c", "cpp", "csharp", "ruby"} {
		words := StopWords(lang)
		if len(words) == 0 {
			t.Errorf("StopWords(%q) is empty", lang)
		}
		for _, w := range words {
			if !strings.HasPrefix(w, "\n") || len(w) < 2 {
				t.Errorf("StopWords(%q) has %q", lang, w)
			}
		}
		if lang == "ruby" && contains(words, "\nend ") {
			t.Errorf("ruby's end is no stop word: it closes the completion's own blocks too")
		}
	}
	if got := StopWords("rust"); !contains(got, "\n#[") || !contains(got, "\nfn ") {
		t.Errorf("rust stop words %q", got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var fuzzLangs = []string{"go", "python", "javascript", "typescript", "java", "rust", "c", "cpp", "csharp", "ruby", "kotlin", "markdown", "", "css"}

func FuzzStopper(f *testing.F) {
	for i, tc := range stopCases {
		f.Add(uint8(indexOf(fuzzLangs, tc.lang)), tc.prefix, tc.suffix, tc.completion, int16(tc.max), uint64(i))
	}
	f.Fuzz(func(t *testing.T, lang uint8, prefix, suffix, completion string, maxChars int16, seed uint64) {
		tc := stopCase{
			name: "fuzz", lang: fuzzLangs[int(lang)%len(fuzzLangs)],
			prefix: prefix, suffix: suffix, completion: completion, max: int(maxChars) % 512,
		}
		if tc.max < 0 {
			tc.max = -tc.max
		}
		want, wantStopped := run(t, tc, []string{completion})
		if !strings.HasPrefix(completion, want) {
			t.Fatalf("Text() = %q is not a prefix of %q", want, completion)
		}
		rng := rand.New(rand.NewPCG(seed, seed>>1))
		for _, chunks := range [][]string{chars(completion), randomChunks(rng, completion)} {
			got, stopped := run(t, tc, chunks)
			if got != want || stopped != wantStopped {
				t.Fatalf("chunks %q: got %q (stopped %v), one chunk gave %q (stopped %v)", chunks, got, stopped, want, wantStopped)
			}
		}
	})
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// BenchmarkStopper streams a 60-line Go completion in 4-byte chunks, as a back end would, and
// compares it with the same text pushed at once.
//
//	go test -run '^$' -bench Stopper -benchmem ./serve/prompt/
func BenchmarkStopper(b *testing.B) {
	prefix := "package main\n\nimport \"fmt\"\n\nfunc main() {\n\t"
	var body strings.Builder
	for i := range 60 {
		fmt.Fprintf(&body, "if v := compute(%d, []int{1, 2}); v > 0 {\n\t\tfmt.Println(\"value\", v)\n\t}\n\t", i)
	}
	completion := body.String()
	chunks := make([]string, 0, len(completion)/4+1)
	for s := completion; s != ""; {
		n := min(4, len(s))
		chunks = append(chunks, s[:n])
		s = s[n:]
	}
	for _, bc := range []struct {
		name   string
		chunks []string
	}{{"chunks-4", chunks}, {"one-chunk", []string{completion}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(completion)))
			b.ReportAllocs()
			for b.Loop() {
				s := NewStopper("go", prefix, "\n}\n", 0)
				for _, c := range bc.chunks {
					if s.Push(c) {
						b.Fatal("stopped early")
					}
				}
				_ = s.Text()
			}
		})
	}
}

// TestStopperChunkingTokens checks chunking invariance on random texts made of the tokens the
// rules care about, which random bytes seldom hit.
func TestStopperChunkingTokens(t *testing.T) {
	tokens := []string{
		"func", "def", "end", "@", "#[", "#include", "class", "if __name__", "x", "é", " ", "    ", "\t",
		"\n", "\n\n", "\n  \n", "{", "}", "(", ")", "[", "]", "\"", "'", "`", `"""`, "'''", "\\",
		"#", "//", "/*", "*/", ":", ";", "return x", "<!--", "-->",
	}
	pick := func(rng *rand.Rand, n int) string {
		var b strings.Builder
		for range rng.IntN(n + 1) {
			b.WriteString(tokens[rng.IntN(len(tokens))])
		}
		return b.String()
	}
	rng := rand.New(rand.NewPCG(3, 4))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := range n {
		tc := stopCase{
			name:       fmt.Sprint("tokens", i),
			lang:       fuzzLangs[rng.IntN(len(fuzzLangs))],
			prefix:     pick(rng, 8),
			suffix:     pick(rng, 4),
			completion: pick(rng, 40),
		}
		if rng.IntN(3) == 0 {
			tc.max = rng.IntN(60)
		}
		want, wantStopped := run(t, tc, []string{tc.completion})
		if !strings.HasPrefix(tc.completion, want) {
			t.Fatalf("%+v: Text() = %q is not a prefix", tc, want)
		}
		for _, chunks := range [][]string{chars(tc.completion), randomChunks(rng, tc.completion)} {
			if got, stopped := run(t, tc, chunks); got != want || stopped != wantStopped {
				t.Fatalf("%+v\nchunks %q: got %q (stopped %v), one chunk gave %q (stopped %v)", tc, chunks, got, stopped, want, wantStopped)
			}
		}
	}
}
