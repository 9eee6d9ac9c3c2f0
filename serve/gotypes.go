package serve

import (
	"context"
	"path"
	"strings"

	"github.com/codectx/codectx"
)

// The types around a Go cursor. A method found by its name alone may be any type's: six
// collectors define Describe, every message type Decode, and a wrapper's method
// (`func (v *CounterVec) CurryWith`) calls the method of the same name of the type it wraps
// (`v.MetricVec.CurryWith`), not a sibling wrapper's (`GaugeVec.CurryWith`). What tells them
// apart is the type of the value the method is called on, and in a method's body the values at
// hand are its receiver and the receiver's fields: the methods of the fields' types rise.
//
// The types the enclosing function's parameters have were tried as well: in cobra every
// function takes a *Command, whose methods then rose over everything else (Go MRR 0.367 →
// 0.360).

// weightFieldMethod scales a method whose receiver is the type of a field of the enclosing
// method's receiver.
const weightFieldMethod = 1.6

// goEnclosingHeader returns the header line of the top-level func the end of prefix is inside,
// or "": the last line that starts with "func ", unless a closing brace in column 0 ends its
// body before the cursor (gofmt puts both there). Its first line only: a header cut over lines
// still holds the receiver and the name.
func goEnclosingHeader(prefix string) string {
	for end := len(prefix); end > 0; {
		start := strings.LastIndexByte(prefix[:end], '\n') + 1
		line := prefix[start:end]
		end = start - 1
		switch {
		case strings.HasPrefix(line, "}"):
			return ""
		case strings.HasPrefix(line, "func "):
			return line
		}
	}
	return ""
}

// goReceiverType returns the type of a method header's receiver ("func (v *Vec[T]) M()" gives
// "Vec"), or "" for a function or anything else.
func goReceiverType(header string) string {
	s, ok := strings.CutPrefix(strings.TrimLeft(header, " \t"), "func")
	if !ok {
		return ""
	}
	s = strings.TrimLeft(s, " \t")
	if !strings.HasPrefix(s, "(") {
		return ""
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return ""
	}
	recv := s[1:end]
	if i := strings.IndexByte(recv, '['); i >= 0 {
		recv = recv[:i]
	}
	// The last identifier: the type, after the receiver's name and a star.
	last := ""
	eachIdent(recv, func(id string) { last = id })
	if last == "" && len(recv) > 0 {
		last = strings.Trim(recv, " \t*")
	}
	return last
}

// goFieldTypes returns the identifiers of the declaration of the enclosing method's receiver
// type (its fields' types among them; a field's name matches no receiver), read in the code
// before the cursor (full) when the cursor's file declares it above (the indexed copy may be
// older), else found in the cursor's folder. Outside a method it returns nothing.
func (r *Retriever) goFieldTypes(ctx context.Context, req ContextRequest, full string, f codectx.SearchFilter) (map[string]bool, error) {
	recv := goReceiverType(goEnclosingHeader(full))
	if recv == "" {
		return nil, nil
	}
	decl := goTypeDecl(full, recv)
	if decl == "" && req.Filepath != "" {
		f.Near, f.Dir = req.Filepath, path.Dir(req.Filepath)
		hits, err := r.Index.Definitions(ctx, []string{recv}, f, 1)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			if h.Symbol != nil && isTypeKind(h.Symbol.Kind) {
				start, end := clampSpan(h.Chunk, h.Symbol.StartLine, h.Symbol.EndLine)
				decl = spanBody(h.Chunk, start, end)
				break
			}
		}
		r.recycle(hits)
	}
	if decl == "" {
		return nil, nil
	}
	types := map[string]bool{}
	eachIdent(string(withoutGoComments(decl)), func(id string) { types[id] = true })
	delete(types, recv) // its own methods are the scope signal's
	return types, nil
}

// goTypeDecl returns the declaration of the type name in Go source, from "type name" to the
// closing brace in column 0 (or to the end of its line for a type without braces), or "".
func goTypeDecl(src, name string) string {
	for from := 0; ; {
		i := strings.Index(src[from:], "type "+name+" ")
		if i < 0 {
			return ""
		}
		i += from
		from = i + 1
		if i > 0 && src[i-1] != '\n' {
			continue // not at the top level
		}
		decl := src[i:]
		nl := strings.IndexByte(decl, '\n')
		if nl < 0 {
			return decl
		}
		if !strings.HasSuffix(strings.TrimRight(decl[:nl], " \t\r"), "{") {
			return decl[:nl]
		}
		if end := strings.Index(decl, "\n}"); end >= 0 {
			return decl[:end+2]
		}
		return decl
	}
}

// weighByTypes scales the methods among the candidates whose receiver is one of types.
func weighByTypes(list []*candidate, types map[string]bool) {
	if len(types) == 0 {
		return
	}
	for _, c := range list {
		if c.kind != "method" {
			continue
		}
		header := c.body // a header, or a definition's whole span, or "" (cut when packed)
		if header == "" || c.endLine > c.startLine {
			header = spanBody(c.chunk, c.startLine, c.startLine)
		}
		if types[goReceiverType(header)] {
			c.score *= weightFieldMethod
		}
	}
}
