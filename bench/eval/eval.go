// Package eval measures the quality of the context codectx retrieves, next to the retrieval of
// published baselines, on completion tasks generated from real Go modules, packages of the
// Python standard library and npm packages (TypeScript and JavaScript).
//
// A task hides one line of a file that references a name declared in another file of the same
// package (Go) or imported from another file of the same project (Python, TypeScript,
// JavaScript); the gold answer is that declaration. Every task line of a project is masked in the
// copy that is indexed (see MaskLines), for codectx and the baselines alike, so no index holds
// a hidden line. Nothing fetched is kept in the repository.
package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"
)

// Config is one run of the eval.
type Config struct {
	Projects []Project
	// MaxTasks caps the tasks of one project (200 when <= 0).
	MaxTasks int
	Seed     uint64
	// Window, when positive, sends codectx only the last Window lines before the cursor and
	// the first Window after it, as editor clients do (tabby-agent sends 20 of each by
	// default); 0 sends the whole file. The baselines keep their own windows.
	Window int
	// Workdir holds the fetched modules and the indexes. It must exist.
	Workdir string
	Log     *slog.Logger
	// Dump, when set, receives a JSON line per task and retriever: the task, the gold span's
	// rank and the first snippets of the ranking, to study misses.
	Dump io.Writer
}

// DumpLine is one line of Config.Dump.
type DumpLine struct {
	Project   string    `json:"project"`
	Retriever string    `json:"retriever"`
	Task      string    `json:"task"`
	Kind      string    `json:"kind"`
	Name      string    `json:"name"`
	Gold      Span      `json:"gold"`
	SpanRank  int       `json:"span_rank"`
	InBudget  []bool    `json:"in_budget"`
	Top       []DumpHit `json:"top"`
}

// DumpHit is one snippet of a DumpLine.
type DumpHit struct {
	Span
	Why string `json:"why,omitempty"`
}

// ProjectResult is the outcome for one project.
type ProjectResult struct {
	Name  string `json:"name"`
	Lang  string `json:"lang"`
	Files int    `json:"files"`
	Tasks int    `json:"tasks"`
	Calls int    `json:"call_tasks"`
	// Results holds a summary per retriever, in the order of Retrievers.
	Results []RetrieverResult `json:"results"`
}

// RetrieverResult is one retriever's summary.
type RetrieverResult struct {
	Retriever string  `json:"retriever"`
	Summary   Summary `json:"summary"`
}

// LanguageResult is the macro average over the projects of one language.
type LanguageResult struct {
	Lang     string            `json:"lang"`
	Projects int               `json:"projects"`
	Macro    []RetrieverResult `json:"macro"`
}

// Report is a whole run. Macro weighs each language the same (and, within a language, each
// project the same); with one language it is that language's macro average.
type Report struct {
	Seed      uint64            `json:"seed"`
	Window    int               `json:"window,omitempty"`
	MaxTasks  int               `json:"max_tasks"`
	Budgets   []int             `json:"budgets"`
	Projects  []ProjectResult   `json:"projects"`
	Languages []LanguageResult  `json:"languages"`
	Macro     []RetrieverResult `json:"macro"`
}

// Run fetches each project and evaluates it.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	var results []ProjectResult
	for _, p := range cfg.Projects {
		dir, err := Fetch(ctx, p, cfg.Workdir)
		if err != nil {
			return nil, err
		}
		res, err := EvalDir(ctx, p.Name(), p.Lang, dir, cfg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name(), err)
		}
		results = append(results, res)
	}
	return NewReport(cfg, results), nil
}

// NewReport adds the macro averages, per language and overall, to per-project results.
func NewReport(cfg Config, results []ProjectResult) *Report {
	r := &Report{Seed: cfg.Seed, Window: cfg.Window, MaxTasks: maxTasks(cfg), Budgets: Budgets, Projects: results}
	if len(results) == 0 {
		return r
	}
	retrievers := results[0].Results
	langs := map[string][]ProjectResult{}
	var order []string
	for _, p := range results {
		if _, ok := langs[p.Lang]; !ok {
			order = append(order, p.Lang)
		}
		langs[p.Lang] = append(langs[p.Lang], p)
	}
	sort.SliceStable(order, func(i, j int) bool { return langRank(order[i]) < langRank(order[j]) })
	for _, l := range order {
		lr := LanguageResult{Lang: l, Projects: len(langs[l])}
		for i, rr := range retrievers {
			var sums []Summary
			for _, p := range langs[l] {
				if p.Tasks > 0 {
					sums = append(sums, p.Results[i].Summary)
				}
			}
			lr.Macro = append(lr.Macro, RetrieverResult{rr.Retriever, Macro(sums)})
		}
		r.Languages = append(r.Languages, lr)
	}
	for i, rr := range retrievers {
		var sums []Summary
		for _, l := range r.Languages {
			if l.Macro[i].Summary.Tasks > 0 {
				sums = append(sums, l.Macro[i].Summary)
			}
		}
		r.Macro = append(r.Macro, RetrieverResult{rr.Retriever, Macro(sums)})
	}
	return r
}

func langRank(l string) int {
	for i, x := range Languages {
		if x == l {
			return i
		}
	}
	return len(Languages)
}

func maxTasks(cfg Config) int {
	if cfg.MaxTasks <= 0 {
		return 200
	}
	return cfg.MaxTasks
}

// EvalDir evaluates the project of language lang in dir under the name name: it generates the
// tasks, masks their lines in the indexed copy, builds every retriever over that copy and
// scores them.
func EvalDir(ctx context.Context, name, lang, dir string, cfg Config) (ProjectResult, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	paths, err := SourceFiles(dir, lang)
	if err != nil {
		return ProjectResult{}, err
	}
	files, err := readFiles(dir, paths)
	if err != nil {
		return ProjectResult{}, err
	}
	tasks := GenerateTasksFor(lang, files, maxTasks(cfg), cfg.Seed)
	res := ProjectResult{Name: name, Lang: lang, Files: len(files), Tasks: len(tasks)}
	for _, t := range tasks {
		if t.Kind == KindCall {
			res.Calls++
		}
	}

	hidden := map[string]map[int]bool{}
	for _, t := range tasks {
		if hidden[t.File] == nil {
			hidden[t.File] = map[int]bool{}
		}
		hidden[t.File][t.Line] = true
	}
	masked := make(map[string][]byte, len(files))
	for p, b := range files {
		masked[p] = MaskFile(p, b, hidden[p])
	}

	indexDir, err := os.MkdirTemp(cfg.Workdir, "index-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(indexDir)
	start := time.Now()
	cx, err := NewCodectx(ctx, indexDir, strings.SplitN(name, "@", 2)[0], masked, log)
	if err != nil {
		return res, err
	}
	defer cx.Close()
	cx.Window = cfg.Window
	log.Info("indexed", "project", name, "files", len(files), "tasks", len(tasks), "took", time.Since(start))
	retrievers := []Retriever{cx, NewTabby(masked), NewCCEBM25(masked), NewRepoCoder(masked)}

	for _, r := range retrievers {
		outs := make([]Outcome, 0, len(tasks))
		for _, t := range tasks {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			t0 := time.Now()
			ranked, err := r.Rank(t)
			took := time.Since(t0)
			if err != nil {
				return res, fmt.Errorf("%s on %s: %w", r.Name(), t.ID, err)
			}
			packed := make([][]Snippet, len(Budgets))
			for i, b := range Budgets {
				if packed[i], err = r.Pack(t, b); err != nil {
					return res, fmt.Errorf("%s on %s: %w", r.Name(), t.ID, err)
				}
			}
			o := Score(t.Gold, ranked, packed, took)
			outs = append(outs, o)
			if cfg.Dump != nil {
				line := DumpLine{Project: name, Retriever: r.Name(), Task: t.ID, Kind: t.Kind, Name: t.Name, Gold: t.Gold, SpanRank: o.SpanRank, InBudget: o.InBudget}
				for _, s := range ranked[:min(len(ranked), 5)] {
					line.Top = append(line.Top, DumpHit{Span{s.File, s.StartLine, s.EndLine}, s.Why})
				}
				if err := json.NewEncoder(cfg.Dump).Encode(line); err != nil {
					return res, fmt.Errorf("dump: %w", err)
				}
			}
		}
		res.Results = append(res.Results, RetrieverResult{r.Name(), Summarize(outs)})
	}
	return res, nil
}

// WriteTable prints the report as a table: each project, then, when there is more than one
// language, each language's macro average, then the overall macro average, with every
// retriever on its own row.
func WriteTable(w io.Writer, r *Report) {
	head := fmt.Sprintf("%-28s %-18s %5s %6s %6s %7s %6s %6s %7s %6s", "project", "retriever", "tasks",
		"file@1", "file@5", "file@10", "span@1", "span@5", "span@10", "MRR")
	for _, b := range r.Budgets {
		head += fmt.Sprintf(" %7s", fmt.Sprintf("<=%d", b))
	}
	head += fmt.Sprintf(" %8s %8s", "p50 ms", "p99 ms")
	fmt.Fprintln(w, head)
	row := func(project string, rr RetrieverResult) {
		s := rr.Summary
		line := fmt.Sprintf("%-28s %-18s %5d %6.3f %6.3f %7.3f %6.3f %6.3f %7.3f %6.3f", project, rr.Retriever, s.Tasks,
			s.File1, s.File5, s.File10, s.Span1, s.Span5, s.Span10, s.MRR)
		for _, v := range s.Budget {
			line += fmt.Sprintf(" %7.3f", v)
		}
		line += fmt.Sprintf(" %8.2f %8.2f", s.P50MS, s.P99MS)
		fmt.Fprintln(w, line)
	}
	for _, p := range r.Projects {
		for _, rr := range p.Results {
			row(p.Name, rr)
		}
	}
	if len(r.Languages) > 1 {
		for _, l := range r.Languages {
			for _, rr := range l.Macro {
				row("macro "+l.Lang, rr)
			}
		}
	}
	for _, rr := range r.Macro {
		row("macro average", rr)
	}
}
