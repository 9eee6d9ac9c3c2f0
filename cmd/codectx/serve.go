package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/codectx/codectx/pipeline"
	"github.com/codectx/codectx/serve"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	addr := fs.String("addr", "", "listen address (default 127.0.0.1:8765; env CODECTX_ADDR)")
	var srcs stringList
	fs.Var(&srcs, "source", "a git repository (path or URL) or a folder to index and serve; repeatable, added to the config's sources")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	for _, s := range srcs {
		cfg.Sources = append(cfg.Sources, SourceConfig{URL: s})
	}
	log := newLogger(stderr, cfg.LogLevel)
	// The heap is mostly the long-lived index, and each collection marks all of it: collect
	// less often than Go's default, unless the user chose (GOGC).
	if env("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.pipe.Start(ctx); err != nil {
		return err
	}
	srv := serve.New(serve.Config{
		Retriever:  a.retriever(),
		Ready:      a.pipe.Ready,
		Log:        log,
		Gatherer:   a.registry,
		Registerer: a.registry,
	})
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", a.cfg.Addr, err)
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		log.Warn("listening beyond loopback without authentication; anyone who can reach this address can read the index", "addr", ln.Addr().String())
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "codectx serving on http://%s (%d sources, data dir %s)\n", ln.Addr(), len(a.sources), a.cfg.DataDir)

	// Every source syncs once at start-up; /readyz turns 200 when all of them have.
	for _, s := range a.sources {
		if err := a.pipe.RequestSync(pipeline.SyncRequest{Source: s.Name(), Reason: "startup"}); err != nil {
			log.Error("requesting start-up sync", "source", s.Name(), "err", err)
		}
	}
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving: %w", err)
		}
	case <-ctx.Done():
		log.Info("shutting down")
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		log.Warn("shutting down the HTTP server", "err", err)
	}
	return nil
}
