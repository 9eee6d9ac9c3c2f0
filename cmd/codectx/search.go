package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/serve"
)

// cmdSearch asks the index for context at a position in a local file, as an editor would.
func cmdSearch(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	file := fs.String("file", "", "the file the cursor is in (required)")
	line := fs.Int("line", 0, "the cursor's line, 1-based; the cursor is at its start (required)")
	source := fs.String("source", "", "search only this source")
	asJSON := fs.Bool("json", false, "print the /v1/context response as JSON")
	maxChars := fs.Int("max-chars", serve.DefaultMaxChars, "character budget")
	maxSnippets := fs.Int("max-snippets", serve.DefaultMaxSnippets, "most snippets")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" || *line < 1 {
		return fmt.Errorf("search: --file and --line (1 or more) are required: %w", errUsage)
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("reading %s: %w", *file, err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	if *line > len(lines)+1 {
		return fmt.Errorf("search: %s has %d lines, --line %d is past its end: %w", *file, len(lines), *line, errUsage)
	}
	cut := min(*line-1, len(lines))
	req := serve.ContextRequest{
		Source:      *source,
		Filepath:    repoRelative(*file),
		Language:    codectx.LanguageForPath(*file),
		Prefix:      strings.Join(lines[:cut], ""),
		Suffix:      strings.Join(lines[cut:], ""),
		MaxChars:    *maxChars,
		MaxSnippets: *maxSnippets,
	}
	if err := req.Validate(); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	cfg.Sources = nil // search reads the index; it syncs nothing
	a, err := openApp(ctx, cfg, cliLogger(stderr, cfg.LogLevel))
	if err != nil {
		return err
	}
	defer a.Close()
	snippets, err := a.retriever().Retrieve(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(serve.ContextResponse{Snippets: snippets})
	}
	if len(snippets) == 0 {
		fmt.Fprintln(stdout, "no context found")
		return nil
	}
	for _, s := range snippets {
		fmt.Fprintf(stdout, "── %s:%s:%d-%d  score %.3f  [%s]\n%s\n\n", s.Source, s.Filepath, s.StartLine, s.EndLine, s.Score, strings.Join(s.Signals, " "), s.Body)
	}
	return nil
}

// repoRelative returns a file's path relative to the root of the git repository holding it,
// or its path as given when it is in none.
func repoRelative(file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		return filepath.ToSlash(file)
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			rel, err := filepath.Rel(dir, abs)
			if err == nil {
				return filepath.ToSlash(rel)
			}
		}
		if filepath.Dir(dir) == dir {
			return filepath.ToSlash(file)
		}
	}
}
