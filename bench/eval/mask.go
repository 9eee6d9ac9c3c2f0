package eval

import (
	"go/scanner"
	"go/token"
)

// MaskLines returns a copy of a Go file whose identifiers on the given lines (1-based) are
// overwritten with 'x', byte for byte. Keywords, operators, literals and comments stay, so
// the file keeps its length, its line numbers and its syntax: an identifier made of letters is
// still an identifier. This is what keeps a hidden line out of the index the eval searches.
func MaskLines(src []byte, lines map[int]bool) []byte {
	out := append([]byte(nil), src...)
	if len(lines) == 0 {
		return out
	}
	fset := token.NewFileSet()
	f := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(f, src, func(token.Position, string) {}, 0)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.IDENT || !lines[f.Line(pos)] {
			continue
		}
		off := f.Offset(pos)
		for i := off; i < off+len(lit) && i < len(out); i++ {
			out[i] = 'x'
		}
	}
	return out
}
