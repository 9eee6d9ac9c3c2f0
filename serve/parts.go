package serve

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/codectx/codectx"
)

// The parts signal (Go). Names in Go are often made of other names: the case
// `case Float64Scanner:` returns `scanPlanBinaryFloat4ToFloat64Scanner{}`, the case
// `case *CancelRequest:` calls `t.traceCancelRequest(...)`. A name on a line beside the cursor
// whose tail is a name the package defines is a clue for that name: the hidden line is often
// its pair. The signal looks up the tails of the identifiers on the line before the cursor and
// the line after it (at a camel-case boundary, two words or more) in the cursor's folder (a Go
// package sees its folder's names without an import) and proposes the definitions found, as
// headers.
const (
	// weightPart is the score of a definition found as the tail of a name beside the cursor.
	weightPart = 2.0
	// maxParts bounds the tails looked up.
	maxParts = 24
	// minPartLen is the shortest tail looked up: shorter ones (Scanner, Close) name too much.
	minPartLen = 6
)

// parts adds the definitions of the cursor's folder named like the tail of an identifier on
// the line before the cursor or the one after it. used holds the names the code before the
// cursor uses, skip those the definitions signal looked up.
func (r *Retriever) parts(ctx context.Context, req ContextRequest, used map[string]bool, skip []string, f codectx.SearchFilter, add addFunc) error {
	if req.Filepath == "" {
		return nil
	}
	names := nameTails(lastNonBlank(req.Prefix)+"\n"+codectx.FirstLines(req.Suffix, 1), maxParts)
	names = slices.DeleteFunc(names, func(n string) bool { return used[n] || slices.Contains(skip, n) })
	if len(names) == 0 {
		return nil
	}
	dir := path.Dir(req.Filepath)
	f.Near, f.Dir = req.Filepath, dir
	defs, err := r.Index.Definitions(ctx, names, f, 1)
	if err != nil {
		return err
	}
	defer r.recycle(defs)
	for _, h := range defs {
		// A method is called on a value, not named after: WithLabelValues is no part of
		// GetMetricWithLabelValues.
		if h.Symbol == nil || path.Dir(h.Path) != dir || h.Symbol.Kind == "method" {
			continue
		}
		s := *h.Symbol
		start, _ := clampSpan(h.Chunk, s.StartLine, s.EndLine)
		header := strings.TrimRight(spanBody(h.Chunk, start, start), " \t\r{")
		add(h.Chunk, start, start, header, weightPart, "part:"+s.Name, s.Kind)
	}
	return nil
}

// nameTails returns the tails of the identifiers of text that start at an upper-case letter
// after a lower-case letter or a digit, at least minPartLen long and of two words or more (a
// single word, such as Request, names too much), at most n, each once: traceCancelRequest gives
// CancelRequest.
func nameTails(text string, n int) []string {
	var out []string
	eachIdent(text, func(id string) {
		for i := 1; i < len(id) && len(out) < n; i++ {
			c, prev := id[i], id[i-1]
			if !(c >= 'A' && c <= 'Z') || !(prev >= 'a' && prev <= 'z' || prev >= '0' && prev <= '9') {
				continue
			}
			tail := id[i:]
			if len(tail) < minPartLen || !twoWords(tail) || slices.Contains(out, tail) {
				continue
			}
			out = append(out, tail)
		}
	})
	return out
}

// twoWords reports a camel-case name of two words or more (an upper-case letter after its
// first that follows a lower-case letter or a digit).
func twoWords(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' && (s[i-1] >= 'a' && s[i-1] <= 'z' || s[i-1] >= '0' && s[i-1] <= '9') {
			return true
		}
	}
	return false
}
