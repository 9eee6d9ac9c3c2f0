package prompt

import (
	"strings"

	"github.com/codectx/codectx"
)

// syntax is the little a Stopper needs to know about a language: where top-level definitions
// start, and enough of its lexical rules to count brackets outside strings and comments.
type syntax struct {
	// keywords start a top-level definition when they open a line at column 0. A keyword ending
	// in a word character must be followed by a non-word character ("func" stops "func main",
	// not "functional").
	keywords []string
	// endStops: a column-0 "end" closes a block of the prefix (Ruby) when the cursor is indented.
	endStops     bool
	lineComments []string
	blockOpen    string
	blockClose   string
	// quotes delimit strings that end at the end of their line at the latest. Ending them there
	// even when the language would not keeps a lexing mistake from spreading past one line.
	quotes string
	// multi lists the delimiters of strings that may span lines, longest first.
	multi []multiQuote
	// indentBlocks: blocks are made by indentation (or by keywords that code indents anyway),
	// so a blank line ends a completion only once the code is back at the cursor's indentation.
	indentBlocks bool
	// colonBlocks: a line ending in ":" opens a block (Python).
	colonBlocks bool

	// special marks the bytes that can start a bracket, comment or string, so that scan skips
	// the rest at once. Set by prepared.
	special [256]bool
}

// prepared fills in sy's lookup table.
func prepared(sy syntax) *syntax {
	for _, c := range []byte("()[]{}" + sy.quotes + sy.blockOpen) {
		sy.special[c] = true
	}
	for _, lc := range sy.lineComments {
		sy.special[lc[0]] = true
	}
	for _, mq := range sy.multi {
		sy.special[mq.delim[0]] = true
	}
	return &sy
}

type multiQuote struct {
	delim   string
	escapes bool // a backslash escapes the next character
}

// cBlock is the lexing of C and its many followers: // and /* */ comments, " and ' quotes.
var cBlock = syntax{lineComments: []string{"//"}, blockOpen: "/*", blockClose: "*/", quotes: `"'`}

// with returns a copy of sy with other top-level keywords.
func (sy syntax) with(keywords ...string) syntax {
	sy.keywords = keywords
	return sy
}

var (
	cLexing = prepared(cBlock)

	goSyntax = prepared(syntax{
		keywords:     []string{"func", "type", "var", "const", "import", "package"},
		lineComments: []string{"//"}, blockOpen: "/*", blockClose: "*/",
		quotes: `"'`,
		multi:  []multiQuote{{"`", false}},
	})

	pythonSyntax = prepared(syntax{
		keywords:     []string{"def", "class", "if __name__", "@", "async", "import", "from"},
		lineComments: []string{"#"},
		quotes:       `"'`,
		multi:        []multiQuote{{`"""`, true}, {`'''`, true}},
		indentBlocks: true,
		colonBlocks:  true,
	})

	jsSyntax = prepared(syntax{
		keywords: []string{
			"function", "class", "export", "import", "const", "let", "var", "interface", "type",
			"async", "enum", "declare", "abstract", "namespace", "module", "@",
		},
		lineComments: []string{"//"}, blockOpen: "/*", blockClose: "*/",
		quotes: `"'`,
		multi:  []multiQuote{{"`", true}},
	})

	javaSyntax = prepared(syntax{
		keywords: []string{
			"public", "private", "protected", "class", "interface", "enum", "record", "abstract",
			"final", "sealed", "import", "package", "@",
		},
		lineComments: []string{"//"}, blockOpen: "/*", blockClose: "*/",
		quotes: `"'`,
		multi:  []multiQuote{{`"""`, true}},
	})

	// Rust's quote marks only strings: a single quote is as often a lifetime as a character.
	rustSyntax = prepared(syntax{
		keywords: []string{
			"fn", "pub", "impl", "#[", "struct", "enum", "trait", "mod", "use", "const",
			"static", "type", "extern", "unsafe", "async", "#![", "macro_rules!",
		},
		lineComments: []string{"//"}, blockOpen: "/*", blockClose: "*/",
		quotes: `"`,
	})

	cKeywords = []string{
		"static", "int", "void", "struct", "typedef", "#include", "#define", "enum", "union",
		"extern", "inline", "const", "char", "unsigned", "signed", "long", "short", "float",
		"double", "bool",
	}
	cSyntax   = prepared(cBlock.with(cKeywords...))
	cppSyntax = prepared(cBlock.with(append([]string{
		"template", "class", "namespace", "using", "auto", "constexpr",
	}, cKeywords...)...))

	csharpSyntax = prepared(cBlock.with(
		"public", "private", "protected", "internal", "namespace", "using", "class",
		"interface", "struct", "enum", "record", "static", "abstract", "sealed", "partial",
	))

	// Ruby's blocks close with "end", which brackets don't see, so it counts as an indentation
	// language: code is indented by convention.
	rubySyntax = prepared(syntax{
		keywords:     []string{"def", "class", "module", "require", "require_relative"},
		endStops:     true,
		lineComments: []string{"#"},
		quotes:       `"'`,
		indentBlocks: true,
	})

	// Prose: no keywords and no strings (an apostrophe is not a quote).
	docSyntax = prepared(syntax{})
)

// syntaxFor returns the syntax of a normalized language id. Languages codectx does not know get
// no top-level keywords, their comment marker, and plain quotes.
func syntaxFor(lang string) *syntax {
	switch lang {
	case codectx.LangGo:
		return goSyntax
	case codectx.LangPython:
		return pythonSyntax
	case codectx.LangJavaScript, codectx.LangJSX, codectx.LangTypeScript, codectx.LangTSX:
		return jsSyntax
	case codectx.LangJava:
		return javaSyntax
	case codectx.LangRust:
		return rustSyntax
	case codectx.LangC:
		return cSyntax
	case codectx.LangCPP:
		return cppSyntax
	case codectx.LangCSharp:
		return csharpSyntax
	case codectx.LangRuby:
		return rubySyntax
	case codectx.LangMarkdown, codectx.LangText, "":
		return docSyntax
	}
	st, ok := commentStyleFor(lang)
	switch {
	case !ok:
		return prepared(syntax{quotes: `"'`})
	case st.close != "":
		return prepared(syntax{blockOpen: st.open, blockClose: st.close, quotes: `"'`})
	case st.open == "//":
		return cLexing
	default:
		return prepared(syntax{lineComments: []string{st.open}, quotes: `"'`})
	}
}

// bracket pairs.
func opener(c byte) bool { return c == '(' || c == '[' || c == '{' }
func closer(c byte) bool { return c == ')' || c == ']' || c == '}' }

func closes(open, c byte) bool {
	switch open {
	case '(':
		return c == ')'
	case '[':
		return c == ']'
	case '{':
		return c == '}'
	}
	return false
}

// isWord reports whether c can be part of an identifier. Bytes of multi-byte UTF-8 sequences
// count as word characters.
func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

type lexMode uint8

const (
	inCode lexMode = iota
	inBlockComment
	inMultiString
)

// lexState is what a line inherits from the lines before it.
type lexState struct {
	mode lexMode
	mq   multiQuote // the open multi-line string, in inMultiString
}

// scan lexes one line (without its newline) from state st and calls bracket for every bracket
// outside strings and comments; bracket returns false to stop the scan early. It returns the
// state the next line starts in.
func (sy *syntax) scan(st lexState, line []byte, bracket func(i int, c byte) bool) lexState {
	i := 0
	for i < len(line) {
		switch st.mode {
		case inBlockComment:
			for i < len(line) && !hasPrefix(line[i:], sy.blockClose) {
				i++
			}
			if i == len(line) {
				return st
			}
			i += len(sy.blockClose)
			st = lexState{}
			continue
		case inMultiString:
			closed := false
			for i < len(line) {
				if st.mq.escapes && line[i] == '\\' {
					i += 2
					continue
				}
				if hasPrefix(line[i:], st.mq.delim) {
					i += len(st.mq.delim)
					closed = true
					break
				}
				i++
			}
			if !closed {
				return st
			}
			st = lexState{}
			continue
		}
		c := line[i]
		switch {
		case !sy.special[c]:
			i++
			continue
		case opener(c) || closer(c):
			if !bracket(i, c) {
				return st
			}
			i++
			continue
		}
		rest := line[i:]
		for _, lc := range sy.lineComments {
			if hasPrefix(rest, lc) {
				return st
			}
		}
		if sy.blockOpen != "" && hasPrefix(rest, sy.blockOpen) {
			st = lexState{mode: inBlockComment}
			i += len(sy.blockOpen)
			continue
		}
		multi := false
		for _, mq := range sy.multi {
			if hasPrefix(rest, mq.delim) {
				st = lexState{mode: inMultiString, mq: mq}
				i += len(mq.delim)
				multi = true
				break
			}
		}
		if multi {
			continue
		}
		if strings.IndexByte(sy.quotes, c) >= 0 {
			j := i + 1
			for j < len(line) && line[j] != c {
				if line[j] == '\\' {
					j++
				}
				j++
			}
			i = j + 1
			continue
		}
		i++
	}
	return st
}

// push applies one bracket to a stack of open brackets. A closer that matches nothing on the
// stack reports false; a mismatched closer pops down to the nearest opener it closes.
func push(stack []byte, c byte) ([]byte, bool) {
	if opener(c) {
		return append(stack, c), true
	}
	for k := len(stack) - 1; k >= 0; k-- {
		if closes(stack[k], c) {
			return stack[:k], true
		}
	}
	return stack, false
}

// hasPrefix is bytes.HasPrefix for a string prefix, without converting it.
func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}
