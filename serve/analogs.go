package serve

import (
	"context"
	"math/bits"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/codectx/codectx"
)

// The analogs signal. The code most like the code around the cursor (the lexical hits) is
// often the same pattern elsewhere: another codec's PlanScan, another message's Encode, a
// sibling struct's fields. What those places use, and the cursor's file does not use yet, is a
// good guess for the next line; above all what they use on the line after the one most like the
// cursor's previous line (or before the one most like its next line): that line is the analog
// of the hidden one. The signal proposes the definitions of those names in the cursor's folder,
// as headers, ranked by how much the analogs use them.
const (
	// analogHits is how many lexical hits are read.
	analogHits = 12
	// analogNames is how many of the names they use, most used first, are looked up.
	analogNames = 48
	// weightAnalog is the score of the best analog; the next ones get
	// weightAnalog / (1 + analogDecay × rank).
	weightAnalog = 1.5
	analogDecay  = 0.4
	// weightAnalogImporting scales the signal in Python.
	weightAnalogImporting = 0.32
	// weightAligned weighs a name of an aligned line against one only found in a hit's body.
	weightAligned = 10
	// minAlignment is the least share of identifiers a hit's line must have in common with the
	// cursor's line for it to count as aligned.
	minAlignment = 0.3
	// maxAnchorIDs bounds the identifiers of the cursor's previous and next lines compared.
	maxAnchorIDs = 16
)

// analogScratch is what one analogs call works in, kept between calls.
type analogScratch struct {
	// names finds a name's entry in weights (the same index); the names are substrings of the
	// hits' bodies, or the cursor's anchors and skip: nothing is copied. All are cleared after
	// each call, so that they hold no body.
	names   nameTable
	weights []weight
	met     int // how many names of weights the hits use
	// at and flags hold the entry of each name of the hit being read, and its flags.
	at    []int32
	flags []uint8
	// scan, uses and lines are scanBody's scratch.
	scan        nameTable
	uses, lines []int32
	list        []named
}

type weight struct {
	name string
	w    float64
	// hit is the last hit that counted the name (a hit counts each of its names once), or
	// excluded, or unmet.
	hit   int
	flags uint8 // anchorBefore, anchorAfter, lookedUp
}

const (
	// anchorBefore, anchorAfter: the name is on the cursor's previous or next line.
	anchorBefore uint8 = 1 << iota
	anchorAfter
	// lookedUp: the definitions signal looked the name up.
	lookedUp
)

const (
	// excluded marks a name used before the cursor, a keyword or a name looked up.
	excluded = -1
	// unmet marks a name of the cursor's anchors or skip that no hit has used yet.
	unmet = -2
)

type named struct {
	name string
	w    float64
}

var analogPool = sync.Pool{New: func() any {
	return &analogScratch{names: newNameTable(1024), scan: newNameTable(256)}
}}

// analogCursor is what the analogs signal compares the hits with.
type analogCursor struct {
	// nb and na are the numbers of identifiers of the lines on each side of the next line.
	nb, na int
	// inLine: the cursor is inside a line, whose text before the cursor is the anchor: its
	// analog is the line most like it, not the one after.
	inLine bool
	used   map[string]bool // the names used before the cursor, which do not count
	isGo   bool
}

// analogs adds the definitions of the cursor's folder that the lexical hits use, as headers.
// used holds the names the code before the cursor uses, skip those the definitions signal
// looked up.
func (r *Retriever) analogs(ctx context.Context, req ContextRequest, fam string, hits []codectx.Hit, used map[string]bool, skip []string, f codectx.SearchFilter, add addFunc) error {
	if r.Identifiers == nil || req.Filepath == "" {
		return nil
	}
	// The hits of the cursor's folder: the same pattern in the same package uses the same
	// names (those of other folders cost as much to read and lift nothing).
	dir := path.Dir(req.Filepath)
	inDir := func(h codectx.Hit) bool { return path.Dir(h.Path) == dir && h.Score > 0 }
	first := slices.IndexFunc(hits, inDir)
	if first < 0 {
		return nil
	}
	isGo, scale := fam == "go", 1.0
	if !isGo {
		// In Python a file reaches its folder's other modules only through imports, which the
		// imports signal follows: the folder's names are a weaker guess.
		scale = weightAnalogImporting
	}
	top := hits[first].Score
	// The identifiers of the lines on each side of the next line. With the cursor inside a
	// line, the text before it on the line is the anchor, and its analog is the line most like
	// it.
	var before, after [maxAnchorIDs]string
	cur := analogCursor{used: used, isGo: isGo}
	cur.nb = anchorIDs(lastNonBlank(req.Prefix), before[:])
	cur.na = anchorIDs(firstNonBlank(req.Suffix), after[:])
	cur.inLine = req.Prefix != "" && !strings.HasSuffix(req.Prefix, "\n") && cur.nb > 0

	sc := analogPool.Get().(*analogScratch)
	defer func() {
		sc.names.reset()
		clear(sc.weights)
		clear(sc.list)
		sc.weights, sc.list, sc.met = sc.weights[:0], sc.list[:0], 0
		analogPool.Put(sc)
	}()
	// The anchors and skip are marked in the table before the hits are read: finding a name
	// there tells what it is, instead of a search of each list for every name met.
	sc.mark(before[:cur.nb], anchorBefore)
	sc.mark(after[:cur.na], anchorAfter)
	sc.mark(skip, lookedUp)
	read := 0
	for i, h := range hits {
		if !inDir(h) {
			continue
		}
		if read++; read > analogHits {
			break
		}
		b := cachedBody(h.ID, h.Body)
		if b == nil {
			b = scanBody(h.Body, sc)
			if h.ID != "" {
				keepBody(h.ID, b)
			}
		}
		sc.read(&cur, b, i, h.Score/top)
	}
	if sc.met == 0 {
		return nil
	}
	list := sc.list
	for _, w := range sc.weights {
		if w.hit >= 0 {
			list = append(list, named{w.name, w.w})
		}
	}
	sc.list = list
	names := make([]string, 0, analogNames)
	for _, n := range selectTop(list, analogNames) {
		names = append(names, n.name)
	}
	f.Near, f.Dir = req.Filepath, dir
	defs, err := r.Index.Definitions(ctx, names, f, 2)
	if err != nil {
		return err
	}
	defer r.recycle(defs)
	// Only the folder's definitions (a Go package's own names, what the cursor's file can use
	// without an import), ranked by the weight of their names (defs come in the order of names).
	rank, last := -1, ""
	for _, h := range defs {
		if h.Symbol == nil || path.Dir(h.Path) != dir {
			continue
		}
		s := *h.Symbol
		if s.Name != last {
			rank++
			last = s.Name
		}
		start, _ := clampSpan(h.Chunk, s.StartLine, s.EndLine)
		header := strings.TrimRight(spanBody(h.Chunk, start, start), " \t\r{")
		add(h.Chunk, start, start, header, scale*weightAnalog/(1+analogDecay*float64(rank)), "analog:"+s.Name, s.Kind)
	}
	return nil
}

// insert adds name, whose hash is h, unmet, at the free slot of the table that find
// returned, and returns its index in weights.
func (sc *analogScratch) insert(slot uint32, name string, h uint32) int32 {
	sc.weights = append(sc.weights, weight{name: name, hit: unmet})
	return sc.names.add(slot, name, h)
}

// mark sets flag on names.
func (sc *analogScratch) mark(names []string, flag uint8) {
	for _, name := range names {
		h := hashName(name)
		k, slot := sc.names.find(name, h)
		if k < 0 {
			k = sc.insert(slot, name, h)
		}
		sc.weights[k].flags |= flag
	}
}

// read counts the names of one hit's body, each once, with s, the hit's score against the
// best one, and adds the weight of the names on the analog of the hidden line: the line after
// the one most like the cursor's previous line, the line before the one most like its next
// line. The body's names are distinct: each is looked up once, however often the body uses it.
func (sc *analogScratch) read(cur *analogCursor, b *bodyNames, hit int, s float64) {
	at, flags := sc.at[:0], sc.flags[:0]
	var all uint8
	for _, key := range b.names {
		k, slot := sc.names.find(key.name, key.hash)
		if k < 0 {
			k = sc.insert(slot, key.name, key.hash)
		}
		w := &sc.weights[k]
		if w.hit == unmet {
			// A name met for the first time: whether it is excluded is worked out once.
			sc.met++
			if w.flags&lookedUp != 0 || cur.used[w.name] || (cur.isGo && goKeyword(w.name)) {
				w.hit = excluded
			} else {
				w.w, w.hit = s, hit
			}
		} else if w.hit != excluded {
			w.w, w.hit = w.w+s, hit
		}
		at, flags = append(at, k), append(flags, w.flags)
		all |= w.flags
	}
	sc.at, sc.flags = at, flags
	if all&(anchorBefore|anchorAfter) == 0 {
		return // no line has anything in common with the cursor's
	}
	// The lines most like the cursor's previous and next lines, and how much.
	prev, next := -1, -1
	simPrev, simNext := 0.0, 0.0
	for line := range len(b.lines) - 1 {
		uses := b.uses[b.lines[line]:b.lines[line+1]]
		if len(uses) == 0 {
			continue
		}
		inPrev, inNext := 0, 0 // the identifiers on each anchor
		for _, u := range uses {
			f := flags[u]
			if f&anchorBefore != 0 {
				inPrev++
			}
			if f&anchorAfter != 0 {
				inNext++
			}
		}
		n := len(uses)
		if sim := float64(inPrev) / float64(n+cur.nb-inPrev); inPrev > 0 && sim > simPrev {
			simPrev, prev = sim, line
		}
		if sim := float64(inNext) / float64(n+cur.na-inNext); inNext > 0 && sim > simNext {
			simNext, next = sim, line
		}
	}
	// The analog of the hidden line: with the cursor inside a line, the line most like it.
	if !cur.inLine && prev >= 0 {
		prev++
	}
	if next >= 0 {
		next--
	}
	// Keywords and names used before the cursor do not count.
	for _, al := range [2]struct {
		line int
		sim  float64
	}{{prev, simPrev}, {next, simNext}} {
		if al.sim < minAlignment || al.line < 0 || al.line >= len(b.lines)-1 {
			continue
		}
		for _, u := range b.uses[b.lines[al.line]:b.lines[al.line+1]] {
			if w := &sc.weights[at[u]]; w.hit != excluded {
				w.w += weightAligned * s * al.sim
			}
		}
	}
}

// hashName hashes a name for nameTable from its length and its first and last 4 bytes: no
// loop over its bytes, and names that share all of them are few (the table compares names).
func hashName(s string) uint32 {
	n := len(s)
	if n < 4 {
		h := uint32(n)
		for i := range n {
			h = h<<8 | uint32(s[i])
		}
		return h
	}
	first := uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
	last := uint32(s[n-4]) | uint32(s[n-3])<<8 | uint32(s[n-2])<<16 | uint32(s[n-1])<<24
	return (first^bits.RotateLeft32(last, 13))*0x9E3779B9 ^ uint32(n)
}

// nameTable finds names: the index of each in the order they were added. It serves for the
// names of one analogs call and for those of one body being scanned. A Go map hashes the whole
// name at each lookup, and those lookups were most of the signal's cost; here a name's hash is
// computed once, when its body is scanned, and kept with it (bodyNames).
type nameTable struct {
	slots []int32 // 1 + the index of the name in keys, 0 when free
	shift uint    // 32 - log2(len(slots))
	keys  []nameKey
}

type nameKey struct {
	name string
	hash uint32
}

// newNameTable returns a table of size slots, a power of 2.
func newNameTable(size int) nameTable {
	return nameTable{slots: make([]int32, size), shift: uint(32 - bits.TrailingZeros(uint(size)))}
}

// find returns the index of name, whose hash is h, or -1 and the free slot where it goes.
func (t *nameTable) find(name string, h uint32) (int32, uint32) {
	mask := uint32(len(t.slots) - 1)
	// Fibonacci hashing spreads the bits of h over the slot.
	for i := (h * 0x9E3779B9) >> t.shift; ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == 0 {
			return -1, i
		}
		if key := &t.keys[e-1]; key.hash == h && key.name == name {
			return e - 1, i
		}
	}
}

// add puts name, whose hash is h, in the free slot find returned, and returns its index.
func (t *nameTable) add(slot uint32, name string, h uint32) int32 {
	k := int32(len(t.keys))
	t.slots[slot] = k + 1
	t.keys = append(t.keys, nameKey{name, h})
	if 2*len(t.keys) > len(t.slots) {
		t.grow()
	}
	return k
}

// grow doubles the slots, keeping them at most half full.
func (t *nameTable) grow() {
	*t = nameTable{slots: make([]int32, 2*len(t.slots)), shift: t.shift - 1, keys: t.keys}
	mask := uint32(len(t.slots) - 1)
	for k, key := range t.keys {
		i := (key.hash * 0x9E3779B9) >> t.shift
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = int32(k) + 1
	}
}

// reset empties the table; the names it holds are let go.
func (t *nameTable) reset() {
	clear(t.slots)
	clear(t.keys)
	t.keys = t.keys[:0]
}

// anchorIDs fills ids with the distinct identifiers of line and returns how many there are.
func anchorIDs(line string, ids []string) int {
	n := 0
	eachIdent(line, func(id string) {
		if n < len(ids) && !slices.Contains(ids[:n], id) {
			ids[n] = id
			n++
		}
	})
	return n
}

// eachIdent calls f with each identifier of s of two characters or more (ASCII letters,
// digits and _, not starting with a digit), as substrings of s.
func eachIdent(s string, f func(string)) {
	eachIdentAt(s, func(_ int, id string) { f(id) })
}

// eachIdentAt is eachIdent with each identifier's offset in s.
func eachIdentAt(s string, f func(int, string)) {
	for i := 0; i < len(s); {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			if c >= '0' && c <= '9' {
				for i < len(s) && isIdentChar(s[i]) {
					i++
				}
				continue
			}
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isIdentChar(s[j]) {
			j++
		}
		if j-i >= 2 {
			f(i, s[i:j])
		}
		i = j
	}
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// identClass classes the bytes for read's loop over every byte of the hits: 0 for those not
// in an identifier, digit, letter (and _). A load instead of four comparisons.
var identClass = func() (class [256]uint8) {
	for c := range 256 {
		switch {
		case c >= '0' && c <= '9':
			class[c] = digit
		case isIdentChar(byte(c)):
			class[c] = letter
		}
	}
	return class
}()

const (
	digit = 1 + iota
	letter
)

// lastNonBlank returns the last line of s with something on it.
func lastNonBlank(s string) string {
	for s != "" {
		line := s
		if i := strings.LastIndexByte(strings.TrimRight(s, "\n"), '\n'); i >= 0 {
			line = s[i+1:]
			s = s[:i]
		} else {
			s = ""
		}
		if strings.TrimSpace(line) != "" {
			return strings.TrimRight(line, "\n")
		}
	}
	return ""
}

// firstNonBlank returns the first line of s with something on it.
func firstNonBlank(s string) string {
	for s != "" {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if strings.TrimSpace(line) != "" {
			return line
		}
	}
	return ""
}

// goKeyword reports Go's keywords and the predeclared identifiers a package seldom redefines.
func goKeyword(id string) bool {
	switch id {
	case "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
		"for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
		"return", "select", "struct", "switch", "type", "var",
		"nil", "true", "false", "iota", "len", "cap", "append", "make", "new",
		"string", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32",
		"uint64", "byte", "rune", "bool", "error", "any", "float32", "float64", "panic":
		return true
	}
	return false
}

// better orders names by weight, then by name.
func better(a, b named) int {
	if a.w != b.w {
		if a.w > b.w {
			return -1
		}
		return 1
	}
	return strings.Compare(a.name, b.name)
}

// selectTop returns the k best of list (see better), best first. It reorders list.
func selectTop(list []named, k int) []named {
	if k <= 0 {
		return list[:0]
	}
	if len(list) > k {
		// Quickselect: put the k best before the rest, in no order.
		lo, hi := 0, len(list)-1
		for lo < hi {
			mid := lo + (hi-lo)/2
			list[mid], list[hi] = list[hi], list[mid]
			p := lo
			for i := lo; i < hi; i++ {
				if better(list[i], list[hi]) < 0 {
					list[i], list[p] = list[p], list[i]
					p++
				}
			}
			list[p], list[hi] = list[hi], list[p]
			switch {
			case p == k:
				lo = hi
			case p < k:
				lo = p + 1
			default:
				hi = p - 1
			}
		}
		list = list[:k]
	}
	slices.SortFunc(list, better)
	return list
}
