package embedded

import (
	"sync"

	"github.com/codectx/codectx"
)

// hitSlices keeps the slices of answers that callers handed back (Store.RecycleHits), for the
// next answers. A Hit is large (a chunk by value): a context request's answers were 14 of the
// 49 kB it allocated.
var hitSlices sync.Pool // *[]codectx.Hit

// minHitSlice is the capacity of a new answer's slice, so that a slice handed back fits most
// answers (a query returns up to a few dozen hits).
const minHitSlice = 64

// newHits returns a slice of n zero Hits, from the slices handed back when one is large enough.
func newHits(n int) []codectx.Hit {
	if n == 0 {
		return []codectx.Hit{}
	}
	if p, _ := hitSlices.Get().(*[]codectx.Hit); p != nil && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]codectx.Hit, n, max(n, minHitSlice))
}

// RecycleHits hands back the slice of an answer of Lexical, Definitions or Scope once the caller
// is done with it and with every Hit in it (what a Hit points to, the index's chunks and
// symbols, stays valid): a later answer may reuse its memory. Handing back is optional.
func (s *Store) RecycleHits(hits []codectx.Hit) {
	if cap(hits) == 0 || cap(hits) > 16*minHitSlice {
		return
	}
	hits = hits[:cap(hits)]
	clear(hits) // it must not keep chunks alive
	hits = hits[:0]
	hitSlices.Put(&hits)
}
