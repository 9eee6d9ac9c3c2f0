package markdown

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers/internal/chunktest"
	"github.com/codectx/codectx/chunkers/text"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestGolden(t *testing.T) {
	content, err := os.ReadFile("testdata/guide.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []int{200, 1500} {
		chunks, err := New(Options{TargetChars: target}).Chunk("guide.md", codectx.LangMarkdown, content)
		if err != nil {
			t.Fatal(err)
		}
		if err := chunktest.Check("guide.md", codectx.LangMarkdown, content, chunks); err != nil {
			t.Fatal(err)
		}
		chunktest.CompareGolden(t, filepath.Join("testdata", "golden", "guide.md."+strconv.Itoa(target)+".json"), chunks, *update)
	}
}

func TestHeadings(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string // "level title"
	}{
		{"atx", "# A\ntext\n## B ##\n###C\n####### D\n", []string{"1 A", "2 B"}},
		{"setext", "Title\n=====\n\nSub\n---\n", []string{"1 Title", "2 Sub"}},
		{"fenced", "```\n# not\n```\n~~~~\n# not\n~~~~\n# yes\n", []string{"1 yes"}},
		{"indented", "    # code\n# real\n", []string{"1 real"}},
		{"thematic break", "text\n\n---\n", nil},
		{"empty heading", "#\n", []string{"1 "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, h := range headings(text.NewLines([]byte(tc.doc))) {
				got = append(got, string(rune('0'+h.level))+" "+h.title)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSectionSymbols(t *testing.T) {
	doc := "# Top\nintro\n\n## One\n" + strings.Repeat("one text line\n", 30) + "\n## Two\n" + strings.Repeat("two text line\n", 30)
	chunks, err := New(Options{TargetChars: 300}).Chunk("d.md", codectx.LangMarkdown, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := chunktest.Check("d.md", codectx.LangMarkdown, []byte(doc), chunks); err != nil {
		t.Fatal(err)
	}
	found := map[string]codectx.Symbol{}
	for _, c := range chunks {
		for _, s := range c.Symbols {
			found[s.Name] = s
			// The sections are larger than the target, so each of their headings starts a chunk.
			if (s.Name == "One" || s.Name == "Two") && s.StartLine != c.StartLine {
				t.Errorf("heading %q (line %d) does not start its chunk (line %d)", s.Name, s.StartLine, c.StartLine)
			}
		}
	}
	if top := found["Top"]; top.Kind != "heading" || top.StartLine != 1 || top.EndLine != 66 {
		t.Errorf("Top = %+v, want a heading spanning the whole document (1-66)", top)
	}
	if two := found["Two"]; two.StartLine != 36 {
		t.Errorf("Two = %+v, want it to start on line 36", two)
	}
}

func FuzzChunk(f *testing.F) {
	if b, err := os.ReadFile("testdata/guide.md"); err == nil {
		f.Add(uint16(100), b)
	}
	f.Add(uint16(0), []byte("a\n===\n\n```\n# x\n"))
	f.Add(uint16(3), []byte("#\n##\n\n\n   ###   \n-\n"))
	f.Fuzz(func(t *testing.T, target uint16, content []byte) {
		chunks, err := New(Options{TargetChars: int(target)}).Chunk("f.md", codectx.LangMarkdown, content)
		if err != nil {
			t.Fatal(err)
		}
		if err := chunktest.Check("f.md", codectx.LangMarkdown, content, chunks); err != nil {
			t.Fatal(err)
		}
	})
}
