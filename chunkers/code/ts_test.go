package code

import (
	"strings"
	"sync"
	"testing"

	"github.com/codectx/codectx"
)

// TestCGrammars checks that the grammars the chunker parses with (called from C) are the ones
// of go-tree-sitter's language packages, whose symbol tables classify the nodes.
func TestCGrammars(t *testing.T) {
	languagesOnce.Do(initLanguages)
	for name, l := range languages {
		cl := cLanguage(name)
		if got, want := symbolCount(cl), l.lang.SymbolCount(); got != want {
			t.Errorf("%s: the C grammar has %d symbols, go-tree-sitter's %d", name, got, want)
		}
		for field, id := range map[string]uint16{"name": uint16(l.fields.name), "body": uint16(l.fields.body),
			"type": uint16(l.fields.typ), "declarator": uint16(l.fields.declarator), "left": uint16(l.fields.left), "value": uint16(l.fields.value)} {
			if id != noField && l.lang.FieldName(int(id)) != field {
				t.Errorf("%s: field %d is %q in go-tree-sitter's grammar, want %q", name, id, l.lang.FieldName(int(id)), field)
			}
		}
	}
}

// TestParserReuse chunks files of different sizes and languages on pooled parsers from several
// goroutines: every result must equal the one of a lone run.
func TestParserReuse(t *testing.T) {
	c := New(Options{TargetChars: 200})
	inputs := map[string]string{
		codectx.LangGo:     "package p\n\n" + strings.Repeat("// F does f.\nfunc F() int {\n\tx := 1\n\treturn x\n}\n\n", 50),
		codectx.LangPython: "class A:\n    def f(self):\n        return 1\n\nX = 1\n",
		codectx.LangC:      "struct s { int a; } v;\nint main(void) { return 0; }\n",
	}
	want := map[string]string{}
	for lang, src := range inputs {
		want[lang] = dumpChunks(t, c, lang, src)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for i := 0; i < 50; i++ {
				for lang, src := range inputs {
					if got := dumpChunks(t, c, lang, src[:len(src)-i%3]); i%3 == 0 && got != want[lang] {
						t.Errorf("%s: chunks differ on a reused parser", lang)
					}
				}
				if err := ParseOnly(codectx.LangGo, []byte("package p\n")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

func dumpChunks(t *testing.T, c *Chunker, lang, src string) string {
	chunks, err := c.Chunk("f", lang, []byte(src))
	if err != nil {
		t.Error(err)
	}
	var b strings.Builder
	for _, ch := range chunks {
		b.WriteString(ch.Body)
		for _, s := range ch.Symbols {
			b.WriteString("|" + s.Kind + " " + s.Name)
		}
		b.WriteString("\n--\n")
	}
	return b.String()
}
