// Package lexical turns text into the lexical (sparse) vectors behind BM25 search. One
// code-aware tokenizer serves documents and queries alike: identifiers are kept whole and also
// split into their words (camelCase, PascalCase with acronyms, snake_case, kebab-case, digits),
// everything is lower-cased, and comments and strings count like any other text. It needs no
// model.
package lexical

import (
	"bytes"
	"slices"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/codectx/codectx"
)

// maxToken is the longest token kept, in bytes; longer runs (hashes, base64) are noise, though
// their words are still emitted when short enough.
const maxToken = 64

// class of an ASCII byte.
const (
	cSep   = iota // separator
	cLower        // a-z
	cUpper        // A-Z
	cDigit        // 0-9
	cUnder        // _
	cHigh         // >= 0x80: decoded to decide
)

var asciiClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z':
			t[c] = cLower
		case c >= 'A' && c <= 'Z':
			t[c] = cUpper
		case c >= '0' && c <= '9':
			t[c] = cDigit
		case c == '_':
			t[c] = cUnder
		case c >= 0x80:
			t[c] = cHigh
		}
	}
	return t
}()

type buffer struct{ b [4 * maxToken]byte }

var buffers = sync.Pool{New: func() any { return new(buffer) }}

// Tokens calls fn with each token of text, in order: every identifier lower-cased, then, when
// it has several words, each word. Tokens of one byte and stop words are dropped. fn must not
// retain tok, which is only valid during the call. Tokens does not allocate.
func Tokens(text []byte, fn func(tok []byte)) {
	buf := buffers.Get().(*buffer)
	defer buffers.Put(buf)
	lb := buf.b[:maxToken]
	var words [maxToken / 2][2]uint8
	i := 0
	for i < len(text) {
		cl := asciiClass[text[i]]
		if cl == cSep {
			i++
			continue
		}
		start := i
		if cl == cHigh {
			r, n := utf8.DecodeRune(text[i:])
			if !isWordRune(r) {
				i += n
				continue
			}
			i = identifierEnd(text, i)
			identifierUnicode(text[start:i], buf, fn)
			continue
		}
		// The ASCII fast path: lower-case into lb and note the words in one pass.
		nw := 0
		ws := -1 // start of the current word, or -1 between words
		under := false
		prev := uint8(cSep)
		for i < len(text) {
			c := text[i]
			cl = asciiClass[c]
			if cl == cSep {
				break
			}
			if cl == cHigh {
				// Not ASCII after all: take the slow path for the whole identifier.
				i = identifierEnd(text, i)
				identifierUnicode(text[start:i], buf, fn)
				nw = -1
				break
			}
			j := i - start
			if j < maxToken {
				if cl == cUnder {
					under = true
					if ws >= 0 {
						if nw < len(words) {
							words[nw] = [2]uint8{uint8(ws), uint8(j)}
							nw++
						}
						ws = -1
					}
				} else {
					if ws < 0 {
						ws = j
					} else if boundary(prev, cl, text, i) {
						if nw < len(words) {
							words[nw] = [2]uint8{uint8(ws), uint8(j)}
							nw++
						}
						ws = j
					}
					if cl == cUpper {
						c += 'a' - 'A'
					}
				}
				lb[j] = c
			}
			prev = cl
			i++
		}
		n := i - start
		if nw < 0 {
			continue
		}
		if n > maxToken {
			// Too long to keep whole (a hash, base64), but the words that ended within its
			// first maxToken bytes still count.
			for _, w := range words[:nw] {
				emit(lb[w[0]:w[1]], fn)
			}
			continue
		}
		emit(lb[:n], fn)
		if ws >= 0 && (nw > 0 || under) && nw < len(words) {
			words[nw] = [2]uint8{uint8(ws), uint8(n)}
			nw++
		}
		if nw > 1 || under {
			for _, w := range words[:nw] {
				emit(lb[w[0]:w[1]], fn)
			}
		}
	}
}

// identifierEnd returns the end of the identifier containing text[i].
func identifierEnd(text []byte, i int) int {
	for i < len(text) {
		cl := asciiClass[text[i]]
		if cl == cSep {
			break
		}
		if cl == cHigh {
			r, n := utf8.DecodeRune(text[i:])
			if !isWordRune(r) {
				break
			}
			i += n
			continue
		}
		i++
	}
	return i
}

// isWordRune reports a non-ASCII rune that belongs to identifiers.
func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
}

// boundary reports whether a new word starts at text[i] (class cl, not an underscore) inside
// an identifier, after a byte of class prev (not an underscore either).
func boundary(prev, cl uint8, text []byte, i int) bool {
	switch cl {
	case cUpper:
		// fooBar, or the last capital of an acronym followed by lower case: HTTPServer.
		return prev == cLower || prev == cDigit ||
			(prev == cUpper && i+1 < len(text) && asciiClass[text[i+1]] == cLower)
	case cDigit:
		return prev != cDigit
	case cLower:
		return prev == cDigit
	}
	return false
}

// identifierUnicode handles identifiers with non-ASCII letters: lower-cased whole, and split at
// underscores and at lower-to-upper case changes.
func identifierUnicode(id []byte, buf *buffer, fn func([]byte)) {
	lb := buf.b[:0]
	// Words, as [start, end) offsets into the lower-cased copy.
	var words [maxToken][2]int
	nw := 0
	ws := 0 // start of the current word
	prevLower := false
	for j := 0; j < len(id); {
		r, n := utf8.DecodeRune(id[j:])
		j += n
		if len(lb)+utf8.UTFMax > cap(lb) {
			return // too long to be a useful token
		}
		if r == '_' {
			if len(lb) > ws && nw < len(words) {
				words[nw] = [2]int{ws, len(lb)}
				nw++
			}
			lb = append(lb, '_')
			ws = len(lb)
			prevLower = false
			continue
		}
		if unicode.IsUpper(r) && prevLower && nw < len(words) {
			words[nw] = [2]int{ws, len(lb)}
			nw++
			ws = len(lb)
		}
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
		lb = utf8.AppendRune(lb, unicode.ToLower(r))
	}
	emit(lb, fn)
	if nw == 0 {
		return
	}
	if len(lb) > ws && nw < len(words) {
		words[nw] = [2]int{ws, len(lb)}
		nw++
	}
	for _, w := range words[:nw] {
		emit(lb[w[0]:w[1]], fn)
	}
}

// emit applies the length limits and the stop list.
func emit(tok []byte, fn func([]byte)) {
	if len(tok) < 2 || len(tok) > maxToken {
		return
	}
	if len(tok) <= maxStop && isStop(tok) {
		return
	}
	// Long numbers (constants tables, timestamps) carry no signal.
	if len(tok) > 4 && asciiClass[tok[0]] == cDigit && allDigits(tok) {
		return
	}
	fn(tok)
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Vector returns the term frequencies of text, sorted by token, and the number of tokens.
func Vector(text []byte) (terms []codectx.Term, length int) {
	c := counters.Get().(*counter)
	defer counters.Put(c)
	c.reset()
	Tokens(text, func(tok []byte) {
		c.add(tok)
		length++
	})
	return c.terms(), length
}

// Query returns the terms of a query, weighted by their frequency in it, sorted by token.
func Query(text []byte) []codectx.QueryTerm {
	terms, _ := Vector(text)
	out := make([]codectx.QueryTerm, len(terms))
	for i, t := range terms {
		out[i] = codectx.QueryTerm{Token: t.Token, Weight: float64(t.Freq)}
	}
	return out
}

// Identifiers returns the identifiers of text as written (not split, original case), each
// once, nearest the end of text first, leaving out keywords, numbers and one-letter names. It
// is meant for looking up the definitions of the symbols before a cursor. The strings share
// one copy of text, which they keep alive.
func Identifiers(text []byte) []string {
	sc := identPool.Get().(*identScratch)
	defer func() {
		if cap(sc.spans) <= 1<<14 {
			if len(sc.seen) > 2048 {
				sc.seen = nil // clearing costs what the map once held
			}
			clear(sc.seen)
			clear(sc.out[:cap(sc.out)])
			sc.spans, sc.out = sc.spans[:0], sc.out[:0]
			identPool.Put(sc)
		}
	}()
	spans := sc.spans
	for i := 0; i < len(text); {
		cl := asciiClass[text[i]]
		if cl == cSep {
			i++
			continue
		}
		if cl == cHigh {
			if r, n := utf8.DecodeRune(text[i:]); !isWordRune(r) {
				i += n
				continue
			}
		}
		start := i
		i = identifierEnd(text, i)
		if asciiClass[text[start]] != cDigit && i-start >= 2 && i-start <= maxToken {
			spans = append(spans, [2]int{start, i})
		}
	}
	sc.spans = spans
	if len(spans) == 0 {
		return nil
	}
	// The identifiers share one copy of the text.
	all := string(text[spans[0][0]:spans[len(spans)-1][1]])
	base := spans[0][0]
	// A few identifiers are checked against those kept so far; many, with a map.
	seen := len(spans) > smallIdentifiers
	if seen && sc.seen == nil {
		sc.seen = make(map[string]struct{}, len(spans))
	}
	out := sc.out
	for k := len(spans) - 1; k >= 0; k-- {
		id := all[spans[k][0]-base : spans[k][1]-base]
		if seen {
			if _, ok := sc.seen[id]; ok {
				continue
			}
		} else if slices.Contains(out, id) {
			continue
		}
		if _, ok := keywords[id]; ok {
			continue
		}
		if seen {
			sc.seen[id] = struct{}{}
		}
		out = append(out, id)
	}
	sc.out = out
	if len(out) == 0 {
		return nil
	}
	// The answer gets a slice of its own size; the scratch goes back to the pool.
	return slices.Clone(out)
}

// identScratch is Identifiers' working memory, kept between calls in identPool.
type identScratch struct {
	spans [][2]int
	seen  map[string]struct{}
	out   []string
}

var identPool = sync.Pool{New: func() any { return &identScratch{spans: make([][2]int, 0, 256)} }}

// smallIdentifiers is the most identifiers Identifiers deduplicates without a map.
const smallIdentifiers = 24

// counter counts tokens in an open-addressing table over an arena of token bytes, so that
// counting allocates nothing and the result's strings share one allocation.
type counter struct {
	slots  []slot // power-of-two size
	arena  []byte
	used   int
	sorted []keyed // scratch for terms
	spread []keyed // scratch for terms: the same, placed by first byte
}

type slot struct {
	hash  uint32
	len   uint16 // 0: empty
	off   uint32
	count uint32
}

var counters = sync.Pool{New: func() any { return &counter{slots: make([]slot, 256)} }}

func (c *counter) reset() {
	if len(c.slots) > 1<<14 {
		c.slots = make([]slot, 256) // do not keep a huge table in the pool
	} else {
		clear(c.slots)
	}
	c.arena = c.arena[:0]
	c.used = 0
}

// hash is FNV-1a: tokens are short, and this inlines.
func hash(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}

func (c *counter) add(tok []byte) {
	h := hash(tok)
	mask := uint32(len(c.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &c.slots[i]
		if s.len == 0 {
			*s = slot{hash: h, len: uint16(len(tok)), off: uint32(len(c.arena)), count: 1}
			c.arena = append(c.arena, tok...)
			c.used++
			if c.used*2 > len(c.slots) {
				c.grow()
			}
			return
		}
		if s.hash == h && int(s.len) == len(tok) && string(c.arena[s.off:s.off+uint32(s.len)]) == string(tok) {
			s.count++
			return
		}
	}
}

func (c *counter) grow() {
	old := c.slots
	c.slots = make([]slot, 2*len(old))
	mask := uint32(len(c.slots) - 1)
	for _, s := range old {
		if s.len == 0 {
			continue
		}
		i := s.hash & mask
		for c.slots[i].len != 0 {
			i = (i + 1) & mask
		}
		c.slots[i] = s
	}
}

func (c *counter) terms() []codectx.Term {
	if c.used == 0 {
		return nil
	}
	// Sort the slots by their first eight bytes, packed big-endian, falling back to the bytes
	// only on ties: much cheaper than comparing strings.
	live := c.sorted[:0]
	for _, s := range c.slots {
		if s.len != 0 {
			tok := c.arena[s.off : s.off+uint32(s.len)]
			var k uint64
			for j := 0; j < 8; j++ {
				k <<= 8
				if j < len(tok) {
					k |= uint64(tok[j])
				}
			}
			live = append(live, keyed{key: k, slot: s})
		}
	}
	c.sorted = live
	live = c.byFirstByte(live)
	all := string(c.arena)
	out := make([]codectx.Term, len(live))
	for i, s := range live {
		out[i] = codectx.Term{Token: all[s.off : s.off+uint32(s.len)], Freq: s.count}
	}
	return out
}

type keyed struct {
	key uint64
	slot
}

// byFirstByte sorts terms: a counting sort places them in runs by first byte (a lower-case
// letter, a digit, an underscore or a UTF-8 lead byte), and each run is sorted on its own. A
// chunk's terms begin with many different letters, so the runs are short and the whole costs
// about half of sorting them at once (BenchmarkVector). A few terms are sorted at once.
func (c *counter) byFirstByte(a []keyed) []keyed {
	if len(a) <= 24 {
		sortKeyed(a, c.arena)
		return a
	}
	var start [257]int32
	for i := range a {
		start[a[i].key>>56+1]++
	}
	for b := 1; b <= 256; b++ {
		start[b] += start[b-1]
	}
	out := slices.Grow(c.spread[:0], len(a))[:len(a)]
	next := start
	for i := range a {
		b := a[i].key >> 56
		out[next[b]] = a[i]
		next[b]++
	}
	for b := 0; b < 256; b++ {
		if run := out[start[b]:start[b+1]]; len(run) > 1 {
			sortKeyed(run, c.arena)
		}
	}
	c.spread = out
	return out
}

// less orders by the packed prefix, then by the bytes.
func (a *keyed) less(b *keyed, arena []byte) bool {
	if a.key != b.key {
		return a.key < b.key
	}
	return bytes.Compare(arena[a.off:a.off+uint32(a.len)], arena[b.off:b.off+uint32(b.len)]) < 0
}

// sortKeyed sorts terms in place: a quicksort with inlined comparisons, insertion sort for
// short runs. A chunk has a few hundred distinct terms, where slices.SortFunc's indirect calls
// cost more than the comparisons.
func sortKeyed(a []keyed, arena []byte) {
	for len(a) > 12 {
		// Median of three as the pivot, moved to the end.
		m, h := len(a)/2, len(a)-1
		if a[m].less(&a[0], arena) {
			a[m], a[0] = a[0], a[m]
		}
		if a[h].less(&a[0], arena) {
			a[h], a[0] = a[0], a[h]
		}
		if a[m].less(&a[h], arena) {
			a[m], a[h] = a[h], a[m]
		}
		p := a[h]
		i := 0
		for j := 0; j < h; j++ {
			if a[j].less(&p, arena) {
				a[i], a[j] = a[j], a[i]
				i++
			}
		}
		a[i], a[h] = a[h], a[i]
		// Recurse into the smaller side, loop on the larger.
		if i < len(a)-i {
			sortKeyed(a[:i], arena)
			a = a[i+1:]
		} else {
			sortKeyed(a[i+1:], arena)
			a = a[:i]
		}
	}
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j].less(&a[j-1], arena); j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
