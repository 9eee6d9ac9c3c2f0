package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers"
	"github.com/codectx/codectx/embedders/lexical"
	"github.com/codectx/codectx/pipeline"
	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sinks/embedded"
	"github.com/codectx/codectx/sources/docs"
	"github.com/codectx/codectx/sources/filter"
	gitsrc "github.com/codectx/codectx/sources/git"
)

// app is what the commands share: the configuration, the store, the sources and the pipeline.
type app struct {
	retrievals int // context retrievals at once (serve.Config.Retrievals; 0: the default)
	cfg        Config
	log        *slog.Logger
	store      *embedded.Store
	sources    []codectx.Source
	pipe       *pipeline.Pipeline
	registry   *prometheus.Registry

	namesMu         sync.Mutex
	names           []string
	namesAt         time.Time
	namesRefreshing bool
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// cliLogger is the logger of the one-shot commands: at the default level they log only
// warnings, since their own output says what info logs would.
func cliLogger(w io.Writer, level string) *slog.Logger {
	if strings.EqualFold(level, "info") {
		level = "warn"
	}
	return newLogger(w, level)
}

// expandHome turns a leading "~/" into the user's home directory.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

// openApp validates the configuration, opens the store and the sources, and builds (but does
// not start) the pipeline.
func openApp(ctx context.Context, cfg Config, log *slog.Logger) (*app, error) {
	return openAppWith(ctx, cfg, log, false)
}

// openAppWith is openApp; writeOnly opens the store without loading its in-memory index (the
// lexical index and symbol table that queries read), for commands that only write: indexing
// then neither waits for the existing index to load nor spends time keeping it up to date.
func openAppWith(ctx context.Context, cfg Config, log *slog.Logger, writeOnly bool) (*app, error) {
	nameSources(cfg.Sources)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	cfg.DataDir = expandHome(cfg.DataDir)
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	a := &app{cfg: cfg, log: log, registry: prometheus.NewRegistry()}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	store, err := embedded.OpenWith(ctx, filepath.Join(cfg.DataDir, "index"), log, embedded.OpenOptions{SkipIndex: writeOnly})
	if err != nil {
		return nil, fmt.Errorf("opening the index in %s: %w", cfg.DataDir, err)
	}
	a.store = store
	for _, sc := range cfg.Sources {
		src, err := openSource(cfg, sc, log)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.sources = append(a.sources, src)
	}
	pipe, err := pipeline.New(pipeline.Config{
		Store:      store,
		Chunker:    chunkers.New(chunkers.Options{TargetChars: cfg.Index.ChunkTargetChars}),
		Encode:     lexical.Vector,
		Workers:    cfg.Workers,
		Logger:     log,
		Registerer: a.registry,
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	a.pipe = pipe
	for _, s := range a.sources {
		pipe.AddSource(s)
	}
	return a, nil
}

// openSource picks the source kind: a remote URL or a local git repository is a git source, any
// other local directory a plain folder.
func openSource(cfg Config, sc SourceConfig, log *slog.Logger) (codectx.Source, error) {
	fo := filter.Options{MaxFileBytes: cfg.Index.MaxFileBytes, Include: sc.Include, Exclude: sc.Exclude}
	token := sc.Token
	if sc.TokenEnv != "" {
		token = os.Getenv(sc.TokenEnv)
		if token == "" {
			return nil, fmt.Errorf("source %q: environment variable %s (token_env) is empty", sc.Name, sc.TokenEnv)
		}
	}
	if isRemote(sc.URL) {
		src, err := gitsrc.New(gitsrc.Config{Name: sc.Name, URL: sc.URL, Branch: sc.Branch, DataDir: cfg.DataDir,
			Token: token, SSHKeyFile: expandHome(sc.SSHKeyFile), Filter: fo}, log)
		if err != nil {
			return nil, fmt.Errorf("source %q: %w", sc.Name, err)
		}
		return src, nil
	}
	path := expandHome(sc.URL)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("source %q: no such directory: %s", sc.Name, path)
	case err != nil:
		return nil, fmt.Errorf("source %q: %w", sc.Name, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("source %q: %s is not a directory", sc.Name, path)
	}
	if gitsrc.IsRepository(path) {
		src, err := gitsrc.New(gitsrc.Config{Name: sc.Name, URL: path, Branch: sc.Branch, DataDir: cfg.DataDir, Filter: fo}, log)
		if err != nil {
			return nil, fmt.Errorf("source %q: %w", sc.Name, err)
		}
		return src, nil
	}
	if sc.Branch != "" {
		return nil, fmt.Errorf("source %q: %s is not a git repository, so it has no branch %q", sc.Name, path, sc.Branch)
	}
	log.Info("not a git repository; indexing it as a plain folder", "source", sc.Name, "path", path)
	src, err := docs.NewFolder(docs.FolderConfig{Name: sc.Name, Path: path, Filter: fo}, log)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", sc.Name, err)
	}
	return src, nil
}

func isRemote(u string) bool {
	return strings.Contains(u, "://") || (strings.Contains(u, "@") && strings.Contains(u, ":") && !strings.HasPrefix(u, "/"))
}

// retriever builds the ranking service over the app's store.
func (a *app) retriever() *serve.Retriever {
	return &serve.Retriever{
		Index:       a.store,
		Sources:     a.sourceNames,
		Query:       lexical.Query,
		Identifiers: lexical.Identifiers,
		Log:         a.log,
	}
}

// sourceNames lists the sources a request may name: those configured and those with data in
// the store. Every request asks, so the store's list is cached and refreshed in the
// background once it is a second old.
func (a *app) sourceNames() []string {
	a.namesMu.Lock()
	defer a.namesMu.Unlock()
	if a.names == nil {
		a.names, a.namesAt = a.listSources(), time.Now()
	} else if time.Since(a.namesAt) > time.Second && !a.namesRefreshing {
		a.namesRefreshing = true
		go func() {
			names := a.listSources()
			a.namesMu.Lock()
			a.names, a.namesAt, a.namesRefreshing = names, time.Now(), false
			a.namesMu.Unlock()
		}()
	}
	return a.names
}

func (a *app) listSources() []string {
	names, err := a.store.Sources(context.Background())
	if err != nil {
		a.log.Error("listing sources", "err", err)
	}
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	if a.pipe != nil {
		for _, n := range a.pipe.SourceNames() {
			if !seen[n] {
				names = append(names, n)
			}
		}
	}
	if names == nil {
		names = []string{}
	}
	return names
}

// Close closes the pipeline, the sources and the store, in that order. It is safe on a
// partly opened app.
func (a *app) Close() error {
	var errs []error
	if a.pipe != nil {
		errs = append(errs, a.pipe.Close())
	}
	for _, s := range a.sources {
		errs = append(errs, s.Close())
	}
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	return errors.Join(errs...)
}
