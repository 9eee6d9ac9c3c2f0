package eval

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers"
	"github.com/codectx/codectx/embedders/lexical"
	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sinks/embedded"
)

// Codectx is codectx's own retrieval over an embedded store that holds one project: the
// product's chunker, lexical encoder, store and serve.Retriever, in process.
type Codectx struct {
	// Window, when positive, cuts the prefix to its last Window lines and the suffix to its
	// first Window lines (Config.Window).
	Window int
	source string
	store  *embedded.Store
	r      *serve.Retriever
}

// NewCodectx indexes files (path -> content) as the source named source, in a store under dir.
func NewCodectx(ctx context.Context, dir, source string, files map[string][]byte, log *slog.Logger) (*Codectx, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := embedded.Open(ctx, dir, log)
	if err != nil {
		return nil, fmt.Errorf("opening the eval index: %w", err)
	}
	ch := chunkers.New(chunkers.Options{})
	for _, p := range sortedPaths(files) {
		content := files[p]
		lang := codectx.LanguageForPath(p)
		chunks, err := ch.Chunk(p, lang, content)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("chunking %s: %w", p, err)
		}
		f := codectx.File{Source: source, Path: p, Language: lang, BlobHash: codectx.ContentHash(content), Size: int64(len(content))}
		for _, c := range chunks {
			c.Source, c.Path = source, p
			c.ID = codectx.ChunkID(source, p, c.StartLine, c.EndLine, c.ContentHash)
			terms, n := lexical.Vector([]byte(c.Body))
			f.Chunks = append(f.Chunks, codectx.IndexedChunk{Chunk: c, Terms: terms, Length: n})
		}
		if err := st.PutFile(ctx, f); err != nil {
			st.Close()
			return nil, fmt.Errorf("indexing %s: %w", p, err)
		}
	}
	r := &serve.Retriever{
		Index:       st,
		Sources:     func() []string { return []string{source} },
		Query:       lexical.Query,
		Identifiers: lexical.Identifiers,
		Log:         log,
	}
	return &Codectx{source: source, store: st, r: r}, nil
}

func (*Codectx) Name() string { return "codectx" }

func (c *Codectx) request(t Task, snippets, budget int) ([]Snippet, error) {
	prefix, suffix := t.Prefix, t.Suffix
	if c.Window > 0 {
		prefix, suffix = lastLinesOf(prefix, c.Window), codectx.FirstLines(suffix, c.Window)
	}
	req := serve.ContextRequest{Source: c.source, Filepath: t.File, Language: codectx.LanguageForPath(t.File), Prefix: prefix,
		Suffix: suffix, MaxSnippets: snippets, MaxChars: budget}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	got, err := c.r.Retrieve(context.Background(), req)
	if err != nil {
		return nil, err
	}
	out := make([]Snippet, len(got))
	for i, s := range got {
		out[i] = Snippet{File: s.Filepath, StartLine: s.StartLine, EndLine: s.EndLine, Body: s.Body, Why: strings.Join(s.Signals, " ")}
	}
	return out, nil
}

// Rank asks for as many snippets as a request may and the largest budget, so that the
// ranking is not cut by packing.
func (c *Codectx) Rank(t Task) ([]Snippet, error) {
	return c.request(t, serve.MaxMaxSnippets, serve.MaxMaxChars)
}

// Pack is a real request with that budget: what codectx would put into the prompt.
func (c *Codectx) Pack(t Task, budget int) ([]Snippet, error) {
	return c.request(t, serve.MaxMaxSnippets, budget)
}

// Close closes the store.
func (c *Codectx) Close() error { return c.store.Close() }

var _ Retriever = (*Codectx)(nil)

// lastLinesOf returns the last n lines of s: the line the cursor is on (after the last line
// break) counts as one.
func lastLinesOf(s string, n int) string {
	i := len(s)
	for k := 0; k < n; k++ {
		j := strings.LastIndexByte(s[:i], '\n')
		if j < 0 {
			return s
		}
		if k == n-1 {
			return s[j+1:]
		}
		i = j
	}
	return s[i:]
}
