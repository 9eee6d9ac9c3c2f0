package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers"
	"github.com/codectx/codectx/embedders/lexical"
	"github.com/codectx/codectx/pipeline"
	"github.com/codectx/codectx/sinks/embedded"
)

// memSource is a source whose versions are snapshots of an in-memory file map. It implements
// the Source contract the way the real sources do: a diff between two snapshots, or a
// reconcile against what the store knows.
type memSource struct {
	mu       sync.Mutex
	name     string
	versions map[string]map[string]string // version → path → content
	tip      string
	n        int
	readErr  func(path string) error
}

func newMemSource(name string) *memSource {
	return &memSource{name: name, versions: map[string]map[string]string{}}
}

func (s *memSource) commit(files map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	v := fmt.Sprintf("v%d", s.n)
	cp := map[string]string{}
	for k, val := range files {
		cp[k] = val
	}
	s.versions[v] = cp
	s.tip = v
	return v
}

func (s *memSource) Name() string { return s.name }
func (s *memSource) Tip(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tip, nil
}

func (s *memSource) Changes(ctx context.Context, from, to string, known map[string]codectx.FileState, emit func(codectx.Change) error) error {
	s.mu.Lock()
	cur := s.versions[to]
	old, haveOld := s.versions[from]
	s.mu.Unlock()
	if from == "" || !haveOld {
		old = map[string]string{}
		for p, st := range known {
			old[p] = st.BlobHash // reconcile: compare hashes with the store's
		}
		for p, c := range cur {
			if old[p] != codectx.ContentHash([]byte(c)) {
				if err := emit(codectx.Change{Path: p, BlobHash: codectx.ContentHash([]byte(c)), Op: codectx.OpUpsert}); err != nil {
					return err
				}
			}
		}
	} else {
		for p, c := range cur {
			if oc, ok := old[p]; !ok || oc != c {
				if err := emit(codectx.Change{Path: p, BlobHash: codectx.ContentHash([]byte(c)), Op: codectx.OpUpsert}); err != nil {
					return err
				}
			}
		}
	}
	for p := range old {
		if _, ok := cur[p]; !ok {
			if err := emit(codectx.Change{Path: p, Op: codectx.OpDelete}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *memSource) Read(ctx context.Context, c codectx.Change) ([]byte, error) {
	if s.readErr != nil {
		if err := s.readErr(c.Path); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	content, ok := s.versions[s.tip][c.Path]
	if !ok {
		return nil, codectx.Permanent(fmt.Errorf("%s: gone", c.Path))
	}
	if strings.HasPrefix(content, "BINARY") {
		return nil, &codectx.SkipError{Reason: codectx.SkipBinary}
	}
	return []byte(content), nil
}

func (s *memSource) Close() error { return nil }

var _ codectx.Source = (*memSource)(nil)

// panicky panics on files whose content asks for it, to show that one bad file is dead-lettered
// without stopping the others.
type panicky struct{ codectx.Chunker }

func (p panicky) Chunk(path, lang string, b []byte) ([]codectx.Chunk, error) {
	if strings.Contains(string(b), "PANIC") {
		panic("chunker exploded on " + path)
	}
	return p.Chunker.Chunk(path, lang, b)
}

// flakyStore fails PutFile for chosen paths a number of times before letting it through.
type flakyStore struct {
	*embedded.Store
	mu    sync.Mutex
	fails map[string]int
}

func (f *flakyStore) PutFile(ctx context.Context, file codectx.File) error {
	if err := f.fail(file.Path); err != nil {
		return err
	}
	return f.Store.PutFile(ctx, file)
}

// PutFiles fails the chosen paths as PutFile does (the indexer stores batches of files with
// it), and stores the others.
func (f *flakyStore) PutFiles(ctx context.Context, files []codectx.File) []error {
	errs := make([]error, len(files))
	var ok []codectx.File
	var at []int
	for i, file := range files {
		if errs[i] = f.fail(file.Path); errs[i] == nil {
			ok, at = append(ok, file), append(at, i)
		}
	}
	for k, err := range f.Store.PutFiles(ctx, ok) {
		errs[at[k]] = err
	}
	return errs
}

func (f *flakyStore) fail(path string) error {
	f.mu.Lock()
	n := f.fails[path]
	if n > 0 {
		f.fails[path] = n - 1
	}
	f.mu.Unlock()
	if n > 0 {
		return errors.New("disk briefly unavailable")
	}
	return nil
}

func setup(t *testing.T, fails map[string]int) (*pipeline.Pipeline, *memSource, *flakyStore) {
	t.Helper()
	ctx := context.Background()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fs := &flakyStore{Store: st, fails: fails}
	p, err := pipeline.New(pipeline.Config{
		Store:         fs,
		Chunker:       panicky{chunkers.New(chunkers.Options{})},
		Encode:        lexical.Vector,
		Workers:       3,
		MaxInFlight:   4,
		MaxRetries:    2,
		RetryInterval: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	src := newMemSource("mem")
	p.AddSource(src)
	return p, src, fs
}

func indexedPaths(t *testing.T, st codectx.Store) []string {
	t.Helper()
	files, err := st.Files(context.Background(), "mem")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for p, f := range files {
		if f.Skip == "" {
			out = append(out, p)
		} else {
			out = append(out, p+" ("+f.Skip+")")
		}
	}
	sort.Strings(out)
	return out
}

func goFile(fn string) string {
	return "package x\n\n// " + fn + " does a thing.\nfunc " + fn + "() int {\n\treturn 1\n}\n"
}

func TestSyncAppliesChangesAndMovesCursor(t *testing.T) {
	ctx := context.Background()
	p, src, st := setup(t, nil)
	files := map[string]string{}
	for i := 0; i < 40; i++ {
		files[fmt.Sprintf("pkg/f%02d.go", i)] = goFile(fmt.Sprintf("Func%02d", i))
	}
	files["logo.png"] = "BINARY\x00"
	v1 := src.commit(files)
	// Progress comes once per handled change and once when the walk ends, with the total.
	var mu sync.Mutex
	var reports []pipeline.Progress
	run, err := p.Sync(ctx, "mem", "test", func(pr pipeline.Progress) {
		mu.Lock()
		reports = append(reports, pr)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if run.Upserts != 40 || run.Skipped[codectx.SkipBinary] != 1 || run.Failed != 0 {
		t.Fatalf("run = %+v", run)
	}
	mu.Lock()
	if len(reports) != 42 {
		t.Errorf("progress called %d times, want 41 handled changes and the walk's end", len(reports))
	}
	walkEnds, maxDone := 0, 0
	for _, pr := range reports {
		if pr.Total != 0 && pr.Total != 41 || pr.Total != 0 && pr.Done > pr.Total {
			t.Errorf("progress %+v: want a total of 0 (not yet known) or 41, and no more done", pr)
		}
		if pr.WalkDone && pr.Total == 41 {
			walkEnds++
		}
		maxDone = max(maxDone, pr.Done)
	}
	if walkEnds == 0 || maxDone != 41 {
		t.Errorf("no report with the walk done and its total of 41 (%d), or the last change not reported (most done %d)", walkEnds, maxDone)
	}
	mu.Unlock()
	state, _ := st.SourceState(ctx, "mem")
	if state.Cursor != v1 || state.Pending != "" {
		t.Fatalf("state = %+v, want cursor %s", state, v1)
	}
	if !p.Ready() {
		t.Error("not ready after the first sync")
	}
	hits, err := st.Definitions(ctx, []string{"Func07"}, codectx.SearchFilter{}, 10)
	if err != nil || len(hits) != 1 || hits[0].Path != "pkg/f07.go" {
		t.Fatalf("definitions of Func07 = %+v, %v", hits, err)
	}

	// An unchanged tip does nothing.
	run, err = p.Sync(ctx, "mem", "test", nil)
	if err != nil || run.Upserts != 0 {
		t.Fatalf("second sync: %+v %v", run, err)
	}

	delete(files, "pkg/f01.go")
	files["pkg/f02.go"] = goFile("Renamed02")
	src.commit(files)
	run, err = p.Sync(ctx, "mem", "test", nil)
	if err != nil || run.Upserts != 1 || run.Deletes != 1 {
		t.Fatalf("third sync: %+v %v", run, err)
	}
	if hits, _ := st.Definitions(ctx, []string{"Func02", "Func01"}, codectx.SearchFilter{}, 10); len(hits) != 0 {
		t.Fatalf("stale definitions remain: %+v", hits)
	}
}

func TestPanicIsDeadLetteredAndOthersContinue(t *testing.T) {
	ctx := context.Background()
	p, src, st := setup(t, nil)
	src.commit(map[string]string{"a.go": goFile("A"), "bad.go": "package x // PANIC\n", "c.go": goFile("C")})
	run, err := p.Sync(ctx, "mem", "test", nil)
	if err != nil {
		t.Fatalf("a permanent failure must not fail the sync: %v", err)
	}
	if run.Upserts != 2 || run.Failed != 1 {
		t.Fatalf("run = %+v", run)
	}
	dl, err := st.DeadLetters(ctx, 10)
	if err != nil || len(dl) != 1 || !strings.Contains(dl[0].Error, "panicked") || !strings.Contains(dl[0].Payload, "bad.go") {
		t.Fatalf("dead letters = %+v, %v", dl, err)
	}
	got := strings.Join(indexedPaths(t, st), ",")
	if got != "a.go,bad.go (failed),c.go" {
		t.Fatalf("files = %s", got)
	}
}

func TestTransientErrorsAreRetried(t *testing.T) {
	ctx := context.Background()
	p, src, st := setup(t, map[string]int{"a.go": 2})
	src.commit(map[string]string{"a.go": goFile("A"), "b.go": goFile("B")})
	run, err := p.Sync(ctx, "mem", "test", nil)
	if err != nil || run.Upserts != 2 || run.Failed != 0 {
		t.Fatalf("run = %+v, %v", run, err)
	}
	if got := strings.Join(indexedPaths(t, st), ","); got != "a.go,b.go" {
		t.Fatalf("files = %s", got)
	}
}

func TestExhaustedRetriesKeepTheCursorAndReconcileLater(t *testing.T) {
	ctx := context.Background()
	p, src, st := setup(t, map[string]int{"a.go": 100})
	v1 := src.commit(map[string]string{"a.go": goFile("A"), "b.go": goFile("B")})
	_, err := p.Sync(ctx, "mem", "test", nil)
	if err == nil {
		t.Fatal("sync with a file failing past its retries reported success")
	}
	state, _ := st.SourceState(ctx, "mem")
	if state.Cursor != "" || state.Pending != v1 {
		t.Fatalf("state = %+v: the cursor must not move past unhandled changes", state)
	}
	if p.Ready() {
		t.Error("ready although the first sync failed")
	}
	runs, err := st.Runs(ctx, "mem", 5)
	if err != nil || len(runs) == 0 || runs[0].Error == "" {
		t.Fatalf("the failed run was not recorded with its error: %+v %v", runs, err)
	}
	// The disk recovers: the next sync reconciles and only redoes what is missing.
	st.mu.Lock()
	st.fails = nil
	st.mu.Unlock()
	run, err := p.Sync(ctx, "mem", "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.Upserts != 1 {
		t.Fatalf("reconcile redid %d files, want only the missing one: %+v", run.Upserts, run)
	}
	state, _ = st.SourceState(ctx, "mem")
	if state.Cursor != v1 || state.Pending != "" {
		t.Fatalf("state after recovery = %+v", state)
	}
}

func TestRequestSyncGoesThroughTheBus(t *testing.T) {
	p, src, st := setup(t, nil)
	src.commit(map[string]string{"a.go": goFile("A")})
	if err := p.RequestSync(pipeline.SyncRequest{Source: "mem", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !p.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("the requested sync did not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := strings.Join(indexedPaths(t, st), ","); got != "a.go" {
		t.Fatalf("files = %s", got)
	}
	if err := p.RequestSync(pipeline.SyncRequest{Source: "nope"}); !errors.Is(err, codectx.ErrNotFound) {
		t.Fatalf("unknown source: %v", err)
	}
}
