// Package markdown chunks Markdown by its headings: each section (a heading and the text up to
// the next heading) is a unit, small neighbouring sections are merged up to a target size and
// large ones are split into line windows. Headings are recorded as symbols of kind "heading".
package markdown

import (
	"bytes"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers/text"
)

// Options configure a Chunker.
type Options struct {
	// TargetChars is the size a chunk aims at, in bytes (text.DefaultTargetChars when <= 0).
	// A section up to twice this size stays in one chunk.
	TargetChars int
}

// Chunker splits Markdown documents by headings. It is safe for concurrent use.
type Chunker struct {
	target int
}

var _ codectx.Chunker = (*Chunker)(nil)

// New returns a Markdown chunker.
func New(opts Options) *Chunker {
	return &Chunker{target: text.Options{TargetChars: opts.TargetChars}.Target()}
}

// heading is an ATX or setext heading.
type heading struct {
	line  int // first line of the heading (the text line of a setext heading)
	level int
	title string
	end   int // last line of its section, subsections included
}

// Chunk splits content into chunks along its headings.
func (c *Chunker) Chunk(path, language string, content []byte) ([]codectx.Chunk, error) {
	l := text.NewLines(content)
	hs := headings(l)
	// Section starts: line 1 (any preamble) and each heading.
	starts := make([]int, 0, len(hs)+1)
	if len(hs) == 0 || hs[0].line > 1 {
		starts = append(starts, 1)
	}
	for _, h := range hs {
		starts = append(starts, h.line)
	}
	var spans [][2]int
	open := false
	var cur [2]int
	flush := func() {
		if open {
			spans = append(spans, cur)
			open = false
		}
	}
	for i, s := range starts {
		e := l.Count()
		if i+1 < len(starts) {
			e = starts[i+1] - 1
		}
		s, e, ok := trim(l, s, e)
		if !ok {
			continue
		}
		size := l.Size(s, e)
		if size > 2*c.target {
			flush()
			text.Windows(l, s, e, c.target, func(ws, we int) { spans = append(spans, [2]int{ws, we}) })
			continue
		}
		if open && l.Size(cur[0], e) <= c.target {
			cur[1] = e
			continue
		}
		flush()
		cur, open = [2]int{s, e}, true
	}
	flush()

	out := make([]codectx.Chunk, len(spans))
	k := 0
	for i, sp := range spans {
		out[i] = l.Chunk(path, language, sp[0], sp[1])
		for ; k < len(hs) && hs[k].line <= sp[1]; k++ {
			if hs[k].line >= sp[0] && hs[k].title != "" {
				out[i].Symbols = append(out[i].Symbols, codectx.Symbol{Name: hs[k].title, Kind: "heading", StartLine: hs[k].line, EndLine: hs[k].end})
			}
		}
	}
	return out, nil
}

// trim narrows s..e to its non-blank lines.
func trim(l *text.Lines, s, e int) (int, int, bool) {
	for s <= e && l.Blank(s) {
		s++
	}
	for e >= s && l.Blank(e) {
		e--
	}
	return s, e, s <= e
}

// headings finds the headings of a document, skipping fenced code blocks.
func headings(l *text.Lines) []heading {
	var hs []heading
	var fence []byte // the opening fence while inside a fenced block
	para := false    // the previous line is paragraph text (a setext heading may follow)
	for n := 1; n <= l.Count(); n++ {
		line := l.Text(n, n)
		indent := 0
		for indent < len(line) && indent < 4 && line[indent] == ' ' {
			indent++
		}
		rest := bytes.TrimRight(line[indent:], " \t\r")
		if fence != nil {
			if indent < 4 && bytes.HasPrefix(rest, fence) && len(bytes.Trim(rest, string(fence[:1]))) == 0 {
				fence = nil
			}
			para = false
			continue
		}
		if indent >= 4 || len(rest) == 0 {
			para = para && indent >= 4 && len(rest) > 0
			continue
		}
		if f := fenceOf(rest); f != nil {
			fence, para = f, false
			continue
		}
		if lvl, title, ok := atx(rest); ok {
			hs = append(hs, heading{line: n, level: lvl, title: title})
			para = false
			continue
		}
		if para && (isUnderline(rest, '=') || isUnderline(rest, '-')) {
			lvl := 1
			if rest[0] == '-' {
				lvl = 2
			}
			title := string(bytes.TrimSpace(l.Text(n-1, n-1)))
			hs = append(hs, heading{line: n - 1, level: lvl, title: title})
			para = false
			continue
		}
		para = true
	}
	// A section runs to the line before the next heading of the same or a higher level.
	for i := range hs {
		hs[i].end = l.Count()
		for j := i + 1; j < len(hs); j++ {
			if hs[j].level <= hs[i].level {
				hs[i].end = hs[j].line - 1
				break
			}
		}
		for hs[i].end > hs[i].line && l.Blank(hs[i].end) {
			hs[i].end--
		}
	}
	return hs
}

// fenceOf returns the fence (``` or ~~~, three or more) that line opens, or nil.
func fenceOf(line []byte) []byte {
	if len(line) < 3 || (line[0] != '`' && line[0] != '~') {
		return nil
	}
	n := 0
	for n < len(line) && line[n] == line[0] {
		n++
	}
	if n < 3 || (line[0] == '`' && bytes.IndexByte(line[n:], '`') >= 0) {
		return nil
	}
	return line[:n]
}

// atx parses "## Title ##".
func atx(line []byte) (level int, title string, ok bool) {
	for level < len(line) && line[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || (level < len(line) && line[level] != ' ' && line[level] != '\t') {
		return 0, "", false
	}
	t := bytes.TrimSpace(line[level:])
	// A closing sequence of #s is dropped when preceded by a space.
	if i := len(bytes.TrimRight(t, "#")); i < len(t) && (i == 0 || t[i-1] == ' ' || t[i-1] == '\t') {
		t = bytes.TrimSpace(t[:i])
	}
	return level, string(t), true
}

// isUnderline reports a setext underline of c.
func isUnderline(line []byte, c byte) bool {
	if len(line) == 0 {
		return false
	}
	for _, b := range line {
		if b != c {
			return false
		}
	}
	return true
}
