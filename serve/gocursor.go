package serve

// Where a Go cursor is, read from the code before it: at the top level of the file, in a
// struct's fields, an interface's methods, a function's body or a declaration group. What the
// next line names depends on it: at the top level and among fields or methods it is nearly
// always a type (a receiver, a parameter, a field's type); in a body anything goes.
type goPlace uint8

const (
	goTop     goPlace = iota // between declarations
	goFields                 // in struct { ... }
	goMethods                // in interface { ... }
	goBody                   // in a function's body (a closure's too)
	goGroup                  // in const ( ... ), var ( ... ), type ( ... ) or import ( ... )
	goUnknown
)

// maxGoDepth bounds the nesting goPlaceOf tracks; deeper code is a body.
const maxGoDepth = 64

// goPlaceOf scans Go source up to the cursor (comments, strings and runes skipped) and tells
// where the cursor is.
//
// The prefix is often only the last lines before the cursor (editors send about 20), which may
// begin inside a block opened above them. Outside every block the window opens, the cursor is at
// the top level only if the window shows it: a line that starts in column 0 (gofmt indents
// everything inside a block) and no indented closing brace after it. Otherwise the place is
// unknown.
func goPlaceOf(prefix string) goPlace {
	var stack [maxGoDepth]goPlace
	depth := 0
	var lastWord, firstWord string // the last identifier, and the first of the line
	lineStart := true
	indented := false   // the current line starts with blanks
	top := prefix == "" // outside the window's blocks is the file's top level
	push := func(p goPlace) {
		if depth < maxGoDepth {
			stack[depth] = p
		}
		depth++
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		switch {
		case c == '\n':
			lineStart, indented = true, false
			firstWord = ""
			continue
		case c == ' ' || c == '\t' || c == '\r':
			if lineStart {
				indented = true
			}
			continue
		}
		if depth == 0 {
			switch {
			case lineStart && !indented:
				top = true // a line in column 0 is at the top level
			case c == '}' || c == ')':
				top = false // the window began inside a block
			}
		}
		switch {
		case c == '/' && i+1 < len(prefix) && prefix[i+1] == '/':
			for i < len(prefix) && prefix[i] != '\n' {
				i++
			}
			i-- // the line break ends the line
			continue
		case c == '/' && i+1 < len(prefix) && prefix[i+1] == '*':
			j := indexFrom(prefix, i+2, "*/")
			if j < 0 {
				return goUnknown // in a comment
			}
			i = j + 1
			continue
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(prefix) && prefix[j] != c && prefix[j] != '\n' {
				if prefix[j] == '\\' {
					j++
				}
				j++
			}
			i = j
		case c == '`':
			j := indexFrom(prefix, i+1, "`")
			if j < 0 {
				return goUnknown // in a raw string
			}
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(prefix) && (prefix[j] == '_' || prefix[j] >= 'a' && prefix[j] <= 'z' || prefix[j] >= 'A' && prefix[j] <= 'Z' || prefix[j] >= '0' && prefix[j] <= '9') {
				j++
			}
			lastWord = prefix[i:j]
			if lineStart {
				firstWord = lastWord
			}
			i = j - 1
		case c == '{':
			switch {
			case lastWord == "struct":
				push(goFields)
			case lastWord == "interface":
				push(goMethods)
			case depth == 0 && firstWord == "func", lastWord == "func":
				push(goBody)
			default:
				push(goUnknown) // a composite literal or a statement's block: its enclosing place holds
			}
		case c == '(':
			if depth == 0 && lastWord == firstWord && (firstWord == "const" || firstWord == "var" || firstWord == "type" || firstWord == "import") {
				push(goGroup)
			} else {
				push(goUnknown)
			}
		case c == '}' || c == ')':
			if depth > 0 {
				depth--
			}
		}
		lineStart = false
		if c != '_' && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			lastWord = ""
		}
	}
	for d := min(depth, maxGoDepth) - 1; d >= 0; d-- {
		if stack[d] != goUnknown {
			return stack[d]
		}
	}
	if depth > 0 || !top {
		return goUnknown
	}
	return goTop
}

func indexFrom(s string, from int, sub string) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// Where the next line is a type's place (the top level, a struct's fields, an interface's
// methods), a type's definition is what it most likely needs, and a function's, method's or
// value's least.
const (
	weightTypeInTypePlace  = 3
	weightOtherInTypePlace = 0.3
)

// weighByPlace scales the definitions among the candidates by the place of the cursor.
func weighByPlace(list []*candidate, place goPlace) {
	if !typePlace(place) {
		return
	}
	for _, c := range list {
		switch c.kind {
		case "":
			// not a definition (a lexical hit)
		case "type", "struct", "interface":
			c.score *= weightTypeInTypePlace
		default:
			c.score *= weightOtherInTypePlace
		}
	}
}

// typePlace reports a place where the next line most likely names a type.
func typePlace(p goPlace) bool { return p == goTop || p == goFields || p == goMethods }

// isTypeKind reports a codectx.Symbol.Kind of a type.
func isTypeKind(kind string) bool { return kind == "type" || kind == "struct" || kind == "interface" }

// withoutGoComments returns Go source with its comments blanked (line breaks kept); strings
// and runes are kept as they are.
func withoutGoComments(src string) []byte {
	out := []byte(src)
	for i := 0; i < len(out); i++ {
		switch c := out[i]; {
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			out[i], out[i+1] = ' ', ' '
			for i += 2; i < len(out) && !(out[i] == '*' && i+1 < len(out) && out[i+1] == '/'); i++ {
				if out[i] != '\n' {
					out[i] = ' '
				}
			}
			if i < len(out) {
				out[i], out[i+1] = ' ', ' '
				i++
			}
		case c == '"' || c == '\'':
			for i++; i < len(out) && out[i] != c && out[i] != '\n'; i++ {
				if out[i] == '\\' {
					i++
				}
			}
		case c == '`':
			for i++; i < len(out) && out[i] != '`'; i++ {
			}
		}
	}
	return out
}
