package eval

import (
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// syntheticModule is a small Go module whose files call each other's functions and name each
// other's types, as real packages do.
var syntheticModule = map[string]string{
	"go.mod": "module example.com/kv\n\ngo 1.22\n",
	"config.go": `package kv

import "errors"

// Config configures a DB.
type Config struct {
	Dir      string
	MaxBytes int
}

// DefaultConfig returns the configuration used when none is given.
func DefaultConfig() Config {
	return Config{Dir: "data", MaxBytes: 1 << 20}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Dir == "" {
		return errors.New("no dir")
	}
	return nil
}
`,
	"db.go": `package kv

import "sync"

// DB is an append-only key-value store.
type DB struct {
	mu   sync.Mutex
	cfg  Config
	data map[string]string
	log  []byte
}

func newDB(cfg Config) *DB {
	return &DB{cfg: cfg, data: map[string]string{}}
}

// Put stores a value.
func (d *DB) Put(key, value string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	rec := encodeRecord(key, value)
	if err := d.writeRecord(rec); err != nil {
		return err
	}
	d.data[key] = value
	return nil
}

// Get returns a value.
func (d *DB) Get(key string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.data[key]
	return v, ok
}
`,
	"open.go": `package kv

// Open opens a DB with the default configuration.
func Open(dir string) (*DB, error) {
	cfg := DefaultConfig()
	cfg.Dir = dir
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db := newDB(cfg)
	return db, nil
}
`,
	"record.go": `package kv

import "errors"

var errFull = errors.New("log full")

func encodeRecord(key, value string) []byte {
	b := make([]byte, 0, len(key)+len(value)+2)
	b = append(b, key...)
	b = append(b, '=')
	b = append(b, value...)
	return append(b, '\n')
}

func (d *DB) writeRecord(rec []byte) error {
	if len(d.log)+len(rec) > d.cfg.MaxBytes {
		return errFull
	}
	d.log = append(d.log, rec...)
	return nil
}
`,
	"compact.go": `package kv

// Compact rewrites the log with one record per key.
func (d *DB) Compact() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.log = d.log[:0]
	for k, v := range d.data {
		if err := d.writeRecord(encodeRecord(k, v)); err != nil {
			return err
		}
	}
	return nil
}
`,
	"cmd/kvtool/main.go": `package main

import (
	"fmt"
	"os"
)

func main() {
	db := mustOpen(os.Args[1])
	fmt.Println(describe(db))
}
`,
	"cmd/kvtool/util.go": `package main

import "example.com/kv"

func mustOpen(dir string) *kv.DB {
	db, err := kv.Open(dir)
	if err != nil {
		panic(err)
	}
	return db
}

func describe(db *kv.DB) string {
	v, _ := db.Get("name")
	return v
}
`,
}

// withNoise adds n files of code that looks like the module's (locks, maps, keys, values,
// errors) but that no task needs, as a real package has: without them the whole module fits in
// a small prompt and every retriever trivially scores.
func withNoise(files map[string]string, n int) map[string]string {
	out := map[string]string{}
	for p, c := range files {
		out[p] = c
	}
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "package kv\n\nimport \"errors\"\n\n// index%[1]d keeps a secondary index.\ntype index%[1]d struct {\n\tkeys  map[string]string\n\tcount int\n}\n", i)
		for j := range 4 {
			fmt.Fprintf(&b, `
// put%[1]d_%[2]d stores a value under key in the index.
func (x *index%[1]d) put%[1]d_%[2]d(key, value string) error {
	if key == "" {
		return errors.New("empty key")
	}
	if _, ok := x.keys[key]; ok {
		return nil
	}
	x.keys[key] = value
	x.count++
	return nil
}
`, i, j)
		}
		out[fmt.Sprintf("index%d.go", i)] = b.String()
	}
	return out
}

// realSized appends unrelated helpers to every file of package kv until it is about 3 KB, the
// median size of a non-test file in the Go corpus (pgx, client_golang; cobra's is 7 KB). Files
// of a few hundred bytes are one chunk each, which no real package looks like. Appending keeps
// every task's line and gold span where they were.
func realSized(files map[string]string) map[string]string {
	out := map[string]string{}
	for p, c := range files {
		if strings.HasSuffix(p, ".go") && !strings.Contains(p, "/") {
			stem := strings.TrimSuffix(p, ".go")
			for i := 0; len(c) < 3000; i++ {
				c += fmt.Sprintf(`
// %[1]sStat%[2]d counts the bytes of %[1]s entries of kind %[2]d.
func %[1]sStat%[2]d(entries []string) (n int, longest string) {
	for _, e := range entries {
		n += len(e)
		if len(e) > len(longest) {
			longest = e
		}
	}
	return n, longest
}
`, stem, i)
			}
		}
		out[p] = c
	}
	return out
}

func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func syntheticFiles() map[string][]byte {
	out := map[string][]byte{}
	for p, c := range syntheticModule {
		if strings.HasSuffix(p, ".go") {
			out[p] = []byte(c)
		}
	}
	return out
}

func TestGenerateTasksFindsCrossFileReferences(t *testing.T) {
	files := syntheticFiles()
	tasks := GenerateTasks(files, 0, 1)
	got := map[string]Task{}
	for _, tk := range tasks {
		got[tk.ID] = tk
		// The task's text is the file minus the hidden line.
		src := string(files[tk.File])
		lines := strings.SplitAfter(src, "\n")
		if want := strings.Join(lines[:tk.Line-1], ""); tk.Prefix != want {
			t.Errorf("%s: prefix is not the text before the line", tk.ID)
		}
		if want := strings.Join(lines[tk.Line:], ""); tk.Suffix != want {
			t.Errorf("%s: suffix is not the text after the line", tk.ID)
		}
		if tk.Gold.File == tk.File {
			t.Errorf("%s: gold in the task's own file", tk.ID)
		}
	}
	want := []Task{
		{ID: "open.go:5", Kind: KindCall, Name: "DefaultConfig", Gold: Span{"config.go", 12, 14}},
		{ID: "open.go:7", Kind: KindCall, Name: "Validate", Gold: Span{"config.go", 17, 22}},
		{ID: "open.go:10", Kind: KindCall, Name: "newDB", Gold: Span{"db.go", 13, 15}},
		{ID: "db.go:8", Kind: KindUse, Name: "Config", Gold: Span{"config.go", 6, 9}},
		{ID: "db.go:21", Kind: KindCall, Name: "encodeRecord", Gold: Span{"record.go", 7, 13}},
		{ID: "db.go:22", Kind: KindCall, Name: "writeRecord", Gold: Span{"record.go", 15, 21}},
		{ID: "record.go:15", Kind: KindUse, Name: "DB", Gold: Span{"db.go", 6, 11}},
		{ID: "cmd/kvtool/main.go:9", Kind: KindCall, Name: "mustOpen", Gold: Span{"cmd/kvtool/util.go", 5, 11}},
	}
	for _, w := range want {
		g, ok := got[w.ID]
		if !ok {
			t.Errorf("no task %s (%s)", w.ID, w.Name)
			continue
		}
		if g.Kind != w.Kind || g.Name != w.Name || g.Gold != w.Gold {
			t.Errorf("%s: got %s %s %+v, want %s %s %+v", w.ID, g.Kind, g.Name, g.Gold, w.Kind, w.Name, w.Gold)
		}
	}
	// compact.go's line 9 calls both writeRecord and encodeRecord: one task per line.
	if g := got["compact.go:9"]; g.Name != "writeRecord" {
		t.Errorf("compact.go:9: got %q, want the first reference, writeRecord", g.Name)
	}
	// Imports and same-file names make no task: main.go's fmt, db.go's own newDB.
	for id, g := range got {
		if g.Name == "Println" || (g.File == "db.go" && g.Name == "newDB") {
			t.Errorf("unexpected task %s on %s", id, g.Name)
		}
	}
}

func TestGenerateTasksIsDeterministicUnderASeed(t *testing.T) {
	files := syntheticFiles()
	all := GenerateTasks(files, 0, 1)
	if len(all) < 8 {
		t.Fatalf("only %d tasks", len(all))
	}
	a := GenerateTasks(files, 5, 7)
	b := GenerateTasks(files, 5, 7)
	if len(a) != 5 {
		t.Fatalf("cap: got %d tasks, want 5", len(a))
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed drew different tasks")
	}
	differs := false
	for s := uint64(8); s < 20 && !differs; s++ {
		differs = !reflect.DeepEqual(a, GenerateTasks(files, 5, s))
	}
	if !differs {
		t.Fatal("every seed drew the same tasks")
	}
}

func TestMaskLinesHidesIdentifiersAndKeepsTheFileParseable(t *testing.T) {
	src := []byte(syntheticModule["open.go"])
	masked := MaskLines(src, map[int]bool{5: true, 7: true})
	if len(masked) != len(src) {
		t.Fatalf("length changed: %d -> %d", len(src), len(masked))
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "open.go", masked, 0); err != nil {
		t.Fatalf("masked file does not parse: %v\n%s", err, masked)
	}
	lines := strings.Split(string(masked), "\n")
	orig := strings.Split(string(src), "\n")
	if got, want := lines[4], "\txxx := xxxxxxxxxxxxx()"; got != want {
		t.Errorf("line 5: got %q, want %q", got, want)
	}
	if got, want := lines[6], "\tif xxx := xxx.xxxxxxxx(); xxx != xxx {"; got != want {
		t.Errorf("line 7: got %q, want %q", got, want)
	}
	for i := range lines {
		if i != 4 && i != 6 && lines[i] != orig[i] {
			t.Errorf("line %d changed: %q", i+1, lines[i])
		}
	}
	if strings.Contains(string(masked), "DefaultConfig") || strings.Contains(string(masked), "Validate") {
		t.Error("a hidden name is still in the masked file")
	}
}

func TestScore(t *testing.T) {
	gold := Span{"a.go", 10, 20}
	sn := func(file string, from, to int, body string) Snippet {
		return Snippet{File: file, StartLine: from, EndLine: to, Body: body}
	}
	cases := []struct {
		name     string
		ranked   []Snippet
		packed   [][]Snippet
		file     int
		span     int
		inBudget []bool
	}{
		{"span first", []Snippet{sn("a.go", 15, 30, "")}, [][]Snippet{{sn("a.go", 15, 30, "")}, nil}, 1, 1, []bool{true, false}},
		{"file before span", []Snippet{sn("b.go", 1, 9, ""), sn("a.go", 1, 9, ""), sn("a.go", 20, 25, "")}, nil, 2, 3, []bool{}},
		{"touching the last line counts", []Snippet{sn("a.go", 20, 40, "")}, nil, 1, 1, []bool{}},
		{"other file same lines", []Snippet{sn("b.go", 10, 20, "")}, [][]Snippet{{sn("b.go", 10, 20, "")}}, 0, 0, []bool{false}},
		{"beyond the top 10", append(make([]Snippet, 10), sn("a.go", 10, 20, "")), nil, 0, 0, []bool{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := Score(gold, c.ranked, c.packed, time.Millisecond)
			if o.FileRank != c.file || o.SpanRank != c.span || !reflect.DeepEqual(o.InBudget, c.inBudget) {
				t.Errorf("got file %d span %d budget %v, want %d %d %v", o.FileRank, o.SpanRank, o.InBudget, c.file, c.span, c.inBudget)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	outs := []Outcome{
		{FileRank: 1, SpanRank: 1, InBudget: []bool{true, true, true}, Latency: 1 * time.Millisecond},
		{FileRank: 1, SpanRank: 2, InBudget: []bool{false, true, true}, Latency: 2 * time.Millisecond},
		{FileRank: 3, SpanRank: 8, InBudget: []bool{false, false, true}, Latency: 3 * time.Millisecond},
		{FileRank: 0, SpanRank: 0, InBudget: []bool{false, false, false}, Latency: 10 * time.Millisecond},
	}
	s := Summarize(outs)
	want := Summary{Tasks: 4, File1: 0.5, File5: 0.75, File10: 0.75, Span1: 0.25, Span5: 0.5, Span10: 0.75,
		MRR: (1 + 0.5 + 0.125) / 4, Budget: []float64{0.25, 0.5, 0.75}, P50MS: 2, P99MS: 10}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
	m := Macro([]Summary{want, {Tasks: 2, MRR: 0.5, Budget: []float64{1, 1, 1}, P50MS: 4}})
	if m.Tasks != 6 || m.MRR != (want.MRR+0.5)/2 || m.Budget[0] != 0.625 || m.P50MS != 3 {
		t.Errorf("macro: got %+v", m)
	}
}

func TestPackGreedySkipsWhatDoesNotFit(t *testing.T) {
	ranked := []Snippet{{File: "a", Body: strings.Repeat("a", 600)}, {File: "b", Body: strings.Repeat("b", 300)}, {File: "c", Body: strings.Repeat("c", 100)}}
	got := packGreedy(ranked, 768)
	if len(got) != 2 || got[0].File != "a" || got[1].File != "c" {
		t.Errorf("got %v", got)
	}
}

func TestBaselinesExcludeTheCurrentFileAndCapTabbyPerFile(t *testing.T) {
	files := syntheticFiles()
	task := Task{File: "db.go", Prefix: "func (d *DB) Put(key, value string) error {\n\td.mu.Lock()\n\tdefer d.mu.Unlock()\n"}
	for _, r := range []Retriever{NewTabby(files), NewCCEBM25(files), NewRepoCoder(files)} {
		got, err := r.Rank(task)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			t.Errorf("%s: nothing found", r.Name())
		}
		per := map[string]int{}
		for _, s := range got {
			if s.File == task.File {
				t.Errorf("%s returned the current file", r.Name())
			}
			per[s.File]++
			if s.StartLine < 1 || s.EndLine < s.StartLine {
				t.Errorf("%s: bad span %d-%d", r.Name(), s.StartLine, s.EndLine)
			}
		}
		if r.Name() == "tabby-like" {
			for f, n := range per {
				if n > 2 {
					t.Errorf("tabby-like: %d hits from %s", n, f)
				}
			}
		}
	}
}

func TestWordsAreBackslashW(t *testing.T) {
	got := words("d.writeRecord(encodeRecord(k, v)); x_1 := 42 // é")
	want := []string{"d", "writeRecord", "encodeRecord", "k", "v", "x_1", "42", "é"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func evalSynthetic(t *testing.T) ProjectResult {
	t.Helper()
	dir := writeModule(t, withNoise(realSized(syntheticModule), 12))
	res, err := EvalDir(context.Background(), "kv", LangGo, dir, Config{MaxTasks: 200, Seed: 1, Workdir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Results {
		t.Logf("%-18s span@1 %.3f span@10 %.3f MRR %.3f <=2048 %.3f", r.Retriever, r.Summary.Span1, r.Summary.Span10, r.Summary.MRR, r.Summary.Budget[1])
	}
	return res
}

func byRetriever(res ProjectResult) map[string]Summary {
	by := map[string]Summary{}
	for _, r := range res.Results {
		by[r.Retriever] = r.Summary
	}
	return by
}

// TestEvalOnASyntheticModule runs the whole eval offline and checks that every retriever
// answered every task and that the report prints.
func TestEvalOnASyntheticModule(t *testing.T) {
	res := evalSynthetic(t)
	if res.Tasks < 8 || res.Files != 19 {
		t.Fatalf("got %d tasks over %d files", res.Tasks, res.Files)
	}
	by := byRetriever(res)
	for _, name := range []string{"codectx", "tabby-like", "cce-bm25", "repocoder-jaccard"} {
		if s, ok := by[name]; !ok || s.Tasks != res.Tasks {
			t.Errorf("%s: missing or incomplete", name)
		}
	}
	if by["codectx"].Budget[1] == 0 {
		t.Error("codectx never packed the gold span")
	}
	rep := NewReport(Config{MaxTasks: 200, Seed: 1}, []ProjectResult{res})
	var b strings.Builder
	WriteTable(&b, rep)
	if !strings.Contains(b.String(), "macro average") || strings.Count(b.String(), "\n") != 9 {
		t.Errorf("table:\n%s", b.String())
	}
}

// TestCodectxPacksTheGoldAtLeastAsOftenAsTabby is the quality floor: within a 2,048-char
// prompt, codectx must hold the gold definition at least as often as the Tabby-like baseline.
// It caught pack dropping a lexical chunk that overlapped a definition span already taken from
// the same file (util.go's mustOpen beside describe).
func TestCodectxPacksTheGoldAtLeastAsOftenAsTabby(t *testing.T) {
	by := byRetriever(evalSynthetic(t))
	if cx, tabby := by["codectx"].Budget[1], by["tabby-like"].Budget[1]; cx < tabby {
		t.Errorf("codectx span hit within 2048 chars %.3f < tabby-like %.3f", cx, tabby)
	}
}
