package text

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

func TestGolden(t *testing.T) {
	content, err := os.ReadFile("testdata/notes.txt")
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := New(Options{TargetChars: 200}).Chunk("notes.txt", codectx.LangText, content)
	if err != nil {
		t.Fatal(err)
	}
	if err := chunktest.Check("notes.txt", codectx.LangText, content, chunks); err != nil {
		t.Fatal(err)
	}
	chunktest.CompareGolden(t, filepath.Join("testdata", "golden", "notes.txt.json"), chunks, *update)
}

func TestLines(t *testing.T) {
	for _, tc := range []struct {
		in    string
		count int
	}{{"", 0}, {"a", 1}, {"a\n", 1}, {"a\n\n", 2}, {"a\nb", 2}, {"\n", 1}} {
		l := NewLines([]byte(tc.in))
		if l.Count() != tc.count {
			t.Errorf("%q: Count() = %d, want %d", tc.in, l.Count(), tc.count)
		}
		if tc.count > 0 {
			if got, want := string(l.Text(1, l.Count())), strings.TrimSuffix(tc.in, "\n"); got != want {
				t.Errorf("%q: Text = %q, want %q", tc.in, got, want)
			}
		}
	}
	l := NewLines([]byte("ab\ncd\n\nef"))
	for off, want := range []int{1, 1, 1, 2, 2, 2, 3, 4, 4} {
		if got := l.LineAt(off); got != want {
			t.Errorf("LineAt(%d) = %d, want %d", off, got, want)
		}
	}
}

func TestWindowsPreferBlankLines(t *testing.T) {
	para := strings.Repeat("word word word word\n", 4) // 80 bytes
	doc := para + "\n" + para + "\n" + para
	chunks, err := New(Options{TargetChars: 170}).Chunk("d", "text", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := chunktest.Check("d", "text", []byte(doc), chunks); err != nil {
		t.Fatal(err)
	}
	// Two paragraphs fit (161 bytes) but not three; the break falls on the blank line.
	if len(chunks) != 2 || chunks[0].EndLine != 9 || chunks[1].StartLine != 11 {
		for _, c := range chunks {
			t.Logf("%d-%d", c.StartLine, c.EndLine)
		}
		t.Errorf("got %d chunks, want breaks at the blank line after paragraph two", len(chunks))
	}
}

func FuzzChunk(f *testing.F) {
	if b, err := os.ReadFile("testdata/notes.txt"); err == nil {
		f.Add(uint16(100), b)
	}
	f.Add(uint16(0), []byte(""))
	f.Add(uint16(1), []byte("\n\n a \r\n\n"))
	f.Add(uint16(5), []byte("abcdefghijklmnopqrstuvwxyz\nb\n\nc"))
	f.Fuzz(func(t *testing.T, target uint16, content []byte) {
		chunks, err := New(Options{TargetChars: int(target)}).Chunk("f", codectx.LangText, content)
		if err != nil {
			t.Fatal(err)
		}
		if err := chunktest.Check("f", codectx.LangText, content, chunks); err != nil {
			t.Fatal(err)
		}
	})
}
