package serve

import (
	"testing"

	"github.com/codectx/codectx"
)

func TestGoPlaceOf(t *testing.T) {
	for _, tc := range []struct {
		name, prefix string
		want         goPlace
	}{
		{"empty file", "", goTop},
		{"after a function", "package p\n\nfunc f() {\n\treturn\n}\n\n", goTop},
		{"in a body", "package p\n\nfunc (c *Conn) f(a int) error {\n\tif a > 0 {\n", goBody},
		{"in a closure of a body", "package p\n\nfunc f() {\n\tgo func() {\n", goBody},
		{"in a composite literal of a body", "package p\n\nfunc f() {\n\tx := T{\n\t\tA: 1,\n", goBody},
		{"in a struct", "package p\n\ntype T struct {\n\tname string\n", goFields},
		{"in a nested struct", "package p\n\ntype T struct {\n\tinner struct {\n\t\tn int\n", goFields},
		{"in a struct after a tagged field", "package p\n\ntype T struct {\n\tName string `json:\"name,{\"`\n", goFields},
		{"in an interface", "package p\n\ntype I interface {\n\tM() error\n", goMethods},
		{"in a const group", "package p\n\nconst (\n\tA = iota\n", goGroup},
		{"in a var group with a map literal", "package p\n\nvar (\n\tm = map[string]int{\n\t\t\"}\": 1,\n\t}\n", goGroup},
		{"braces in comments and strings", "package p\n\n// func f() {\n/* { */\nvar s = \"{\"\nvar r = '{'\n", goTop},
		{"in a raw string", "package p\n\nvar s = `\n", goUnknown},
		{"in a block comment", "package p\n\n/* unfinished\n", goUnknown},
		{"a struct inside a function", "package p\n\nfunc f() {\n\ttype local struct {\n", goFields},
		// Editors send the last lines before the cursor, which may start inside a block.
		{"a window inside a body", "\t\t\tcdat[i] += pdat[i] / 2\n\t\t\t}\n\t\tcase ftPaeth:\n\t\t\t", goUnknown},
		{"a window inside a struct", "\tname string\n\tage  int\n", goUnknown},
		{"a window that ends a function", "\t\treturn x\n\t}\n\treturn nil\n}\n\n", goTop},
		{"a window that starts at the top level", "// F does.\nfunc F() {\n\tg()\n}\n\n", goTop},
		{"a window with a body opened in it", "\t}\n}\n\nfunc (c *Conn) f() {\n\t", goBody},
	} {
		if got := goPlaceOf(tc.prefix); got != tc.want {
			t.Errorf("%s: goPlaceOf = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestWeighByPlace(t *testing.T) {
	mk := func(kind string, score float64) *candidate {
		return &candidate{kind: kind, score: score, chunk: codectx.Chunk{Path: "a.go"}}
	}
	typ, fn, lex := mk("struct", 1), mk("function", 2), mk("", 1)
	weighByPlace([]*candidate{typ, fn, lex}, goFields)
	if typ.score <= fn.score {
		t.Errorf("among a struct's fields a type (%v) should outrank a function (%v)", typ.score, fn.score)
	}
	if lex.score != 1 {
		t.Errorf("a lexical hit was rescaled: %v", lex.score)
	}
	typ, fn = mk("type", 1), mk("method", 2)
	weighByPlace([]*candidate{typ, fn}, goBody)
	if typ.score != 1 || fn.score != 2 {
		t.Errorf("in a body the scores changed: type %v, method %v", typ.score, fn.score)
	}
}

func TestWithoutGoComments(t *testing.T) {
	src := "// Opts names the options.\nvar a = \"// not a comment\" /* Labels\nDesc */ + `/* raw */`\nb := '/' // Collector\n"
	got := string(withoutGoComments(src))
	want := "                          \nvar a = \"// not a comment\"          \n        + `/* raw */`\nb := '/'             \n"
	if got != want {
		t.Errorf("withoutGoComments =\n%q\nwant\n%q", got, want)
	}
	if len(got) != len(src) {
		t.Errorf("length %d, want %d", len(got), len(src))
	}
}
