// Package code chunks source code along its tree-sitter syntax tree: top-level functions, types
// and classes become chunks (large classes are split into their members, large functions into
// statements), small neighbours are merged up to a target size, and each chunk records the
// symbols it defines.
//
// Only the levels of the tree that matter are walked (the root's children, class and namespace
// bodies, and the insides of nodes too large for one chunk), each listed in one cgo call (see
// ts.go): chunking costs little more than parsing.
package code

import (
	"errors"
	"fmt"
	"sort"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers/text"
)

// DefaultTargetChars is the chunk size aimed at when Options.TargetChars is zero.
const DefaultTargetChars = text.DefaultTargetChars

// maxDepth bounds how deep the chunker descends into oversized nodes and nested classes.
const maxDepth = 64

// ErrUnsupported is returned for a language the chunker has no grammar for.
var ErrUnsupported = errors.New("unsupported language")

// Options configure a Chunker.
type Options struct {
	// TargetChars is the size a chunk aims at, in bytes (DefaultTargetChars when <= 0). A
	// single definition up to twice this size stays in one chunk.
	TargetChars int
}

// Chunker splits source files along their syntax. It is safe for concurrent use.
type Chunker struct {
	target, max int
}

var _ codectx.Chunker = (*Chunker)(nil)

// New returns a code chunker.
func New(opts Options) *Chunker {
	t := opts.TargetChars
	if t <= 0 {
		t = DefaultTargetChars
	}
	return &Chunker{target: t, max: 2 * t}
}

// ParseOnly parses content with the parser Chunk uses and frees the tree, doing nothing else.
// It is the floor chunking is measured against.
func ParseOnly(lang string, content []byte) error {
	l := languageFor(lang)
	if l == nil {
		return fmt.Errorf("parsing %q: %w", lang, ErrUnsupported)
	}
	p, _ := l.pool.Get().(*parser)
	if p == nil {
		return fmt.Errorf("parsing %s: %w", lang, errNoParser)
	}
	defer l.pool.Put(p)
	ok := p.parse(content)
	p.done()
	if !ok {
		return fmt.Errorf("parsing %s: tree-sitter gave no tree", lang)
	}
	return nil
}

// Chunk splits content into chunks. language must be one Supports accepts. Content that does
// not parse cleanly is still chunked: bad regions fall back to line windows.
func (c *Chunker) Chunk(path, language string, content []byte) ([]codectx.Chunk, error) {
	l := languageFor(language)
	if l == nil {
		return nil, fmt.Errorf("chunking %s as %q: %w", path, language, ErrUnsupported)
	}
	lines := text.NewLines(content)
	if lines.Count() == 0 {
		return nil, nil
	}
	w := walker{c: c, l: l, lines: lines, content: content}
	if p, _ := l.pool.Get().(*parser); p != nil {
		if p.parse(content) {
			w.p = p
			w.walk()
		}
		p.done()
		l.pool.Put(p)
	}
	spans := w.pack()
	out := make([]codectx.Chunk, len(spans))
	for i, s := range spans {
		out[i] = lines.Chunk(path, language, s.start, s.end)
	}
	w.assign(out)
	return out, nil
}

// piece is a run of lines that must not be split at the current granularity.
type piece struct {
	start, end int // 1-based, inclusive, both non-blank
	glue       bool
	// split marks the first piece of a node too large for one chunk: it starts a new chunk, so
	// that a large class or function does not begin at the tail of an unrelated one.
	split bool
}

type walker struct {
	c       *Chunker
	l       *language
	p       *parser // holding the parsed tree
	lines   *text.Lines
	content []byte
	pieces  []piece
	symbols []codectx.Symbol
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v'
}

// span returns the lines of node n without its surrounding white space; ok is false for a
// node of white space only.
func (w *walker) span(n nodeRef) (start, end int, ok bool) {
	cn := w.p.node(n)
	sb, eb := int(cn.start), int(cn.end)
	if eb > len(w.content) {
		eb = len(w.content)
	}
	for sb < eb && isSpace(w.content[sb]) {
		sb++
	}
	for eb > sb && isSpace(w.content[eb-1]) {
		eb--
	}
	if sb >= eb {
		return 0, 0, false
	}
	return w.lines.LineAt(sb), w.lines.LineAt(eb - 1), true
}

// walk collects the pieces and the symbols of the parsed file. It recovers from panics so
// that a strange tree costs the file its structure, never the process.
//
// The file's top level is walked once for both: each node is flattened into pieces, then its
// symbols are collected.
func (w *walker) walk() {
	defer func() {
		if r := recover(); r != nil {
			w.pieces, w.symbols = nil, nil
		}
	}()
	first, n := w.p.children(0)
	for i := first; i < first+nodeRef(n); i++ {
		w.flattenNode(i, 0)
		w.collectNode(i, topBody, 0)
	}
}

// flattenNode appends a piece for node n, descending into it when it is larger than the
// maximum chunk size.
func (w *walker) flattenNode(n nodeRef, depth int) {
	s, e, ok := w.span(n)
	if !ok {
		return
	}
	// A node on one line cannot be split further, however large.
	if e > s && w.lines.Size(s, e) > w.c.max && depth < maxDepth {
		if first, cnt := w.p.children(n); cnt > 0 {
			start := len(w.pieces)
			for i := first; i < first+nodeRef(cnt); i++ {
				w.flattenNode(i, depth+1)
			}
			// A body ("{" ...) continues its definition's header rather than starting anew.
			if start < len(w.pieces) && !w.isBody(n) {
				w.pieces[start].split = true
			}
			return
		}
	}
	w.pieces = append(w.pieces, piece{start: s, end: e, glue: w.l.infoOf(w.sym(n)).glue})
}

// isBody reports whether node n is in the "body" field of the node it was listed from.
func (w *walker) isBody(n nodeRef) bool {
	return w.l.fields.body != noField && w.p.node(n).field == w.l.fields.body
}

// sym returns the grammar symbol of node n.
func (w *walker) sym(n nodeRef) uint16 { return uint16(w.p.node(n).symbol) }

// span is a chunk's line range.
type lineSpan struct{ start, end int }

// pack turns the pieces into chunk spans: pieces sharing a line are joined, comments stick to
// the definition after them, gaps the tree missed are filled, oversized pieces are split into
// line windows, and small neighbours are merged up to the target size.
func (w *walker) pack() []lineSpan {
	ls := w.lines
	// Join pieces that share a line, and glue comments to what follows them directly.
	ps := w.pieces[:0]
	for _, p := range w.pieces {
		if k := len(ps) - 1; k >= 0 {
			prev := &ps[k]
			if p.start <= prev.end {
				if p.end > prev.end {
					prev.end = p.end
				}
				prev.glue = prev.glue && p.glue
				prev.split = prev.split || p.split
				continue
			}
			if prev.glue && p.start == prev.end+1 && ls.Size(prev.start, p.end) <= w.c.max {
				prev.end = p.end
				prev.glue = p.glue
				prev.split = prev.split || p.split
				continue
			}
		}
		ps = append(ps, p)
	}
	// Fill gaps with the non-blank lines no piece covers (text the tree did not hold, or a
	// file that did not parse).
	full := make([]piece, 0, len(ps)+2)
	next := 1
	gap := func(to int) {
		for next < to && ls.Blank(next) {
			next++
		}
		if next < to {
			e := to - 1
			for ls.Blank(e) {
				e--
			}
			full = append(full, piece{start: next, end: e})
		}
	}
	for _, p := range ps {
		gap(p.start)
		full = append(full, p)
		next = p.end + 1
	}
	gap(ls.Count() + 1)

	var out []lineSpan
	open := false
	var cur lineSpan
	stretched := false
	flush := func() {
		if open {
			out = append(out, cur)
			open = false
		}
	}
	for _, p := range full {
		size := ls.Size(p.start, p.end)
		if size > w.c.max {
			flush()
			text.Windows(ls, p.start, p.end, w.c.target, func(s, e int) {
				out = append(out, lineSpan{s, e})
			})
			continue
		}
		if open {
			joined := ls.Size(cur.start, p.end)
			tiny := w.c.target / 8
			switch {
			case ls.Size(cur.start, cur.end) < tiny && joined <= w.c.max:
				// A tiny chunk (a lone header or brace) joins what follows.
				cur.end = p.end
				continue
			case p.split:
				// A large definition starts its own chunk.
			case joined <= w.c.target:
				cur.end = p.end
				continue
			case size < tiny && !stretched && joined <= w.c.max:
				// A tiny piece (a closing brace, a one-line function) may push a chunk past
				// the target, once, rather than stand alone.
				cur.end, stretched = p.end, true
				continue
			}
		}
		flush()
		cur, open, stretched = lineSpan{p.start, p.end}, true, false
	}
	flush()
	return out
}

// assign hands each symbol to the chunk holding its first line.
func (w *walker) assign(chunks []codectx.Chunk) {
	if len(chunks) == 0 {
		return
	}
	sort.SliceStable(w.symbols, func(i, j int) bool { return w.symbols[i].StartLine < w.symbols[j].StartLine })
	for _, s := range w.symbols {
		i := sort.Search(len(chunks), func(i int) bool { return chunks[i].StartLine > s.StartLine }) - 1
		if i < 0 {
			i = 0
		}
		chunks[i].Symbols = append(chunks[i].Symbols, s)
	}
}
