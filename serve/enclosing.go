package serve

import "strings"

// The function the cursor is in. Its own name, in its header, is a declaration, not a use:
// a method named like a function of another file or a method of another type most often calls
// it (a wrapper: Python's `def Pipe(self): from .connection import Pipe; return Pipe()`, Go's
// `func (v *GaugeVec) CurryWith(...) { vec, err := v.MetricVec.CurryWith(...)`), so that name
// must not rank as one the code before the cursor already uses.

// enclosingFuncName returns the name of the function declaration the end of prefix is inside
// (Go: a top-level func or method; Python: the nearest def whose block holds the cursor), or "".
func enclosingFuncName(fam, prefix string) string {
	switch fam {
	case "go":
		return goEnclosingFunc(prefix)
	case "python":
		return pythonEnclosingDef(prefix)
	}
	return ""
}

// goEnclosingFunc reads the name in the last top-level func header of prefix (see
// goEnclosingHeader).
func goEnclosingFunc(prefix string) string {
	if header := goEnclosingHeader(prefix); header != "" {
		return goFuncName(header[len("func "):])
	}
	return ""
}

// goFuncName returns the name of a func header after "func ": a method's receiver is skipped.
func goFuncName(s string) string {
	s = strings.TrimLeft(s, " \t")
	if strings.HasPrefix(s, "(") {
		i := strings.IndexByte(s, ')')
		if i < 0 {
			return ""
		}
		s = strings.TrimLeft(s[i+1:], " \t")
	}
	return leadingIdent(s)
}

// pythonEnclosingDef walks up from the last line of prefix to the first def indented less
// than the code around the cursor.
func pythonEnclosingDef(prefix string) string {
	indent := -1 // the indentation the cursor's block has, as far as read
	for end := len(prefix); end > 0; {
		start := strings.LastIndexByte(prefix[:end], '\n') + 1
		line := strings.TrimRight(prefix[start:end], " \t\r")
		end = start - 1
		body := strings.TrimLeft(line, " \t")
		if body == "" || body[0] == '#' {
			continue
		}
		n := len(line) - len(body)
		if indent < 0 {
			// The last line: the cursor is in the block it opens, or beside it.
			indent = n
			if strings.HasSuffix(body, ":") {
				indent++
			}
		}
		if n >= indent {
			continue
		}
		indent = n
		body = strings.TrimPrefix(body, "async ")
		if strings.HasPrefix(body, "def ") {
			return leadingIdent(strings.TrimLeft(body[len("def "):], " \t"))
		}
		if indent == 0 || strings.HasPrefix(body, "class ") {
			return ""
		}
	}
	return ""
}

// leadingIdent returns the identifier s starts with.
func leadingIdent(s string) string {
	i := 0
	for i < len(s) && isIdentChar(s[i]) {
		i++
	}
	if i == 0 || s[0] >= '0' && s[0] <= '9' {
		return ""
	}
	return s[:i]
}
