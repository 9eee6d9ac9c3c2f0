package serve

import (
	"context"
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
	// at finds a name's entry in weights; the names are substrings of the hits' bodies:
	// nothing is copied. All are cleared after each call, so that they hold no body.
	at      map[string]int32
	weights []weight
	list    []named
}

type weight struct {
	name   string
	w      float64
	hit    int   // the last hit that counted it, so that a hit counts a name once; or excluded
	anchor uint8 // anchorBefore, anchorAfter: the name is on the cursor's previous or next line
}

const (
	anchorBefore uint8 = 1 << iota
	anchorAfter
)

// excluded marks a name used before the cursor, a keyword or a name looked up.
const excluded = -1

type named struct {
	name string
	w    float64
}

var analogPool = sync.Pool{New: func() any { return &analogScratch{at: make(map[string]int32, 512)} }}

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
	nb := anchorIDs(lastNonBlank(req.Prefix), before[:])
	na := anchorIDs(firstNonBlank(req.Suffix), after[:])
	inLine := req.Prefix != "" && !strings.HasSuffix(req.Prefix, "\n") && nb > 0

	sc := analogPool.Get().(*analogScratch)
	defer func() {
		clear(sc.at)
		clear(sc.weights)
		clear(sc.list)
		sc.weights, sc.list = sc.weights[:0], sc.list[:0]
		analogPool.Put(sc)
	}()
	at, weights := sc.at, sc.weights
	read := 0
	for i, h := range hits {
		if !inDir(h) {
			continue
		}
		if read++; read > analogHits {
			break
		}
		s := h.Score / top
		// One pass over the hit's lines: count its names, and find the analog of the hidden
		// line: the line after the one most like the cursor's previous line (afterPrev), the
		// line before the one most like its next line (beforeNext).
		var afterPrev, beforeNext, prevLine string
		simPrev, simNext := 0.0, 0.0
		takeNext := false
		for rest := h.Body; rest != ""; {
			line := rest
			if j := strings.IndexByte(rest, '\n'); j >= 0 {
				line, rest = rest[:j], rest[j+1:]
			} else {
				rest = ""
			}
			if takeNext {
				afterPrev, takeNext = line, false
			}
			ids, inPrev, inNext := 0, 0, 0
			eachIdent(line, func(id string) {
				ids++
				k, ok := at[id]
				if !ok {
					// A name met for the first time: whether it is an anchor or excluded is
					// worked out once.
					w := weight{name: id}
					if slices.Contains(before[:nb], id) {
						w.anchor |= anchorBefore
					}
					if slices.Contains(after[:na], id) {
						w.anchor |= anchorAfter
					}
					if used[id] || (isGo && goKeyword(id)) || slices.Contains(skip, id) {
						w.hit = excluded
					} else {
						w.w, w.hit = s, i
					}
					k = int32(len(weights))
					at[id] = k
					weights = append(weights, w)
				} else if w := &weights[k]; w.hit != i && w.hit != excluded {
					w.w, w.hit = w.w+s, i
				}
				w := &weights[k]
				if w.anchor&anchorBefore != 0 {
					inPrev++
				}
				if w.anchor&anchorAfter != 0 {
					inNext++
				}
			})
			if ids > 0 {
				if sim := float64(inPrev) / float64(ids+nb-inPrev); inPrev > 0 && sim > simPrev {
					simPrev, afterPrev, takeNext = sim, "", true
					if inLine {
						afterPrev, takeNext = line, false
					}
				}
				if sim := float64(inNext) / float64(ids+na-inNext); inNext > 0 && sim > simNext {
					simNext, beforeNext = sim, prevLine
				}
			}
			prevLine = line
		}
		// Keywords and names used before the cursor do not count.
		for _, al := range [2]struct {
			line string
			sim  float64
		}{{afterPrev, simPrev}, {beforeNext, simNext}} {
			if al.sim < minAlignment {
				continue
			}
			eachIdent(al.line, func(id string) {
				if k, ok := at[id]; ok && weights[k].hit != excluded {
					weights[k].w += weightAligned * s * al.sim
				}
			})
		}
	}
	sc.weights = weights
	if len(weights) == 0 {
		return nil
	}
	list := sc.list
	for _, w := range weights {
		if w.hit != excluded {
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
