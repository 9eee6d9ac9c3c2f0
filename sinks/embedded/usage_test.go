package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/sinks/sinktest"
)

func TestUsageContract(t *testing.T) {
	sinktest.RunUsage(t, func(t *testing.T) (sinktest.UsageStore, func(*testing.T) sinktest.UsageStore) {
		dir := t.TempDir()
		return openTest(t, dir), func(t *testing.T) sinktest.UsageStore { return openTest(t, dir) }
	})
}

// The catalog opened without its index (as the token and stats commands open it) passes the
// same suite, and so does reopening with the index.
func TestUsageContractSkipIndex(t *testing.T) {
	sinktest.RunUsage(t, func(t *testing.T) (sinktest.UsageStore, func(*testing.T) sinktest.UsageStore) {
		dir := t.TempDir()
		return openSkipIndex(t, dir), func(t *testing.T) sinktest.UsageStore { return openTest(t, dir) }
	})
}

func openSkipIndex(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := OpenWith(context.Background(), dir, slog.New(slog.DiscardHandler), OpenOptions{SkipIndex: true})
	if err != nil {
		t.Fatalf("OpenWith(%s, SkipIndex): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSkipIndexRefusesQueries(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	full := openTest(t, dir)
	f := sinktest.NewFile("repo", "a.go", codectx.LangGo, sinktest.ChunkSpec{Body: "func ParseConfig() {}",
		Symbols: []codectx.Symbol{{Name: "ParseConfig", Kind: "function", StartLine: 1, EndLine: 1}}})
	if err := full.PutFile(ctx, f); err != nil {
		t.Fatal(err)
	}

	// Opened beside a store that has it loaded, as the CLI opens it beside a running server.
	s := openSkipIndex(t, dir)
	if _, err := s.Lexical(ctx, sinktest.Query("ParseConfig"), codectx.SearchFilter{}, 5); !errors.Is(err, ErrIndexNotLoaded) {
		t.Errorf("Lexical: %v, want ErrIndexNotLoaded", err)
	}
	if _, err := s.Definitions(ctx, []string{"ParseConfig"}, codectx.SearchFilter{}, 5); !errors.Is(err, ErrIndexNotLoaded) {
		t.Errorf("Definitions: %v, want ErrIndexNotLoaded", err)
	}
	if _, err := s.Stats(ctx); !errors.Is(err, ErrIndexNotLoaded) {
		t.Errorf("Stats: %v, want ErrIndexNotLoaded", err)
	}
	if _, err := s.ChunkByID(ctx, "x"); !errors.Is(err, ErrIndexNotLoaded) {
		t.Errorf("ChunkByID: %v, want ErrIndexNotLoaded", err)
	}
	// The catalog itself reads and writes as usual.
	if files, err := s.Files(ctx, "repo"); err != nil || len(files) != 1 {
		t.Errorf("Files = %v, %v", files, err)
	}
	g := sinktest.NewFile("repo", "b.go", codectx.LangGo, sinktest.ChunkSpec{Body: "func LoadConfig() {}"})
	if err := s.PutFile(ctx, g); err != nil {
		t.Fatalf("PutFile without the index: %v", err)
	}
	if err := s.CreateToken(ctx, codectx.Token{Name: "cli", Hash: "h", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// The store with the index sees the token at once.
	if tk, err := full.TokenByHash(ctx, "h"); err != nil || tk.Name != "cli" {
		t.Fatalf("TokenByHash through the other store = %+v, %v", tk, err)
	}
	s.Close()
	full.Close()

	// A file written without the index is in it on the next full open.
	re := openTest(t, dir)
	if hits, err := re.Lexical(ctx, sinktest.Query("LoadConfig"), codectx.SearchFilter{}, 5); err != nil || len(hits) != 1 {
		t.Fatalf("Lexical after reopening = %v, %v", hits, err)
	}
}

// A version-2 catalog made before the usage tables existed gets them when opened.
func TestUsageTablesAddedToExistingCatalog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
	if err := s.PutFile(ctx, sinktest.NewFile("repo", "a.go", codectx.LangGo, sinktest.ChunkSpec{Body: "func A() {}"})); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range []string{"tokens", "completions", "events"} {
		if _, err := db.Exec(`DROP TABLE ` + tbl); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s = openSkipIndex(t, dir)
	if err := s.RecordCompletion(ctx, codectx.CompletionRecord{ID: "cmpl-1", At: time.Now(), Language: "go"}); err != nil {
		t.Fatalf("recording into an old catalog: %v", err)
	}
	if files, err := s.Files(ctx, "repo"); err != nil || len(files) != 1 {
		t.Fatalf("the old catalog's files = %v, %v", files, err)
	}
}

// Two stores on one catalog, as a server and a CLI command in two processes, write at the same
// time: both sides' writes wait for each other instead of failing with "database is locked".
func TestUsageWritersOnOneCatalog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := openTest(t, dir), openSkipIndex(t, dir)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i, s := range []*Store{a, b} {
		for j := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("cmpl-%d-%d", i, j)
				errs <- s.RecordCompletion(ctx, codectx.CompletionRecord{ID: id, At: time.Now(), Language: "go"})
				errs <- s.RecordEvent(ctx, codectx.CompletionEvent{At: time.Now(), Type: codectx.EventView, CompletionID: id})
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rows, err := a.Acceptance(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.Completions != r.Views {
			t.Errorf("row %+v: every completion was viewed", r)
		}
		n += r.Completions
	}
	if n != 200 {
		t.Fatalf("%d completions counted, want 200", n)
	}
}

// RecordCompletions stores a batch in one go; a bad record fails alone.
func TestRecordCompletionsBatch(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	err = st.RecordCompletions(ctx, []codectx.CompletionRecord{
		{ID: "cmpl-a", At: now, Language: "go"},
		{ID: "", At: now, Language: "go"},
		{ID: "cmpl-b", At: now},
	})
	if err == nil || !errors.Is(err, codectx.ErrPermanent) {
		t.Fatalf("RecordCompletions with an empty id: err = %v, want a permanent error", err)
	}
	rows, err := st.Acceptance(ctx, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range rows {
		got[r.Language] += r.Completions
	}
	if got["go"] != 1 || got[unknownLanguage] != 1 {
		t.Fatalf("completions by language = %v, want go 1 and %s 1", got, unknownLanguage)
	}
}

// RecordEvents stores a batch in one go; a bad event fails alone.
func TestRecordEventsBatch(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	if err := st.RecordCompletion(ctx, codectx.CompletionRecord{ID: "cmpl-a", At: now, Language: "go"}); err != nil {
		t.Fatal(err)
	}
	err = st.RecordEvents(ctx, []codectx.CompletionEvent{
		{At: now, Type: codectx.EventView, CompletionID: "cmpl-a"},
		{At: now, Type: "typed", CompletionID: "cmpl-a"},
		{At: now, Type: codectx.EventSelect, CompletionID: ""},
		{At: now, Type: codectx.EventSelect, CompletionID: "cmpl-a"},
	})
	if err == nil || !errors.Is(err, codectx.ErrPermanent) {
		t.Fatalf("RecordEvents with a bad type and an empty id: err = %v, want a permanent error", err)
	}
	rows, err := st.Acceptance(ctx, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Views != 1 || rows[0].Selects != 1 {
		t.Fatalf("acceptance rows = %+v, want one view and one select of cmpl-a", rows)
	}
}
