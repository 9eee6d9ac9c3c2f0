package prompt

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/codectx/codectx"
)

// prefixWindow bounds how much of the prefix is lexed for its open brackets and the lexical
// state at the cursor. Clients send about 20 lines.
const prefixWindow = 64 << 10

// maxCursorLine bounds how much of the cursor's line, up to the cursor, is kept to lex line 0.
const maxCursorLine = 1 << 10

// Stopper decides where a streamed completion ends. Feed it the chunks with Push and stop the
// back end when Push returns true; Text is the completion to insert. The decision depends only on
// the text, never on how it was split into chunks. A Stopper is not safe for concurrent use.
//
// Line 0 of the completion is the rest of the cursor's line; lines after it start at column 0.
// The "first line with content" is the first line where the completion writes something other
// than whitespace. The completion stops, at the earliest of these points in the text:
//
//  1. Next definition: a line after the first line with content starts, at column 0, with a
//     top-level keyword of the language (Go "func", Python "def", Rust "#[", ...). The cut is
//     at the start of that line. The first line with content is exempt, so that a completion
//     may write a new definition. Ruby's "end" counts only when the cursor is indented, that
//     is when the "end" closes a block of the prefix.
//  2. Blank line after a complete block: a whitespace-only line after the first line with
//     content, while every bracket the completion opened is closed. In Python and Ruby the
//     code must also be back at the cursor's indentation: when the last line with content is
//     indented deeper (or, in Python, ends in ":"), the next line with content decides, and
//     the blank line ends the completion only if that line is at the cursor's indentation or
//     less.
//  3. Suffix repeated: a whole line, trimmed, equals the first non-blank line of the suffix,
//     trimmed, while the completion's own brackets are balanced. The cut is at the start of
//     the line's text. Line 0 is exempt when text precedes the cursor on its line.
//  4. Cap: maxChars runes.
//  5. Closing what the suffix closes: the completion closes the innermost bracket the prefix
//     left open, as its first close of a bracket it did not open, and the suffix's first
//     non-whitespace character is that very closer. The cut is before the closer.
//
// Brackets, and keywords and blank lines for rules 1 and 2, count only outside strings and
// comments, as far as a line-by-line lexer sees them. When the stream ends, rules 1 and 3 also
// apply to its unfinished last line (see Text).
type Stopper struct {
	syn      *syntax
	maxChars int

	// From the request.
	base              int    // buf starts with the cursor's line up to the cursor: base bytes
	cursorIndent      int    // indentation width of the cursor's line
	cursorHasContent  bool   // text precedes the cursor on its line
	suffixLine        string // the first non-blank line of the suffix, trimmed
	suffixCursorBlank bool   // only whitespace follows the cursor on its line
	suffixFirst       byte   // the suffix's first non-whitespace byte (0: none)
	prefixOpen        byte   // the innermost bracket the prefix leaves open (0: none)
	maxKeyword        int    // length of the longest keyword

	buf  []byte // cursor line up to the cursor, then the completion
	done bool
	cut  int // in buf, when done

	// The state after the complete lines before the current one, which starts at line.
	line           int
	lineNo         int
	lex            lexState
	stack          []byte // brackets the completion opened and has not closed
	closedOutside  bool   // the completion has closed a bracket it did not open
	seenContent    bool   // a complete line had completion content
	lastIndent     int    // indentation width of the last line with content
	lastOpensBlock bool   // ... and it ends in ":" (Python)
	pending        bool   // rule 2 waits for the next line with content

	checked int    // the current line was evaluated, without a stop, up to here
	scratch []byte // reused for the bracket stack of the line being evaluated

	// The cap: capAt is the offset in buf where the text reaches maxChars runes (-1: not yet).
	capAt   int
	counted int
	runes   int
}

// NewStopper returns a Stopper for a completion at the end of prefix and before suffix, both with
// LF line endings. language is a codectx language id, normalized here; maxChars caps the text in
// runes (0: no cap).
func NewStopper(language, prefix, suffix string, maxChars int) *Stopper {
	s := &Stopper{syn: syntaxFor(codectx.NormalizeLanguage(language)), maxChars: maxChars, capAt: -1}
	for _, kw := range s.syn.keywords {
		s.maxKeyword = max(s.maxKeyword, len(kw))
	}

	cursorLine := prefix[strings.LastIndexByte(prefix, '\n')+1:]
	indent := len(cursorLine) - len(strings.TrimLeft(cursorLine, " \t"))
	s.cursorIndent = indentWidth([]byte(cursorLine[:indent]))
	s.cursorHasContent = indent < len(cursorLine)
	s.lex, s.prefixOpen = s.syn.lexPrefix(prefix)
	if s.cursorHasContent && len(cursorLine) > maxCursorLine {
		// A minified file's line would be rescanned with every chunk of line 0.
		cursorLine = cursorLine[len(cursorLine)-maxCursorLine:]
	}
	s.base = len(cursorLine)
	s.buf = append(make([]byte, 0, len(cursorLine)+256), cursorLine...)
	s.counted = s.base

	first, _, _ := strings.Cut(suffix, "\n")
	s.suffixCursorBlank = strings.TrimSpace(first) == ""
	for rest := suffix; rest != ""; {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		if l = strings.TrimSpace(l); l != "" {
			s.suffixLine = l
			break
		}
	}
	if t := strings.TrimLeft(suffix, " \t\r\n"); t != "" {
		s.suffixFirst = t[0]
	}

	return s
}

// lexPrefix lexes the end of the prefix. It returns the state the cursor's line starts in, and
// the innermost bracket left open at the cursor.
func (sy *syntax) lexPrefix(prefix string) (lexState, byte) {
	if len(prefix) > prefixWindow {
		cut := len(prefix) - prefixWindow
		if i := strings.IndexByte(prefix[cut:], '\n'); i >= 0 {
			cut += i + 1
		}
		prefix = prefix[cut:]
	}
	text := []byte(prefix)
	var (
		st    lexState
		stack []byte
	)
	bracket := func(_ int, c byte) bool {
		stack, _ = push(stack, c)
		return true
	}
	for {
		line, rest, found := bytes.Cut(text, []byte{'\n'})
		if !found {
			// The cursor's line: its state is rescanned with the completion's line 0.
			sy.scan(st, line, bracket)
			break
		}
		st = sy.scan(st, line, bracket)
		text = rest
	}
	var top byte
	if len(stack) > 0 {
		top = stack[len(stack)-1]
	}
	return st, top
}

// Push appends a streamed chunk. It returns true once the completion is complete; later chunks
// are ignored.
func (s *Stopper) Push(chunk string) bool {
	if s.done {
		return true
	}
	s.buf = append(s.buf, chunk...)
	limit := s.limit()
	for {
		nl := bytes.IndexByte(s.buf[s.line:limit], '\n')
		if nl < 0 {
			break
		}
		end := s.line + nl
		if cut, stop := s.evalLine(s.line, end, true, false); stop {
			return s.stop(cut)
		}
		s.line, s.checked = end+1, end+1
	}
	if s.line < limit && s.worthChecking(limit) {
		if cut, stop := s.evalLine(s.line, limit, false, false); stop {
			return s.stop(cut)
		}
		s.checked = limit
	}
	if s.capAt >= 0 && limit == s.capAt {
		return s.stop(s.capAt)
	}
	return false
}

// worthChecking reports whether the incomplete current line, now ending at limit, can hold a
// stop that its evaluation up to s.checked did not find: one near its start (a keyword, the
// first character with content) or a closing bracket in the new bytes.
func (s *Stopper) worthChecking(limit int) bool {
	if s.checked <= s.line || s.checked-s.line <= s.maxKeyword+1 {
		return true
	}
	if firstNonSpace(s.buf[s.line:s.checked]) < 0 {
		return true
	}
	return bytes.ContainsAny(s.buf[s.checked:limit], ")]}")
}

func (s *Stopper) stop(cut int) bool {
	s.done, s.cut = true, cut
	return true
}

// limit returns how much of buf the rules may see, as if the chunks had come one character at a
// time: with a cap, the whole runes counted so far, and no more than the cap.
func (s *Stopper) limit() int {
	if s.maxChars <= 0 {
		return len(s.buf)
	}
	for s.capAt < 0 && s.counted < len(s.buf) && utf8.FullRune(s.buf[s.counted:]) {
		_, n := utf8.DecodeRune(s.buf[s.counted:])
		s.counted += n
		s.runes++
		if s.runes >= s.maxChars {
			s.capAt = s.counted
		}
	}
	return s.counted
}

// evalLine applies the rules to the line buf[start:end]. complete: the line ends in a newline at
// buf[end]; eof: the text ends at end (for Text). It returns the cut of the earliest stop found,
// by the offset at which it becomes certain. A complete line without a stop is committed to the
// Stopper's state.
func (s *Stopper) evalLine(start, end int, complete, eof bool) (cut int, stop bool) {
	line := s.buf[start:end]
	bestQ := -1
	consider := func(q, c int) {
		if bestQ < 0 || q < bestQ {
			bestQ, cut = q, c
		}
	}
	first := s.lineNo == 0
	from := max(start, s.base) // where the completion's own text on this line starts
	content := firstNonSpace(line)
	ownContent := firstNonSpace(s.buf[from:end]) >= 0
	atCode := s.lex.mode == inCode

	// Rule 2 in indentation languages: the first line with content after a blank line decides
	// whether that blank line ended the block.
	pending := s.pending
	if pending && content >= 0 {
		if indentWidth(line[:content]) <= s.cursorIndent {
			consider(start+content+1, start)
		}
		pending = false
	}

	// Rule 1.
	if !first && s.seenContent && atCode {
		for _, kw := range s.syn.keywords {
			if q, ok := keywordEnd(line, kw, complete, eof); ok {
				consider(start+q, start)
			}
		}
		if s.syn.endStops && s.cursorIndent > 0 {
			if q, ok := keywordEnd(line, "end", complete, eof); ok {
				consider(start+q, start)
			}
		}
	}

	// Brackets, and rule 5.
	stack := append(s.scratch[:0], s.stack...)
	closedOutside := s.closedOutside
	lex := s.syn.scan(s.lex, line, func(i int, c byte) bool {
		if start+i < s.base {
			return true // the prefix's own, counted by lexPrefix
		}
		var ok bool
		if stack, ok = push(stack, c); ok {
			return true
		}
		if !closedOutside && len(stack) == 0 && s.prefixOpen != 0 && closes(s.prefixOpen, c) && s.suffixFirst == c {
			consider(start+i+1, start+i)
			return false
		}
		closedOutside = true
		return true
	})

	// Rule 3.
	if (complete || eof) && content >= 0 && s.suffixLine != "" && atCode && len(s.stack) == 0 &&
		(!first || !s.cursorHasContent) && string(bytes.TrimSpace(line)) == s.suffixLine {
		q := end
		if complete {
			q++
		}
		consider(q, start+content)
	}

	// Rule 2.
	if complete && content < 0 && !first && s.seenContent && atCode && len(s.stack) == 0 && !pending {
		if !s.syn.indentBlocks || s.lastIndent <= s.cursorIndent && !s.lastOpensBlock {
			consider(end+1, end+1)
		} else {
			pending = true
		}
	}

	if bestQ >= 0 {
		s.scratch = stack[:0]
		return cut, true
	}
	if !complete {
		s.scratch = stack[:0]
		return 0, false
	}
	s.lex = lex
	s.stack, s.scratch = stack, s.stack[:0]
	s.closedOutside = closedOutside
	if ownContent {
		s.seenContent = true
		s.lastIndent = indentWidth(line[:content])
		if first && s.cursorHasContent {
			s.lastIndent = s.cursorIndent // the line may be cut short
		}
		s.lastOpensBlock = s.syn.colonBlocks && bytes.HasSuffix(bytes.TrimRight(line, " \t\r"), []byte{':'})
	}
	s.pending = pending
	s.lineNo++
	return 0, false
}

// keywordEnd reports whether line starts with keyword kw as a whole word, and the offset in the
// line at which that is certain: past the next character, or past the keyword when that is
// followed by the newline (complete) or the end of the text (eof).
func keywordEnd(line []byte, kw string, complete, eof bool) (int, bool) {
	if !hasPrefix(line, kw) {
		return 0, false
	}
	if !isWord(kw[len(kw)-1]) {
		return len(kw), true
	}
	switch {
	case len(line) > len(kw):
		return len(kw) + 1, !isWord(line[len(kw)])
	case complete:
		return len(kw) + 1, true
	case eof:
		return len(kw), true
	}
	return 0, false
}

// Text returns the completion so far, as it stands if the stream ended here: cut at the stop
// point, without the text that triggered the stop. Trailing whitespace is trimmed when only
// whitespace follows the cursor on its line. Otherwise the text is inserted before other text
// on the cursor's line: trailing blanks on the completion's last line are trimmed, but a
// trailing newline and the indentation after it are kept, as they place that text.
func (s *Stopper) Text() string {
	cut := len(s.buf)
	switch {
	case s.done:
		cut = s.cut
	case s.line < len(s.buf):
		if c, stop := s.evalLine(s.line, len(s.buf), false, true); stop {
			cut = c
		}
	}
	t := s.buf[s.base:cut]
	body := bytes.TrimRight(t, " \t\r\n")
	if firstNonSpace(body) < 0 {
		return ""
	}
	if s.suffixCursorBlank || bytes.IndexByte(t[len(body):], '\n') < 0 {
		return string(body)
	}
	return string(t)
}

// StopWords returns stop sequences for a language, for a back end's "stop" parameter: a newline
// followed by each top-level keyword (and a space after word keywords, so that "\nfunc " does not
// stop "functional"), most telling first. They are a coarse backstop: a back end cannot exempt
// the completion's first line, nor check brackets, so the Stopper has the last word. Back ends
// that accept only a few stop sequences can take the first ones. Unknown languages have none.
func StopWords(language string) []string {
	sy := syntaxFor(codectx.NormalizeLanguage(language))
	if len(sy.keywords) == 0 {
		return nil
	}
	out := make([]string, 0, len(sy.keywords))
	for _, kw := range sy.keywords {
		if isWord(kw[len(kw)-1]) {
			kw += " "
		}
		out = append(out, "\n"+kw)
	}
	return out
}

// firstNonSpace returns the offset of the first byte of b that is not whitespace, or -1.
func firstNonSpace(b []byte) int {
	for i, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return i
		}
	}
	return -1
}

// indentWidth measures leading whitespace in columns, with tab stops every 4 columns.
func indentWidth(ws []byte) int {
	col := 0
	for _, c := range ws {
		if c == '\t' {
			col += 4 - col%4
		} else {
			col++
		}
	}
	return col
}
