package serve

import (
	"slices"
	"strings"
)

// A sequence around the cursor. Lines of the same shape one after the other (a type
// registered per line, a struct's fields named after their types, the cases of a switch) most
// often list names in order, and the hidden line is the one between its neighbours: with
// `RegisterType(&Type{Name: "bit", OID: BitOID, ...})` above the cursor and
// `RegisterType(&Type{Name: "box", OID: BoxOID, ...})` below it, the next line needs a name
// between BitOID and BoxOID (BoolOID), not BoxOID, which the line after uses.

// weightBetween scales a definition whose name sorts between the names the lines around the
// cursor have at the same place.
const weightBetween = 10

// maxSequenceBounds bounds the pairs of names read from a sequence's lines.
const maxSequenceBounds = 4

// seqBound is a pair of names at the same place of the line before and the line after the
// cursor, lower-cased, lo before hi.
type seqBound struct{ lo, hi, suffix string }

// sequenceBounds returns the pairs of identifiers that differ between the last line of prefix
// with something on it and the first such line of suffix, when both lines have the same shape
// (the same punctuation and identifiers at the same places), or nil.
func sequenceBounds(prefix, suffix string) []seqBound {
	prev, next := lastNonBlank(prefix), firstNonBlank(suffix)
	if prev == "" || next == "" {
		return nil
	}
	var out []seqBound
	for {
		a, restA := nextToken(prev)
		b, restB := nextToken(next)
		switch {
		case a == "" && b == "":
			return out
		case a == "" || b == "" || isIdentStart(a[0]) != isIdentStart(b[0]):
			return nil
		case !isIdentStart(a[0]) && a != b:
			return nil
		case a != b && len(out) < maxSequenceBounds:
			lo, hi := strings.ToLower(a), strings.ToLower(b)
			if lo > hi {
				lo, hi = hi, lo
			}
			// Names with nothing in common are no sequence (a float64 then a bool).
			if suffix := commonSuffix(lo, hi); lo != hi && (lo[0] == hi[0] || len(suffix) >= 2) && !slices.Contains(out, seqBound{lo, hi, suffix}) {
				out = append(out, seqBound{lo, hi, suffix})
			}
		}
		prev, next = restA, restB
	}
}

// nextToken returns the first token of s (an identifier, a number, a string or one other
// character; blanks skipped) and the rest of s.
func nextToken(s string) (string, string) {
	s = strings.TrimLeft(s, " \t\r")
	if s == "" {
		return "", ""
	}
	i := 1
	switch c := s[0]; {
	case isIdentChar(c):
		for i < len(s) && isIdentChar(s[i]) {
			i++
		}
	case c == '"' || c == '\'' || c == '`':
		// A string literal is one token, whatever it holds: the names in a sequence's strings
		// differ from line to line.
		for i < len(s) && s[i] != c {
			if s[i] == '\\' {
				i++
			}
			i++
		}
		i = min(i+1, len(s))
		return "\"", s[i:]
	}
	return s[:i], s[i:]
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// weighBySequence scales the definitions among the candidates whose name sorts strictly
// between the two names of a bound. The names the lines after the cursor use (after) come
// later in the sequence: they are left as they are.
func weighBySequence(list []*candidate, bounds []seqBound, after []string) {
	if len(bounds) == 0 {
		return
	}
	for _, c := range list {
		if c.kind == "" || len(c.signals) == 0 {
			continue
		}
		_, name, ok := strings.Cut(c.signals[0], ":")
		if !ok {
			continue
		}
		if slices.Contains(after, name) {
			continue
		}
		name = strings.ToLower(name)
		for _, b := range bounds {
			if b.lo < name && name < b.hi && strings.HasSuffix(name, b.suffix) {
				c.score *= weightBetween
				break
			}
		}
	}
}

// commonSuffix returns the longest suffix a and b share.
func commonSuffix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return a[len(a)-n:]
}
