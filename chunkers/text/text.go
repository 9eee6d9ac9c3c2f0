// Package text chunks plain text into windows of lines of about a target size, breaking at
// blank lines where it can. It also holds the line index the other chunkers share.
package text

import (
	"bytes"

	"github.com/codectx/codectx"
)

// DefaultTargetChars is the chunk size aimed at when Options.TargetChars is zero.
const DefaultTargetChars = 1500

// Options configure a Chunker.
type Options struct {
	// TargetChars is the size a chunk aims at, in bytes (DefaultTargetChars when <= 0).
	TargetChars int
}

// Target returns the effective target size.
func (o Options) Target() int {
	if o.TargetChars <= 0 {
		return DefaultTargetChars
	}
	return o.TargetChars
}

// Chunker splits any text into line windows.
type Chunker struct {
	target int
}

var _ codectx.Chunker = (*Chunker)(nil)

// New returns a text chunker.
func New(opts Options) *Chunker {
	return &Chunker{target: opts.Target()}
}

// Chunk splits content into windows of whole lines of about the target size. Blank lines
// between windows belong to no chunk. Empty or blank content gives no chunks.
func (c *Chunker) Chunk(path, language string, content []byte) ([]codectx.Chunk, error) {
	l := NewLines(content)
	var out []codectx.Chunk
	Windows(l, 1, l.Count(), c.target, func(s, e int) {
		out = append(out, l.Chunk(path, language, s, e))
	})
	return out, nil
}

// Lines indexes the lines of a file. Line numbers are 1-based; a line's text excludes its "\n".
type Lines struct {
	content []byte
	starts  []int // byte offset where each line starts
}

// NewLines indexes content. A final "\n" does not start another line.
func NewLines(content []byte) *Lines {
	n := bytes.Count(content, []byte{'\n'}) + 1
	starts := make([]int, 1, n)
	for off := 0; ; {
		i := bytes.IndexByte(content[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
		if off == len(content) {
			break
		}
		starts = append(starts, off)
	}
	if len(content) == 0 {
		starts = starts[:0]
	}
	return &Lines{content: content, starts: starts}
}

// Count returns the number of lines.
func (l *Lines) Count() int { return len(l.starts) }

// Content returns the indexed content.
func (l *Lines) Content() []byte { return l.content }

// Start returns the byte offset where line n starts.
func (l *Lines) Start(n int) int { return l.starts[n-1] }

// End returns the byte offset just past the text of line n (before its "\n", if any).
func (l *Lines) End(n int) int {
	if n < len(l.starts) {
		return l.starts[n] - 1
	}
	e := len(l.content)
	if e > 0 && l.content[e-1] == '\n' {
		e--
	}
	return e
}

// LineAt returns the line holding byte offset off.
func (l *Lines) LineAt(off int) int {
	lo, hi := 0, len(l.starts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if l.starts[m] <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 1
	}
	return lo
}

// Text returns lines start..end (inclusive) joined by their newlines, without the last "\n".
func (l *Lines) Text(start, end int) []byte {
	return l.content[l.Start(start):l.End(end)]
}

// Size returns the length in bytes of Text(start, end).
func (l *Lines) Size(start, end int) int { return l.End(end) - l.Start(start) }

// Blank reports whether line n holds only white space.
func (l *Lines) Blank(n int) bool {
	return len(bytes.TrimSpace(l.content[l.Start(n):l.End(n)])) == 0
}

// Chunk builds the chunk of lines start..end, leaving ID, Source and Symbols empty.
func (l *Lines) Chunk(path, language string, start, end int) codectx.Chunk {
	body := l.Text(start, end)
	return codectx.Chunk{
		Path:        path,
		Language:    language,
		StartLine:   start,
		EndLine:     end,
		Body:        string(body),
		ContentHash: codectx.ContentHash(body),
	}
}

// Windows splits lines start..end into windows of about target bytes and calls emit with each
// window's first and last line. Windows start and end on non-blank lines, do not overlap, and
// together cover every non-blank line of the range. A window breaks at a blank line when one
// lies past its first quarter; a line longer than target is a window of its own.
func Windows(l *Lines, start, end, target int, emit func(s, e int)) {
	if target <= 0 {
		target = DefaultTargetChars
	}
	for start <= end {
		for start <= end && l.Blank(start) {
			start++
		}
		if start > end {
			return
		}
		last := start     // last non-blank line in the window
		breakAt := 0      // last non-blank line before a blank line, past the first quarter
		sawBlank := false // a blank line follows last
		n := start + 1
		for ; n <= end; n++ {
			if l.Blank(n) {
				if !sawBlank && l.Size(start, last) >= target/4 {
					breakAt = last
				}
				sawBlank = true
				continue
			}
			if l.Size(start, n) > target {
				break
			}
			last, sawBlank = n, false
		}
		if n <= end && breakAt > 0 {
			last = breakAt
		}
		emit(start, last)
		start = last + 1
	}
}
