package eval

// TestEvalGuard is the eval's regression guard for CI: a short run of the real harness (the
// same Fetch and Run as `codectx eval`) on five small projects of the corpus, compared with the
// golden metrics in testdata/guard.json.
//
// Run it:
//
//	go test -count=1 -run TestEvalGuard ./bench/eval -v
//
// Rewrite the golden file from a run (after a change to the retriever that is meant to move
// the numbers, or when the test says the golden file is stale), then review and commit it:
//
//	go test -count=1 -run TestEvalGuard ./bench/eval -update
//
// The same run from the command line:
//
//	go run ./cmd/codectx eval --seed 1 --tasks 60 --projects github.com/spf13/cobra@v1.8.1,py:email,py:xml,npm:ky@1.7.2#distribution,npm:yargs@17.7.2#build/lib

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var updateGuard = flag.Bool("update", false, "TestEvalGuard: rewrite testdata/guard.json from this run")

const (
	guardGoldenPath = "testdata/guard.json"
	guardSeed       = 1
	guardTasks      = 60 // per project
	// guardCodectxTolerance is how far below the golden value a codectx metric may fall, and
	// how far above it it may rise before the golden file is called stale. Runs are
	// bit-identical on one machine (with and without -race); the slack is for floating-point
	// sums that can differ on another CPU (FMA) and flip ties, and it is just over one task of a
	// 60-task project (1/60 = 0.0167): one task lost in a project passes, two fail, and any
	// drop of a language's macro average by 0.02 fails.
	guardCodectxTolerance = 0.02
	// guardBaselineTolerance is how far a baseline may move. The baselines do not change with
	// codectx; their numbers move only when the tasks, the masking, the fetched sources or the
	// harness change. It is below the smallest possible change of any stored metric (an MRR
	// rank 9 -> 10 on one task of a 60-task project, within a macro average of two projects:
	// 9.3e-5) and above the rounding of the golden file (6 decimals).
	guardBaselineTolerance = 1e-5
)

// guardProjects are the guard's projects, in the syntax of `codectx eval --projects`: small
// enough that the whole test, downloads included, takes seconds.
var guardProjects = []string{
	"github.com/spf13/cobra@v1.8.1",
	"py:email",
	"py:xml",
	"npm:ky@1.7.2#distribution",
	"npm:yargs@17.7.2#build/lib",
}

// guardMetric is one metric that the golden file holds.
type guardMetric struct {
	name string
	of   func(Summary) float64
}

// guardMetrics returns the metrics kept for codectx and those kept for each baseline.
func guardMetrics(t *testing.T) (cx, base []guardMetric) {
	t.Helper()
	b2048 := -1
	for i, b := range Budgets {
		if b == 2048 {
			b2048 = i
		}
	}
	if b2048 < 0 {
		t.Fatalf("Budgets %v has no 2048: the guard's metric span_hit_within_2048 needs it", Budgets)
	}
	span2048 := guardMetric{"span_hit_within_2048", func(s Summary) float64 { return s.Budget[b2048] }}
	mrr := guardMetric{"mrr", func(s Summary) float64 { return s.MRR }}
	cx = []guardMetric{span2048, mrr,
		{"file_hit_10", func(s Summary) float64 { return s.File10 }},
		{"span_hit_10", func(s Summary) float64 { return s.Span10 }},
	}
	return cx, []guardMetric{span2048, mrr}
}

// guardGolden is testdata/guard.json.
type guardGolden struct {
	Note     string `json:"note"`
	Seed     uint64 `json:"seed"`
	MaxTasks int    `json:"max_tasks"`
	// Python is the version of the python3 whose standard library gave the Python projects.
	Python    string       `json:"python"`
	Projects  []guardEntry `json:"projects"`
	Languages []guardEntry `json:"languages"`
}

// guardEntry is one project, or one language's macro average (Files 0).
type guardEntry struct {
	Name  string `json:"name"`
	Lang  string `json:"lang"`
	Files int    `json:"files,omitempty"`
	Tasks int    `json:"tasks"`
	// Metrics maps a retriever to its metrics by name.
	Metrics map[string]map[string]float64 `json:"metrics"`
}

func TestEvalGuard(t *testing.T) {
	unavailable := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") != "" {
			t.Fatalf("%s (CI is set, so the eval guard may not be skipped)", msg)
		}
		t.Skip(msg + "; skipped (under CI this fails)")
	}
	var projects []Project
	for _, s := range guardProjects {
		p, err := ParseProject(s)
		if err != nil {
			t.Fatal(err)
		}
		projects = append(projects, p)
	}
	python, err := exec.Command("python3", "-c", "import sys;print('%d.%d.%d'%sys.version_info[:3])").Output()
	if err != nil {
		unavailable("the eval guard needs python3 for its standard-library projects: %v", err)
	}
	pyVersion := strings.TrimSpace(string(python))

	// Fetch first, with a deadline, so that an unreachable Go module proxy or npm registry
	// (npm retries for about 70 s before it gives up) is told apart from a failing eval. The Go
	// module comes first: without a network it fails at once.
	cfg := Config{Projects: projects, MaxTasks: guardTasks, Seed: guardSeed, Workdir: t.TempDir()}
	start := time.Now()
	fetchCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	for _, p := range projects {
		if _, err := Fetch(fetchCtx, p, cfg.Workdir); err != nil {
			cancel()
			unavailable("fetching %s failed (the eval guard needs the Go module proxy, and npm with its registry): %v", p.Name(), err)
		}
	}
	cancel()
	fetched := time.Since(start)

	// Run reuses the fetched copies.
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	WriteTable(&table, rep)
	t.Logf("fetched in %v, evaluated in %v; seed %d, at most %d tasks per project, python3 %s:\n%s",
		fetched.Round(time.Millisecond), (time.Since(start) - fetched).Round(time.Millisecond), cfg.Seed, cfg.MaxTasks, pyVersion, table.String())

	cxMetrics, baseMetrics := guardMetrics(t)
	got := guardGolden{
		Note:     "Golden metrics of TestEvalGuard (bench/eval/guard_test.go). Regenerate: go test -count=1 -run TestEvalGuard ./bench/eval -update",
		Seed:     cfg.Seed,
		MaxTasks: cfg.MaxTasks,
		Python:   pyVersion,
	}
	entry := func(name, lang string, files, tasks int, results []RetrieverResult) guardEntry {
		e := guardEntry{Name: name, Lang: lang, Files: files, Tasks: tasks, Metrics: map[string]map[string]float64{}}
		for _, rr := range results {
			ms := baseMetrics
			if rr.Retriever == "codectx" {
				ms = cxMetrics
			}
			m := map[string]float64{}
			for _, metric := range ms {
				m[metric.name] = math.Round(metric.of(rr.Summary)*1e6) / 1e6
			}
			e.Metrics[rr.Retriever] = m
		}
		return e
	}
	for _, p := range rep.Projects {
		got.Projects = append(got.Projects, entry(p.Name, p.Lang, p.Files, p.Tasks, p.Results))
	}
	for _, l := range rep.Languages {
		got.Languages = append(got.Languages, entry("macro "+l.Lang, l.Lang, 0, l.Macro[0].Summary.Tasks, l.Macro))
	}
	if _, ok := got.Projects[0].Metrics["codectx"]; !ok || len(got.Projects[0].Metrics) != 4 {
		t.Fatalf("want codectx and three baselines, got %v", got.Projects[0].Metrics)
	}

	if *updateGuard {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(guardGoldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(guardGoldenPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s; review the change and commit it", guardGoldenPath)
		return
	}

	b, err := os.ReadFile(guardGoldenPath)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no golden file %s: create it with `go test -count=1 -run TestEvalGuard ./bench/eval -update`", guardGoldenPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	var want guardGolden
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("%s: %v", guardGoldenPath, err)
	}
	if want.Seed != got.Seed || want.MaxTasks != got.MaxTasks {
		t.Fatalf("%s was made with seed %d and %d tasks per project, the test runs seed %d and %d: regenerate it with -update",
			guardGoldenPath, want.Seed, want.MaxTasks, got.Seed, got.MaxTasks)
	}
	skipLang := map[string]bool{}
	if want.Python != got.Python {
		msg := fmt.Sprintf("python3 is %s, the golden file was made with %s: the standard-library sources differ, so the Python projects are not compared (regenerate with -update on the python3 that CI uses)",
			got.Python, want.Python)
		if os.Getenv("CI") != "" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
		skipLang[LangPython] = true
	}
	stale := compareGuard(t, want.Projects, got.Projects, skipLang, cxMetrics, baseMetrics)
	stale = append(stale, compareGuard(t, want.Languages, got.Languages, skipLang, cxMetrics, baseMetrics)...)
	if len(stale) > 0 && !t.Failed() {
		t.Logf("codectx is better than %s by more than %.2f in:\n\t%s\nthe golden file is stale: regenerate it with `go test -count=1 -run TestEvalGuard ./bench/eval -update` and commit it",
			guardGoldenPath, guardCodectxTolerance, strings.Join(stale, "\n\t"))
	}
}

// compareGuard checks a run's entries (projects, or language macro averages) against the
// golden ones and returns where codectx beat the golden value by more than the tolerance.
func compareGuard(t *testing.T, want, got []guardEntry, skipLang map[string]bool, cxMetrics, baseMetrics []guardMetric) (stale []string) {
	t.Helper()
	const update = "`go test -count=1 -run TestEvalGuard ./bench/eval -update`"
	byName := map[string]guardEntry{}
	for _, e := range want {
		byName[e.Name] = e
	}
	seen := map[string]bool{}
	for _, g := range got {
		seen[g.Name] = true
		if skipLang[g.Lang] {
			continue
		}
		w, ok := byName[g.Name]
		if !ok {
			t.Errorf("%s: not in %s (the guard's projects changed?): regenerate it with %s", g.Name, guardGoldenPath, update)
			continue
		}
		if g.Files != w.Files || g.Tasks != w.Tasks {
			t.Errorf("%s: %d tasks over %d files, golden %d tasks over %d files: the fetched sources or the task generator changed, not the retriever; if that is intended, regenerate with %s",
				g.Name, g.Tasks, g.Files, w.Tasks, w.Files, update)
			continue
		}
		for _, r := range sortedKeys(g.Metrics) {
			wm, ok := w.Metrics[r]
			if !ok {
				t.Errorf("%s: retriever %s not in %s: regenerate it with %s", g.Name, r, guardGoldenPath, update)
				continue
			}
			ms := baseMetrics
			if r == "codectx" {
				ms = cxMetrics
			}
			for _, m := range ms {
				gv := g.Metrics[r][m.name]
				wv, ok := wm[m.name]
				if !ok {
					t.Errorf("%s: %s %s not in %s: regenerate it with %s", g.Name, r, m.name, guardGoldenPath, update)
					continue
				}
				switch {
				case r != "codectx" && math.Abs(gv-wv) > guardBaselineTolerance:
					t.Errorf("%s: baseline %s %s = %.6f, golden %.6f: the baselines are deterministic and do not depend on codectx, so the tasks, the masking, the fetched sources or the harness changed; if that is intended, regenerate with %s",
						g.Name, r, m.name, gv, wv, update)
				case r == "codectx" && gv < wv-guardCodectxTolerance:
					t.Errorf("%s: codectx %s = %.4f, golden %.4f: a regression beyond the tolerance %.2f (if the trade-off is intended, regenerate with %s)",
						g.Name, m.name, gv, wv, guardCodectxTolerance, update)
				case r == "codectx" && gv > wv+guardCodectxTolerance:
					stale = append(stale, fmt.Sprintf("%s %s %.4f (golden %.4f)", g.Name, m.name, gv, wv))
				}
			}
		}
	}
	for _, w := range want {
		if !seen[w.Name] && !skipLang[w.Lang] {
			t.Errorf("%s: in %s but not in the run (the guard's projects changed?): regenerate it with %s", w.Name, guardGoldenPath, update)
		}
	}
	return stale
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
