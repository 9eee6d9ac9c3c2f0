package codectx

import (
	"math"
	"slices"
	"strings"
	"sync"
)

// ScopeClues is what a scope query knows about the cursor, to rank the definitions of the
// cursor's folder (see Index.Scope). Words are as Words gives them.
type ScopeClues struct {
	// Skip lists names not to return: those the definitions signal already looked up.
	Skip []string
	// Only, when set, restricts the answer to definitions of these names (those a file
	// imports from a module, say).
	Only []string
	// NoMethods leaves out methods: what a module offers to code that imports it is what it
	// defines at its top level.
	NoMethods bool
	// Used lists the names the text before the cursor already uses: the next line is more
	// likely to need one it has not used yet.
	Used []string
	// Suffix lists the identifiers of the text after the cursor.
	Suffix []string
	// Near holds the words of the lines right around the cursor; Around those of everything the
	// query sees.
	Near, Around []string
	// Types lists identifiers from the signatures of the definitions used near the cursor (the
	// types its values have): a definition whose header names one (a method of that type) is
	// likely next.
	Types []string
}

// ScopeFeatures are the clues one definition matched, for ScopeScore.
type ScopeFeatures struct {
	InSuffix bool
	// NameShare is the share of the name's words found in ScopeClues.Near.
	NameShare float64
	// HeaderShare is the share of the header's words found in ScopeClues.Around.
	HeaderShare float64
	// NamesType: the header names one of ScopeClues.Types (other than the definition's own
	// name).
	NamesType bool
	// Files is how many other files of the definition's source mention the name (at most
	// PopularFiles are counted): code uses its central types and functions everywhere, and a
	// name only its own file mentions is a helper of that file.
	Files int
	// UsedBefore: the name is in ScopeClues.Used.
	UsedBefore bool
}

// PopularFiles is the number of other files mentioning a name from which it counts as fully
// popular (ScopeFeatures.Files). Counting files rather than chunks, and only other files,
// measured better: a helper mentioned in many chunks of its own file is not what the rest of
// the code calls.
const PopularFiles = 10

// usedBefore scales the score of a name the code before the cursor already uses.
const usedBefore = 0.5

// ScopeScore ranks a definition of the cursor's folder. Every index ranks with it, so that
// they agree.
func ScopeScore(f ScopeFeatures) float64 {
	const base, clue = 0.5, 0.4
	s := base + clue*f.NameShare + clue*f.HeaderShare
	if f.InSuffix {
		s += clue
	}
	if f.NamesType {
		s += clue
	}
	// Popularity counts less than a clue, and saturates at PopularFiles files.
	s += 0.3 * popularity(f.Files)
	if f.UsedBefore {
		s *= usedBefore
	}
	return s
}

// popularity is min(1, log1p(files)/log1p(PopularFiles)), read from a table: every scored
// definition needs it, and the two logarithms were a tenth of the scope signal's cost.
func popularity(files int) float64 {
	if files >= PopularFiles {
		return 1
	}
	if files <= 0 {
		return 0
	}
	return popularityTable[files]
}

var popularityTable = func() (t [PopularFiles]float64) {
	for i := range t {
		t[i] = min(1, math.Log1p(float64(i))/math.Log1p(PopularFiles))
	}
	return t
}()

// Words returns the distinct words of the identifiers in s, lower-cased and split at
// camelCase, snake_case and digits ("parseHTTPConfig" gives parse, http, config); words of one
// letter and numbers are left out. It compares a few lines cheaply; the lexical index has its
// own, richer tokenizer.
func Words(s string) []string {
	ws := wordScratches.Get().(*wordScratch)
	out := ws.out[:0]
	var seen map[string]bool // once out is long, a scan of it costs more than a map
	defer func() {
		if cap(out) <= 4096 {
			clear(ws.seen)
			clear(out)
			ws.out = out[:0]
			wordScratches.Put(ws)
		}
	}()
	add := func(w string) {
		if len(w) < 2 || isDigitByte(w[0]) {
			return
		}
		w = strings.ToLower(w)
		if seen != nil {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
			return
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
			if len(out) == 16 {
				if ws.seen == nil {
					ws.seen = make(map[string]bool, 256)
				}
				seen = ws.seen
				for _, o := range out {
					seen[o] = true
				}
			}
		}
	}
	for i := 0; i < len(s); {
		if !isIdentByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isIdentByte(s[j]) {
			j++
		}
		id := s[i:j]
		k := 0
		for p := 1; p <= len(id); p++ {
			if p == len(id) || id[p] == '_' || id[p-1] == '_' || isDigitByte(id[p]) != isDigitByte(id[p-1]) ||
				(isUpperByte(id[p]) && !isUpperByte(id[p-1])) ||
				(p+1 < len(id) && isUpperByte(id[p]) && isUpperByte(id[p-1]) && isLowerByte(id[p+1])) {
				add(strings.Trim(id[k:p], "_"))
				k = p
			}
		}
		i = j
	}
	if len(out) == 0 {
		return nil
	}
	// The answer gets a slice of its own size; the scratch goes back to the pool.
	return slices.Clone(out)
}

// wordScratch is Words' working memory (the list it builds and, once that is long, its set),
// kept between calls in wordScratches.
type wordScratch struct {
	out  []string
	seen map[string]bool
}

var wordScratches = sync.Pool{New: func() any { return &wordScratch{out: make([]string, 0, 64)} }}

// FirstLines returns the first n lines of s, each with its line break (all of s when it has
// fewer).
func FirstLines(s string, n int) string {
	i := 0
	for k := 0; k < n; k++ {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			return s
		}
		i += j + 1
	}
	return s[:i]
}

func isIdentByte(b byte) bool { return b == '_' || isDigitByte(b) || isUpperByte(b) || isLowerByte(b) }
func isDigitByte(b byte) bool { return b >= '0' && b <= '9' }
func isUpperByte(b byte) bool { return b >= 'A' && b <= 'Z' }
func isLowerByte(b byte) bool { return b >= 'a' && b <= 'z' }
