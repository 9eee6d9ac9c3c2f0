package serve

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/sinks/embedded"
)

// An editor sends the last lines before the cursor; the indexed copy of the file tells what
// the lines above them use.
func TestAboveTheWindow(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lines := []string{
		"package pkg",
		"",
		"import \"strings\"",
		"",
		"// See onlyInComment.",
		"func first() {",
		"\tusedAbove(strings.ToUpper(\"x\"))",
		"}",
		"",
		"func second() {",
		"\tvalue := makeValue()",
		"\tlater(value)",
		"",
	}
	body := strings.Join(lines, "\n")
	c := codectx.Chunk{Source: "s", Path: "pkg/a.go", Language: "go", StartLine: 1, EndLine: len(lines), Body: body, ContentHash: codectx.ContentHash([]byte(body))}
	c.ID = codectx.ChunkID(c.Source, c.Path, 1, len(lines), c.ContentHash)
	if err := st.PutFile(ctx, codectx.File{Source: "s", Path: c.Path, Language: "go", BlobHash: c.ContentHash, Chunks: []codectx.IndexedChunk{{Chunk: c}}}); err != nil {
		t.Fatal(err)
	}
	r := &Retriever{Index: st, Sources: func() []string { return []string{"s"} }}
	window := strings.Join(lines[9:], "\n") // from "func second() {" to the cursor
	got := r.above(ctx, ContextRequest{Filepath: "pkg/a.go", Prefix: window}, nil)
	if want := strings.Index(body, "func second"); got.at != want {
		t.Fatalf("the window begins at %d, want %d", got.at, want)
	}
	var uses []string
	for name := range got.uses {
		uses = append(uses, name)
	}
	for _, name := range []string{"usedAbove", "first", "ToUpper"} {
		if !slices.Contains(uses, name) {
			t.Errorf("uses above the window = %v, want %s among them", uses, name)
		}
	}
	for _, name := range []string{"onlyInComment", "makeValue", "later"} {
		if slices.Contains(uses, name) {
			t.Errorf("uses above the window = %v: %s is not used there", uses, name)
		}
	}
	// The whole file, a window the index does not hold, no path: nothing above.
	for _, req := range []ContextRequest{
		{Filepath: "pkg/a.go", Prefix: body},
		{Filepath: "pkg/a.go", Prefix: "func changed() {\n\tsomething := else()\n\treturn\n"},
		{Prefix: window},
	} {
		if got := r.above(ctx, req, nil); got.at != 0 {
			t.Errorf("above(%.20q) begins at %d, want 0", req.Prefix, got.at)
		}
	}
}
