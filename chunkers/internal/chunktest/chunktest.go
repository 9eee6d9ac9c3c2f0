// Package chunktest holds the checks every chunker's output must pass and the golden-file
// helpers the chunker tests share.
package chunktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codectx/codectx"
)

// Check returns the first way chunks break the chunker contract for content: chunks in order
// and not overlapping, starting and ending on non-blank lines, covering every non-blank line,
// bodies equal to the lines they claim, hashes matching bodies, symbols inside their chunk.
func Check(path, language string, content []byte, chunks []codectx.Chunk) error {
	lines := strings.Split(string(content), "\n")
	if len(content) > 0 && content[len(content)-1] == '\n' {
		lines = lines[:len(lines)-1]
	}
	if len(content) == 0 {
		lines = nil
	}
	blank := func(n int) bool { return strings.TrimSpace(lines[n-1]) == "" }
	covered := make([]bool, len(lines)+1)
	prevEnd := 0
	for i, c := range chunks {
		if c.StartLine < 1 || c.EndLine < c.StartLine || c.EndLine > len(lines) {
			return fmt.Errorf("chunk %d: bad span %d-%d of %d lines", i, c.StartLine, c.EndLine, len(lines))
		}
		if c.StartLine <= prevEnd {
			return fmt.Errorf("chunk %d (%d-%d) overlaps or precedes the one before (ending %d)", i, c.StartLine, c.EndLine, prevEnd)
		}
		prevEnd = c.EndLine
		if blank(c.StartLine) || blank(c.EndLine) {
			return fmt.Errorf("chunk %d (%d-%d) starts or ends on a blank line", i, c.StartLine, c.EndLine)
		}
		if want := strings.Join(lines[c.StartLine-1:c.EndLine], "\n"); c.Body != want {
			return fmt.Errorf("chunk %d (%d-%d): body differs from the file's lines", i, c.StartLine, c.EndLine)
		}
		if c.ContentHash != codectx.ContentHash([]byte(c.Body)) {
			return fmt.Errorf("chunk %d: content hash does not match body", i)
		}
		if c.Path != path || c.Language != language || c.ID != "" || c.Source != "" {
			return fmt.Errorf("chunk %d: path/language/id/source = %q/%q/%q/%q", i, c.Path, c.Language, c.ID, c.Source)
		}
		for _, s := range c.Symbols {
			if s.StartLine < c.StartLine || s.StartLine > c.EndLine || s.EndLine < s.StartLine || s.Name == "" || s.Kind == "" {
				return fmt.Errorf("chunk %d (%d-%d): bad symbol %+v", i, c.StartLine, c.EndLine, s)
			}
		}
		for n := c.StartLine; n <= c.EndLine; n++ {
			covered[n] = true
		}
	}
	for n := 1; n <= len(lines); n++ {
		if !covered[n] && !blank(n) {
			return fmt.Errorf("non-blank line %d is in no chunk", n)
		}
	}
	return nil
}

// Golden is the recorded form of a chunk in golden files.
type Golden struct {
	StartLine int              `json:"start_line"`
	EndLine   int              `json:"end_line"`
	Chars     int              `json:"chars"`
	Head      string           `json:"head"` // first line, for reading diffs
	Hash      string           `json:"hash"`
	Symbols   []codectx.Symbol `json:"symbols,omitempty"`
}

// CompareGolden compares chunks with the golden file at path, or rewrites it when update is set.
func CompareGolden(t *testing.T, path string, chunks []codectx.Chunk, update bool) {
	t.Helper()
	gs := make([]Golden, len(chunks))
	for i, c := range chunks {
		head, _, _ := strings.Cut(c.Body, "\n")
		if len(head) > 80 {
			head = head[:80]
		}
		gs[i] = Golden{StartLine: c.StartLine, EndLine: c.EndLine, Chars: len(c.Body), Head: head, Hash: c.ContentHash, Symbols: c.Symbols}
	}
	got, err := json.MarshalIndent(gs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("chunks differ from %s (run with -update to accept):\n%s", path, diff(string(want), string(got)))
	}
}

// diff shows the first differing lines of two texts.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, a, b)
		}
	}
	return ""
}
