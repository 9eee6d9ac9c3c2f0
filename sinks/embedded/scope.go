package embedded

import (
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/codectx/codectx"
)

// dirScope is what Scope reads for one directory: its definitions, with the words of their
// headers (a definition's first line) cut when they are indexed, and postings from words,
// names and identifiers to definitions, so that a query visits only definitions that share a
// clue. The postings are a cache built by the first query after a change: kept for every
// folder they took a quarter of the index's memory, and queries touch few folders.
type dirScope struct {
	defs  []scopeDef
	ids   []uint32 // the definitions' words and identifiers, one after another (scopeDef.at)
	live  int
	vocab atomic.Pointer[scopeVocab] // the postings; nil until a query needs them
	files atomic.Pointer[fileCounts] // otherFiles by definition, as counted by queries since the index last changed
}

// scopeVocab numbers the words, names and identifiers of a folder's definitions anew, with
// their postings. A query resolves its clues in the folder's small maps rather than in the
// index's (wordIDs), which are large and cold (a lookup there was a cache miss or two), and
// marks them in an array as small: a clue the folder does not hold cannot change its answer.
// Local ids follow the order of the index's ids, so that a sort by either gives one order.
type scopeVocab struct {
	byWord   map[string]uint32 // header word → local id
	byName   map[string]uint32 // whole name or identifier (without nameKey's prefix) → local id
	global   []uint32          // by local id: the index's id
	postings [][]int32         // by local id: indexes into defs of the live definitions holding it
	ids      []uint32          // dirScope.ids in local ids
	defs     []vocabDef        // by definition, what a query reads of it
	// The live definitions of each name, in order, as a chain: first by local id, then next by
	// definition (-1 ends it), for memIndex.definitions.
	first, next []int32
	// defined has the bit nameBit of each name defined here: most names a query's clues list
	// are not, and this tells so without a lookup.
	defined [64]uint64
}

// nameBit is a hash of a name in 12 bits, from its length and three of its bytes, for
// scopeVocab.defined.
func nameBit(name string) uint32 {
	var h uint32
	if n := len(name); n > 0 {
		h = uint32(n)<<24 | uint32(name[0])<<16 | uint32(name[n/2])<<8 | uint32(name[n-1])
	}
	return h * 0x9E3779B1 >> 20
}

// mayDefine reports whether a name may be defined in the folder: false is sure.
func (v *scopeVocab) mayDefine(name string) bool {
	b := nameBit(name)
	return v.defined[b/64]&(1<<(b%64)) != 0
}

// vocabDef is what a query reads of a definition (scopeDef), in local ids, with what it would
// read elsewhere (the rank of its file, its doc's docMeta) at hand: a query reads hundreds of
// definitions, and each array more is a cache miss more.
type vocabDef struct {
	doc    uint32 // deadDef when removed
	name   uint32 // the name's local id
	term   uint32
	file   uint32 // the rank of the definition's file by source, then path (a tie's order)
	line   int32
	at     uint32 // scopeVocab.ids[at:]: nWords words (the name's nName first), then nIdent identifiers
	nWords uint16
	nName  uint16
	nIdent uint16
	method bool
	meta   docMeta // x.meta[doc] of a live definition, for filters
}

// named calls f with the index of each live definition of the name with local id l, in order.
func (v *scopeVocab) named(l uint32, f func(i int32)) {
	for i := v.first[l]; i >= 0; i = v.next[i] {
		f(i)
	}
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
	method bool // the symbol's kind is "method"
	// The definition's header line in the chunk's body: body[hdrAt:hdrAt+hdrLen]. Offsets
	// rather than a string, so that the definitions hold no pointer for the collector to scan.
	hdrAt, hdrLen uint32
}

const deadDef = ^uint32(0)

// Bounds of the work of one scope query.
const (
	scopeMaxScored = 256 // definitions scored, reached through their clues
	scopeMaxFill   = 64  // definitions without a clue looked at to fill the answer
)

// nameKey interns a whole name or identifier beside the words, in the same id space.
func nameKey(name string) string { return "\x00" + name } // scopeVocab.byName holds names without it

// wordID returns the id of a header word, creating it. The caller holds mu for writing.
func (x *memIndex) wordID(w string) uint32 {
	if id, ok := x.wordIDs.get(w); ok {
		return id + 1
	}
	return x.wordIDs.add(w) + 1
}

// wordName returns the word or name key (nameKey) with id id. The caller holds mu.
func (x *memIndex) wordName(id uint32) string { return x.wordIDs.str(id - 1) }

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
			x.countHeadings(dir, 1)
			continue // a document's section is not something code calls
		}
		line := min(max(sym.StartLine, c.StartLine), c.EndLine)
		hs, he := lineSpan(c.Body, line-c.StartLine)
		header := c.Body[hs:he]
		def := scopeDef{doc: d, sym: uint32(i), nameID: x.wordID(nameKey(sym.Name)), line: int32(line), hdrAt: uint32(hs), hdrLen: uint32(he - hs), term: noTerm, method: sym.Kind == "method"}
		// The chunk defining the name mentions it, so its term exists once the chunk is in.
		if tid, ok := x.termIDs.get(strings.ToLower(sym.Name)); ok {
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
	ds.vocab.Store(nil)
}

// toLocalPool holds arrays by the index's word or name id, zeroed, for dirScope.index.
var toLocalPool sync.Pool // *[]uint32

// index returns the folder's vocabulary and postings, building them if a change dropped them.
// The caller holds mu for reading at least; two queries may build them at once, and either
// result is right.
func (ds *dirScope) index(x *memIndex) *scopeVocab {
	if v := ds.vocab.Load(); v != nil {
		return v
	}
	// Every id of the folder, a removed definition's too (the fill of a query still scores
	// those, and drops them), numbered through an array by index id: 1 + the local id.
	p, _ := toLocalPool.Get().(*[]uint32)
	if p == nil || len(*p) <= x.wordIDs.len() {
		a := make([]uint32, x.wordIDs.len()+4096)
		p = &a
	}
	defer toLocalPool.Put(p)
	toLocal := *p
	var global []uint32
	note := func(id uint32) {
		if toLocal[id] == 0 {
			toLocal[id] = 1
			global = append(global, id)
		}
	}
	for i := range ds.defs {
		def := &ds.defs[i]
		note(def.nameID)
		for _, id := range ds.ids[def.at : def.at+uint32(def.nWords)+uint32(def.nIdent)] {
			note(id)
		}
	}
	slices.Sort(global)
	nNames := 0
	for l, id := range global {
		toLocal[id] = uint32(l) + 1
		if strings.HasPrefix(x.wordName(id), "\x00") {
			nNames++
		}
	}
	v := &scopeVocab{
		byWord:   make(map[string]uint32, len(global)-nNames),
		byName:   make(map[string]uint32, nNames),
		global:   global,
		postings: make([][]int32, len(global)),
		ids:      make([]uint32, len(ds.ids)),
		defs:     make([]vocabDef, len(ds.defs)),
	}
	// The keys are copied next to each other: a lookup that finds one compares it, and keys
	// scattered over the heap cost a cache miss each.
	size := 0
	for _, id := range global {
		size += len(x.wordName(id))
	}
	var b strings.Builder
	b.Grow(size)
	for _, id := range global {
		b.WriteString(x.wordName(id))
	}
	keys := b.String()
	names := make([]string, len(global)) // by local id, for a name
	for l, id := range global {
		w := keys[:len(x.wordName(id))]
		keys = keys[len(w):]
		if strings.HasPrefix(w, "\x00") {
			names[l] = w[1:]
			v.byName[w[1:]] = uint32(l)
		} else {
			v.byWord[w] = uint32(l)
		}
	}
	for i, id := range ds.ids {
		v.ids[i] = toLocal[id] - 1
	}
	count := make([]int32, len(global))
	for i := range ds.defs {
		def, vd := &ds.defs[i], &v.defs[i]
		*vd = vocabDef{doc: def.doc, name: toLocal[def.nameID] - 1, term: def.term, line: def.line, at: def.at,
			nWords: def.nWords, nName: def.nName, nIdent: def.nIdent, method: def.method}
		if def.doc == deadDef {
			continue
		}
		vd.meta = x.meta[def.doc]
		count[vd.name]++
		for _, l := range v.ids[def.at : def.at+uint32(def.nWords)+uint32(def.nIdent)] {
			count[l]++
		}
	}
	for _, id := range global {
		toLocal[id] = 0
	}
	// The postings share one array, each filled in the order of the definitions.
	all := make([]int32, 0, len(ds.ids)+len(ds.defs))
	for l, n := range count {
		v.postings[l] = all[len(all) : len(all) : len(all)+int(n)]
		all = all[:len(all)+int(n)]
	}
	for i := range v.defs {
		vd := &v.defs[i]
		if vd.doc == deadDef {
			continue
		}
		at := int32(i)
		for _, l := range v.words(vd) {
			v.postings[l] = append(v.postings[l], at)
		}
		v.postings[vd.name] = append(v.postings[vd.name], at)
		for _, l := range v.idents(vd) {
			v.postings[l] = append(v.postings[l], at)
		}
	}
	v.first, v.next = make([]int32, len(global)), make([]int32, len(ds.defs))
	for l := range v.first {
		v.first[l] = -1
	}
	for i := len(ds.defs) - 1; i >= 0; i-- {
		if vd := &v.defs[i]; vd.doc != deadDef {
			v.next[i], v.first[vd.name] = v.first[vd.name], int32(i)
			b := nameBit(names[vd.name])
			v.defined[b/64] |= 1 << (b % 64)
		}
	}
	v.rankFiles(x, ds)
	ds.vocab.Store(v)
	return v
}

// rankFiles sets vocabDef.file: the rank of each live definition's file by source, then path.
func (v *scopeVocab) rankFiles(x *memIndex, ds *dirScope) {
	slot := make(map[fileKey]uint32)
	var files []*codectx.Chunk // by slot, one chunk of the file
	var last *codectx.Chunk
	var at uint32
	for i := range ds.defs {
		def := &ds.defs[i]
		if def.doc == deadDef {
			continue
		}
		// A file's definitions come one after another: the map is read once a file.
		c := x.docs[def.doc].chunk
		if last == nil || c.Source != last.Source || c.Path != last.Path {
			k := fileKey{c.Source, c.Path}
			n, ok := slot[k]
			if !ok {
				n = uint32(len(files))
				slot[k] = n
				files = append(files, c)
			}
			last, at = c, n
		}
		v.defs[i].file = at
	}
	order := make([]uint32, len(files))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int {
		ca, cb := files[a], files[b]
		if c := strings.Compare(ca.Source, cb.Source); c != 0 {
			return c
		}
		return strings.Compare(ca.Path, cb.Path)
	})
	rank := make([]uint32, len(files))
	for r, n := range order {
		rank[n] = uint32(r)
	}
	for i := range v.defs {
		if vd := &v.defs[i]; vd.doc != deadDef {
			vd.file = rank[vd.file]
		}
	}
}

// words returns the definition's header words in local ids, the name's first.
func (v *scopeVocab) words(d *vocabDef) []uint32 { return v.ids[d.at : d.at+uint32(d.nWords)] }

// idents returns the header's other identifiers, whole, in local ids.
func (v *scopeVocab) idents(d *vocabDef) []uint32 {
	at := d.at + uint32(d.nWords)
	return v.ids[at : at+uint32(d.nIdent)]
}

// removeScope drops the definitions of doc d. The caller holds mu for writing.
func (x *memIndex) removeScope(dir string, d uint32) {
	c := x.docs[d].chunk
	for _, sym := range c.Symbols {
		if sym.Kind == "heading" {
			x.countHeadings(dir, -1)
		}
	}
	ds := x.scopes[dir]
	if ds == nil {
		return
	}
	for i := range ds.defs {
		if def := &ds.defs[i]; def.doc == d {
			if isTypeKind(c.Symbols[def.sym].Kind) {
				x.markType(def.nameID, -1)
			}
			def.doc = deadDef
			ds.live--
		}
	}
	ds.vocab.Store(nil)
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

// countHeadings counts a heading symbol of dir (delta 1) or forgets one (-1): the scope leaves
// them out, so that memIndex.definitions reads a folder's definitions there only when it has
// none. The caller holds mu for writing.
func (x *memIndex) countHeadings(dir string, delta int) {
	if x.headings == nil {
		x.headings = make(map[string]int)
	}
	if n := x.headings[dir] + delta; n > 0 {
		x.headings[dir] = n
	} else {
		delete(x.headings, dir)
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

// lineSpan returns where line n (0-based) of body is, without its line break and a trailing
// brace.
func lineSpan(body string, n int) (start, end int) {
	for ; n > 0; n-- {
		i := strings.IndexByte(body[start:], '\n')
		if i < 0 {
			return 0, 0
		}
		start += i + 1
	}
	end = len(body)
	if i := strings.IndexByte(body[start:], '\n'); i >= 0 {
		end = start + i
	}
	return start, start + len(strings.TrimRight(body[start:end], " \t\r{"))
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
	marks   []uint8 // by the folder's word or name id (scopeVocab)
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
	sc, _ := x.scopeScratch.Get().(*scopeScratch)
	if sc == nil {
		sc = &scopeScratch{}
	}
	// Clues are resolved, marked and visited in the folder's own ids (scopeVocab).
	v := ds.index(x)
	df := func(id uint32) int { return len(v.postings[id]) } // how many definitions of the folder hold a word
	files := ds.fileCounts(x.gen)
	if len(sc.marks) < len(v.global) {
		sc.marks = make([]uint8, len(v.global)+1024)
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
	for _, name := range clues.Skip {
		if id, ok := v.byName[name]; ok {
			mark(id, markSkip)
		}
	}
	var ids []uint32 // the order of visits (below)
	if clues.Only != nil {
		for _, name := range clues.Only {
			if id, ok := v.byName[name]; ok && marks[id]&markSkip == 0 && !mark(id, markOnly) {
				ids = append(ids, id)
			}
		}
	}
	// Used marks count only on the folder's own names (UsedBefore): the others are not looked
	// up.
	for _, name := range clues.Used {
		if !v.mayDefine(name) {
			continue
		}
		if id, ok := v.byName[name]; ok {
			mark(id, markUsed)
		}
	}
	var suffix, types []uint32
	for _, name := range clues.Suffix {
		if id, ok := v.byName[name]; ok && marks[id]&markSkip == 0 && !mark(id, markSuffix) {
			suffix = append(suffix, id)
		}
	}
	// Type clues count only for names the index knows as types: a parameter's name in a
	// signature ("key", "value") says nothing.
	for _, name := range clues.Types {
		if id, ok := v.byName[name]; ok && x.isType(v.global[id]) && !mark(id, markType) {
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
			if id, ok := v.byWord[w]; ok && (n < 12 || df(id)*3 <= n) {
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
	best := make([]cand, 0, min(limit, 64)+1) // the limit best, kept sorted best first
	better := func(a, b cand) bool {
		if a.score != b.score {
			return a.score > b.score
		}
		// By source, path and line: the files' ranks spare reading their chunks.
		da, db := &v.defs[a.def], &v.defs[b.def]
		if da.file != db.file {
			return da.file < db.file
		}
		return da.line < db.line
	}
	offer := func(c cand) {
		def := &v.defs[c.def]
		if def.doc == deadDef || marks[def.name]&markSkip != 0 || clues.NoMethods && def.method {
			return
		}
		if clues.Only != nil && marks[def.name]&markOnly == 0 {
			return // reached through a header that mentions one of the names
		}
		if len(best) == limit && !better(c, best[len(best)-1]) {
			return
		}
		if !fl.pass(def.meta) {
			return
		}
		at := len(best)
		for at > 0 && better(c, best[at-1]) {
			at--
		}
		// One definition per name: a name defined twice in a folder (build variants) counts
		// once.
		for k, b := range best {
			if v.defs[b.def].name == def.name {
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
		def := &v.defs[i]
		var ft codectx.ScopeFeatures
		m := marks[def.name]
		ft.InSuffix = m&markSuffix != 0
		ft.UsedBefore = m&markUsed != 0
		nameHits, shared := 0, 0
		for j, id := range v.words(def) {
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
		for _, id := range v.idents(def) {
			if marks[id]&markType != 0 {
				ft.NamesType = true
				break
			}
		}
		if def.term != noTerm && def.doc != deadDef {
			// Counting the files that mention the name reads postings: skip it for a
			// definition that could not make the answer even at full popularity. A count
			// made already is read as it is (the answer is the same: the score cannot
			// exceed that bound).
			if v := files.n[i].Load(); v > 0 {
				ft.Files = int(v - 1)
			} else {
				if len(best) == limit {
					ft.Files = codectx.PopularFiles
					if hi := codectx.ScopeScore(ft); hi < best[len(best)-1].score {
						return hi
					}
				}
				ft.Files = files.otherFiles(x, i, &ds.defs[i])
			}
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
		for _, i := range v.postings[id] {
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
			if vd := &v.defs[i]; fl.path >= 0 && (vd.doc == deadDef || int64(vd.meta.path) != fl.path) {
				continue
			}
			looked++
			if v.defs[i].doc == deadDef {
				continue // offer would drop it
			}
			offer(cand{int32(i), score(int32(i))})
		}
	}
	hits := newHits(len(best))
	for i, b := range best {
		def := &ds.defs[b.def]
		src := x.docs[def.doc].chunk
		c := *src
		c.Symbols = nil
		c.StartLine, c.EndLine, c.Body = int(def.line), int(def.line), src.Body[def.hdrAt:def.hdrAt+def.hdrLen]
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
