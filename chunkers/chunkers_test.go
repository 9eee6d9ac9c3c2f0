package chunkers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers/internal/chunktest"
)

// TestDispatch writes one file per kind into a directory and checks that each goes to the
// right chunker, judged by the symbols only that chunker records.
func TestDispatch(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"main.go":   "package main\n\n// Run runs.\nfunc Run() {}\n",
		"README.md": "# Title\n\nSome text.\n",
		"notes.txt": "func NotCode() {}\n",
		"app.py":    "def handler(event):\n    return event\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := New(Options{})
	for _, tc := range []struct {
		file, language string
		wantSymbol     string // "" for none
	}{
		{"main.go", "", "Run"},
		{"main.go", "golang", "Run"},
		{"README.md", "", "Title"},
		{"notes.txt", "", ""},
		{"app.py", "python", "handler"},
		{"app.py", "text", ""},
	} {
		content, err := os.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		chunks, err := c.Chunk(tc.file, tc.language, content)
		if err != nil {
			t.Fatalf("%s (%q): %v", tc.file, tc.language, err)
		}
		lang := codectx.NormalizeLanguage(tc.language)
		if lang == "" {
			lang = codectx.LanguageForPath(tc.file)
		}
		if err := chunktest.Check(tc.file, lang, content, chunks); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
		var got string
		for _, ch := range chunks {
			for _, s := range ch.Symbols {
				got = s.Name
			}
		}
		if got != tc.wantSymbol {
			t.Errorf("%s as %q: symbol %q, want %q", tc.file, tc.language, got, tc.wantSymbol)
		}
	}
}
