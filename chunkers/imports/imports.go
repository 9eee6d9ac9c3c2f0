// Package imports reads the import statements of a source file: which names a file binds from
// which modules. Retrieval follows them to the definitions the cursor's file can reach.
//
// It scans text rather than parsing it: it runs on the cursor's file at query time, where a
// full parse would cost more than the rest of a retrieval (BenchmarkParse: about 80 µs for a
// 40 KB TypeScript file, against about 8 ms through the tree-sitter chunker,
// BenchmarkParseTreeSitter, on the 2-core development machine). It knows Go,
// Python, and TypeScript and JavaScript (ES modules and CommonJS require); statements it does
// not understand are skipped, never guessed.
package imports

import (
	"strings"

	"github.com/codectx/codectx"
)

// Import is one binding an import statement makes.
type Import struct {
	// Module is the module as written: "./util/isFunction" (TS/JS), ".errors" or
	// "email.errors" (Python, leading dots kept), "net/http" (Go).
	Module string
	// Name is the member imported from Module: "isFunction"; "default" for a default import;
	// "*" for every export (export * from, from m import *); "" when the module itself is
	// bound (import * as ns, import m, Go's imports).
	Name string
	// Local is the name the statement binds ("" when it binds none, as export * from).
	Local string
	// Export: the statement re-exports what it imports (export { a } from './x').
	Export bool
	// Line and EndLine are the 1-based lines where the statement starts and ends.
	Line, EndLine int
}

// maxStatement bounds the bytes one statement may span (a long import list is a few hundred).
const maxStatement = 8 << 10

// Parse returns the imports of src, a file in language (codectx language ids), in the order
// they appear. Unknown languages have none.
func Parse(language string, src string) []Import {
	switch codectx.LanguageFamily(codectx.NormalizeLanguage(language)) {
	case "go":
		return parseGo(src)
	case "python":
		return parsePython(src)
	case "js":
		return parseJS(src)
	}
	return nil
}

// Lines reports the lines the statements of list span, by line number.
func Lines(list []Import) map[int]bool {
	out := map[int]bool{}
	for _, im := range list {
		for l := im.Line; l <= im.EndLine; l++ {
			out[l] = true
		}
	}
	return out
}

// Supports reports whether Parse reads language's imports.
func Supports(language string) bool {
	switch codectx.LanguageFamily(codectx.NormalizeLanguage(language)) {
	case "go", "python", "js":
		return true
	}
	return false
}

// token kinds.
const (
	tEOF = iota
	tIdent
	tString
	tPunct
	tNewline
)

type token struct {
	kind int
	text string // identifier, punctuation, or the string's value without quotes
	line int
}

// lexer cuts source text into identifiers, strings and punctuation, skipping comments.
// Newlines are tokens only when keepNewlines is set (Python and Go end statements with them).
type lexer struct {
	src          string
	pos, line    int
	lastLine     int // the line of the last token other than a newline
	end          int
	keepNewlines bool
	hashComments bool // Python
}

func (l *lexer) next() token {
	t := l.scan()
	if t.kind != tNewline && t.kind != tEOF {
		l.lastLine = l.line
	}
	return t
}

func (l *lexer) scan() token {
	for l.pos < l.end {
		c := l.src[l.pos]
		switch {
		case c == '\n':
			l.pos++
			l.line++
			if l.keepNewlines {
				return token{kind: tNewline, line: l.line - 1}
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			l.pos++
		case c == '\\' && l.pos+1 < l.end && l.src[l.pos+1] == '\n': // Python line continuation
			l.pos += 2
			l.line++
		case c == '#' && l.hashComments:
			l.skipLine()
		case c == '/' && !l.hashComments && l.pos+1 < l.end && l.src[l.pos+1] == '/':
			l.skipLine()
		case c == '/' && !l.hashComments && l.pos+1 < l.end && l.src[l.pos+1] == '*':
			i := strings.Index(l.src[l.pos+2:l.end], "*/")
			stop := l.end
			if i >= 0 {
				stop = l.pos + 2 + i + 2
			}
			l.line += strings.Count(l.src[l.pos:stop], "\n")
			l.pos = stop
		case c == '"' || c == '\'' || c == '`':
			return l.str(c)
		case isIdentStart(c):
			start := l.pos
			for l.pos < l.end && isIdentPart(l.src[l.pos]) {
				l.pos++
			}
			return token{kind: tIdent, text: l.src[start:l.pos], line: l.line}
		default:
			l.pos++
			return token{kind: tPunct, text: l.src[l.pos-1 : l.pos], line: l.line}
		}
	}
	return token{kind: tEOF, line: l.line}
}

func (l *lexer) skipLine() {
	if i := strings.IndexByte(l.src[l.pos:l.end], '\n'); i >= 0 {
		l.pos += i
	} else {
		l.pos = l.end
	}
}

// str reads a string literal opened by q. Python's triple quotes are read whole; a string
// that does not end on its line ends there (bad input must not swallow the file).
func (l *lexer) str(q byte) token {
	line := l.line
	if l.hashComments && l.pos+2 < l.end && l.src[l.pos+1] == q && l.src[l.pos+2] == q {
		delim := l.src[l.pos : l.pos+3]
		i := strings.Index(l.src[l.pos+3:l.end], delim)
		stop := l.end
		if i >= 0 {
			stop = l.pos + 3 + i + 3
		}
		l.line += strings.Count(l.src[l.pos:stop], "\n")
		l.pos = stop
		return token{kind: tString, line: line}
	}
	start := l.pos + 1
	for i := start; i < l.end; i++ {
		switch l.src[i] {
		case '\\':
			i++
		case q:
			l.pos = i + 1
			return token{kind: tString, text: l.src[start:i], line: line}
		case '\n':
			if q != '`' {
				l.pos = i
				return token{kind: tString, line: line}
			}
			l.line++
		}
	}
	l.pos = l.end
	return token{kind: tString, line: line}
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// statements calls f with a lexer over each statement that starts a line with one of the
// keywords (after indentation). The imports f appends to *out get the statement's last line.
func statements(src string, keywords []string, out *[]Import, f func(l *lexer)) {
	line := 1
	for off := 0; off < len(src); {
		eol := strings.IndexByte(src[off:], '\n')
		next := len(src)
		if eol >= 0 {
			next = off + eol + 1
		}
		rest := strings.TrimLeft(src[off:next], " \t")
		for _, kw := range keywords {
			if strings.HasPrefix(rest, kw) && (len(rest) == len(kw) || !isIdentPart(rest[len(kw)])) {
				start := next - len(rest)
				n := len(*out)
				l := &lexer{src: src, pos: start, line: line, end: min(len(src), start+maxStatement)}
				f(l)
				for i := n; i < len(*out); i++ {
					(*out)[i].EndLine = max(l.lastLine, (*out)[i].Line)
				}
				break
			}
		}
		off = next
		line++
	}
}
