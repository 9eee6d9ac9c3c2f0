package embedded

// Benchmarks over the Go source tree, tokenized at benchmark time:
//
//	go test -run '^$' -bench . -benchtime 2000x ./sinks/embedded/
//
// CODECTX_BENCH_FILES limits the number of files read (default: all of $(go env GOROOT)/src).

import (
	"bytes"
	"context"
	"database/sql"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/embedders/lexical"
)

const benchWindow = 60 // lines per chunk

type benchQuery struct {
	source, path string
	terms        []codectx.QueryTerm
}

type benchCorpus struct {
	files      []codectx.File
	queries    []benchQuery
	bodyBytes  int64
	chunks     int
	vectorTime time.Duration // time lexical.Vector took over every chunk
}

var (
	corpusOnce sync.Once
	corpus     benchCorpus
	corpusErr  error

	builtOnce  sync.Once
	builtDir   string
	builtStore *Store
	builtTime  time.Duration
	builtErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if builtStore != nil {
		builtStore.Close()
	}
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

func goroot() string {
	if r := os.Getenv("GOROOT"); r != "" {
		return r
	}
	return runtime.GOROOT()
}

// loadCorpus reads text files of GOROOT/src, splits them into 60-line windows and tokenizes
// them; the queries are the last 20 lines of random files.
func loadCorpus(b *testing.B) *benchCorpus {
	corpusOnce.Do(func() {
		limit := 1 << 30
		if v := os.Getenv("CODECTX_BENCH_FILES"); v != "" {
			limit, _ = strconv.Atoi(v)
		}
		root := filepath.Join(goroot(), "src")
		type raw struct {
			path    string
			content []byte
		}
		var raws []raw
		corpusErr = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || len(raws) >= limit {
				return err
			}
			info, err := d.Info()
			if err != nil || !info.Mode().IsRegular() || info.Size() == 0 || info.Size() > 1<<20 {
				return err
			}
			content, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if bytes.IndexByte(content, 0) >= 0 || !utf8.Valid(content) {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			raws = append(raws, raw{filepath.ToSlash(rel), content})
			return nil
		})
		if corpusErr != nil {
			return
		}
		for _, r := range raws {
			lang := codectx.LanguageForPath(r.path)
			f := codectx.File{Source: "go", Path: r.path, Language: lang, Size: int64(len(r.content)), BlobHash: codectx.ContentHash(r.content)}
			lines := strings.SplitAfter(string(r.content), "\n")
			for start := 0; start < len(lines); start += benchWindow {
				end := min(start+benchWindow, len(lines))
				body := strings.Join(lines[start:end], "")
				t0 := time.Now()
				terms, n := lexical.Vector([]byte(body))
				corpus.vectorTime += time.Since(t0)
				c := codectx.Chunk{Source: "go", Path: r.path, Language: lang, StartLine: start + 1, EndLine: end, Body: body,
					ContentHash: codectx.ContentHash([]byte(body))}
				c.ID = codectx.ChunkID(c.Source, c.Path, c.StartLine, c.EndLine, c.ContentHash)
				if lang == codectx.LangGo && strings.HasPrefix(strings.TrimSpace(lines[start]), "func ") {
					name := strings.TrimSpace(lines[start])[5:]
					if i := strings.IndexAny(name, "(["); i > 0 {
						c.Symbols = []codectx.Symbol{{Name: name[:i], Kind: "function", StartLine: start + 1, EndLine: start + 1}}
					}
				}
				f.Chunks = append(f.Chunks, codectx.IndexedChunk{Chunk: c, Terms: terms, Length: n})
				corpus.bodyBytes += int64(len(body))
				corpus.chunks++
			}
			corpus.files = append(corpus.files, f)
		}
		rng := rand.New(rand.NewPCG(7, 8))
		for len(corpus.queries) < 200 {
			r := raws[rng.IntN(len(raws))]
			if codectx.LanguageForPath(r.path) != codectx.LangGo {
				continue
			}
			lines := strings.SplitAfter(string(r.content), "\n")
			tail := strings.Join(lines[max(0, len(lines)-20):], "")
			corpus.queries = append(corpus.queries, benchQuery{source: "go", path: r.path, terms: lexical.Query([]byte(tail))})
		}
	})
	if corpusErr != nil {
		b.Fatalf("loading corpus: %v", corpusErr)
	}
	if len(corpus.files) == 0 {
		b.Skip("no files under GOROOT/src")
	}
	return &corpus
}

// builtIndex returns a store holding the whole corpus, built once per test binary.
func builtIndex(b *testing.B) *Store {
	c := loadCorpus(b)
	builtOnce.Do(func() {
		builtDir, builtErr = os.MkdirTemp("", "codectx-bench-")
		if builtErr != nil {
			return
		}
		builtStore, builtErr = Open(context.Background(), builtDir, slog.New(slog.DiscardHandler))
		if builtErr != nil {
			return
		}
		t0 := time.Now()
		for _, f := range c.files {
			if builtErr = builtStore.PutFile(context.Background(), f); builtErr != nil {
				return
			}
		}
		builtTime = time.Since(t0)
	})
	if builtErr != nil {
		b.Fatalf("building index: %v", builtErr)
	}
	return builtStore
}

// BenchmarkPutFile indexes the corpus from scratch, one PutFile (one transaction) per file.
// It reports the throughput against the tokenizer's over the same bodies.
func BenchmarkPutFile(b *testing.B) {
	c := loadCorpus(b)
	s := openTest(b, b.TempDir())
	ctx := context.Background()
	var bytesW int64
	var chunks int
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		f := c.files[i%len(c.files)]
		if err := s.PutFile(ctx, f); err != nil {
			b.Fatal(err)
		}
		for _, ch := range f.Chunks {
			bytesW += int64(len(ch.Body))
		}
		chunks += len(f.Chunks)
	}
	b.StopTimer()
	cpu := (cpuTime() - cpu0).Seconds()
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(bytesW)/1e6/sec, "MB/s")
	// CPU time is steadier than wall time on a shared machine.
	b.ReportMetric(float64(bytesW)/1e6/cpu, "MB/cpu-s")
	b.ReportMetric(float64(b.N)/sec, "files/s")
	b.ReportMetric(float64(chunks)/sec, "chunks/s")
	tokMBs := float64(c.bodyBytes) / 1e6 / c.vectorTime.Seconds()
	b.ReportMetric(tokMBs, "tokenize-MB/s")
	// Store cost relative to tokenizing alone (tokenize time per byte / store time per byte).
	b.ReportMetric((sec/float64(bytesW))/(c.vectorTime.Seconds()/float64(c.bodyBytes)), "store/tokenize")
}

// BenchmarkPutFileParallel is BenchmarkPutFile with concurrent callers.
func BenchmarkPutFileParallel(b *testing.B) {
	c := loadCorpus(b)
	s := openTest(b, b.TempDir())
	ctx := context.Background()
	var next, bytesW int64
	var mu sync.Mutex
	b.SetParallelism(8) // 16 callers on 2 cores, as pipeline workers would be
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		var local int64
		for pb.Next() {
			mu.Lock()
			i := next
			next++
			mu.Unlock()
			f := c.files[int(i)%len(c.files)]
			if err := s.PutFile(ctx, f); err != nil {
				b.Error(err)
				return
			}
			for _, ch := range f.Chunks {
				local += int64(len(ch.Body))
			}
		}
		mu.Lock()
		bytesW += local
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(bytesW)/1e6/b.Elapsed().Seconds(), "MB/s")
	b.ReportMetric(float64(bytesW)/1e6/(cpuTime()-cpu0).Seconds(), "MB/cpu-s")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkOpen measures loading the whole corpus' index from SQLite into memory.
func BenchmarkOpen(b *testing.B) {
	builtIndex(b)
	var before, after runtime.MemStats
	for i := 0; i < b.N; i++ {
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, err := Open(context.Background(), builtDir, nil)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		st := s.memStats()
		s.Close()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "heap-MB")
		b.ReportMetric(float64(st.Chunks), "chunks")
	}
	size, _ := builtStore.SizeOnDisk()
	b.ReportMetric(float64(size)/1e6, "disk-MB")
	b.ReportMetric(builtTime.Seconds(), "build-s")
}

// cpuTime is the user plus system time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func lexicalFilter(q benchQuery) codectx.SearchFilter {
	return codectx.SearchFilter{Families: []string{"go"}, ExcludeSource: q.source, ExcludePath: q.path}
}

// BenchmarkLexical runs the queries (last 20 lines of random Go files) through the in-memory
// BM25 index, k=10, Go family, excluding the query's own file.
func BenchmarkLexical(b *testing.B) {
	s := builtIndex(b)
	c := &corpus
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			q := c.queries[i%len(c.queries)]
			if _, err := s.Lexical(ctx, q.terms, lexicalFilter(q), 10); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		b.ReportMetric(float64(c.chunks), "chunks")
	})
	// How many of the exact BM25 top 10 the common-term shortcut keeps.
	b.Run("recall", func(b *testing.B) {
		var kept, total int
		for i := 0; i < b.N; i++ {
			q := c.queries[i%len(c.queries)]
			fast, _ := s.Lexical(ctx, q.terms, lexicalFilter(q), 10)
			s.idx.mu.Lock()
			s.idx.exact = true
			s.idx.mu.Unlock()
			exact, _ := s.Lexical(ctx, q.terms, lexicalFilter(q), 10)
			s.idx.mu.Lock()
			s.idx.exact = false
			s.idx.mu.Unlock()
			ids := map[string]bool{}
			for _, h := range fast {
				ids[h.ID] = true
			}
			for _, h := range exact {
				if ids[h.ID] {
					kept++
				}
			}
			total += len(exact)
		}
		b.ReportMetric(float64(kept)/float64(max(total, 1)), "recall@10")
	})
	b.Run("exact", func(b *testing.B) {
		s.idx.mu.Lock()
		s.idx.exact = true
		s.idx.mu.Unlock()
		defer func() {
			s.idx.mu.Lock()
			s.idx.exact = false
			s.idx.mu.Unlock()
		}()
		cpu0 := cpuTime()
		for i := 0; i < b.N; i++ {
			q := c.queries[i%len(c.queries)]
			if _, err := s.Lexical(ctx, q.terms, lexicalFilter(q), 10); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	})
	b.Run("parallel", func(b *testing.B) {
		var n int64
		var mu sync.Mutex
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.Lock()
				i := n
				n++
				mu.Unlock()
				q := c.queries[int(i)%len(c.queries)]
				if _, err := s.Lexical(ctx, q.terms, lexicalFilter(q), 10); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	// What fetching the hits' bodies from SQLite would add, instead of keeping them in memory:
	// bodies are stored per file, so this reads the hit's file row.
	b.Run("bodies-from-sqlite", func(b *testing.B) {
		stmt, err := s.rdb.Prepare(`SELECT bodies FROM files WHERE source = ? AND path = ?`)
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		for i := 0; i < b.N; i++ {
			q := c.queries[i%len(c.queries)]
			hits, err := s.Lexical(ctx, q.terms, lexicalFilter(q), 10)
			if err != nil {
				b.Fatal(err)
			}
			for _, h := range hits {
				var bodies string
				if err := stmt.QueryRow(h.Source, h.Path).Scan(&bodies); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

var (
	ftsOnce sync.Once
	ftsDB   *sql.DB
	ftsErr  error
)

// BenchmarkLexicalFTS5 is the baseline: the same chunks, terms and queries through an SQLite
// FTS5 table ranked by bm25(), k=10, excluding the query's file. Each chunk's term vector is
// indexed as text, so both sides see the same tokens; query terms the in-memory index skips
// (in more than half of the chunks) are left out here too.
func BenchmarkLexicalFTS5(b *testing.B) {
	s := builtIndex(b)
	c := &corpus
	ftsOnce.Do(func() {
		dir := filepath.Join(builtDir, "fts")
		if ftsErr = os.MkdirAll(dir, 0o755); ftsErr != nil {
			return
		}
		ftsDB, ftsErr = sql.Open("sqlite", "file:"+filepath.Join(dir, "fts.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
		if ftsErr != nil {
			return
		}
		if _, ftsErr = ftsDB.Exec(`CREATE VIRTUAL TABLE fts USING fts5(terms, path UNINDEXED, body UNINDEXED, tokenize = "unicode61 tokenchars '_'")`); ftsErr != nil {
			return
		}
		tx, err := ftsDB.Begin()
		if ftsErr = err; err != nil {
			return
		}
		ins, err := tx.Prepare(`INSERT INTO fts (terms, path, body) VALUES (?, ?, ?)`)
		if ftsErr = err; err != nil {
			return
		}
		var sb strings.Builder
		for _, f := range c.files {
			for _, ch := range f.Chunks {
				sb.Reset()
				for _, t := range ch.Terms {
					for j := uint32(0); j < t.Freq; j++ {
						sb.WriteString(t.Token)
						sb.WriteByte(' ')
					}
				}
				if _, ftsErr = ins.Exec(sb.String(), f.Path, ch.Body); ftsErr != nil {
					return
				}
			}
		}
		ftsErr = tx.Commit()
	})
	if ftsErr != nil {
		b.Fatalf("building FTS5 table: %v", ftsErr)
	}
	s.idx.mu.RLock()
	live := s.idx.live
	matches := make([]string, len(c.queries))
	for i, q := range c.queries {
		var parts []string
		for _, t := range q.terms {
			tid, ok := s.idx.termIDs.get(t.Token)
			if !ok || (live >= commonTermMinDocs && 2*int(s.idx.df[tid]) > live) {
				continue
			}
			parts = append(parts, `"`+strings.ReplaceAll(t.Token, `"`, `""`)+`"`)
		}
		matches[i] = strings.Join(parts, " OR ")
	}
	s.idx.mu.RUnlock()
	stmt, err := ftsDB.Prepare(`SELECT path, body, bm25(fts) FROM fts WHERE fts MATCH ? AND path != ? ORDER BY rank LIMIT 10`)
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	b.ResetTimer()
	cpu0 := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op") }()
	for i := 0; i < b.N; i++ {
		qi := i % len(c.queries)
		if matches[qi] == "" {
			continue
		}
		rows, err := stmt.Query(matches[qi], c.queries[qi].path)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var path, body string
			var score float64
			if err := rows.Scan(&path, &body, &score); err != nil {
				b.Fatal(err)
			}
			n++
		}
		rows.Close()
		if n == 0 {
			b.Fatalf("FTS5 found nothing for query %d", qi)
		}
	}
}
