package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/codectx/codectx"
)

// cmdStatus prints what the index holds: each source's cursor and last runs, and the dead
// letters (changes that could not be indexed).
func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	runs := fs.Int("runs", 3, "runs to show per source")
	dead := fs.Int("dead-letters", 20, "dead letters to show")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	cfg.Sources = nil
	a, err := openApp(ctx, cfg, cliLogger(stderr, cfg.LogLevel))
	if err != nil {
		return err
	}
	defer a.Close()

	type sourceStatus struct {
		Name  string              `json:"name"`
		State codectx.SourceState `json:"state"`
		Runs  []codectx.Run       `json:"runs"`
	}
	var out struct {
		Index       codectx.IndexStats   `json:"index"`
		Sources     []sourceStatus       `json:"sources"`
		DeadLetters []codectx.DeadLetter `json:"dead_letters"`
	}
	if out.Index, err = a.store.Stats(ctx); err != nil {
		return err
	}
	names, err := a.store.Sources(ctx)
	if err != nil {
		return err
	}
	for _, n := range names {
		st, err := a.store.SourceState(ctx, n)
		if err != nil {
			return err
		}
		rs, err := a.store.Runs(ctx, n, *runs)
		if err != nil {
			return err
		}
		out.Sources = append(out.Sources, sourceStatus{n, st, rs})
	}
	if out.DeadLetters, err = a.store.DeadLetters(ctx, *dead); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "index: %d sources, %d files, %d chunks, %d symbols, %.1f MB of text\n",
		out.Index.Sources, out.Index.Files, out.Index.Chunks, out.Index.Symbols, float64(out.Index.Bytes)/1e6)
	for _, s := range out.Sources {
		state := "at " + short(s.State.Cursor)
		if s.State.Pending != "" {
			state += ", interrupted sync towards " + short(s.State.Pending) + " (the next sync finishes it)"
		}
		fmt.Fprintf(stdout, "\n%s: %s\n", s.Name, state)
		for _, r := range s.Runs {
			took := time.Duration(r.FinishedAt-r.StartedAt) * time.Millisecond
			fmt.Fprintf(stdout, "  %s  %s\n", time.UnixMilli(r.StartedAt).Format(time.DateTime), summary(r, took))
		}
	}
	if len(out.DeadLetters) > 0 {
		fmt.Fprintf(stdout, "\ndead letters (newest first):\n")
		for _, d := range out.DeadLetters {
			var ev struct {
				Data struct {
					Source string `json:"source"`
					Path   string `json:"path"`
				} `json:"data"`
			}
			_ = json.Unmarshal([]byte(d.Payload), &ev)
			fmt.Fprintf(stdout, "  %s  %s:%s  %s\n", time.UnixMilli(d.At).Format(time.DateTime), ev.Data.Source, ev.Data.Path, d.Error)
		}
	}
	return nil
}

func short(commit string) string {
	if commit == "" {
		return "nothing indexed yet"
	}
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
