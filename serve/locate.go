package serve

import (
	"context"
	"strings"

	"github.com/codectx/codectx"
)

// locate finds the indexed file the cursor is in when a request does not say (tabby-agent's
// LSP mode sends no filepath): the file whose chunk holds at least two of the distinctive lines
// right above the cursor. It returns the file's source and path, or "" when none is found.
func (r *Retriever) locate(ctx context.Context, prefix string, f codectx.SearchFilter) (string, string) {
	if r.Query == nil {
		return "", ""
	}
	holds := looksLikeCursorFile(prefix)
	if holds == nil {
		return "", ""
	}
	probe := lastLines(prefix, locateProbeLines)
	terms := r.Query([]byte(probe))
	if len(terms) == 0 {
		return "", ""
	}
	hits, err := r.Index.Lexical(ctx, terms, f, locateHits)
	if err != nil {
		return "", ""
	}
	for _, h := range hits {
		if holds(h.Body) {
			return h.Source, h.Path
		}
	}
	return "", ""
}

// The lines of the prefix the lexical probe of locate reads, and the hits it checks.
const (
	locateProbeLines = 8
	locateHits       = 5
)

// inferPath fills a request's file from the index when it has none (see locate).
func (r *Retriever) inferPath(ctx context.Context, req *ContextRequest, f *codectx.SearchFilter) {
	if req.Filepath != "" || strings.TrimSpace(req.Prefix) == "" {
		return
	}
	source, p := r.locate(ctx, req.Prefix, *f)
	if p == "" {
		return
	}
	req.Filepath = p
	f.ExcludePath, f.ExcludeSource = p, source
	if req.Language == "" {
		req.Language = codectx.LanguageForPath(p)
	}
}
