package embedded

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/codectx/codectx"
)

// Many files of one folder replaced and deleted: the folder's scope is compacted and still
// answers exactly with what is left.
func TestScopeSurvivesChurn(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	file := func(i, version int) codectx.File {
		name := fmt.Sprintf("Func%d", i)
		body := fmt.Sprintf("func %s(v%d int) {}", name, version)
		c := codectx.Chunk{Source: "s", Path: fmt.Sprintf("pkg/f%02d.go", i), Language: "go", StartLine: 1, EndLine: 1, Body: body,
			ContentHash: codectx.ContentHash([]byte(body)), Symbols: []codectx.Symbol{{Name: name, Kind: "function", StartLine: 1, EndLine: 1}}}
		c.ID = codectx.ChunkID(c.Source, c.Path, 1, 1, c.ContentHash)
		return codectx.File{Source: "s", Path: c.Path, Language: "go", BlobHash: c.ContentHash, Chunks: []codectx.IndexedChunk{{Chunk: c}}}
	}
	for v := 0; v < 3; v++ {
		for i := 0; i < 40; i++ {
			if err := st.PutFile(ctx, file(i, v)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 5; i < 40; i++ {
		if err := st.DeleteFile(ctx, "s", fmt.Sprintf("pkg/f%02d.go", i)); err != nil {
			t.Fatal(err)
		}
	}
	hits, err := st.Scope(ctx, "pkg", codectx.ScopeClues{}, codectx.SearchFilter{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hits {
		got = append(got, h.Body)
	}
	want := []string{"func Func0(v2 int) {}", "func Func1(v2 int) {}", "func Func2(v2 int) {}", "func Func3(v2 int) {}", "func Func4(v2 int) {}"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Scope after churn = %q, want %q", got, want)
	}
	if ds := st.idx.scopes["pkg"]; len(ds.defs) > 2*ds.live+16 {
		t.Fatalf("the folder was not compacted: %d slots for %d definitions", len(ds.defs), ds.live)
	}
	// A type clue lifts the methods of that type, and only for names defined as types.
	put := func(path, body string, syms ...codectx.Symbol) {
		c := codectx.Chunk{Source: "s", Path: path, Language: "go", StartLine: 1, EndLine: 3, Body: body,
			ContentHash: codectx.ContentHash([]byte(body)), Symbols: syms}
		c.ID = codectx.ChunkID(c.Source, c.Path, 1, 3, c.ContentHash)
		if err := st.PutFile(ctx, codectx.File{Source: "s", Path: path, Language: "go", BlobHash: c.ContentHash, Chunks: []codectx.IndexedChunk{{Chunk: c}}}); err != nil {
			t.Fatal(err)
		}
	}
	put("pkg/conf.go", "type Conf struct{}\n\nfunc (c Conf) Check(key string) error", codectx.Symbol{Name: "Conf", Kind: "type", StartLine: 1, EndLine: 1}, codectx.Symbol{Name: "Check", Kind: "method", StartLine: 3, EndLine: 3})
	put("pkg/other.go", "func other(key string) {}", codectx.Symbol{Name: "other", Kind: "function", StartLine: 1, EndLine: 1})
	scoreOf := func(name string, types ...string) float64 {
		hits, err := st.Scope(ctx, "pkg", codectx.ScopeClues{Types: types, Skip: []string{"Conf"}}, codectx.SearchFilter{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.Symbol.Name == name {
				return h.Score
			}
		}
		t.Fatalf("%s not in the scope", name)
		return 0
	}
	plain := scoreOf("Check")
	if got := scoreOf("Check", "Conf"); got <= plain {
		t.Errorf("the type clue Conf left Check at %.3f (%.3f without)", got, plain)
	}
	if got := scoreOf("Check", "key"); got != plain {
		t.Errorf("a parameter name (key) counted as a type clue: Check %.3f, %.3f without", got, plain)
	}
	// Once Conf is no longer defined as a type, it is no longer a type clue.
	put("pkg/conf.go", "func Conf() {}\n\nfunc (c Conf) Check(key string) error", codectx.Symbol{Name: "Conf", Kind: "function", StartLine: 1, EndLine: 1}, codectx.Symbol{Name: "Check", Kind: "method", StartLine: 3, EndLine: 3})
	plain = scoreOf("Check")
	if got := scoreOf("Check", "Conf"); got != plain {
		t.Errorf("Conf, now a function, still counts as a type clue: Check %.3f, %.3f without", got, plain)
	}
}

// How many other files mention a definition's name counts once per state of the index: a
// query after a change counts again (dirScope.files).
func TestScopePopularityFollowsChanges(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// put stores a file whose lexical terms are the lower-cased words of its body.
	put := func(path, body string, syms ...codectx.Symbol) {
		t.Helper()
		c := codectx.Chunk{Source: "s", Path: path, Language: "go", StartLine: 1, EndLine: 2, Body: body,
			ContentHash: codectx.ContentHash([]byte(body)), Symbols: syms}
		c.ID = codectx.ChunkID(c.Source, c.Path, 1, 2, c.ContentHash)
		var terms []codectx.Term
		for _, w := range codectx.Words(body) {
			terms = append(terms, codectx.Term{Token: w, Freq: 1})
		}
		slices.SortFunc(terms, func(a, b codectx.Term) int { return strings.Compare(a.Token, b.Token) })
		ic := codectx.IndexedChunk{Chunk: c, Terms: terms, Length: len(terms)}
		if err := st.PutFile(ctx, codectx.File{Source: "s", Path: path, Language: "go", BlobHash: c.ContentHash, Chunks: []codectx.IndexedChunk{ic}}); err != nil {
			t.Fatal(err)
		}
	}
	put("pkg/a.go", "func Alpha() {}\nfunc Omega() {}",
		codectx.Symbol{Name: "Alpha", Kind: "function", StartLine: 1, EndLine: 1},
		codectx.Symbol{Name: "Omega", Kind: "function", StartLine: 2, EndLine: 2})
	first := func() string {
		t.Helper()
		hits, err := st.Scope(ctx, "pkg", codectx.ScopeClues{}, codectx.SearchFilter{}, 2)
		if err != nil || len(hits) != 2 {
			t.Fatalf("Scope = %v, %v; want 2 hits", hits, err)
		}
		return hits[0].Symbol.Name
	}
	if got := first(); got != "Alpha" {
		t.Fatalf("with no other file mentioning either, %s ranks first, want Alpha (the first line)", got)
	}
	for i := 0; i < 3; i++ {
		put(fmt.Sprintf("cmd/u%d.go", i), "func use() {\n\tOmega()\n}")
	}
	if got := first(); got != "Omega" {
		t.Fatalf("after 3 other files came to call Omega, %s ranks first, want Omega", got)
	}
	for i := 0; i < 3; i++ {
		if err := st.DeleteFile(ctx, "s", fmt.Sprintf("cmd/u%d.go", i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := first(); got != "Alpha" {
		t.Fatalf("after those files were deleted, %s ranks first, want Alpha again", got)
	}
}
