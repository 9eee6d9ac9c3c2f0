package embedded

import (
	"context"
	"fmt"
	"math"
	"math/rand"
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

// Definitions within a folder (SearchFilter.Dir) are read from the folder's scope once a query
// built it (scopeVocab): they follow files added and removed, and a heading of the same name,
// which the scope leaves out, is still found.
func TestDefinitionsInDirFollowChanges(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	put := func(path, lang, body string, syms ...codectx.Symbol) {
		t.Helper()
		c := codectx.Chunk{Source: "s", Path: path, Language: lang, StartLine: 1, EndLine: 3, Body: body,
			ContentHash: codectx.ContentHash([]byte(body)), Symbols: syms}
		c.ID = codectx.ChunkID(c.Source, c.Path, 1, 3, c.ContentHash)
		if err := st.PutFile(ctx, codectx.File{Source: "s", Path: path, Language: lang, BlobHash: c.ContentHash, Chunks: []codectx.IndexedChunk{{Chunk: c}}}); err != nil {
			t.Fatal(err)
		}
	}
	fn := func(name string, line int) codectx.Symbol {
		return codectx.Symbol{Name: name, Kind: "function", StartLine: line, EndLine: line}
	}
	// got lists where Parse is defined in pkg, after a scope query (which builds the cache).
	got := func() string {
		t.Helper()
		if _, err := st.Scope(ctx, "pkg", codectx.ScopeClues{Used: []string{"Parse"}}, codectx.SearchFilter{}, 10); err != nil {
			t.Fatal(err)
		}
		hits, err := st.Definitions(ctx, []string{"Missing", "Parse", "Other", "Parse"}, codectx.SearchFilter{Dir: "pkg"}, 4)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, fmt.Sprintf("%s:%d %s", h.Path, h.Symbol.StartLine, h.Symbol.Name))
		}
		return strings.Join(out, ", ")
	}
	put("pkg/b.go", "go", "func Parse() {}\nfunc Other() {}\nfunc Parse() {}", fn("Parse", 1), fn("Other", 2), fn("Parse", 3))
	put("other/c.go", "go", "func Parse() {}", fn("Parse", 1))
	if g, want := got(), "pkg/b.go:1 Parse, pkg/b.go:3 Parse, pkg/b.go:2 Other"; g != want {
		t.Fatalf("Definitions = %q, want %q", g, want)
	}
	put("pkg/a.go", "go", "// Parse parses.\nfunc Parse(s string) {}", fn("Parse", 2))
	if g, want := got(), "pkg/a.go:2 Parse, pkg/b.go:1 Parse, pkg/b.go:3 Parse, pkg/b.go:2 Other"; g != want {
		t.Fatalf("after a.go came, Definitions = %q, want %q", g, want)
	}
	put("pkg/README.md", "markdown", "# Parse\n\nHow to parse.", codectx.Symbol{Name: "Parse", Kind: "heading", StartLine: 1, EndLine: 3})
	if g, want := got(), "pkg/README.md:1 Parse, pkg/a.go:2 Parse, pkg/b.go:1 Parse, pkg/b.go:3 Parse, pkg/b.go:2 Other"; g != want {
		t.Fatalf("with a heading Parse, Definitions = %q, want %q", g, want)
	}
	for _, p := range []string{"pkg/README.md", "pkg/b.go"} {
		if err := st.DeleteFile(ctx, "s", p); err != nil {
			t.Fatal(err)
		}
	}
	if g, want := got(), "pkg/a.go:2 Parse"; g != want {
		t.Fatalf("after README.md and b.go went, Definitions = %q, want %q", g, want)
	}
	if len(st.idx.headings) != 0 {
		t.Fatalf("headings left counted: %v", st.idx.headings)
	}
	if err := st.DeleteFile(ctx, "s", "pkg/a.go"); err != nil {
		t.Fatal(err)
	}
	if g := got(); g != "" {
		t.Fatalf("with pkg empty, Definitions = %q, want none", g)
	}
}

// Through random churn, a folder's scope lists the definitions of each name exactly as
// symbolsIn does, when the folder has no headings: memIndex.definitions reads either.
func TestScopeNamedMatchesSymbolsIn(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.idx.renumberMin = 16 // docs are renumbered along the way too
	rng := rand.New(rand.NewSource(1))
	names := []string{"Parse", "Format", "New", "String", "parse"}
	for step := 0; step < 400; step++ {
		path := fmt.Sprintf("d%d/f%d.go", rng.Intn(3), rng.Intn(8))
		if rng.Intn(4) == 0 {
			if err := st.DeleteFile(ctx, "s", path); err != nil {
				t.Fatal(err)
			}
		} else {
			var syms []codectx.Symbol
			var body strings.Builder
			for i := range rng.Intn(5) {
				name := names[rng.Intn(len(names))]
				fmt.Fprintf(&body, "func %s(x int) {}\n", name)
				syms = append(syms, codectx.Symbol{Name: name, Kind: "function", StartLine: i + 1, EndLine: i + 1})
			}
			b := body.String()
			c := codectx.Chunk{Source: "s", Path: path, Language: "go", StartLine: 1, EndLine: 5, Body: b, ContentHash: codectx.ContentHash([]byte(b)), Symbols: syms}
			c.ID = codectx.ChunkID(c.Source, c.Path, 1, 5, c.ContentHash)
			if err := st.PutFile(ctx, codectx.File{Source: "s", Path: path, Language: "go", BlobHash: c.ContentHash, Chunks: []codectx.IndexedChunk{{Chunk: c}}}); err != nil {
				t.Fatal(err)
			}
		}
		x := st.idx
		x.mu.RLock()
		for dir, ds := range x.scopes {
			v := ds.index(x)
			for _, name := range names {
				var got []symRef
				if l, ok := v.byName[name]; ok {
					v.named(l, func(i int32) { got = append(got, symRef{doc: ds.defs[i].doc, sym: int(ds.defs[i].sym)}) })
				}
				var want []symRef
				if n, ok := x.symNames.get(name); ok {
					if d, ok := x.paths[dir]; ok {
						want = slices.Collect(x.symbolsIn.all(dirKey(n, d)))
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) && len(got)+len(want) > 0 {
					x.mu.RUnlock()
					t.Fatalf("step %d: %s in %s: scope has %v, symbolsIn %v", step, name, dir, got, want)
				}
			}
		}
		x.mu.RUnlock()
	}
	if st.idx.renumbers == 0 {
		t.Fatal("the docs were never renumbered")
	}
}

// firstDefs keeps what sorting the group whole keeps, ties included.
func TestFirstDefsMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 2000; round++ {
		var chunks []*codectx.Chunk
		for i := range 1 + rng.Intn(4) {
			c := &codectx.Chunk{Source: "s", Path: fmt.Sprintf("p%d.go", rng.Intn(3))}
			for j := range 3 {
				c.Symbols = append(c.Symbols, codectx.Symbol{Name: "N", Kind: []string{"function", "method"}[rng.Intn(2)], StartLine: rng.Intn(4) + j*i})
			}
			chunks = append(chunks, c)
		}
		var group []defRef
		for i := range rng.Intn(20) {
			c := chunks[rng.Intn(len(chunks))]
			group = append(group, defRef{r: symRef{doc: uint32(i), sym: rng.Intn(len(c.Symbols))}, c: c, near: rng.Intn(3) == 0, path: math.MaxUint32})
		}
		limit := 1 + rng.Intn(5)
		got := slices.Clone(firstDefs(slices.Clone(group), nil, limit))
		want := sortDefs(slices.Clone(group), nil, limit)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d: firstDefs = %v, sorting keeps %v", round, got, want)
		}
	}
}
