package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/pipeline"
)

func cmdIndex(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := flag.NewFlagSet("index", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	var srcs stringList
	fs.Var(&srcs, "source", "a git repository (path or URL) or a folder to index; repeatable (default: the config's sources)")
	branch := fs.String("branch", "", "branch to index (default: HEAD, or the remote's default branch)")
	quiet := fs.Bool("quiet", false, "no progress bar, only the summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	if len(srcs) > 0 {
		cfg.Sources = nil
		for _, s := range srcs {
			cfg.Sources = append(cfg.Sources, SourceConfig{URL: s, Branch: *branch})
		}
	} else if *branch != "" {
		return fmt.Errorf("index: --branch needs --source: %w", errUsage)
	}
	if len(cfg.Sources) == 0 {
		return fmt.Errorf("index: name a --source, or list [[sources]] in the config: %w", errUsage)
	}
	// The live heap of an index is small (about 11 MB for Go's source tree) while the files
	// pass through it, so at Go's default the collector runs every few MB: 91 times for that
	// tree (0.7 CPU-seconds of marking), 18 times at 400 (0.18 s) for about 30 MB more at peak.
	// GOGC, when set, decides.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	log := cliLogger(stderr, cfg.LogLevel)
	// Indexing only writes: the in-memory index that queries read is built by whoever serves
	// them, when it opens the store.
	a, err := openAppWith(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer a.Close()
	// The pipeline parses on one worker per CPU (set above, from GOMAXPROCS). Parsing is a
	// call into C that keeps its P until the runtime notices, so with one P per CPU the rest
	// (storing, the collector, the walk) waits for a P while a CPU may be free; one more P
	// lets it run at once (BENCHMARKS.md). GOMAXPROCS, when set, decides.
	if env("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
	if err := a.pipe.Start(ctx); err != nil {
		return err
	}
	tty := isTerminal(stderr) && !*quiet
	var failed []string
	for _, src := range a.sources {
		name := src.Name()
		start := time.Now()
		var prog func(pipeline.Progress)
		var bar *syncBar
		if tty {
			bar = newSyncBar(stderr, name)
			prog = bar.update
		}
		run, err := a.pipe.Sync(ctx, name, "cli", prog)
		if bar != nil {
			bar.finish()
		}
		fmt.Fprintln(stdout, summary(run, time.Since(start)))
		if err != nil {
			failed = append(failed, err.Error())
			if run.ID == "" { // failed before the run began
				fmt.Fprintf(stdout, "%s: sync failed: %v\n", name, err)
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d sources failed to sync: %s", len(failed), len(a.sources), strings.Join(failed, "; "))
	}
	return nil
}

// summary is the one-line report of a sync.
func summary(run codectx.Run, took time.Duration) string {
	var b strings.Builder
	to := run.To
	if len(to) > 12 {
		to = to[:12]
	}
	if run.Error == "" && run.From == run.To && run.Upserts+run.Deletes == 0 && run.Failed == 0 {
		return fmt.Sprintf("%s: up to date at %s", run.Source, to)
	}
	if run.Error != "" && run.Upserts+run.Deletes+run.Failed == 0 {
		return fmt.Sprintf("%s: sync failed: %s", run.Source, run.Error)
	}
	mb := float64(run.Bytes) / 1e6
	fmt.Fprintf(&b, "%s: %d files indexed, %d deleted, %d chunks, %.1f MB in %s (%.1f MB/s)",
		run.Source, run.Upserts, run.Deletes, run.Chunks, mb, took.Round(time.Millisecond), mb/max(took.Seconds(), 1e-9))
	if to != "" {
		fmt.Fprintf(&b, " at %s", to)
	}
	if len(run.Skipped) > 0 {
		reasons := make([]string, 0, len(run.Skipped))
		for r := range run.Skipped {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		parts := make([]string, len(reasons))
		for i, r := range reasons {
			parts[i] = fmt.Sprintf("%s=%d", r, run.Skipped[r])
		}
		fmt.Fprintf(&b, "; skipped %s", strings.Join(parts, " "))
	}
	if run.Failed > 0 {
		fmt.Fprintf(&b, "; %d failed (see dead letters)", run.Failed)
	}
	if run.Error != "" {
		fmt.Fprintf(&b, "; error: %s", run.Error)
	}
	return b.String()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// syncBar draws a progress bar: files done of files found, chunks, MB/s and the ETA.
type syncBar struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	start time.Time
	total bool
}

func newSyncBar(w io.Writer, name string) *syncBar {
	return &syncBar{start: time.Now(), bar: progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("files"),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

func (s *syncBar) update(p pipeline.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Total > 0 && !s.total {
		s.total = true
		s.bar.ChangeMax(p.Total)
	}
	mb := float64(p.Bytes) / 1e6
	s.bar.Describe(fmt.Sprintf("%s: %d chunks, %.1f MB/s", p.Source, p.Chunks, mb/max(time.Since(s.start).Seconds(), 1e-9)))
	_ = s.bar.Set(p.Done)
}

func (s *syncBar) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.bar.Finish()
}
