package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/sinks/sinktest"
)

func openTest(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) codectx.Store { return openTest(t, t.TempDir()) })
}

func TestTermsRoundTrip(t *testing.T) {
	for _, terms := range [][]codectx.Term{
		nil,
		{{Token: "a", Freq: 1}},
		{{Token: "config", Freq: 3}, {Token: "configure", Freq: 1}, {Token: "context", Freq: 300}, {Token: "é", Freq: 70000}},
	} {
		b := encodeTerms(nil, terms)
		var got []codectx.Term
		if err := decodeTerms(b, func(tok []byte, f uint32) { got = append(got, codectx.Term{Token: string(tok), Freq: f}) }); err != nil {
			t.Fatalf("decode(%v): %v", terms, err)
		}
		if !slices.Equal(got, terms) {
			t.Fatalf("round trip of %v gave %v", terms, got)
		}
		if len(b) > 1 {
			if err := decodeTerms(b[:len(b)-1], func([]byte, uint32) {}); err == nil {
				t.Fatalf("decoding a truncated blob of %v succeeded", terms)
			}
		}
	}
}

// corpusFiles makes n files in two sources with random bodies over a small vocabulary.
func corpusFiles(rng *rand.Rand, n, version int) []codectx.File {
	words := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"}
	var out []codectx.File
	for i := 0; i < n; i++ {
		var specs []sinktest.ChunkSpec
		for c := 0; c < 1+rng.IntN(3); c++ {
			var b strings.Builder
			fmt.Fprintf(&b, "func F%d_%d_%d() {\n", i, c, version)
			for w := 0; w < 5+rng.IntN(20); w++ {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte(' ')
			}
			b.WriteString("\n}")
			specs = append(specs, sinktest.ChunkSpec{Body: b.String(), Symbols: []codectx.Symbol{{Name: fmt.Sprintf("F%d_%d", i, c), Kind: "function", StartLine: 1, EndLine: 3}}})
		}
		src := "one"
		if i%3 == 0 {
			src = "two"
		}
		lang := codectx.LangGo
		if i%5 == 0 {
			lang = codectx.LangPython
		}
		out = append(out, sinktest.NewFile(src, fmt.Sprintf("pkg%d/f%d.go", i%7, i), lang, specs...))
	}
	return out
}

type answer struct {
	lexical, defs []string
}

func answers(t *testing.T, s *Store) []answer {
	t.Helper()
	ctx := context.Background()
	var out []answer
	for _, q := range []string{"alpha beta", "kappa", "mu lambda theta", "delta epsilon zeta eta"} {
		for _, f := range []codectx.SearchFilter{{}, {Families: []string{"python"}}, {Sources: []string{"two"}, ExcludeSource: "two", ExcludePath: "pkg0/f0.go"}} {
			hits, err := s.Lexical(ctx, sinktest.Query(q), f, 15)
			if err != nil {
				t.Fatal(err)
			}
			var a answer
			for _, h := range hits {
				a.lexical = append(a.lexical, fmt.Sprintf("%s:%d %.5f", h.ID, len(h.Body), h.Score))
			}
			defs, err := s.Definitions(ctx, []string{"F1_0", "F3_1", "F10_0", "F11_2"}, f, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range defs {
				a.defs = append(a.defs, h.ID+" "+h.Symbol.Name)
			}
			out = append(out, a)
		}
	}
	return out
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range corpusFiles(rng, 60, 0) {
		if err := s.PutFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	// Churn: replace some files, delete and rename others, so the reloaded index is compared
	// with one that has tombstones.
	for i, f := range corpusFiles(rng, 60, 1) {
		switch i % 4 {
		case 0:
			if err := s.PutFile(ctx, f); err != nil {
				t.Fatal(err)
			}
		case 1:
			if err := s.DeleteFile(ctx, f.Source, f.Path); err != nil {
				t.Fatal(err)
			}
		case 2:
			old := f.Path
			f.Path = "renamed/" + f.Path
			f.Chunks = append([]codectx.IndexedChunk(nil), f.Chunks...)
			for j := range f.Chunks {
				f.Chunks[j].ID = "" // derived again from the new path
			}
			if err := s.RenameFile(ctx, old, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.SetSourceState(ctx, "one", codectx.SourceState{Cursor: "abc", Ref: "main"}); err != nil {
		t.Fatal(err)
	}
	want := answers(t, s)
	wantStats, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantChunks, err := s.Chunks(ctx, "one")
	if err != nil {
		t.Fatal(err)
	}
	if len(want[0].lexical) == 0 || len(want[0].defs) == 0 {
		t.Fatalf("test corpus gives no answers: %+v", want[0])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := openTest(t, dir)
	got := answers(t, s2)
	for i := range want {
		if !slices.Equal(got[i].lexical, want[i].lexical) || !slices.Equal(got[i].defs, want[i].defs) {
			t.Fatalf("answer %d after reopen:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if st, _ := s2.Stats(ctx); st != wantStats {
		t.Fatalf("Stats after reopen = %+v, want %+v", st, wantStats)
	}
	gotChunks, _ := s2.Chunks(ctx, "one")
	if len(gotChunks) != len(wantChunks) {
		t.Fatalf("Chunks after reopen: %d, want %d", len(gotChunks), len(wantChunks))
	}
	for i := range gotChunks {
		g, w := gotChunks[i], wantChunks[i]
		if g.ID != w.ID || g.Body != w.Body || !slices.Equal(g.Symbols, w.Symbols) {
			t.Fatalf("chunk %d after reopen = %+v, want %+v", i, g, w)
		}
		c, err := s2.ChunkByID(ctx, g.ID)
		if err != nil || c.Body != g.Body || !slices.Equal(c.Symbols, g.Symbols) {
			t.Fatalf("ChunkByID(%s) = %+v, %v", g.ID, c, err)
		}
	}
	if st, _ := s2.SourceState(ctx, "one"); st.Cursor != "abc" {
		t.Fatalf("source state after reopen = %+v", st)
	}
	if _, err := s2.ChunkByID(ctx, "nope"); !errors.Is(err, codectx.ErrNotFound) {
		t.Fatalf("ChunkByID(nope) = %v, want ErrNotFound", err)
	}
}

// TestChurnMatchesFresh replaces every file many times, so that tombstones pile up and the
// doc numbering is rebuilt, and compares the result with a store built once from the final
// files.
func TestChurnMatchesFresh(t *testing.T) {
	ctx := context.Background()
	churned := openTest(t, t.TempDir())
	churned.idx.renumberMin = 64
	rng := rand.New(rand.NewPCG(3, 4))
	var last []codectx.File
	for v := 0; v < 8; v++ {
		last = corpusFiles(rng, 100, v)
		for _, f := range last {
			if err := churned.PutFile(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	fresh := openTest(t, t.TempDir())
	for _, f := range last {
		if err := fresh.PutFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	a, b := answers(t, churned), answers(t, fresh)
	for i := range a {
		if !slices.Equal(a[i].lexical, b[i].lexical) || !slices.Equal(a[i].defs, b[i].defs) {
			t.Fatalf("answer %d: churned %+v, fresh %+v", i, a[i], b[i])
		}
	}
	for _, src := range []string{"one", "two"} {
		ca, _ := churned.Chunks(ctx, src)
		cb, _ := fresh.Chunks(ctx, src)
		key := func(cs []codectx.Chunk) []string {
			var out []string
			for _, c := range cs {
				out = append(out, fmt.Sprintf("%s:%d-%d:%s", c.Path, c.StartLine, c.EndLine, c.ContentHash))
			}
			return out
		}
		if !slices.Equal(key(ca), key(cb)) {
			t.Fatalf("chunks of %s differ between churned and fresh stores", src)
		}
	}
	sa, errA := churned.Stats(ctx)
	sb, errB := fresh.Stats(ctx)
	if errA != nil || errB != nil {
		t.Fatalf("Stats: %v, %v", errA, errB)
	}
	if sa != sb {
		t.Fatalf("Stats: churned %+v, fresh %+v", sa, sb)
	}
	if churned.idx.renumbers == 0 {
		t.Fatalf("the doc numbering was never rebuilt: %d dead, %d live", churned.idx.dead, churned.idx.live)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	s.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE meta SET value = ? WHERE key = 'schema_version'`, fmt.Sprint(schemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(context.Background(), dir, nil)
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "schema version") {
		t.Fatalf("Open of a newer schema = %v, want ErrSchemaTooNew", err)
	}
}

func TestConcurrentWritersAndReaders(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	rng := rand.New(rand.NewPCG(5, 6))
	files := corpusFiles(rng, 80, 0)
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	for w := 0; w < 4; w++ {
		wg.Go(func() {
			for round := 0; round < 3; round++ {
				for i := w; i < len(files); i += 4 {
					f := files[i]
					var err error
					if round == 1 && i%2 == 0 {
						err = s.DeleteFile(ctx, f.Source, f.Path)
					} else {
						err = s.PutFile(ctx, f)
					}
					if err != nil {
						errc <- err
						return
					}
				}
			}
		})
	}
	stop := make(chan struct{})
	var rg sync.WaitGroup
	for r := 0; r < 4; r++ {
		rg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				hits, err := s.Lexical(ctx, sinktest.Query("alpha kappa mu"), codectx.SearchFilter{Families: []string{"go"}}, 10)
				if err != nil {
					errc <- err
					return
				}
				for _, h := range hits {
					if h.Body == "" || h.Source == "" {
						errc <- fmt.Errorf("hit without body: %+v", h)
						return
					}
				}
				if _, err := s.Definitions(ctx, []string{"F1_0", "F2_0"}, codectx.SearchFilter{}, 5); err != nil {
					errc <- err
					return
				}
				if _, err := s.Stats(ctx); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	// Every file was written last by a PutFile: the store holds exactly the corpus.
	st, _ := s.Stats(ctx)
	want := 0
	for _, f := range files {
		want += len(f.Chunks)
	}
	if st.Files != len(files) || st.Chunks != want {
		t.Fatalf("Stats = %+v, want %d files and %d chunks", st, len(files), want)
	}
}

// A name defined in more places than crowdedName only finds the definitions next to the
// cursor, through the per-directory symbol index, and keeps finding them after a rename.
func TestCrowdedNamesFindOnlyNearDefinitions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	sym := []codectx.Symbol{{Name: "String", Kind: "method", StartLine: 1, EndLine: 1}}
	for i := 0; i <= crowdedName; i++ {
		f := sinktest.NewFile("repo", fmt.Sprintf("pkg%02d/t.go", i), codectx.LangGo, sinktest.ChunkSpec{Body: "func (T) String() string", Symbols: sym})
		if err := s.PutFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	hits, err := s.Definitions(ctx, []string{"String"}, codectx.SearchFilter{Near: "pkg07/cursor.go"}, 8)
	if err != nil || len(hits) != 1 || hits[0].Path != "pkg07/t.go" {
		t.Fatalf("near pkg07: %v %v", locsOf(hits), err)
	}
	if hits, _ := s.Definitions(ctx, []string{"String"}, codectx.SearchFilter{}, 8); len(hits) != 0 {
		t.Fatalf("without Near a crowded name must find nothing, got %v", locsOf(hits))
	}
	f := sinktest.NewFile("repo", "pkg07/renamed.go", codectx.LangGo, sinktest.ChunkSpec{Body: "func (T) String() string", Symbols: sym})
	if err := s.RenameFile(ctx, "pkg07/t.go", f); err != nil {
		t.Fatal(err)
	}
	hits, _ = s.Definitions(ctx, []string{"String"}, codectx.SearchFilter{Near: "pkg07/cursor.go"}, 8)
	if len(hits) != 1 || hits[0].Path != "pkg07/renamed.go" {
		t.Fatalf("after rename: %v", locsOf(hits))
	}
}

func locsOf(hits []codectx.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s:%d", h.Path, h.StartLine))
	}
	return out
}
