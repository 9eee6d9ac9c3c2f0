package embedded

import (
	"math"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/codectx/codectx"
)

// BM25 parameters.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// commonTermMinDocs is the corpus size from which the pruning of common query terms below
// (maxTermFrac, commonTermFrac) applies. In small corpora every term counts.
const commonTermMinDocs = 1000

// maxQueryTerms is how many of a query's terms are scored: those weighing most (query
// frequency times idf).
const maxQueryTerms = 32

// maxTermFrac: in a large corpus, query terms found in more than this share of the docs are
// left out (their idf is low and their postings are the longest).
const maxTermFrac = 0.1

// maxCommonTerms caps the common terms (see commonTermFrac) a query re-ranks with; the
// heaviest are kept, since query terms are sorted by weight when there are many.
const maxCommonTerms = 4

// commonTermFrac is the document frequency (as a fraction of live docs) above which a query
// term only scores docs that rarer query terms found.
const commonTermFrac = 0.02

type posting struct {
	doc uint32
	tf  uint32
}

// doc is one indexed chunk. chunk is nil once the doc is deleted (a tombstone).
type doc struct {
	chunk *codectx.Chunk
	terms []uint32 // term ids, to keep document frequencies right on delete
}

// docMeta is what filters read of a doc, by doc beside docs: small and free of pointers, so
// that filtering thousands of candidates does not reach into their chunks (cache misses).
type docMeta struct {
	path   uint32 // interned path (memIndex.paths)
	dir    uint32 // interned directory of the path, in the same numbering
	source uint16 // interned source name (memIndex.sources)
	family uint8  // interned language family (memIndex.families)
	flags  uint8
}

const (
	metaLive uint8 = 1 << iota // not a tombstone
	metaTest                   // codectx.IsTestPath
)

type symRef struct {
	doc uint32
	sym int // index into the chunk's Symbols
}

type fileKey struct{ source, path string }

// newDoc is a chunk ready to enter the index.
type newDoc struct {
	chunk  *codectx.Chunk
	terms  []codectx.Term
	tids   []uint32 // term ids resolved in advance by resolveTerms (noTerm: new), or nil
	length int
}

// noTerm marks a token that had no term id yet when it was resolved.
const noTerm = math.MaxUint32

// resolveTerms looks up the term ids of a file's chunks under the read lock, so that writers
// do most of this work before they serialise. Term ids are never reused, so the result stays
// valid.
func (x *memIndex) resolveTerms(chunks []preparedChunk) {
	n := 0
	for i := range chunks {
		n += len(chunks[i].terms)
	}
	all := make([]uint32, n)
	x.mu.RLock()
	for i := range chunks {
		pc := &chunks[i]
		tids := all[:len(pc.terms):len(pc.terms)]
		all = all[len(pc.terms):]
		for j, t := range pc.terms {
			id, ok := x.termIDs.get(t.Token)
			if !ok {
				id = noTerm
			}
			tids[j] = id
		}
		pc.tids = tids
	}
	x.mu.RUnlock()
}

// memIndex is the in-memory lexical index and symbol table. Writers hold mu for writing;
// queries hold it for reading.
type memIndex struct {
	mu sync.RWMutex
	// gen changes with every change to the index, so that what a query works out from the
	// whole index (dirScope.files) knows when it is out of date.
	gen uint64

	termIDs  strTable    // term → term id
	postings [][]posting // by term id; may hold tombstoned docs until compacted
	df       []uint32    // live document frequency by term id

	docs     []doc
	meta     []docMeta // by doc, for filters
	docLen   []float32 // by doc, hot for scoring
	live     int
	dead     int
	totalLen int64
	bytes    int64
	nsyms    int

	byID  map[string]uint32
	files map[fileKey][]uint32
	// Interned paths and directories, sources and language families, for docMeta. They are
	// never removed: a path that comes back gets its old number.
	paths    map[string]uint32
	sources  map[string]uint16
	families map[string]uint8
	symbols  refChains // by symNames number
	// symbolsIn indexes the same refs by name and directory (dirKey), so that a name defined
	// in thousands of places (String, New) still finds its definitions next to the cursor
	// without scanning them all.
	symbolsIn refChains // by dirKey
	symNames  strTable  // the names of symbols
	// scopes holds, by directory, the definitions of the files directly inside it with the
	// words of their headers, for Scope.
	scopes       map[string]*dirScope
	headings     map[string]int // by directory: its heading symbols, which scopes leave out
	wordIDs      strTable       // header word or name key → word id - 1
	types        []int32        // by name id (nameKey in wordIDs): how many definitions of the name are types
	scopeScratch sync.Pool      // *scopeScratch, for scope queries

	scratch sync.Pool

	renumberMin int  // tombstones before renumbering is considered
	renumbers   int  // how many times the docs were renumbered
	exact       bool // no query pruning: exact BM25 (for measuring what pruning costs)
}

func newMemIndex() *memIndex {
	return &memIndex{
		termIDs:   newStrTable(),
		byID:      make(map[string]uint32),
		files:     make(map[fileKey][]uint32),
		paths:     make(map[string]uint32),
		sources:   make(map[string]uint16),
		families:  make(map[string]uint8),
		symbols:   newRefChains(),
		symbolsIn: newRefChains(),
		symNames:  newStrTable(),
		scopes:    make(map[string]*dirScope),
		wordIDs:   newStrTable(),

		renumberMin: 4096,
	}
}

// add indexes a chunk. The caller holds mu for writing.
func (x *memIndex) add(nd newDoc) {
	x.gen++
	d := uint32(len(x.docs))
	c := nd.chunk
	ids := nd.tids
	if ids == nil {
		ids = make([]uint32, len(nd.terms))
		for i := range ids {
			ids[i] = noTerm
		}
	}
	for i, t := range nd.terms {
		tid := ids[i]
		if tid == noTerm {
			tid = x.termID(t.Token)
			ids[i] = tid
		}
		x.postings[tid] = append(x.postings[tid], posting{doc: d, tf: t.Freq})
		x.df[tid]++
	}
	x.docs = append(x.docs, doc{chunk: c, terms: ids})
	m := docMeta{path: x.intern(c.Path), dir: x.intern(path.Dir(c.Path)), source: x.internSource(c.Source), family: x.internFamily(codectx.LanguageFamily(c.Language)), flags: metaLive}
	if codectx.IsTestPath(c.Path) {
		m.flags |= metaTest
	}
	x.meta = append(x.meta, m)
	x.docLen = append(x.docLen, float32(nd.length))
	x.live++
	x.totalLen += int64(nd.length)
	x.bytes += int64(len(c.Body))
	if old, ok := x.byID[c.ID]; ok {
		// The same chunk id under another live doc cannot happen through PutFile (ids include
		// the path), but keep the index consistent if it does.
		x.remove(old)
	}
	x.byID[c.ID] = d
	k := fileKey{c.Source, c.Path}
	x.files[k] = append(x.files[k], d)
	dir := path.Dir(c.Path)
	for i, s := range c.Symbols {
		name, ok := x.symNames.get(s.Name)
		if !ok {
			name = x.symNames.add(s.Name)
		}
		x.symbols.add(uint64(name), symRef{doc: d, sym: i})
		x.symbolsIn.add(dirKey(name, m.dir), symRef{doc: d, sym: i})
	}
	x.addScope(dir, d, c)
	x.nsyms += len(c.Symbols)
}

// intern returns the number of a path or directory, giving it one if it has none. The caller
// holds mu for writing.
func (x *memIndex) intern(p string) uint32 { return number(x.paths, p, math.MaxUint32) }

// internSource numbers a source name. There are few sources; past 65,535 of them (never
// expected), the last number is shared, and filters can no longer tell those sources apart.
func (x *memIndex) internSource(s string) uint16 { return number(x.sources, s, math.MaxUint16) }

// internFamily numbers a language family (a handful exist).
func (x *memIndex) internFamily(f string) uint8 { return number(x.families, f, math.MaxUint8) }

// number returns the number of s in m, giving it the next one (at most last) if it has none.
func number[N uint8 | uint16 | uint32](m map[string]N, s string, last N) N {
	if n, ok := m[s]; ok {
		return n
	}
	n := N(min(uint64(len(m)), uint64(last)))
	m[strings.Clone(s)] = n
	return n
}

// termID returns the id of s, creating it (and its postings) if needed. s is not kept:
// the table copies it. The caller holds mu for writing.
func (x *memIndex) termID(s string) uint32 {
	if tid, ok := x.termIDs.get(s); ok {
		return tid
	}
	tid := x.termIDs.add(s)
	x.postings = append(x.postings, nil)
	x.df = append(x.df, 0)
	return tid
}

// remove tombstones a doc. The caller holds mu for writing and fixes x.files itself.
func (x *memIndex) remove(d uint32) {
	x.gen++
	dc := &x.docs[d]
	c := dc.chunk
	if c == nil {
		return
	}
	for _, tid := range dc.terms {
		x.df[tid]--
		if p := x.postings[tid]; len(p) > 2*int(x.df[tid])+8 {
			x.postings[tid] = x.compactPostings(p)
		}
	}
	dir := path.Dir(c.Path)
	for _, s := range c.Symbols {
		name, ok := x.symNames.get(s.Name)
		if !ok {
			continue // cannot be: add numbered it
		}
		x.symbols.removeDoc(uint64(name), d)
		x.symbolsIn.removeDoc(dirKey(name, x.meta[d].dir), d)
	}
	x.removeScope(dir, d)
	x.nsyms -= len(c.Symbols)
	if cur, ok := x.byID[c.ID]; ok && cur == d {
		delete(x.byID, c.ID)
	}
	x.live--
	x.dead++
	x.totalLen -= int64(x.docLen[d])
	x.bytes -= int64(len(c.Body))
	dc.chunk = nil
	dc.terms = nil
	x.meta[d].flags &^= metaLive
}

// compactPostings drops tombstoned docs from a postings list, in place.
func (x *memIndex) compactPostings(p []posting) []posting {
	out := p[:0]
	for _, e := range p {
		if x.docs[e.doc].chunk != nil {
			out = append(out, e)
		}
	}
	clear(p[len(out):])
	return out
}

// replaceFile removes every doc of the file k and adds docs. The caller holds mu for writing.
func (x *memIndex) replaceFile(k fileKey, docs []newDoc) {
	x.removeFile(k)
	for _, nd := range docs {
		x.add(nd)
	}
	x.maybeRenumber()
}

func (x *memIndex) removeFile(k fileKey) {
	for _, d := range x.files[k] {
		x.remove(d)
	}
	delete(x.files, k)
}

func (x *memIndex) removeSource(source string) {
	for k := range x.files {
		if k.source == source {
			x.removeFile(k)
		}
	}
	x.maybeRenumber()
}

// maybeRenumber rebuilds the doc numbering without tombstones once they outnumber live docs,
// so that slices indexed by doc do not grow without bound.
func (x *memIndex) maybeRenumber() {
	if x.dead < x.renumberMin || x.dead < x.live {
		return
	}
	x.gen++
	remap := make([]uint32, len(x.docs))
	docs := make([]doc, 0, x.live)
	meta := make([]docMeta, 0, x.live)
	docLen := make([]float32, 0, x.live)
	for i, d := range x.docs {
		if d.chunk == nil {
			remap[i] = math.MaxUint32
			continue
		}
		remap[i] = uint32(len(docs))
		docs = append(docs, d)
		meta = append(meta, x.meta[i])
		docLen = append(docLen, x.docLen[i])
	}
	for tid, p := range x.postings {
		out := p[:0]
		for _, e := range p {
			if n := remap[e.doc]; n != math.MaxUint32 {
				out = append(out, posting{doc: n, tf: e.tf})
			}
		}
		if len(out) == 0 {
			x.postings[tid] = nil
		} else {
			x.postings[tid] = slices.Clip(out)
		}
	}
	for id, d := range x.byID {
		x.byID[id] = remap[d]
	}
	for k, ds := range x.files {
		for i, d := range ds {
			ds[i] = remap[d]
		}
		x.files[k] = ds
	}
	x.symbols.remap(remap)
	x.symbolsIn.remap(remap)
	for _, ds := range x.scopes {
		for i := range ds.defs {
			if d := ds.defs[i].doc; d != deadDef {
				ds.defs[i].doc = remap[d]
			}
		}
	}
	x.docs, x.meta, x.docLen, x.dead = docs, meta, docLen, 0
	x.renumbers++
}

// scratch is the per-query accumulator, reused through a sync.Pool.
type scratch struct {
	acc     []float32
	touched []uint32
	cands   []lexCand // the query's terms found in the index
}

// qterm is a query term resolved against the index: its id and its weight (idf included).
type qterm struct {
	tid uint32
	w   float32
}

// lexCand is a query term found in the index, with its document frequency.
type lexCand struct {
	qterm
	df float64
}

// filter is a codectx.SearchFilter resolved against the index's numbering, so that it
// decides from a docMeta alone.
type filter struct {
	sources  []bool // by source number; nil: any source
	families uint64 // bit by family number; 0: any family
	doc      uint8  // the number of the "doc" family, always allowed; 255 if none
	exclude  bool
	exPath   uint32
	exSource int32 // -1: the excluded path in any source
	path     int64 // -1: any path; a number that no doc has if the path is not indexed
	dir      int64 // the same for the directory
	noTests  bool
	none     bool // nothing can pass (a source filter naming no indexed source)
}

// newFilter resolves f. The caller holds mu for reading.
func (x *memIndex) newFilter(f codectx.SearchFilter) filter {
	fl := filter{doc: 255, exSource: -1, path: -1, dir: -1, noTests: f.NoTests}
	if len(f.Sources) > 0 {
		fl.sources = make([]bool, len(x.sources))
		any := false
		for _, s := range f.Sources {
			if n, ok := x.sources[s]; ok {
				fl.sources[n] = true
				any = true
			}
		}
		fl.none = !any
	}
	if len(f.Families) > 0 {
		for _, fam := range f.Families {
			if n, ok := x.families[fam]; ok && n < 64 {
				fl.families |= 1 << n
			}
		}
		if n, ok := x.families["doc"]; ok {
			fl.doc = n
		}
		if fl.families == 0 {
			fl.families = 1 << 63 // only docs, if any: no indexed family was asked for
		}
	}
	if f.ExcludePath != "" {
		if n, ok := x.paths[f.ExcludePath]; ok {
			fl.exclude, fl.exPath = true, n
			if f.ExcludeSource != "" {
				if s, ok := x.sources[f.ExcludeSource]; ok {
					fl.exSource = int32(s)
				} else {
					fl.exclude = false // that source holds nothing to exclude
				}
			}
		}
	}
	for _, c := range []struct {
		name string
		to   *int64
	}{{f.Path, &fl.path}, {f.Dir, &fl.dir}} {
		if c.name == "" {
			continue
		}
		if n, ok := x.paths[c.name]; ok {
			*c.to = int64(n)
		} else {
			*c.to = math.MaxUint32 + 1
		}
	}
	return fl
}

func (f *filter) pass(m docMeta) bool {
	if m.flags&metaLive == 0 || f.none {
		return false
	}
	if f.sources != nil && (int(m.source) >= len(f.sources) || !f.sources[m.source]) {
		return false
	}
	if f.families != 0 && m.family != f.doc && (m.family >= 64 || f.families&(1<<m.family) == 0) {
		return false
	}
	if f.exclude && m.path == f.exPath && (f.exSource < 0 || int32(m.source) == f.exSource) {
		return false
	}
	if f.noTests && m.flags&metaTest != 0 {
		return false
	}
	return (f.path < 0 || int64(m.path) == f.path) && (f.dir < 0 || int64(m.dir) == f.dir)
}

type scored struct {
	doc   uint32
	score float32
}

// lexical returns the k best docs for terms under BM25, best first.
func (x *memIndex) lexical(terms []codectx.QueryTerm, f codectx.SearchFilter, k int) []codectx.Hit {
	if k <= 0 || len(terms) == 0 {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.live == 0 {
		return nil
	}
	n := float64(x.live)
	avg := float64(x.totalLen) / n
	if avg <= 0 {
		avg = 1
	}
	sc, _ := x.scratch.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	if len(sc.acc) < len(x.docs) {
		sc.acc = make([]float32, len(x.docs)+len(x.docs)/8)
	}
	acc, touched := sc.acc, sc.touched[:0]

	// Score = sum over terms of w * idf * tf*(k1+1) / (tf + k1*(1-b) + k1*b*len/avg).
	c0 := float32(bm25K1 * (1 - bm25B))
	c1 := float32(bm25K1 * bm25B / avg)
	docLen := x.docLen
	// Terms in more than commonTermFrac of the docs only add to docs that a rarer term
	// found, as long as those are at least k: a doc matching only "err", "return" and "nil"
	// does not belong in the answer, and their long postings lists cost the most.
	big := x.live >= commonTermMinDocs
	cands := sc.cands[:0]
	for _, qt := range terms {
		if qt.Weight <= 0 {
			continue
		}
		tid, ok := x.termIDs.get(qt.Token)
		if !ok {
			continue
		}
		df := float64(x.df[tid])
		if df == 0 || (big && !x.exact && df > maxTermFrac*n) {
			continue
		}
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		cands = append(cands, lexCand{qterm{tid, float32(qt.Weight * idf * (bm25K1 + 1))}, df})
	}
	// Heaviest first. A long query (20 lines of prefix) has far more terms than it needs: the
	// ones that weigh most decide the ranking, and the rest only cost postings.
	slices.SortFunc(cands, func(a, b lexCand) int {
		if a.w != b.w {
			if a.w > b.w {
				return -1
			}
			return 1
		}
		return int(a.tid) - int(b.tid)
	})
	if len(cands) > maxQueryTerms && !x.exact {
		cands = cands[:maxQueryTerms]
	}
	var common []qterm
	for _, c := range cands {
		if big && !x.exact && c.df > commonTermFrac*n {
			if len(common) < maxCommonTerms {
				common = append(common, c.qterm)
			}
			continue
		}
		w := c.w
		for _, p := range x.postings[c.tid] {
			d := p.doc
			tf := float32(p.tf)
			if acc[d] == 0 {
				touched = append(touched, d)
			}
			acc[d] += w * tf / (tf + c0 + c1*docLen[d])
		}
	}
	if len(touched) < k {
		for _, qt := range common {
			for _, p := range x.postings[qt.tid] {
				d := p.doc
				tf := float32(p.tf)
				if acc[d] == 0 {
					touched = append(touched, d)
				}
				acc[d] += qt.w * tf / (tf + c0 + c1*docLen[d])
			}
		}
	} else {
		// Common terms only re-rank what rarer terms found: one pass over each list.
		for _, qt := range common {
			for _, e := range x.postings[qt.tid] {
				if d := e.doc; acc[d] != 0 {
					tf := float32(e.tf)
					acc[d] += qt.w * tf / (tf + c0 + c1*docLen[d])
				}
			}
		}
	}

	// Partial sort: a min-heap of the k best that pass the filter.
	fl := x.newFilter(f)
	heap := make([]scored, 0, min(k, 1024))
	less := func(a, b scored) bool { // a ranks below b
		if a.score != b.score {
			return a.score < b.score
		}
		return x.docs[a.doc].chunk.ID > x.docs[b.doc].chunk.ID
	}
	for _, d := range touched {
		s := scored{doc: d, score: acc[d]}
		acc[d] = 0
		// Compare scores before touching the doc: most candidates fall below the heap, and
		// reading their docs is what costs (cache misses).
		if len(heap) == k && s.score < heap[0].score {
			continue
		}
		if !fl.pass(x.meta[d]) || (len(heap) == k && !less(heap[0], s)) {
			continue
		}
		if len(heap) < k {
			heap = append(heap, s)
			siftUp(heap, len(heap)-1, less)
		} else {
			heap[0] = s
			siftDown(heap, 0, less)
		}
	}
	sc.touched, sc.cands = touched[:0], cands[:0]
	x.scratch.Put(sc)

	slices.SortFunc(heap, func(a, b scored) int {
		if less(b, a) {
			return -1
		}
		if less(a, b) {
			return 1
		}
		return 0
	})
	hits := newHits(len(heap))
	for i, s := range heap {
		hits[i] = codectx.Hit{Chunk: *x.docs[s.doc].chunk, Score: float64(s.score)} // Symbols read-only (codectx.Hit)
	}
	return hits
}

func siftUp(h []scored, i int, less func(a, b scored) bool) {
	for i > 0 {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func siftDown(h []scored, i int, less func(a, b scored) bool) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// definitions returns, for each name in order, at most limit chunks defining it: those in the
// directory of f.Near first, then by source, path and line. Hits share the index's chunk
// fields but carry no Symbols list; Hit.Symbol is the definition.
func (x *memIndex) definitions(names []string, f codectx.SearchFilter, limit int) []codectx.Hit {
	if limit <= 0 {
		return nil
	}
	nearDir, haveNear := "", f.Near != ""
	if haveNear {
		nearDir = path.Dir(f.Near)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	fl := x.newFilter(f)
	// A definition directly in nearDir has that directory's number (docMeta.dir): comparing
	// numbers first spares reading the path of every other one.
	nearID := int64(-1)
	if haveNear {
		if n, ok := x.paths[nearDir]; ok {
			nearID = int64(n)
		}
	}
	// The kept references of every name, then the hits in one allocation: hits are large.
	sc := defScratches.Get().(*defScratch)
	defer sc.release()
	group, kept, top := sc.group[:0], sc.kept[:0], sc.top[:0]
	// Only f.Dir's definitions can pass: the folder's scope holds them (but for headings), in
	// the order symbolsIn has them, in its small maps, built already by the scope signal.
	var dirVocab *scopeVocab
	var dirDefs []scopeDef
	if f.Dir != "" && x.headings[f.Dir] == 0 {
		if ds := x.scopes[f.Dir]; ds != nil {
			dirVocab, dirDefs = ds.index(x), ds.defs
		} else {
			dirVocab = &scopeVocab{} // no definitions there
		}
	}
	var seen map[string]bool // a repeated name was answered the first time
	if len(names) > 32 {
		if sc.seen == nil {
			sc.seen = make(map[string]bool, len(names))
		}
		seen = sc.seen
	}
	for i, name := range names {
		// Short lists (a request's) are scanned: that costs less than a map.
		if seen != nil && seen[name] || seen == nil && slices.Contains(names[:i], name) {
			continue
		}
		if seen != nil {
			seen[name] = true
		}
		group = group[:0]
		consider := func(r symRef) {
			m := x.meta[r.doc]
			if !fl.pass(m) {
				return
			}
			c := x.docs[r.doc].chunk
			group = append(group, defRef{r: r, c: c, near: int64(m.dir) == nearID && inDir(c.Path, nearDir), src: m.source, path: m.path})
		}
		switch {
		case dirVocab != nil:
			if l, ok := dirVocab.byName[name]; ok {
				dirVocab.named(l, func(i int32) {
					def := &dirDefs[i]
					consider(symRef{doc: def.doc, sym: int(def.sym)})
				})
			}
		case f.Dir != "":
			n, ok := x.symNames.get(name)
			dir, dirOK := x.paths[f.Dir]
			if !ok || !dirOK {
				break
			}
			for r := range x.symbolsIn.all(dirKey(n, dir)) { // only these can pass
				consider(r)
			}
		default:
			n, ok := x.symNames.get(name)
			if !ok {
				break
			}
			if x.symbols.count(uint64(n)) <= crowdedName {
				for r := range x.symbols.all(uint64(n)) {
					consider(r)
				}
				break
			}
			// Defined in too many places to tell which one is meant, unless one is next to
			// the cursor.
			if !haveNear {
				continue
			}
			if nearID >= 0 {
				for r := range x.symbolsIn.all(dirKey(n, uint32(nearID))) {
					consider(r)
				}
			}
		}
		// Keep only what the limit allows, in order: a name like String may have thousands of
		// definitions.
		top = firstDefs(group, top, limit)
		kept = append(kept, top...)
	}
	sc.group, sc.kept, sc.top = group, kept, top // grown, for the next query
	if len(kept) == 0 {
		return nil
	}
	hits := newHits(len(kept))
	for i, g := range kept {
		// Symbols and Symbol are the index's own: read-only for callers (codectx.Hit).
		hits[i] = codectx.Hit{Chunk: *g.c, Symbol: &g.c.Symbols[g.r.sym]}
	}
	return hits
}

// defRef is a definition found by memIndex.definitions, with the numbers of its source and
// path, so that comparing two of the same reads neither string.
type defRef struct {
	r    symRef
	c    *codectx.Chunk
	near bool
	src  uint16 // docMeta.source and .path: equal numbers are equal strings, but for the last
	path uint32 // number, which numbers past it share (number)
}

// cmpDefRef orders the definitions of a name: those next to the cursor first, then by source,
// path, line and kind.
func cmpDefRef(a, b *defRef) int {
	if a.near != b.near {
		if a.near {
			return -1
		}
		return 1
	}
	if a.src != b.src || a.src == math.MaxUint16 {
		if c := strings.Compare(a.c.Source, b.c.Source); c != 0 {
			return c
		}
	}
	if a.path != b.path || a.path == math.MaxUint32 {
		if c := strings.Compare(a.c.Path, b.c.Path); c != 0 {
			return c
		}
	}
	sa, sb := &a.c.Symbols[a.r.sym], &b.c.Symbols[b.r.sym]
	if sa.StartLine != sb.StartLine {
		return sa.StartLine - sb.StartLine
	}
	return strings.Compare(sa.Kind, sb.Kind)
}

// firstDefs returns the first limit of group in the order of cmpDefRef, in top's memory. They
// are picked by insertion, most compared only with the last kept, where a sort compared each
// several times (each comparison reads two chunks and paths: cache misses). Should one compare
// equal to another, where they land is the sort's: then group is sorted whole (SortFunc, as
// the index always did), so that the answer is the same.
func firstDefs(group, top []defRef, limit int) []defRef {
	top = top[:0]
	for i := range group {
		g := &group[i]
		if len(top) == limit {
			c := cmpDefRef(g, &top[limit-1])
			if c == 0 {
				return sortDefs(group, top, limit)
			}
			if c > 0 {
				continue
			}
			top = top[:limit-1]
		}
		at := len(top)
		for ; at > 0; at-- {
			c := cmpDefRef(g, &top[at-1])
			if c == 0 {
				return sortDefs(group, top, limit)
			}
			if c > 0 {
				break
			}
		}
		top = slices.Insert(top, at, *g)
	}
	return top
}

// sortDefs sorts group and returns its first limit, in top's memory.
func sortDefs(group, top []defRef, limit int) []defRef {
	slices.SortFunc(group, func(a, b defRef) int { return cmpDefRef(&a, &b) })
	return append(top[:0], group[:min(len(group), limit)]...)
}

// defScratch is the working memory of memIndex.definitions, reused through defScratches.
type defScratch struct {
	group, kept, top []defRef
	seen             map[string]bool
}

var defScratches = sync.Pool{New: func() any { return new(defScratch) }}

// release clears the scratch (it must not keep chunks alive) and returns it to the pool. One
// that grew far past a request's needs is left to the collector.
func (sc *defScratch) release() {
	if cap(sc.group)+cap(sc.kept)+cap(sc.top) > 1024 {
		return
	}
	if len(sc.seen) > 1024 {
		sc.seen = nil // clearing costs what the map once held
	}
	clear(sc.seen)
	clear(sc.group[:cap(sc.group)])
	clear(sc.kept[:cap(sc.kept)])
	clear(sc.top[:cap(sc.top)])
	defScratches.Put(sc)
}

// crowdedName is the number of definitions above which a name only finds those in the
// directory of SearchFilter.Near.
const crowdedName = 64

// inDir reports whether p is directly in dir ("." is the root).
func inDir(p, dir string) bool {
	if dir == "." {
		return !strings.Contains(p, "/")
	}
	return len(p) > len(dir) && p[len(dir)] == '/' && strings.HasPrefix(p, dir) && !strings.Contains(p[len(dir)+1:], "/")
}

func (x *memIndex) chunkByID(id string) (codectx.Chunk, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	d, ok := x.byID[id]
	if !ok || x.docs[d].chunk == nil {
		return codectx.Chunk{}, false
	}
	return copyChunk(x.docs[d].chunk), true
}

// copyChunk returns a copy the caller may modify without touching the index.
func copyChunk(c *codectx.Chunk) codectx.Chunk {
	out := *c
	out.Symbols = slices.Clone(c.Symbols)
	return out
}
