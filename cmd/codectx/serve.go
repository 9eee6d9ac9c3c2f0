package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/codectx/codectx/backends"
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
	// Retrieval is CPU work, admitted one per CPU (serve.Config.Retrievals). One more P than
	// that lets the runtime go on reading requests while every CPU retrieves, so that they
	// queue for their turn in arrival order rather than wait unread in their connections.
	// GOMAXPROCS, when set, decides.
	a.retrievals = runtime.GOMAXPROCS(0)
	if env("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(a.retrievals + 1)
	}
	if err := a.pipe.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", a.cfg.Addr, err)
	}
	scfg, err := a.serverConfig(ctx, ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	srv := serve.New(scfg)
	defer srv.Close() // stores the completion records still queued, before the store closes
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	model := "no completion model"
	if scfg.Completer != nil {
		model = "completion model " + scfg.Completer.Model()
	}
	auth := map[serve.AuthMode]string{serve.AuthOn: "auth on", serve.AuthOff: "auth off", serve.AuthIfTokens: "auth once a token exists"}[scfg.Auth]
	fmt.Fprintf(stdout, "codectx serving on http://%s (%d sources, %s, %s, data dir %s)\n", ln.Addr(), len(a.sources), model, auth, a.cfg.DataDir)

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

// serverConfig wires the HTTP server: retrieval, model back ends, auth and usage records.
func (a *app) serverConfig(ctx context.Context, addr net.Addr) (serve.Config, error) {
	cfg := a.cfg
	sc := serve.Config{
		Retriever:              a.retriever(),
		Ready:                  a.pipe.Ready,
		Log:                    a.log,
		Gatherer:               a.registry,
		Registerer:             a.registry,
		Tokens:                 a.store,
		Usage:                  a.store,
		RatePerMinute:          cfg.Server.RateLimitPerMinute,
		DisableClientTelemetry: cfg.Server.DisableClientSideTelemetry,
		Build:                  buildInfo(),
		Retrievals:             a.retrievals,
		Completion: serve.CompletionOptions{
			ContextChars:     cfg.Completion.ContextChars,
			RetrievalTimeout: time.Duration(cfg.Completion.RetrievalTimeoutMS) * time.Millisecond,
			MaxTokens:        cfg.Completion.MaxTokens,
			Timeout:          time.Duration(cfg.Completion.TimeoutMS) * time.Millisecond,
		},
	}
	if sc.Completion.ContextChars == 0 {
		sc.Completion.ContextChars = -1 // no context at all
	}
	opts := backends.Options{Registerer: a.registry, Log: a.log}
	if m := cfg.Model.Completion; m != nil {
		c, err := backends.NewCompleter(m.HTTP, opts)
		if err != nil {
			return sc, fmt.Errorf("model.completion.http: %w", err)
		}
		sc.Completer = c
	} else {
		a.log.Warn("no completion model configured: /v1/completions answers 501 until [model.completion.http] is set")
	}
	if m := cfg.Model.Chat; m != nil {
		c, err := backends.NewChatter(m.HTTP, opts)
		if err != nil {
			return sc, fmt.Errorf("model.chat.http: %w", err)
		}
		sc.Chatter = c
	}
	host, _, _ := net.SplitHostPort(addr.String())
	loopback := net.ParseIP(host).IsLoopback()
	switch cfg.Server.Auth {
	case "on":
		sc.Auth = serve.AuthOn
	case "off":
		sc.Auth = serve.AuthOff
		if !loopback {
			a.log.Warn("listening beyond loopback with auth off; anyone who can reach this address can read the index", "addr", addr.String())
		}
	default:
		sc.Auth = serve.AuthIfTokens
		if !loopback {
			sc.Auth = serve.AuthOn
		}
	}
	if sc.Auth == serve.AuthOn {
		if list, err := a.store.ListTokens(ctx); err == nil && len(list) == 0 {
			a.log.Warn("auth is on and no token exists: every /v1 request will get 401; create one with `codectx token create`")
		}
	}
	return sc, nil
}

// buildInfo reads the version control facts the Go toolchain stamped into the binary.
func buildInfo() serve.BuildInfo {
	b := serve.BuildInfo{Version: version}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.GitSHA = s.Value
			case "vcs.time":
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					b.BuildDate = t
				}
			}
		}
	}
	if b.BuildDate.IsZero() {
		b.BuildDate = time.Now().UTC()
	}
	return b
}
