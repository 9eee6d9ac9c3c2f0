package embedded

import (
	"hash/maphash"
	"unsafe"
)

// strTable numbers strings (0, 1, 2, ... in the order they are added; never removed) and finds
// a string's number. It holds no pointer per string: the strings are copied into blocks of
// bytes, and found through a map from their hash to their number, which the garbage collector
// does not scan. A map[string]uint32 of the index's terms and words held some 22 MB of pointers
// that every collection scanned, while the server answered queries
// (BenchmarkStrTable/gc_scan, beside the lookup cost of both).
type strTable struct {
	seed   maphash.Seed
	byHash map[uint64]strEntry // hash → the first string with that hash
	spans  []strSpan           // by number: where the string is
	blocks [][]byte            // a full block is never written again
	more   map[string]uint32   // the strings whose hash an earlier string has (seldom any)
}

type strSpan struct{ block, off, n uint32 }

// strEntry is a string's number and where it is: a lookup compares the string without first
// reading spans (a cache miss less).
type strEntry struct {
	id uint32
	strSpan
}

// strBlockSize is the size of a block of string bytes; a longer string gets a block of its own.
const strBlockSize = 64 << 10

func newStrTable() strTable {
	return strTable{seed: maphash.MakeSeed(), byHash: make(map[uint64]strEntry)}
}

// len returns how many strings the table holds: the number the next one gets.
func (t *strTable) len() int { return len(t.spans) }

// get returns the number of s.
func (t *strTable) get(s string) (uint32, bool) {
	e, ok := t.byHash[maphash.String(t.seed, s)]
	if !ok {
		return 0, false
	}
	if int(e.n) == len(s) && string(t.blocks[e.block][e.off:e.off+e.n]) == s {
		return e.id, true
	}
	id, ok := t.more[s]
	return id, ok
}

// add gives s the next number and returns it. The caller knows that s is not in the table.
func (t *strTable) add(s string) uint32 {
	id := uint32(len(t.spans))
	n := len(t.blocks) - 1
	if n < 0 || len(t.blocks[n])+len(s) > cap(t.blocks[n]) {
		t.blocks = append(t.blocks, make([]byte, 0, max(strBlockSize, len(s))))
		n++
	}
	b := t.blocks[n]
	sp := strSpan{uint32(n), uint32(len(b)), uint32(len(s))}
	t.spans = append(t.spans, sp)
	t.blocks[n] = append(b, s...)
	h := maphash.String(t.seed, s)
	if _, taken := t.byHash[h]; taken {
		if t.more == nil {
			t.more = make(map[string]uint32)
		}
		t.more[t.str(id)] = id
	} else {
		t.byHash[h] = strEntry{id, sp}
	}
	return id
}

// str returns the string numbered id. It shares the table's memory, which it keeps alive.
func (t *strTable) str(id uint32) string {
	sp := t.spans[id]
	if sp.n == 0 {
		return ""
	}
	return unsafe.String(&t.blocks[sp.block][sp.off], int(sp.n))
}
