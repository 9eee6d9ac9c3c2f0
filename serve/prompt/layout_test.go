package prompt

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLayoutGolden(t *testing.T) {
	a := Snippet{Filepath: "a1.go", Body: "func one() int {\n\treturn 1\n}\n", Origin: OriginDeclaration}
	b := Snippet{Filepath: "pkg/b.go", Body: "var two = 2", Origin: OriginRetrieved}
	py := []Snippet{
		{Filepath: "a1.py", Body: "res_1 = invoke_function_1(n)"},
		{Filepath: "a2.py", Body: "def g():\n\n    return 2\n"},
	}
	tests := []struct {
		name     string
		lang     string
		prefix   string
		snippets []Snippet
		budget   int
		want     string
		used     []Snippet
	}{
		{
			name: "go", lang: "go", prefix: "package main\n\nfunc main() {\n\t", budget: 768,
			snippets: []Snippet{a, b},
			want: "// Path: a1.go\n// func one() int {\n// \treturn 1\n// }\n//\n// Path: pkg/b.go\n// var two = 2\n" +
				"package main\n\nfunc main() {\n\t",
			used: []Snippet{a, b},
		},
		{
			name: "python with an empty body line", lang: "python", prefix: "def this_is_prefix():\n", budget: 768,
			snippets: py,
			want: "# Path: a1.py\n# res_1 = invoke_function_1(n)\n#\n# Path: a2.py\n# def g():\n#\n#     return 2\n" +
				"def this_is_prefix():\n",
			used: py,
		},
		{
			name: "language alias and CRLF body", lang: "golang", prefix: "x", budget: 100,
			snippets: []Snippet{{Filepath: "c.go", Body: "a\r\nb\r\n"}},
			want:     "// Path: c.go\n// a\n// b\nx",
			used:     []Snippet{{Filepath: "c.go", Body: "a\r\nb\r\n"}},
		},
		{
			name: "no filepath, blank edge lines, whitespace-only line", lang: "ruby", prefix: "p", budget: 100,
			snippets: []Snippet{{Body: "\n  \n  def x\n   \n  end\n\n"}},
			want:     "#   def x\n#\n#   end\np",
			used:     []Snippet{{Body: "\n  \n  def x\n   \n  end\n\n"}},
		},
		{
			name: "markdown gets block comments", lang: "markdown", prefix: "# T\n", budget: 100,
			snippets: []Snippet{{Filepath: "a.md", Body: "x\n\ny"}, {Filepath: "b.md", Body: "<!-- z -->"}},
			want:     "<!-- Path: a.md -->\n<!-- x -->\n<!-- -->\n<!-- y -->\n# T\n",
			used:     []Snippet{{Filepath: "a.md", Body: "x\n\ny"}},
		},
		{
			name: "plain text uses #", lang: "text", prefix: "p", budget: 100,
			snippets: []Snippet{{Filepath: "Makefile", Body: "all: build"}},
			want:     "# Path: Makefile\n# all: build\np",
			used:     []Snippet{{Filepath: "Makefile", Body: "all: build"}},
		},
		{
			name: "unknown language uses //", lang: "zig", prefix: "p", budget: 100,
			snippets: []Snippet{{Filepath: "a.zig", Body: "const x = 1;"}},
			want:     "// Path: a.zig\n// const x = 1;\np",
			used:     []Snippet{{Filepath: "a.zig", Body: "const x = 1;"}},
		},
		{
			name: "json gets no context", lang: "json", prefix: "{", budget: 100,
			snippets: []Snippet{{Filepath: "a.json", Body: `{"a": 1}`}},
			want:     "{",
		},
		{
			name: "duplicates and bodies in the prefix dropped, order kept", lang: "go",
			prefix: "x := compute()\n", budget: 768,
			snippets: []Snippet{b, {Filepath: "c.go", Body: "  compute()  "}, a, b, {Filepath: "d.go", Body: b.Body}},
			want: "// Path: pkg/b.go\n// var two = 2\n//\n// Path: a1.go\n// func one() int {\n// \treturn 1\n// }\n//\n" +
				"// Path: d.go\n// var two = 2\nx := compute()\n",
			used: []Snippet{b, a, {Filepath: "d.go", Body: b.Body}},
		},
		{
			name: "blank body dropped", lang: "go", prefix: "p", budget: 100,
			snippets: []Snippet{{Filepath: "e.go", Body: " \n\t\n"}},
			want:     "p",
		},
		{
			name: "newline in filepath", lang: "go", prefix: "p", budget: 100,
			snippets: []Snippet{{Filepath: "a\nb.go", Body: "x"}},
			want:     "// Path: a b.go\n// x\np",
			used:     []Snippet{{Filepath: "a\nb.go", Body: "x"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, used := Layout(tc.lang, tc.prefix, tc.snippets, tc.budget)
			if got != tc.want {
				t.Errorf("prefix:\n got %q\nwant %q", got, tc.want)
			}
			if !reflect.DeepEqual(used, tc.used) {
				t.Errorf("used:\n got %+v\nwant %+v", used, tc.used)
			}
		})
	}
}

func TestLayoutBudget(t *testing.T) {
	small := Snippet{Filepath: "s.go", Body: "x"}        // "// Path: s.go\n// x\n" = 19
	big := Snippet{Filepath: "b.go", Body: "0123456789"} // "// Path: b.go\n// 0123456789\n" = 28
	other := Snippet{Filepath: "t.go", Body: "y"}        // 19, plus "//\n" = 22 after another
	tests := []struct {
		name     string
		snippets []Snippet
		budget   int
		used     []Snippet
	}{
		{"zero budget", []Snippet{small}, 0, nil},
		{"negative budget", []Snippet{small}, -1, nil},
		{"one short", []Snippet{small}, 18, nil},
		{"exact fit", []Snippet{small}, 19, []Snippet{small}},
		{"separator counts", []Snippet{small, other}, 40, []Snippet{small}},
		{"two exact", []Snippet{small, other}, 41, []Snippet{small, other}},
		{"big skipped, later small fits", []Snippet{big, small}, 20, []Snippet{small}},
		{"big first when it fits", []Snippet{big, small, other}, 50, []Snippet{big, small}},
		{"nothing", nil, 100, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, used := Layout("go", "P", tc.snippets, tc.budget)
			if !reflect.DeepEqual(used, tc.used) {
				t.Fatalf("used %+v, want %+v", used, tc.used)
			}
			added := strings.TrimSuffix(got, "P")
			if n := utf8.RuneCountInString(added); n > max(tc.budget, 0) {
				t.Errorf("added %d runes over a budget of %d: %q", n, tc.budget, added)
			}
			if len(used) == 0 && got != "P" {
				t.Errorf("prefix changed without snippets: %q", got)
			}
		})
	}
}

// The budget counts runes, not bytes.
func TestLayoutBudgetRunes(t *testing.T) {
	sn := Snippet{Filepath: "é.go", Body: "ü"} // "// Path: é.go\n// ü\n": 19 runes, 21 bytes
	if _, used := Layout("go", "", []Snippet{sn}, 19); len(used) != 1 {
		t.Fatalf("a 19-rune snippet does not fit 19")
	}
}

// A comment line: the marker, then the text after a space, then the close marker; a blank
// text gives the bare markers.
func TestCommentLine(t *testing.T) {
	for _, c := range []struct {
		st         commentStyle
		lead, text string
		want       string
	}{
		{commentStyle{open: "//"}, "", "", "//"},
		{commentStyle{open: "//"}, "", "  \t", "//"},
		{commentStyle{open: "#"}, "", "x := 1", "# x := 1"},
		{commentStyle{open: "//"}, "Path: ", "a/b.go", "// Path: a/b.go"},
		{commentStyle{open: "<!--", close: "-->"}, "", "", "<!-- -->"},
		{commentStyle{open: "/*", close: "*/"}, "", "int x;", "/* int x; */"},
		{commentStyle{open: "/*", close: "*/"}, "Path: ", "", "/* Path:  */"},
	} {
		var b strings.Builder
		c.st.writeLine(&b, c.lead, c.text)
		if b.String() != c.want {
			t.Errorf("%q: writeLine(%q, %q) = %q, want %q", c.st.open, c.lead, c.text, b.String(), c.want)
		}
	}
}
