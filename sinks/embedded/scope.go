package embedded

import (
	"math"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/codectx/codectx"
)

// dirScope is what Scope reads for one directory: its definitions, with the words of their
// headers (a definition's first line) cut when they are indexed, and postings from words,
// names and identifiers to definitions, so that a query visits only definitions that share a
// clue. The postings are a cache built by the first query after a change: kept for every
// folder they took a quarter of the index's memory, and queries touch few folders.
type dirScope struct {
	defs     []scopeDef
	ids      []uint32 // the definitions' words and identifiers, one after another (scopeDef.at)
	live     int
	postings atomic.Pointer[map[uint32][]int32] // word, name or identifier id → indexes into defs; nil until a query needs it
	files    atomic.Pointer[fileCounts]         // otherFiles by definition, as counted by queries since the index last changed
}

// fileCounts caches memIndex.otherFiles for the definitions of a folder, for one generation of
// the index: counting reads the name's postings, and the same folder is asked about again and
// again. Queries fill it concurrently; two that count the same definition store the same
// number.
type fileCounts struct {
	gen uint64
	n   []atomic.Uint32 // by definition: 1 + the count, or 0 when not counted yet
}

// fileCounts returns the folder's cache for index generation gen, a new one if it was for
// another. The caller holds mu for reading at least.
func (ds *dirScope) fileCounts(gen uint64) *fileCounts {
	if fc := ds.files.Load(); fc != nil && fc.gen == gen && len(fc.n) >= len(ds.defs) {
		return fc
	}
	fc := &fileCounts{gen: gen, n: make([]atomic.Uint32, len(ds.defs))}
	ds.files.Store(fc)
	return fc
}

// otherFiles returns memIndex.otherFiles of definition i, counting it on first need.
func (fc *fileCounts) otherFiles(x *memIndex, i int32, def *scopeDef) int {
	if v := fc.n[i].Load(); v > 0 {
		return int(v - 1)
	}
	n := x.otherFiles(def)
	fc.n[i].Store(uint32(n) + 1)
	return n
}

// scopeDef is one definition of a directory. A removed one keeps its slot (doc = deadDef)
// until the directory is compacted. It is kept small and its words in one array of the
// folder's, since a query scores hundreds of them.
type scopeDef struct {
	doc    uint32
	sym    uint32
	nameID uint32 // the whole name, interned as nameKey(name)
	term   uint32 // the lexical term of the name (lower-cased), to count its uses; noTerm if none
	line   int32
	at     uint32 // dirScope.ids[at:]: nWords words (the name's nName first), then nIdents identifiers
	nWords uint16
	nName  uint16
	nIdent uint16
	method bool   // the symbol's kind is "method"
	header string // shares the chunk body's memory
}

// words returns the definition's header words, the name's first.
func (ds *dirScope) words(d *scopeDef) []uint32 { return ds.ids[d.at : d.at+uint32(d.nWords)] }

// idents returns the header's other identifiers, whole, as nameKey ids.
func (ds *dirScope) idents(d *scopeDef) []uint32 {
	at := d.at + uint32(d.nWords)
	return ds.ids[at : at+uint32(d.nIdent)]
}

const deadDef = ^uint32(0)

// Bounds of the work of one scope query.
const (
	scopeMaxScored = 256 // definitions scored, reached through their clues
	scopeMaxFill   = 64  // definitions without a clue looked at to fill the answer
)

// nameKey interns a whole name or identifier beside the words, in the same id space.
func nameKey(name string) string { return "\x00" + name } // lookup in scope builds the same key

// wordID returns the id of a header word, creating it. The caller holds mu for writing.
func (x *memIndex) wordID(w string) uint32 {
	if id, ok := x.wordIDs[w]; ok {
		return id
	}
	id := uint32(len(x.wordIDs) + 1)
	x.wordIDs[strings.Clone(w)] = id
	return id
}

// addScope records the definitions of doc d. The caller holds mu for writing.
func (x *memIndex) addScope(dir string, d uint32, c *codectx.Chunk) {
	if len(c.Symbols) == 0 {
		return
	}
	ds := x.scopes[dir]
	if ds == nil {
		ds = &dirScope{}
		x.scopes[dir] = ds
	}
	var words, idents []uint32
	for i, sym := range c.Symbols {
		if sym.Kind == "heading" {
			continue // a document's section is not something code calls
		}
		line := min(max(sym.StartLine, c.StartLine), c.EndLine)
		header := lineOf(c.Body, line-c.StartLine)
		def := scopeDef{doc: d, sym: uint32(i), nameID: x.wordID(nameKey(sym.Name)), line: int32(line), header: header, term: noTerm, method: sym.Kind == "method"}
		// The chunk defining the name mentions it, so its term exists once the chunk is in.
		if tid, ok := x.termIDs[strings.ToLower(sym.Name)]; ok {
			def.term = tid
		}
		words, idents = words[:0], idents[:0]
		for _, w := range codectx.Words(sym.Name) {
			words = append(words, x.wordID(w))
		}
		def.nName = uint16(min(len(words), math.MaxUint16))
		for _, w := range codectx.Words(header) {
			if id := x.wordID(w); !slices.Contains(words, id) {
				words = append(words, id)
			}
		}
		for _, ident := range identifiers(header) {
			if id := x.wordID(nameKey(ident)); id != def.nameID && !slices.Contains(idents, id) {
				idents = append(idents, id)
			}
		}
		if isTypeKind(sym.Kind) {
			x.markType(def.nameID, 1)
		}
		ds.add(def, words, idents)
	}
}

// add appends a definition with its words and identifiers. The caller holds mu for writing.
func (ds *dirScope) add(def scopeDef, words, idents []uint32) {
	words, idents = words[:min(len(words), math.MaxUint16)], idents[:min(len(idents), math.MaxUint16)]
	def.at, def.nWords, def.nIdent = uint32(len(ds.ids)), uint16(len(words)), uint16(len(idents))
	def.nName = min(def.nName, def.nWords)
	ds.ids = append(append(ds.ids, words...), idents...)
	ds.defs = append(ds.defs, def)
	ds.live++
	ds.postings.Store(nil)
}

// index returns the folder's postings, building them if a change dropped them. The caller holds
// mu for reading at least; two queries may build them at once, and either result is right.
func (ds *dirScope) index() map[uint32][]int32 {
	if p := ds.postings.Load(); p != nil {
		return *p
	}
	m := make(map[uint32][]int32)
	for i := range ds.defs {
		def := &ds.defs[i]
		if def.doc == deadDef {
			continue
		}
		at := int32(i)
		for _, id := range ds.words(def) {
			m[id] = append(m[id], at)
		}
		m[def.nameID] = append(m[def.nameID], at)
		for _, id := range ds.idents(def) {
			m[id] = append(m[id], at)
		}
	}
	ds.postings.Store(&m)
	return m
}

// removeScope drops the definitions of doc d. The caller holds mu for writing.
func (x *memIndex) removeScope(dir string, d uint32) {
	ds := x.scopes[dir]
	if ds == nil {
		return
	}
	c := x.docs[d].chunk
	for i := range ds.defs {
		if def := &ds.defs[i]; def.doc == d {
			if isTypeKind(c.Symbols[def.sym].Kind) {
				x.markType(def.nameID, -1)
			}
			def.doc = deadDef
			ds.live--
		}
	}
	ds.postings.Store(nil)
	switch {
	case ds.live == 0:
		delete(x.scopes, dir)
	case len(ds.defs) > 2*ds.live+16:
		old, oldIDs := ds.defs, ds.ids
		ds.defs, ds.ids, ds.live = nil, nil, 0
		for _, def := range old {
			if def.doc != deadDef {
				w := oldIDs[def.at : def.at+uint32(def.nWords)]
				id := oldIDs[def.at+uint32(def.nWords) : def.at+uint32(def.nWords)+uint32(def.nIdent)]
				ds.add(def, w, id)
			}
		}
	}
}

// isTypeKind reports whether a symbol kind names a type (struct, class, interface...).
func isTypeKind(kind string) bool {
	switch kind {
	case "type", "struct", "class", "interface", "enum", "trait", "union", "module":
		return true
	}
	return false
}

// markType counts a definition of the name nameID as a type (delta 1) or forgets one (-1).
// The caller holds mu for writing.
func (x *memIndex) markType(nameID uint32, delta int32) {
	if int(nameID) >= len(x.types) {
		x.types = append(x.types, make([]int32, int(nameID)+1-len(x.types)+1024)...)
	}
	x.types[nameID] += delta
}

// isType reports whether the name with id nameID is defined somewhere as a type. The caller
// holds mu.
func (x *memIndex) isType(nameID uint32) bool {
	return int(nameID) < len(x.types) && x.types[nameID] > 0
}

// lineOf returns line n (0-based) of body, without its line break and a trailing brace.
func lineOf(body string, n int) string {
	for ; n > 0; n-- {
		i := strings.IndexByte(body, '\n')
		if i < 0 {
			return ""
		}
		body = body[i+1:]
	}
	if i := strings.IndexByte(body, '\n'); i >= 0 {
		body = body[:i]
	}
	return strings.TrimRight(body, " \t\r{")
}

// identifiers returns the identifiers of a line, whole.
func identifiers(line string) []string {
	var out []string
	for i := 0; i < len(line); {
		if b := line[i]; !(b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z') {
			i++
			continue
		}
		j := i + 1
		for j < len(line) && (line[j] == '_' || line[j] >= 'a' && line[j] <= 'z' || line[j] >= 'A' && line[j] <= 'Z' || line[j] >= '0' && line[j] <= '9') {
			j++
		}
		out = append(out, line[i:j])
		i = j
	}
	return out
}

// Clue marks of a scope query, by word or name id.
const (
	markNear   uint8 = 1 << iota // a word of the lines right around the cursor
	markAround                   // a word of everything the query sees
	markSuffix                   // a name in the suffix
	markUsed                     // a name the prefix uses
	markType                     // a type named near the cursor
	markSkip                     // a name not to return
	markOnly                     // a name to return alone
)

// scopeScratch is a scope query's working memory, reused through a sync.Pool.
type scopeScratch struct {
	marks   []uint8 // by word or name id
	marked  []uint32
	seen    []bool // by definition, within the folder
	visited []int32
}

// scope ranks the definitions of dir for the clues (see codectx.Index.Scope). It scores at
// most scopeMaxScored definitions, those named in the suffix, then those naming a type clue,
// then those sharing the rarest clue words, and fills from at most scopeMaxFill others.
func (x *memIndex) scope(dir string, clues codectx.ScopeClues, f codectx.SearchFilter, limit int) []codectx.Hit {
	if limit <= 0 {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	ds := x.scopes[dir]
	if ds == nil {
		return nil
	}
	fl := x.newFilter(f)
	n := ds.live
	postings := ds.index()
	df := func(id uint32) int { return len(postings[id]) } // how many definitions of the folder hold a word
	files := ds.fileCounts(x.gen)

	sc, _ := x.scopeScratch.Get().(*scopeScratch)
	if sc == nil {
		sc = &scopeScratch{}
	}
	if len(sc.marks) <= len(x.wordIDs) {
		sc.marks = make([]uint8, len(x.wordIDs)+4096)
	}
	if len(sc.seen) < len(ds.defs) {
		sc.seen = make([]bool, len(ds.defs)+256)
	}
	marks, seen := sc.marks, sc.seen
	marked, visited := sc.marked[:0], sc.visited[:0]
	defer func() {
		for _, id := range marked {
			marks[id] = 0
		}
		for _, i := range visited {
			seen[i] = false
		}
		sc.marked, sc.visited = marked[:0], visited[:0]
		x.scopeScratch.Put(sc)
	}()
	// mark sets bit on id; it reports whether the id had it already.
	mark := func(id uint32, bit uint8) bool {
		m := marks[id]
		if m == 0 {
			marked = append(marked, id)
		}
		marks[id] = m | bit
		return m&bit != 0
	}
	// The key is built in a buffer kept for the call: a lookup allocates nothing.
	var key []byte
	lookup := func(name string) (uint32, bool) {
		key = append(append(key[:0], 0), name...)
		id, ok := x.wordIDs[string(key)]
		return id, ok
	}
	for _, name := range clues.Skip {
		if id, ok := lookup(name); ok {
			mark(id, markSkip)
		}
	}
	var ids []uint32 // the order of visits (below)
	if clues.Only != nil {
		for _, name := range clues.Only {
			if id, ok := lookup(name); ok && marks[id]&markSkip == 0 && !mark(id, markOnly) {
				ids = append(ids, id)
			}
		}
	}
	for _, name := range clues.Used {
		if id, ok := lookup(name); ok {
			mark(id, markUsed)
		}
	}
	var suffix, types []uint32
	for _, name := range clues.Suffix {
		if id, ok := lookup(name); ok && marks[id]&markSkip == 0 && !mark(id, markSuffix) {
			suffix = append(suffix, id)
		}
	}
	// Type clues count only for names the index knows as types: a parameter's name in a
	// signature ("key", "value") says nothing.
	for _, name := range clues.Types {
		if id, ok := lookup(name); ok && x.isType(id) && !mark(id, markType) {
			types = append(types, id)
		}
	}
	// The clue words. Words in a third of the folder's headers or more ("func", "error") tell
	// nothing.
	var words []uint32
	for i, list := range [][]string{clues.Near, clues.Around} {
		bit := markNear
		if i == 1 {
			bit = markAround
		}
		for _, w := range list {
			if id, ok := x.wordIDs[w]; ok && (n < 12 || df(id)*3 <= n) {
				if marks[id]&(markNear|markAround) == 0 {
					words = append(words, id)
				}
				mark(id, bit)
			}
		}
	}

	type cand struct {
		def   int32
		score float64
	}
	var best []cand // the limit best, kept sorted best first
	better := func(a, b cand) bool {
		if a.score != b.score {
			return a.score > b.score
		}
		da, db := &ds.defs[a.def], &ds.defs[b.def]
		ca, cb := x.docs[da.doc].chunk, x.docs[db.doc].chunk
		if ca.Source != cb.Source {
			return ca.Source < cb.Source
		}
		if ca.Path != cb.Path {
			return ca.Path < cb.Path
		}
		return da.line < db.line
	}
	offer := func(c cand) {
		def := &ds.defs[c.def]
		if def.doc == deadDef || marks[def.nameID]&markSkip != 0 || clues.NoMethods && def.method {
			return
		}
		if clues.Only != nil && marks[def.nameID]&markOnly == 0 {
			return // reached through a header that mentions one of the names
		}
		if len(best) == limit && !better(c, best[len(best)-1]) {
			return
		}
		if !fl.pass(x.meta[def.doc]) {
			return
		}
		at := len(best)
		for at > 0 && better(c, best[at-1]) {
			at--
		}
		// One definition per name: a name defined twice in a folder (build variants) counts
		// once.
		for k, b := range best {
			if ds.defs[b.def].nameID == def.nameID {
				if k <= at {
					return // the one kept ranks at least as well
				}
				best = slices.Delete(best, k, k+1)
				break
			}
		}
		best = slices.Insert(best, at, c)
		if len(best) > limit {
			best = best[:limit]
		}
	}
	score := func(i int32) float64 {
		def := &ds.defs[i]
		var ft codectx.ScopeFeatures
		m := marks[def.nameID]
		ft.InSuffix = m&markSuffix != 0
		ft.UsedBefore = m&markUsed != 0
		nameHits, shared := 0, 0
		for j, id := range ds.words(def) {
			m := marks[id]
			if j < int(def.nName) && m&markNear != 0 {
				nameHits++
			}
			if m&markAround != 0 {
				shared++
			}
		}
		if def.nName > 0 {
			ft.NameShare = float64(nameHits) / float64(def.nName)
		}
		if def.nWords > 0 {
			ft.HeaderShare = float64(shared) / float64(def.nWords)
		}
		for _, id := range ds.idents(def) {
			if marks[id]&markType != 0 {
				ft.NamesType = true
				break
			}
		}
		if def.term != noTerm && def.doc != deadDef {
			// Counting the files that mention the name reads postings: skip it for a
			// definition that could not make the answer even at full popularity.
			if len(best) == limit {
				ft.Files = codectx.PopularFiles
				if hi := codectx.ScopeScore(ft); hi < best[len(best)-1].score {
					return hi
				}
			}
			ft.Files = files.otherFiles(x, i, def)
		}
		return codectx.ScopeScore(ft)
	}
	// The order of visits: definitions named in the suffix, then those whose headers name a
	// type clue, then those sharing the rarest clue words, until the budget is spent. With
	// clues.Only, the definitions of those names alone.
	if clues.Only != nil {
		slices.Sort(ids)
	} else {
		slices.Sort(suffix)
		slices.Sort(types)
		ids = append(append(ids, suffix...), types...)
		type wordDF struct{ id, df uint32 }
		byDF := make([]wordDF, len(words))
		for i, id := range words {
			byDF[i] = wordDF{id, uint32(df(id))}
		}
		slices.SortFunc(byDF, func(a, b wordDF) int {
			if a.df != b.df {
				return int(a.df) - int(b.df)
			}
			return int(a.id) - int(b.id)
		})
		for _, w := range byDF {
			ids = append(ids, w.id)
		}
	}
	scored := 0
visit:
	for _, id := range ids {
		for _, i := range postings[id] {
			if seen[i] {
				continue
			}
			if scored == scopeMaxScored {
				break visit
			}
			seen[i] = true
			visited = append(visited, i)
			scored++
			offer(cand{i, score(i)})
		}
	}
	// The rest have no clue: they fill what is left. With a path filter, only the file's
	// definitions count against the bound.
	if len(best) < limit && clues.Only == nil {
		for i, looked := 0, 0; i < len(ds.defs) && looked < scopeMaxFill; i++ {
			if seen[i] {
				continue
			}
			if def := &ds.defs[i]; fl.path >= 0 && (def.doc == deadDef || int64(x.meta[def.doc].path) != fl.path) {
				continue
			}
			looked++
			offer(cand{int32(i), score(int32(i))})
		}
	}
	hits := make([]codectx.Hit, len(best))
	for i, b := range best {
		def := &ds.defs[b.def]
		src := x.docs[def.doc].chunk
		c := *src
		c.Symbols = nil
		c.StartLine, c.EndLine, c.Body = int(def.line), int(def.line), def.header
		// The symbol is the index's own: read-only for callers (codectx.Hit).
		hits[i] = codectx.Hit{Chunk: c, Score: b.score, Symbol: &src.Symbols[def.sym]}
	}
	return hits
}

// maxPopularScan bounds the postings otherFiles reads, for a name that other sources use a lot.
const maxPopularScan = 2048

// otherFiles counts the files of the definition's source, other than its own, whose chunks
// mention its name, up to codectx.PopularFiles: past that the count no longer matters, so that
// a common name costs as little as a rare one. A file's chunks are consecutive docs, so a file
// is counted where the path changes.
func (x *memIndex) otherFiles(def *scopeDef) int {
	own := x.meta[def.doc]
	n, last := 0, own.path
	postings := x.postings[def.term]
	for _, p := range postings[:min(len(postings), maxPopularScan)] {
		m := x.meta[p.doc]
		if m.path == last || m.path == own.path || m.source != own.source || m.flags&metaLive == 0 {
			continue
		}
		last = m.path
		if n++; n == codectx.PopularFiles {
			break
		}
	}
	return n
}
