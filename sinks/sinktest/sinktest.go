// Package sinktest is the contract test suite every codectx store must pass. A store's own
// tests call Run with a function that opens a fresh, empty store; the store must also
// implement codectx.Index. A store of API tokens and completion usage also passes RunUsage.
package sinktest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/codectx/codectx"
)

// Run runs the contract suite. open must return a new, empty store for each call; Run closes it.
func Run(t *testing.T, open func(t *testing.T) codectx.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s codectx.Store, x codectx.Index)
	}{
		{"PutAndGet", testPutAndGet},
		{"SkippedFile", testSkippedFile},
		{"Replace", testReplace},
		{"Delete", testDelete},
		{"Rename", testRename},
		{"IdempotentReplay", testIdempotentReplay},
		{"SourceState", testSourceState},
		{"DropSource", testDropSource},
		{"LexicalFilters", testLexicalFilters},
		{"DefinitionFilters", testDefinitionFilters},
		{"Scope", testScope},
		{"File", testFile},
		{"BM25Ordering", testBM25Ordering},
		{"LexicalLimit", testLexicalLimit},
		{"Runs", testRuns},
		{"DeadLetters", testDeadLetters},
		{"CloseTwice", testCloseTwice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			x, ok := s.(codectx.Index)
			if !ok {
				t.Fatalf("%T does not implement codectx.Index", s)
			}
			tc.fn(t, s, x)
		})
	}
}

// Tokens splits text into lower-cased identifier tokens, the way a simple lexical embedder
// would, and returns them as a sorted term vector with the token count.
func Tokens(text string) ([]codectx.Term, int) {
	counts := map[string]uint32{}
	n := 0
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
	}) {
		counts[strings.ToLower(w)]++
		n++
	}
	terms := make([]codectx.Term, 0, len(counts))
	for tok, f := range counts {
		terms = append(terms, codectx.Term{Token: tok, Freq: f})
	}
	sort.Slice(terms, func(i, j int) bool { return terms[i].Token < terms[j].Token })
	return terms, n
}

// Query turns text into query terms of weight 1.
func Query(text string) []codectx.QueryTerm {
	terms, _ := Tokens(text)
	q := make([]codectx.QueryTerm, len(terms))
	for i, t := range terms {
		q[i] = codectx.QueryTerm{Token: t.Token, Weight: 1}
	}
	return q
}

// ChunkSpec describes a chunk for NewFile.
type ChunkSpec struct {
	Body    string
	Symbols []codectx.Symbol
}

// NewFile builds a file whose chunks follow each other line by line, with ids, hashes and
// term vectors filled in as a pipeline would.
func NewFile(source, path, lang string, chunks ...ChunkSpec) codectx.File {
	f := codectx.File{Source: source, Path: path, Language: lang}
	line := 1
	var content strings.Builder
	for _, cs := range chunks {
		lines := strings.Count(cs.Body, "\n") + 1
		c := codectx.Chunk{
			Source: source, Path: path, Language: lang,
			StartLine: line, EndLine: line + lines - 1,
			Body: cs.Body, ContentHash: codectx.ContentHash([]byte(cs.Body)),
			Symbols: cs.Symbols,
		}
		c.ID = codectx.ChunkID(source, path, c.StartLine, c.EndLine, c.ContentHash)
		terms, n := Tokens(cs.Body)
		f.Chunks = append(f.Chunks, codectx.IndexedChunk{Chunk: c, Terms: terms, Length: n})
		line += lines
		content.WriteString(cs.Body)
		content.WriteString("\n")
	}
	f.Size = int64(content.Len())
	f.BlobHash = codectx.ContentHash([]byte(content.String()))
	return f
}

func def(name, kind string, line int) codectx.Symbol {
	return codectx.Symbol{Name: name, Kind: kind, StartLine: line, EndLine: line + 2}
}

func put(t *testing.T, s codectx.Store, f codectx.File) {
	t.Helper()
	if err := s.PutFile(context.Background(), f); err != nil {
		t.Fatalf("PutFile(%s/%s): %v", f.Source, f.Path, err)
	}
}

func lexical(t *testing.T, x codectx.Index, q string, f codectx.SearchFilter, k int) []codectx.Hit {
	t.Helper()
	hits, err := x.Lexical(context.Background(), Query(q), f, k)
	if err != nil {
		t.Fatalf("Lexical(%q): %v", q, err)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Fatalf("Lexical(%q): hits not sorted by score: %v", q, scores(hits))
		}
	}
	return hits
}

func definitions(t *testing.T, x codectx.Index, names []string, f codectx.SearchFilter, limit int) []codectx.Hit {
	t.Helper()
	hits, err := x.Definitions(context.Background(), names, f, limit)
	if err != nil {
		t.Fatalf("Definitions(%v): %v", names, err)
	}
	for _, h := range hits {
		if h.Symbol == nil {
			t.Fatalf("Definitions(%v): hit %s:%d without Symbol", names, h.Path, h.StartLine)
		}
		if !slices.Contains(names, h.Symbol.Name) {
			t.Fatalf("Definitions(%v): returned symbol %q", names, h.Symbol.Name)
		}
	}
	return hits
}

func scores(hits []codectx.Hit) []float64 {
	out := make([]float64, len(hits))
	for i, h := range hits {
		out[i] = h.Score
	}
	return out
}

// locs renders hits as source:path:start for comparisons.
func locs(hits []codectx.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = fmt.Sprintf("%s:%s:%d", h.Source, h.Path, h.StartLine)
	}
	return out
}

func stats(t *testing.T, x codectx.Index) codectx.IndexStats {
	t.Helper()
	st, err := x.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return st
}

func files(t *testing.T, s codectx.Store, source string) map[string]codectx.FileState {
	t.Helper()
	fs, err := s.Files(context.Background(), source)
	if err != nil {
		t.Fatalf("Files(%s): %v", source, err)
	}
	return fs
}

const (
	parseBody = "func ParseConfig(path string) (*Config, error) {\n\tdata, err := os.ReadFile(path)\n\treturn decodeToml(data)\n}"
	writeBody = "func WriteReport(w io.Writer, r Report) error {\n\treturn json.NewEncoder(w).Encode(r)\n}"
)

func testPutAndGet(t *testing.T, s codectx.Store, x codectx.Index) {
	ctx := context.Background()
	f := NewFile("repo", "cfg/config.go", codectx.LangGo,
		ChunkSpec{Body: parseBody, Symbols: []codectx.Symbol{def("ParseConfig", "function", 1)}},
		ChunkSpec{Body: writeBody, Symbols: []codectx.Symbol{def("WriteReport", "function", 5)}},
	)
	put(t, s, f)

	fs := files(t, s, "repo")
	want := map[string]codectx.FileState{"cfg/config.go": {BlobHash: f.BlobHash}}
	if !mapsEqual(fs, want) {
		t.Fatalf("Files = %v, want %v", fs, want)
	}
	if fs := files(t, s, "other"); len(fs) != 0 {
		t.Fatalf("Files(other) = %v, want none", fs)
	}

	hits := lexical(t, x, "decodeToml ReadFile", codectx.SearchFilter{}, 10)
	if len(hits) != 1 {
		t.Fatalf("Lexical found %v, want the ParseConfig chunk", locs(hits))
	}
	h := hits[0]
	c := f.Chunks[0].Chunk
	if h.ID != c.ID || h.Body != c.Body || h.Source != "repo" || h.Path != c.Path || h.Language != codectx.LangGo ||
		h.StartLine != c.StartLine || h.EndLine != c.EndLine || h.ContentHash != c.ContentHash || h.Score <= 0 {
		t.Fatalf("Lexical hit = %+v, want chunk %+v with a positive score", h, c)
	}
	if len(h.Symbols) != 1 || h.Symbols[0] != c.Symbols[0] {
		t.Fatalf("Lexical hit symbols = %v, want %v", h.Symbols, c.Symbols)
	}

	dh := definitions(t, x, []string{"WriteReport"}, codectx.SearchFilter{}, 10)
	if len(dh) != 1 || dh[0].ID != f.Chunks[1].ID || dh[0].Body != writeBody || *dh[0].Symbol != f.Chunks[1].Symbols[0] {
		t.Fatalf("Definitions(WriteReport) = %+v, want the second chunk", dh)
	}
	if dh := definitions(t, x, []string{"Missing"}, codectx.SearchFilter{}, 10); len(dh) != 0 {
		t.Fatalf("Definitions(Missing) = %v, want none", locs(dh))
	}

	st := stats(t, x)
	if st.Sources != 1 || st.Files != 1 || st.Chunks != 2 || st.Symbols != 2 || st.Bytes <= 0 {
		t.Fatalf("Stats = %+v, want 1 source, 1 file, 2 chunks, 2 symbols, some bytes", st)
	}
	srcs, err := s.Sources(ctx)
	if err != nil || !slices.Equal(srcs, []string{"repo"}) {
		t.Fatalf("Sources = %v, %v; want [repo]", srcs, err)
	}
}

func testSkippedFile(t *testing.T, s codectx.Store, x codectx.Index) {
	f := codectx.File{Source: "repo", Path: "logo.png", BlobHash: "b1", Size: 2048, Skip: codectx.SkipBinary}
	put(t, s, f)
	fs := files(t, s, "repo")
	if got := fs["logo.png"]; got != (codectx.FileState{BlobHash: "b1", Skip: codectx.SkipBinary}) {
		t.Fatalf("Files[logo.png] = %+v, want the skip recorded", got)
	}
	if st := stats(t, x); st.Files != 1 || st.Chunks != 0 {
		t.Fatalf("Stats = %+v, want 1 file, 0 chunks", st)
	}
}

func testReplace(t *testing.T, s codectx.Store, x codectx.Index) {
	put(t, s, NewFile("repo", "a.go", codectx.LangGo,
		ChunkSpec{Body: "func OldFunc() { zebra() }", Symbols: []codectx.Symbol{def("OldFunc", "function", 1)}},
		ChunkSpec{Body: "func Shared() { giraffe() }", Symbols: []codectx.Symbol{def("Shared", "function", 2)}},
	))
	v2 := NewFile("repo", "a.go", codectx.LangGo,
		ChunkSpec{Body: "func NewFunc() { okapi() }", Symbols: []codectx.Symbol{def("NewFunc", "function", 1)}},
	)
	put(t, s, v2)
	for _, q := range []string{"zebra", "giraffe"} {
		if hits := lexical(t, x, q, codectx.SearchFilter{}, 10); len(hits) != 0 {
			t.Errorf("Lexical(%s) after replace = %v, want none", q, locs(hits))
		}
	}
	if hits := definitions(t, x, []string{"OldFunc", "Shared"}, codectx.SearchFilter{}, 10); len(hits) != 0 {
		t.Errorf("Definitions of replaced symbols = %v, want none", locs(hits))
	}
	if hits := lexical(t, x, "okapi", codectx.SearchFilter{}, 10); len(hits) != 1 || hits[0].ID != v2.Chunks[0].ID {
		t.Errorf("Lexical(okapi) = %v, want the new chunk", locs(hits))
	}
	if hits := definitions(t, x, []string{"NewFunc"}, codectx.SearchFilter{}, 10); len(hits) != 1 {
		t.Errorf("Definitions(NewFunc) = %v, want one", locs(hits))
	}
	if st := stats(t, x); st.Files != 1 || st.Chunks != 1 || st.Symbols != 1 {
		t.Errorf("Stats = %+v, want 1 file, 1 chunk, 1 symbol", st)
	}
	if fs := files(t, s, "repo"); fs["a.go"].BlobHash != v2.BlobHash {
		t.Errorf("Files[a.go] = %+v, want blob %s", fs["a.go"], v2.BlobHash)
	}
}

func testDelete(t *testing.T, s codectx.Store, x codectx.Index) {
	ctx := context.Background()
	put(t, s, NewFile("repo", "a.go", codectx.LangGo, ChunkSpec{Body: "func Alpha() { walrus() }", Symbols: []codectx.Symbol{def("Alpha", "function", 1)}}))
	put(t, s, NewFile("repo", "b.go", codectx.LangGo, ChunkSpec{Body: "func Beta() { walrus() }", Symbols: []codectx.Symbol{def("Beta", "function", 1)}}))
	if err := s.DeleteFile(ctx, "repo", "a.go"); err != nil {
		t.Fatalf("DeleteFile: %v", err)
	}
	if err := s.DeleteFile(ctx, "repo", "never-there.go"); err != nil {
		t.Fatalf("DeleteFile of an unknown file: %v", err)
	}
	if err := s.DeleteFile(ctx, "nosuchsource", "a.go"); err != nil {
		t.Fatalf("DeleteFile in an unknown source: %v", err)
	}
	if hits := lexical(t, x, "walrus", codectx.SearchFilter{}, 10); !slices.Equal(locs(hits), []string{"repo:b.go:1"}) {
		t.Errorf("Lexical(walrus) = %v, want only b.go", locs(hits))
	}
	if hits := definitions(t, x, []string{"Alpha", "Beta"}, codectx.SearchFilter{}, 10); !slices.Equal(locs(hits), []string{"repo:b.go:1"}) {
		t.Errorf("Definitions = %v, want only Beta", locs(hits))
	}
	fs := files(t, s, "repo")
	if _, ok := fs["a.go"]; ok || len(fs) != 1 {
		t.Errorf("Files = %v, want only b.go", fs)
	}
	if st := stats(t, x); st.Files != 1 || st.Chunks != 1 || st.Symbols != 1 {
		t.Errorf("Stats = %+v, want 1 file, 1 chunk, 1 symbol", st)
	}
}

func testRename(t *testing.T, s codectx.Store, x codectx.Index) {
	ctx := context.Background()
	put(t, s, NewFile("repo", "old/name.go", codectx.LangGo, ChunkSpec{Body: "func Moved() { narwhal() }", Symbols: []codectx.Symbol{def("Moved", "function", 1)}}))
	nf := NewFile("repo", "new/name.go", codectx.LangGo, ChunkSpec{Body: "func Moved() { narwhal() }", Symbols: []codectx.Symbol{def("Moved", "function", 1)}})
	if err := s.RenameFile(ctx, "old/name.go", nf); err != nil {
		t.Fatalf("RenameFile: %v", err)
	}
	// A replayed rename (old path already gone) must converge to the same state.
	if err := s.RenameFile(ctx, "old/name.go", nf); err != nil {
		t.Fatalf("RenameFile replay: %v", err)
	}
	fs := files(t, s, "repo")
	if _, ok := fs["old/name.go"]; ok || fs["new/name.go"].BlobHash != nf.BlobHash || len(fs) != 1 {
		t.Fatalf("Files after rename = %v, want only new/name.go", fs)
	}
	if hits := lexical(t, x, "narwhal", codectx.SearchFilter{}, 10); !slices.Equal(locs(hits), []string{"repo:new/name.go:1"}) {
		t.Errorf("Lexical after rename = %v", locs(hits))
	}
	if hits := definitions(t, x, []string{"Moved"}, codectx.SearchFilter{}, 10); !slices.Equal(locs(hits), []string{"repo:new/name.go:1"}) {
		t.Errorf("Definitions after rename = %v", locs(hits))
	}
	if st := stats(t, x); st.Files != 1 || st.Chunks != 1 || st.Symbols != 1 {
		t.Errorf("Stats = %+v, want 1 file, 1 chunk, 1 symbol", st)
	}
}

func testIdempotentReplay(t *testing.T, s codectx.Store, x codectx.Index) {
	f := NewFile("repo", "a.py", codectx.LangPython,
		ChunkSpec{Body: "def load_table(name):\n    return pelican(name)", Symbols: []codectx.Symbol{def("load_table", "function", 1)}},
		ChunkSpec{Body: "def save_table(t):\n    pelican(t)", Symbols: []codectx.Symbol{def("save_table", "function", 3)}},
	)
	put(t, s, f)
	before := stats(t, x)
	hitsBefore := lexical(t, x, "pelican table", codectx.SearchFilter{}, 10)
	for i := 0; i < 3; i++ {
		put(t, s, f)
	}
	after := stats(t, x)
	if before != after {
		t.Fatalf("Stats after replays = %+v, want %+v", after, before)
	}
	hitsAfter := lexical(t, x, "pelican table", codectx.SearchFilter{}, 10)
	if !slices.Equal(locs(hitsAfter), locs(hitsBefore)) || len(hitsAfter) != 2 {
		t.Fatalf("Lexical after replays = %v, want %v (2 hits)", locs(hitsAfter), locs(hitsBefore))
	}
	for i := range hitsAfter {
		if !closeTo(hitsAfter[i].Score, hitsBefore[i].Score) {
			t.Fatalf("scores changed by replays: %v vs %v", scores(hitsAfter), scores(hitsBefore))
		}
	}
	if hits := definitions(t, x, []string{"load_table"}, codectx.SearchFilter{}, 10); len(hits) != 1 {
		t.Fatalf("Definitions after replays = %v, want one", locs(hits))
	}
}

func testSourceState(t *testing.T, s codectx.Store, _ codectx.Index) {
	ctx := context.Background()
	st, err := s.SourceState(ctx, "repo")
	if err != nil || st != (codectx.SourceState{}) {
		t.Fatalf("SourceState of unknown source = %+v, %v; want zero", st, err)
	}
	want := codectx.SourceState{Cursor: "c1", Pending: "c2", Ref: "refs/heads/main"}
	if err := s.SetSourceState(ctx, "repo", want); err != nil {
		t.Fatalf("SetSourceState: %v", err)
	}
	if st, err := s.SourceState(ctx, "repo"); err != nil || st != want {
		t.Fatalf("SourceState = %+v, %v; want %+v", st, err, want)
	}
	want = codectx.SourceState{Cursor: "c2", Ref: "refs/heads/main"}
	if err := s.SetSourceState(ctx, "repo", want); err != nil {
		t.Fatalf("SetSourceState: %v", err)
	}
	if st, err := s.SourceState(ctx, "repo"); err != nil || st != want {
		t.Fatalf("SourceState after update = %+v, %v; want %+v", st, err, want)
	}
	if err := s.SetSourceState(ctx, "docs", codectx.SourceState{Cursor: "h"}); err != nil {
		t.Fatalf("SetSourceState: %v", err)
	}
	put(t, s, NewFile("files-only", "x.md", codectx.LangMarkdown, ChunkSpec{Body: "# Title"}))
	srcs, err := s.Sources(ctx)
	if err != nil || !slices.Equal(srcs, []string{"docs", "files-only", "repo"}) {
		t.Fatalf("Sources = %v, %v; want [docs files-only repo]", srcs, err)
	}
}

func testDropSource(t *testing.T, s codectx.Store, x codectx.Index) {
	ctx := context.Background()
	put(t, s, NewFile("a", "x.go", codectx.LangGo, ChunkSpec{Body: "func Shared() { lemur() }", Symbols: []codectx.Symbol{def("Shared", "function", 1)}}))
	put(t, s, NewFile("a", "y.go", codectx.LangGo, ChunkSpec{Body: "func Y() { lemur() }"}))
	put(t, s, NewFile("b", "x.go", codectx.LangGo, ChunkSpec{Body: "func Shared() { lemur() }", Symbols: []codectx.Symbol{def("Shared", "function", 1)}}))
	if err := s.SetSourceState(ctx, "a", codectx.SourceState{Cursor: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DropSource(ctx, "a"); err != nil {
		t.Fatalf("DropSource: %v", err)
	}
	if err := s.DropSource(ctx, "never-there"); err != nil {
		t.Fatalf("DropSource of an unknown source: %v", err)
	}
	if fs := files(t, s, "a"); len(fs) != 0 {
		t.Errorf("Files(a) after drop = %v", fs)
	}
	if st, _ := s.SourceState(ctx, "a"); st != (codectx.SourceState{}) {
		t.Errorf("SourceState(a) after drop = %+v", st)
	}
	if hits := lexical(t, x, "lemur", codectx.SearchFilter{}, 10); !slices.Equal(locs(hits), []string{"b:x.go:1"}) {
		t.Errorf("Lexical after drop = %v, want only b", locs(hits))
	}
	if hits := definitions(t, x, []string{"Shared"}, codectx.SearchFilter{}, 10); !slices.Equal(locs(hits), []string{"b:x.go:1"}) {
		t.Errorf("Definitions after drop = %v, want only b", locs(hits))
	}
	if srcs, _ := s.Sources(ctx); !slices.Equal(srcs, []string{"b"}) {
		t.Errorf("Sources after drop = %v, want [b]", srcs)
	}
	if st := stats(t, x); st.Sources != 1 || st.Files != 1 || st.Chunks != 1 || st.Symbols != 1 {
		t.Errorf("Stats after drop = %+v", st)
	}
}

// mixedCorpus writes files of several languages and sources that all mention "quokka".
func mixedCorpus(t *testing.T, s codectx.Store) {
	for _, f := range []codectx.File{
		NewFile("app", "main.go", codectx.LangGo, ChunkSpec{Body: "func Quokka() { quokka.Run() }", Symbols: []codectx.Symbol{def("Quokka", "function", 1)}}),
		NewFile("app", "util.go", codectx.LangGo, ChunkSpec{Body: "func helper() { quokka.Help() }"}),
		NewFile("app", "script.py", codectx.LangPython, ChunkSpec{Body: "def Quokka():\n    quokka.run()", Symbols: []codectx.Symbol{def("Quokka", "function", 1)}}),
		NewFile("app", "web/a.ts", codectx.LangTypeScript, ChunkSpec{Body: "export function Quokka() { quokka.run() }", Symbols: []codectx.Symbol{def("Quokka", "function", 1)}}),
		NewFile("app", "web/b.js", codectx.LangJavaScript, ChunkSpec{Body: "function Quokka() { quokka.run() }", Symbols: []codectx.Symbol{def("Quokka", "function", 1)}}),
		NewFile("app", "README.md", codectx.LangMarkdown, ChunkSpec{Body: "# Quokka\nThe quokka guide.", Symbols: []codectx.Symbol{def("Quokka", "heading", 1)}}),
		NewFile("lib", "lib.go", codectx.LangGo, ChunkSpec{Body: "func Quokka() { quokka.Lib() }", Symbols: []codectx.Symbol{def("Quokka", "function", 1)}}),
	} {
		put(t, s, f)
	}
}

var filterCases = []struct {
	name   string
	filter codectx.SearchFilter
	want   []string
}{
	{"all", codectx.SearchFilter{}, []string{"app:README.md:1", "app:main.go:1", "app:script.py:1", "app:util.go:1", "app:web/a.ts:1", "app:web/b.js:1", "lib:lib.go:1"}},
	{"go family keeps docs", codectx.SearchFilter{Families: []string{"go"}}, []string{"app:README.md:1", "app:main.go:1", "app:util.go:1", "lib:lib.go:1"}},
	{"js family spans ts and js", codectx.SearchFilter{Families: []string{codectx.LanguageFamily(codectx.LangTypeScript)}}, []string{"app:README.md:1", "app:web/a.ts:1", "app:web/b.js:1"}},
	{"source", codectx.SearchFilter{Sources: []string{"lib"}}, []string{"lib:lib.go:1"}},
	{"two sources", codectx.SearchFilter{Sources: []string{"lib", "app"}, Families: []string{"python"}}, []string{"app:README.md:1", "app:script.py:1"}},
	{"exclude current file", codectx.SearchFilter{Families: []string{"go"}, ExcludeSource: "app", ExcludePath: "main.go"}, []string{"app:README.md:1", "app:util.go:1", "lib:lib.go:1"}},
	{"exclude only in its source", codectx.SearchFilter{ExcludeSource: "lib", ExcludePath: "main.go", Families: []string{"go"}}, []string{"app:README.md:1", "app:main.go:1", "app:util.go:1", "lib:lib.go:1"}},
	{"unknown source", codectx.SearchFilter{Sources: []string{"nope"}}, nil},
	{"exclude the path in any source", codectx.SearchFilter{ExcludePath: "main.go", Families: []string{"go"}}, []string{"app:README.md:1", "app:util.go:1", "lib:lib.go:1"}},
	{"exclude a path not indexed", codectx.SearchFilter{ExcludePath: "nope.go", Sources: []string{"lib"}}, []string{"lib:lib.go:1"}},
	{"exclude in a source not indexed", codectx.SearchFilter{ExcludeSource: "nope", ExcludePath: "lib.go", Sources: []string{"lib"}}, []string{"lib:lib.go:1"}},
	{"unknown family keeps docs", codectx.SearchFilter{Families: []string{"cobol"}}, []string{"app:README.md:1"}},
	{"one path", codectx.SearchFilter{Path: "web/a.ts"}, []string{"app:web/a.ts:1"}},
	{"a path not indexed", codectx.SearchFilter{Path: "nope.go"}, nil},
	{"one folder", codectx.SearchFilter{Dir: "web"}, []string{"app:web/a.ts:1", "app:web/b.js:1"}},
	{"the top level", codectx.SearchFilter{Dir: ".", Sources: []string{"app"}}, []string{"app:README.md:1", "app:main.go:1", "app:script.py:1", "app:util.go:1"}},
	{"a folder not indexed", codectx.SearchFilter{Dir: "nope"}, nil},
}

func testLexicalFilters(t *testing.T, s codectx.Store, x codectx.Index) {
	mixedCorpus(t, s)
	for _, tc := range filterCases {
		t.Run(tc.name, func(t *testing.T) {
			got := locs(lexical(t, x, "quokka", tc.filter, 20))
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Lexical(quokka, %+v) = %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
}

func testDefinitionFilters(t *testing.T, s codectx.Store, x codectx.Index) {
	mixedCorpus(t, s)
	for _, tc := range filterCases {
		t.Run(tc.name, func(t *testing.T) {
			hits := definitions(t, x, []string{"Quokka"}, tc.filter, 20)
			var want []string
			for _, w := range tc.want { // util.go only mentions quokka, it defines nothing
				if w != "app:util.go:1" {
					want = append(want, w)
				}
			}
			got := locs(hits)
			again := locs(definitions(t, x, []string{"Quokka"}, tc.filter, 20))
			if !slices.Equal(got, again) {
				t.Errorf("Definitions order not deterministic: %v then %v", got, again)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("Definitions(Quokka, %+v) = %v, want %v", tc.filter, got, want)
			}
		})
	}
	if hits := definitions(t, x, []string{"Quokka"}, codectx.SearchFilter{}, 2); len(hits) != 2 {
		t.Errorf("Definitions with limit 2 returned %d hits", len(hits))
	}
	// The limit is per name, and where it cuts, the directory of Near comes first.
	put(t, s, NewFile("app", "web/c.ts", codectx.LangTypeScript, ChunkSpec{Body: "export function Wombat() {}", Symbols: []codectx.Symbol{def("Wombat", "function", 1)}}))
	near := definitions(t, x, []string{"Quokka", "Wombat"}, codectx.SearchFilter{Near: "web/x.ts"}, 2)
	if got := strings.Join(locs(near), " "); got != "app:web/a.ts:1 app:web/b.js:1 app:web/c.ts:1" {
		t.Errorf("Definitions near web/ with limit 2 per name = %s", got)
	}
	if hits := definitions(t, x, []string{"Quokka", "Quokka"}, codectx.SearchFilter{}, 100); len(hits) != 6 {
		t.Errorf("Definitions with a repeated name returned %d hits, want 6", len(hits))
	}
	hits := definitions(t, x, []string{"Quokka"}, codectx.SearchFilter{Sources: []string{"lib"}}, 10)
	if len(hits) != 1 || hits[0].Body != "func Quokka() { quokka.Lib() }" || hits[0].Symbol.Kind != "function" {
		t.Errorf("Definitions hit = %+v, want lib.go's chunk with its body", hits)
	}
}

func testScope(t *testing.T, s codectx.Store, x codectx.Index) {
	put(t, s, NewFile("repo", "pkg/a.go", codectx.LangGo, ChunkSpec{Body: "func Alpha() {}\n\nfunc parseConfig(path string) {}", Symbols: []codectx.Symbol{def("Alpha", "function", 1), def("parseConfig", "function", 3)}}))
	put(t, s, NewFile("repo", "pkg/b.go", codectx.LangGo, ChunkSpec{Body: "type Gamma struct{}", Symbols: []codectx.Symbol{def("Gamma", "type", 1)}}))
	put(t, s, NewFile("repo", "pkg/sub/c.go", codectx.LangGo, ChunkSpec{Body: "func Delta() {}", Symbols: []codectx.Symbol{def("Delta", "function", 1)}}))
	put(t, s, NewFile("other", "pkg/d.go", codectx.LangGo, ChunkSpec{Body: "func Epsilon() {}", Symbols: []codectx.Symbol{def("Epsilon", "function", 1)}}))
	scope := func(dir string, clues codectx.ScopeClues, f codectx.SearchFilter, limit int) string {
		t.Helper()
		hits, err := x.Scope(context.Background(), dir, clues, f, limit)
		if err != nil {
			t.Fatalf("Scope(%s): %v", dir, err)
		}
		var out []string
		for _, h := range hits {
			if h.Symbol == nil || h.StartLine != h.EndLine || h.StartLine != h.Symbol.StartLine {
				t.Fatalf("Scope(%s): hit %s:%d-%d is not the header of its symbol %+v", dir, h.Path, h.StartLine, h.EndLine, h.Symbol)
			}
			out = append(out, h.Source+":"+h.Path+":"+h.Symbol.Name)
		}
		return strings.Join(out, " ")
	}
	none := codectx.ScopeClues{}
	// Without clues: every definition of the folder (not of its subfolders), by source, path
	// and line.
	if got, want := scope("pkg", none, codectx.SearchFilter{}, 10), "other:pkg/d.go:Epsilon repo:pkg/a.go:Alpha repo:pkg/a.go:parseConfig repo:pkg/b.go:Gamma"; got != want {
		t.Errorf("Scope(pkg) = %s, want %s", got, want)
	}
	// Clues rank: a name in the suffix, words of the lines around the cursor.
	if got := scope("pkg", codectx.ScopeClues{Suffix: []string{"Gamma"}}, codectx.SearchFilter{}, 1); got != "repo:pkg/b.go:Gamma" {
		t.Errorf("Scope with Gamma in the suffix = %s", got)
	}
	if got := scope("pkg", codectx.ScopeClues{Near: []string{"parse", "config"}, Around: []string{"config"}}, codectx.SearchFilter{}, 1); got != "repo:pkg/a.go:parseConfig" {
		t.Errorf("Scope near \"parse config\" = %s", got)
	}
	// Skip, filters and the limit.
	if got, want := scope("pkg", codectx.ScopeClues{Skip: []string{"Alpha"}}, codectx.SearchFilter{Sources: []string{"repo"}, ExcludeSource: "repo", ExcludePath: "pkg/b.go"}, 10), "repo:pkg/a.go:parseConfig"; got != want {
		t.Errorf("Scope(pkg) skipping Alpha and b.go = %s, want %s", got, want)
	}
	if got := scope("pkg", none, codectx.SearchFilter{}, 2); strings.Count(got, " ")+1 != 2 {
		t.Errorf("Scope with limit 2 = %s", got)
	}
	// One file (Path), and only some names (Only, as an import names them).
	if got, want := scope("pkg", none, codectx.SearchFilter{Path: "pkg/a.go"}, 10), "repo:pkg/a.go:Alpha repo:pkg/a.go:parseConfig"; got != want {
		t.Errorf("Scope(pkg) of pkg/a.go = %s, want %s", got, want)
	}
	if got, want := scope("pkg", codectx.ScopeClues{Only: []string{"parseConfig", "Gamma", "Unknown"}}, codectx.SearchFilter{}, 10), "repo:pkg/a.go:parseConfig repo:pkg/b.go:Gamma"; got != want {
		t.Errorf("Scope(pkg) of parseConfig and Gamma = %s, want %s", got, want)
	}
	if got, want := scope("pkg", codectx.ScopeClues{Only: []string{"parseConfig", "Gamma"}, Skip: []string{"Gamma"}}, codectx.SearchFilter{Path: "pkg/a.go"}, 10), "repo:pkg/a.go:parseConfig"; got != want {
		t.Errorf("Scope(pkg) of parseConfig and Gamma in pkg/a.go, skipping Gamma = %s, want %s", got, want)
	}
	if got := scope("pkg", codectx.ScopeClues{Only: []string{"path"}}, codectx.SearchFilter{}, 10); got != "" {
		t.Errorf("Scope(pkg) of path, which only parseConfig's header mentions = %s, want nothing", got)
	}
	if got := scope("pkg", codectx.ScopeClues{Only: []string{"Unknown"}}, codectx.SearchFilter{}, 10); got != "" {
		t.Errorf("Scope(pkg) of an unknown name = %s", got)
	}
	if err := s.DeleteFile(context.Background(), "repo", "pkg/b.go"); err != nil {
		t.Fatal(err)
	}
	if got, want := scope("pkg", none, codectx.SearchFilter{Sources: []string{"repo"}}, 10), "repo:pkg/a.go:Alpha repo:pkg/a.go:parseConfig"; got != want {
		t.Errorf("Scope(pkg) after deleting b.go = %s, want %s", got, want)
	}
	if got := scope("nowhere", none, codectx.SearchFilter{}, 10); got != "" {
		t.Errorf("Scope(nowhere) = %s", got)
	}
}

func testFile(t *testing.T, s codectx.Store, x codectx.Index) {
	ctx := context.Background()
	f := NewFile("repo", "pkg/a.go", codectx.LangGo,
		ChunkSpec{Body: "func Alpha() {}", Symbols: []codectx.Symbol{def("Alpha", "function", 1)}},
		ChunkSpec{Body: "func Beta() {}", Symbols: []codectx.Symbol{def("Beta", "function", 3)}})
	put(t, s, f)
	put(t, s, NewFile("other", "pkg/a.go", codectx.LangGo, ChunkSpec{Body: "func Other() {}"}))
	file := func(source, path string) string {
		t.Helper()
		chunks, err := x.File(ctx, source, path)
		if err != nil {
			t.Fatalf("File(%s, %s): %v", source, path, err)
		}
		var out []string
		for _, c := range chunks {
			if c.Source != source || c.Path != path {
				t.Fatalf("File(%s, %s) returned a chunk of %s:%s", source, path, c.Source, c.Path)
			}
			out = append(out, fmt.Sprintf("%d-%d %s", c.StartLine, c.EndLine, c.Body))
		}
		return strings.Join(out, "|")
	}
	want := fmt.Sprintf("%d-%d func Alpha() {}|%d-%d func Beta() {}", f.Chunks[0].StartLine, f.Chunks[0].EndLine, f.Chunks[1].StartLine, f.Chunks[1].EndLine)
	if got := file("repo", "pkg/a.go"); got != want {
		t.Errorf("File(repo, pkg/a.go) = %q, want %q", got, want)
	}
	if got := file("repo", "pkg/none.go"); got != "" {
		t.Errorf("File of an unknown path = %q", got)
	}
	if err := s.DeleteFile(ctx, "repo", "pkg/a.go"); err != nil {
		t.Fatal(err)
	}
	if got := file("repo", "pkg/a.go"); got != "" {
		t.Errorf("File after delete = %q", got)
	}
	if got := file("other", "pkg/a.go"); !strings.Contains(got, "Other") {
		t.Errorf("File(other, pkg/a.go) = %q", got)
	}
}

func testBM25Ordering(t *testing.T, s codectx.Store, x codectx.Index) {
	// "value" and "return" are in every chunk; "checksum" is in one.
	common := "func f%d() value {\n\treturn value + value\n}"
	for i := 0; i < 12; i++ {
		put(t, s, NewFile("repo", fmt.Sprintf("common%02d.go", i), codectx.LangGo, ChunkSpec{Body: fmt.Sprintf(common, i)}))
	}
	put(t, s, NewFile("repo", "unrelated.go", codectx.LangGo, ChunkSpec{Body: "func unrelated() {\n\tsleep()\n}"}))
	put(t, s, NewFile("repo", "rare.go", codectx.LangGo, ChunkSpec{Body: "func rare() value {\n\treturn checksum(value)\n}"}))
	hits := lexical(t, x, "return value checksum", codectx.SearchFilter{}, 20)
	if len(hits) != 13 || hits[0].Path != "rare.go" {
		t.Fatalf("Lexical(return value checksum) = %v, want rare.go first and 12 others", locs(hits))
	}
	if hits[0].Score <= hits[1].Score {
		t.Fatalf("scores %v: the rare term must outweigh the common ones", scores(hits))
	}
	for _, h := range hits {
		if h.Path == "unrelated.go" {
			t.Fatalf("Lexical returned unrelated.go, which has none of the query terms")
		}
	}
	// A query term's weight scales its contribution.
	q := []codectx.QueryTerm{{Token: "checksum", Weight: 1}, {Token: "value", Weight: 1}}
	h1, err := x.Lexical(context.Background(), q, codectx.SearchFilter{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	q[0].Weight = 2
	h2, err := x.Lexical(context.Background(), q, codectx.SearchFilter{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(h1) != 1 || len(h2) != 1 || h2[0].Score <= h1[0].Score {
		t.Fatalf("doubling the weight of checksum: scores %v then %v, want an increase", scores(h1), scores(h2))
	}
}

func testLexicalLimit(t *testing.T, s codectx.Store, x codectx.Index) {
	for i := 0; i < 30; i++ {
		body := fmt.Sprintf("func f%d() {\n%s}", i, strings.Repeat("\tcapybara()\n", i+1))
		put(t, s, NewFile("repo", fmt.Sprintf("f%02d.go", i), codectx.LangGo, ChunkSpec{Body: body}))
	}
	hits := lexical(t, x, "capybara", codectx.SearchFilter{}, 7)
	if len(hits) != 7 {
		t.Fatalf("Lexical with k=7 returned %d hits", len(hits))
	}
	// More occurrences in a similar-length chunk score higher: the top hit is the longest one.
	if hits[0].Path != "f29.go" {
		t.Errorf("top hit = %s, want f29.go", hits[0].Path)
	}
	again := lexical(t, x, "capybara", codectx.SearchFilter{}, 7)
	if !slices.Equal(locs(hits), locs(again)) {
		t.Errorf("Lexical not deterministic: %v then %v", locs(hits), locs(again))
	}
	if hits := lexical(t, x, "", codectx.SearchFilter{}, 7); len(hits) != 0 {
		t.Errorf("empty query returned %v", locs(hits))
	}
	if hits := lexical(t, x, "unknownterm", codectx.SearchFilter{}, 7); len(hits) != 0 {
		t.Errorf("query of an unknown term returned %v", locs(hits))
	}
	if hits := lexical(t, x, "capybara", codectx.SearchFilter{}, 0); len(hits) != 0 {
		t.Errorf("k=0 returned %v", locs(hits))
	}
}

func testRuns(t *testing.T, s codectx.Store, _ codectx.Index) {
	ctx := context.Background()
	for i, r := range []codectx.Run{
		{ID: "r1", Source: "repo", Reason: "startup", To: "c1", StartedAt: 1000, FinishedAt: 1500, Upserts: 10, Chunks: 40, Bytes: 4096},
		{ID: "r2", Source: "repo", Reason: "cron", From: "c1", To: "c2", StartedAt: 2000, Skipped: map[string]int{codectx.SkipBinary: 2}},
		{ID: "r3", Source: "docs", Reason: "webhook", StartedAt: 3000, Error: "boom", Failed: 1},
	} {
		if err := s.PutRun(ctx, r); err != nil {
			t.Fatalf("PutRun %d: %v", i, err)
		}
	}
	// Finishing r2 rewrites it.
	r2 := codectx.Run{ID: "r2", Source: "repo", Reason: "cron", From: "c1", To: "c2", StartedAt: 2000, FinishedAt: 2600,
		Upserts: 3, Deletes: 1, Chunks: 7, Skipped: map[string]int{codectx.SkipBinary: 2, codectx.SkipTooLarge: 1}}
	if err := s.PutRun(ctx, r2); err != nil {
		t.Fatalf("PutRun r2 again: %v", err)
	}
	runs, err := s.Runs(ctx, "repo", 10)
	if err != nil {
		t.Fatalf("Runs: %v", err)
	}
	if len(runs) != 2 || runs[0].ID != "r2" || runs[1].ID != "r1" {
		t.Fatalf("Runs(repo) = %+v, want r2 then r1", runs)
	}
	if runs[0].FinishedAt != 2600 || runs[0].Deletes != 1 || runs[0].Skipped[codectx.SkipTooLarge] != 1 || runs[0].Skipped[codectx.SkipBinary] != 2 {
		t.Fatalf("Runs(repo)[0] = %+v, want the rewritten r2", runs[0])
	}
	if runs[1].Bytes != 4096 || runs[1].Upserts != 10 {
		t.Fatalf("Runs(repo)[1] = %+v, want r1's fields", runs[1])
	}
	if runs, _ := s.Runs(ctx, "repo", 1); len(runs) != 1 || runs[0].ID != "r2" {
		t.Fatalf("Runs(repo, 1) = %+v, want r2", runs)
	}
	if runs, _ := s.Runs(ctx, "nosuch", 10); len(runs) != 0 {
		t.Fatalf("Runs(nosuch) = %+v, want none", runs)
	}
	if runs, _ := s.Runs(ctx, "docs", 10); len(runs) != 1 || runs[0].Error != "boom" || runs[0].Failed != 1 {
		t.Fatalf("Runs(docs) = %+v", runs)
	}
}

func testDeadLetters(t *testing.T, s codectx.Store, _ codectx.Index) {
	ctx := context.Background()
	for _, d := range []codectx.DeadLetter{
		{ID: "d1", Topic: "changes", Payload: `{"path":"a.go"}`, Error: "permanent: bad utf-8", At: 100},
		{ID: "d2", Topic: "sync", Payload: `{"source":"x"}`, Error: "unknown source", At: 300},
		{ID: "d3", Topic: "changes", Payload: `{}`, Error: "e", At: 200},
		{ID: "d1", Topic: "changes", Payload: `{"path":"a.go"}`, Error: "permanent: bad utf-8", At: 100}, // replay
	} {
		if err := s.PutDeadLetter(ctx, d); err != nil {
			t.Fatalf("PutDeadLetter %s: %v", d.ID, err)
		}
	}
	got, err := s.DeadLetters(ctx, 10)
	if err != nil {
		t.Fatalf("DeadLetters: %v", err)
	}
	var ids []string
	for _, d := range got {
		ids = append(ids, d.ID)
	}
	if !slices.Equal(ids, []string{"d2", "d3", "d1"}) {
		t.Fatalf("DeadLetters = %v, want newest first [d2 d3 d1] without duplicates", ids)
	}
	if got[2] != (codectx.DeadLetter{ID: "d1", Topic: "changes", Payload: `{"path":"a.go"}`, Error: "permanent: bad utf-8", At: 100}) {
		t.Fatalf("DeadLetters[2] = %+v", got[2])
	}
	if got, _ := s.DeadLetters(ctx, 2); len(got) != 2 {
		t.Fatalf("DeadLetters(2) returned %d", len(got))
	}
}

func testCloseTwice(t *testing.T, s codectx.Store, _ codectx.Index) {
	put(t, s, NewFile("repo", "a.go", codectx.LangGo, ChunkSpec{Body: "x"}))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.PutFile(context.Background(), NewFile("repo", "b.go", codectx.LangGo)); err == nil {
		t.Fatalf("PutFile after Close succeeded")
	}
}

func mapsEqual(a, b map[string]codectx.FileState) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func closeTo(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-6*(1+max(a, b))
}
