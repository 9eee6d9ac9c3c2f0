package imports

import "strings"

// parseGo reads import declarations: import "p", import name "p", and the parenthesised
// form. The name bound is the alias, or the path's last element (its major-version element
// skipped: "github.com/jackc/pgx/v5" binds pgx).
func parseGo(src string) []Import {
	var out []Import
	statements(src, []string{"import"}, &out, func(l *lexer) {
		l.keepNewlines = true
		l.next() // import
		spec := func(t token) bool {
			alias := ""
			if t.kind == tIdent || t.kind == tPunct && (t.text == "." || t.text == "_") {
				alias = t.text
				t = l.next()
			}
			if t.kind != tString || t.text == "" {
				return false
			}
			local := alias
			if local == "" {
				local = goPackageName(t.text)
			}
			if local != "_" && local != "." {
				out = append(out, Import{Module: t.text, Local: local, Line: t.line})
			}
			return true
		}
		t := l.next()
		if t.kind == tPunct && t.text == "(" {
			for {
				t = l.next()
				switch {
				case t.kind == tNewline || t.kind == tPunct && t.text == ";":
				case t.kind == tPunct && t.text == ")", t.kind == tEOF:
					return
				default:
					if !spec(t) {
						return
					}
				}
			}
		}
		spec(t)
	})
	return out
}

// goPackageName guesses the name a Go import path binds: its last element, skipping a
// major-version element ("v5") and a gopkg.in suffix ("yaml.v3" is yaml).
func goPackageName(p string) string {
	parts := strings.Split(p, "/")
	name := parts[len(parts)-1]
	if len(parts) > 1 && len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		name = parts[len(parts)-2]
	}
	if i := strings.Index(name, ".v"); i > 0 {
		name = name[:i]
	}
	name = strings.TrimPrefix(name, "go-")
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, name)
}

// parsePython reads import a.b [as c], ... and from [.]m import a [as b], ... (also in
// parentheses, and *), at any indentation: a function may import locally.
func parsePython(src string) []Import {
	var out []Import
	statements(src, []string{"import", "from"}, &out, func(l *lexer) {
		l.keepNewlines, l.hashComments = true, true
		first := l.next()
		dotted := func(t token) (string, token) {
			var b strings.Builder
			for {
				switch {
				case t.kind == tPunct && t.text == ".":
					b.WriteByte('.')
				case t.kind == tIdent && t.text != "import" && (b.Len() == 0 || strings.HasSuffix(b.String(), ".")):
					b.WriteString(t.text)
				default:
					return b.String(), t
				}
				t = l.next()
			}
		}
		if first.text == "import" {
			for {
				mod, t := dotted(l.next())
				if mod == "" || strings.HasPrefix(mod, ".") || strings.HasSuffix(mod, ".") {
					return
				}
				local := mod
				if t.kind == tIdent && t.text == "as" {
					if t = l.next(); t.kind != tIdent {
						return
					}
					local, t = t.text, l.next()
				}
				out = append(out, Import{Module: mod, Local: local, Line: first.line})
				if t.kind != tPunct || t.text != "," {
					return
				}
			}
		}
		mod, t := dotted(l.next())
		if mod == "" || strings.HasSuffix(mod, ".") && strings.Trim(mod, ".") != "" || t.kind != tIdent || t.text != "import" {
			return
		}
		t = l.next()
		paren := t.kind == tPunct && t.text == "("
		if paren {
			l.keepNewlines = false
			t = l.next()
		}
		if t.kind == tPunct && t.text == "*" {
			out = append(out, Import{Module: mod, Name: "*", Line: first.line})
			return
		}
		for t.kind == tIdent {
			name, local := t.text, t.text
			t = l.next()
			if t.kind == tIdent && t.text == "as" {
				if t = l.next(); t.kind != tIdent {
					return
				}
				local, t = t.text, l.next()
			}
			out = append(out, Import{Module: mod, Name: name, Local: local, Line: first.line})
			if t.kind != tPunct || t.text != "," {
				return
			}
			t = l.next()
		}
	})
	return out
}

// parseJS reads ES module imports and re-exports, TypeScript's import x = require("m"), and
// CommonJS requires bound by const, let or var.
func parseJS(src string) []Import {
	var out []Import
	statements(src, []string{"import", "export", "const", "let", "var"}, &out, func(l *lexer) {
		first := l.next()
		t := l.next()
		switch first.text {
		case "import":
			out = append(out, jsImport(l, t, first.line)...)
		case "export":
			out = append(out, jsExport(l, t, first.line)...)
		default:
			out = append(out, jsRequire(l, t, first.line)...)
		}
	})
	return out
}

func isPunct(t token, p string) bool { return t.kind == tPunct && t.text == p }
func isWord(t token, w string) bool  { return t.kind == tIdent && t.text == w }

// jsNamed reads { a, b as c, type d, default as e } after its "{"; it returns the
// (name, local) pairs and the token after "}", ok false if the list is malformed.
func jsNamed(l *lexer) (pairs [][2]string, after token, ok bool) {
	for {
		t := l.next()
		if isPunct(t, "}") {
			return pairs, l.next(), true
		}
		if isWord(t, "type") {
			// "type" marks a type-only member, unless it is the member's own name.
			if n := l.next(); n.kind == tIdent || n.kind == tString {
				t = n
			} else if isPunct(n, ",") || isPunct(n, "}") {
				pairs = append(pairs, [2]string{"type", "type"})
				if isPunct(n, "}") {
					return pairs, l.next(), true
				}
				continue
			} else {
				return nil, t, false
			}
		}
		if t.kind != tIdent && t.kind != tString {
			return nil, t, false
		}
		name, local := t.text, t.text
		t = l.next()
		if isWord(t, "as") {
			if t = l.next(); t.kind != tIdent && t.kind != tString {
				return nil, t, false
			}
			local, t = t.text, l.next()
		}
		pairs = append(pairs, [2]string{name, local})
		switch {
		case isPunct(t, ","):
		case isPunct(t, "}"):
			return pairs, l.next(), true
		default:
			return nil, t, false
		}
	}
}

func jsImport(l *lexer, t token, line int) []Import {
	if isWord(t, "type") {
		n := l.next()
		if !isWord(n, "from") && !isPunct(n, ",") && !isPunct(n, "=") {
			t = n // import type X from / import type { X } from
		} else {
			return jsImportAfterDefault(l, "type", n, line)
		}
	}
	var out []Import
	switch {
	case t.kind == tIdent:
		return jsImportAfterDefault(l, t.text, l.next(), line)
	case isPunct(t, "*"):
		local, ok := jsNamespace(l)
		if !ok {
			return nil
		}
		t = l.next()
		out = append(out, Import{Local: local, Line: line})
	case isPunct(t, "{"):
		pairs, after, ok := jsNamed(l)
		if !ok {
			return nil
		}
		t = after
		for _, p := range pairs {
			out = append(out, Import{Name: p[0], Local: p[1], Line: line})
		}
	default:
		return nil // import "side-effect", import(...), import.meta
	}
	return withModule(l, t, out)
}

// jsImportAfterDefault continues import X ... after the default binding X.
func jsImportAfterDefault(l *lexer, local string, t token, line int) []Import {
	out := []Import{{Name: "default", Local: local, Line: line}}
	switch {
	case isPunct(t, "="): // TypeScript: import x = require("m")
		if !isWord(l.next(), "require") || !isPunct(l.next(), "(") {
			return nil
		}
		m := l.next()
		if m.kind != tString || m.text == "" {
			return nil
		}
		return []Import{{Module: m.text, Local: local, Line: line}}
	case isPunct(t, ","):
		t = l.next()
		switch {
		case isPunct(t, "*"):
			ns, ok := jsNamespace(l)
			if !ok {
				return nil
			}
			out = append(out, Import{Local: ns, Line: line})
			t = l.next()
		case isPunct(t, "{"):
			pairs, after, ok := jsNamed(l)
			if !ok {
				return nil
			}
			for _, p := range pairs {
				out = append(out, Import{Name: p[0], Local: p[1], Line: line})
			}
			t = after
		default:
			return nil
		}
	}
	return withModule(l, t, out)
}

// jsNamespace reads "as X" after "*".
func jsNamespace(l *lexer) (string, bool) {
	if !isWord(l.next(), "as") {
		return "", false
	}
	t := l.next()
	return t.text, t.kind == tIdent
}

// withModule reads "from 'm'" at t and sets the module of every import.
func withModule(l *lexer, t token, out []Import) []Import {
	if !isWord(t, "from") {
		return nil
	}
	m := l.next()
	if m.kind != tString || m.text == "" {
		return nil
	}
	for i := range out {
		out[i].Module = m.text
	}
	return out
}

func jsExport(l *lexer, t token, line int) []Import {
	if isWord(t, "type") {
		t = l.next()
	}
	var out []Import
	switch {
	case isPunct(t, "*"):
		t = l.next()
		if isWord(t, "as") {
			n := l.next()
			if n.kind != tIdent && n.kind != tString {
				return nil
			}
			out = append(out, Import{Local: n.text, Export: true, Line: line})
			t = l.next()
		} else {
			out = append(out, Import{Name: "*", Export: true, Line: line})
		}
	case isPunct(t, "{"):
		pairs, after, ok := jsNamed(l)
		if !ok {
			return nil
		}
		for _, p := range pairs {
			out = append(out, Import{Name: p[0], Local: p[1], Export: true, Line: line})
		}
		t = after
	default:
		return nil // export const ..., export default ...: nothing imported
	}
	return withModule(l, t, out)
}

// jsRequire reads const x = require("m") and const { a, b: c } = require("m").
func jsRequire(l *lexer, t token, line int) []Import {
	var out []Import
	switch {
	case t.kind == tIdent:
		out = append(out, Import{Local: t.text, Line: line})
	case isPunct(t, "{"):
		for {
			n := l.next()
			if isPunct(n, "}") {
				break
			}
			if n.kind != tIdent {
				return nil
			}
			name, local := n.text, n.text
			n = l.next()
			if isPunct(n, ":") {
				if n = l.next(); n.kind != tIdent {
					return nil
				}
				local, n = n.text, l.next()
			}
			out = append(out, Import{Name: name, Local: local, Line: line})
			if isPunct(n, "}") {
				break
			}
			if !isPunct(n, ",") {
				return nil
			}
		}
	default:
		return nil
	}
	if !isPunct(l.next(), "=") || !isWord(l.next(), "require") || !isPunct(l.next(), "(") {
		return nil
	}
	m := l.next()
	if m.kind != tString || m.text == "" || !isPunct(l.next(), ")") {
		return nil
	}
	for i := range out {
		out[i].Module = m.text
	}
	return out
}
