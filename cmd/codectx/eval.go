package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/codectx/codectx/bench/eval"
)

// cmdEval runs the context-quality eval: codectx next to the baselines on tasks generated from
// pinned Go modules, Python standard-library packages and npm packages (or from a local
// project with --dir), and prints the table.
func cmdEval(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	projects := fs.String("projects", "", "comma-separated MODULE@VERSION, py:PACKAGE, npm:NAME@VERSION[#FOLDER] list (default: the built-in corpus)")
	langs := fs.String("langs", "go,python,js", "languages of the built-in corpus to run (go, python, js); with --dir, the project's language (default: guessed)")
	dir := fs.String("dir", "", "evaluate this local project folder instead of fetching projects")
	tasks := fs.Int("tasks", 200, "at most this many tasks per project")
	seed := fs.Uint64("seed", 1, "seed that draws the tasks")
	window := fs.Int("window", 0, "send codectx only the last N lines before the cursor and the first N after, as editor clients do (tabby-agent: 20); 0: the whole file")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	dump := fs.String("dump", "", "write a JSON line per task and retriever to this file: the gold's rank and the top snippets, to study misses")
	workdir := fs.String("workdir", "", "keep fetched modules here and reuse them (default: a temporary folder, removed)")
	logLevel := fs.String("log-level", "", "debug, info, warn or error (env CODECTX_LOG_LEVEL)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tasks <= 0 {
		return fmt.Errorf("eval: --tasks must be positive: %w", errUsage)
	}
	if *window < 0 {
		return fmt.Errorf("eval: --window must be 0 or positive: %w", errUsage)
	}
	level := *logLevel
	if level == "" {
		level = env("CODECTX_LOG_LEVEL")
	}
	if level == "" {
		level = "info" // cliLogger shows warnings only
	}
	cfg := eval.Config{MaxTasks: *tasks, Seed: *seed, Window: *window, Log: cliLogger(stderr, level)}
	langSet := map[string]bool{}
	langGiven := false
	fs.Visit(func(f *flag.Flag) { langGiven = langGiven || f.Name == "langs" })
	for _, l := range strings.Split(*langs, ",") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := eval.NormalizeLang(l)
		if n == "" {
			return fmt.Errorf("eval: unknown language %q in --langs (want go, python or js): %w", l, errUsage)
		}
		langSet[n] = true
	}
	if len(langSet) == 0 {
		return fmt.Errorf("eval: --langs names no language: %w", errUsage)
	}
	if *projects != "" {
		if *dir != "" {
			return fmt.Errorf("eval: --projects and --dir exclude each other: %w", errUsage)
		}
		for _, s := range strings.Split(*projects, ",") {
			p, err := eval.ParseProject(s)
			if err != nil {
				return fmt.Errorf("eval: %v: %w", err, errUsage)
			}
			cfg.Projects = append(cfg.Projects, p)
		}
	} else {
		for _, p := range eval.DefaultProjects {
			if langSet[p.Lang] {
				cfg.Projects = append(cfg.Projects, p)
			}
		}
	}

	if *workdir != "" {
		cfg.Workdir = expandHome(*workdir)
		if err := os.MkdirAll(cfg.Workdir, 0o755); err != nil {
			return err
		}
	} else {
		tmp, err := os.MkdirTemp("", "codectx-eval-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		cfg.Workdir = tmp
	}

	if *dump != "" {
		f, err := os.Create(expandHome(*dump))
		if err != nil {
			return fmt.Errorf("eval: --dump: %w", err)
		}
		defer f.Close()
		w := bufio.NewWriter(f)
		defer w.Flush()
		cfg.Dump = w
	}

	var rep *eval.Report
	if *dir != "" {
		abs, err := filepath.Abs(*dir)
		if err != nil {
			return err
		}
		lang := eval.DetectLang(abs)
		if langGiven {
			if len(langSet) != 1 {
				return fmt.Errorf("eval: with --dir, --langs names one language: %w", errUsage)
			}
			for l := range langSet {
				lang = l
			}
		}
		res, err := eval.EvalDir(ctx, filepath.Base(abs), lang, abs, cfg)
		if err != nil {
			return err
		}
		rep = eval.NewReport(cfg, []eval.ProjectResult{res})
	} else {
		var err error
		if rep, err = eval.Run(ctx, cfg); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	eval.WriteTable(stdout, rep)
	return nil
}
