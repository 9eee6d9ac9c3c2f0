package embedded

import (
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
	live     int
	postings atomic.Pointer[map[uint32][]int32] // word, name or identifier id → indexes into defs; nil until a query needs it
}

// scopeDef is one definition of a directory. A removed one keeps its slot (doc = deadDef)
// until the directory is compacted.
type scopeDef struct {
	doc    uint32
	sym    uint32
	nameID uint32 // the whole name, interned as nameKey(name)
	line   int
	header string // shares the chunk body's memory
	words  []uint32
	nName  int      // words[:nName] are the name's
	idents []uint32 // the header's other identifiers, whole, as nameKey ids
	term   uint32   // the lexical term of the name (lower-cased), to count its uses; noTerm if none
}

const deadDef = ^uint32(0)

// Bounds of the work of one scope query.
const (
	scopeMaxScored = 256 // definitions scored, reached through their clues
	scopeMaxFill   = 64  // definitions without a clue looked at to fill the answer
)

// nameKey interns a whole name or identifier beside the words, in the same id space.
func nameKey(name string) string { return "\x00" + name }

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
	for i, sym := range c.Symbols {
		if sym.Kind == "heading" {
			continue // a document's section is not something code calls
		}
		line := min(max(sym.StartLine, c.StartLine), c.EndLine)
		header := lineOf(c.Body, line-c.StartLine)
		def := scopeDef{doc: d, sym: uint32(i), nameID: x.wordID(nameKey(sym.Name)), line: line, header: header, term: noTerm}
		// The chunk defining the name mentions it, so its term exists once the chunk is in.
		if tid, ok := x.termIDs[strings.ToLower(sym.Name)]; ok {
			def.term = tid
		}
		for _, w := range codectx.Words(sym.Name) {
			def.words = append(def.words, x.wordID(w))
		}
		def.nName = len(def.words)
		for _, w := range codectx.Words(header) {
			if id := x.wordID(w); !slices.Contains(def.words, id) {
				def.words = append(def.words, id)
			}
		}
		for _, ident := range identifiers(header) {
			if id := x.wordID(nameKey(ident)); id != def.nameID && !slices.Contains(def.idents, id) {
				def.idents = append(def.idents, id)
			}
		}
		ds.add(def)
	}
}

// add appends a definition. The caller holds mu for writing.
func (ds *dirScope) add(def scopeDef) {
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
		for _, id := range def.words {
			m[id] = append(m[id], at)
		}
		m[def.nameID] = append(m[def.nameID], at)
		for _, id := range def.idents {
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
	for i := range ds.defs {
		if ds.defs[i].doc == d {
			ds.defs[i].doc = deadDef
			ds.live--
		}
	}
	ds.postings.Store(nil)
	switch {
	case ds.live == 0:
		delete(x.scopes, dir)
	case len(ds.defs) > 2*ds.live+16:
		old := ds.defs
		ds.defs, ds.live = nil, 0
		for _, def := range old {
			if def.doc != deadDef {
				ds.add(def)
			}
		}
	}
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
	fl := newFilter(f)
	n := ds.live
	postings := ds.index()
	df := func(id uint32) int { return len(postings[id]) } // how many definitions of the folder hold a word
	skip := make(map[uint32]bool, len(clues.Skip))
	for _, name := range clues.Skip {
		if id, ok := x.wordIDs[nameKey(name)]; ok {
			skip[id] = true
		}
	}
	var only map[uint32]bool
	if clues.Only != nil {
		only = make(map[uint32]bool, len(clues.Only))
		for _, name := range clues.Only {
			if id, ok := x.wordIDs[nameKey(name)]; ok && !skip[id] {
				only[id] = true
			}
		}
	}
	used := make(map[uint32]bool, len(clues.Used))
	for _, name := range clues.Used {
		if id, ok := x.wordIDs[nameKey(name)]; ok {
			used[id] = true
		}
	}
	suffix := map[uint32]bool{}
	for _, name := range clues.Suffix {
		if id, ok := x.wordIDs[nameKey(name)]; ok && !skip[id] {
			suffix[id] = true
		}
	}
	// Type clues count only for names the index knows as types: a parameter's name in a
	// signature ("key", "value") says nothing.
	types := map[uint32]bool{}
	for _, name := range clues.Types {
		if id, ok := x.wordIDs[nameKey(name)]; ok && x.isType(name) {
			types[id] = true
		}
	}
	// The clue words, marked by id in a dense array (scoring looks up every word of every
	// header it visits). Words in a third of the folder's headers or more ("func", "error")
	// tell nothing.
	const near, around = 1, 2
	mp, _ := x.marks.Get().(*[]uint8)
	if mp == nil {
		mp = new([]uint8)
	}
	if len(*mp) <= len(x.wordIDs) {
		*mp = make([]uint8, len(x.wordIDs)+4096)
	}
	marks := *mp
	var words []uint32
	for i, list := range [][]string{clues.Near, clues.Around} {
		for _, w := range list {
			if id, ok := x.wordIDs[w]; ok && (n < 12 || df(id)*3 <= n) {
				if marks[id] == 0 {
					words = append(words, id)
				}
				marks[id] |= uint8(1 << i)
			}
		}
	}
	defer func() {
		for _, id := range words {
			marks[id] = 0
		}
		x.marks.Put(mp)
	}()

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
		if def.doc == deadDef || skip[def.nameID] {
			return
		}
		if clues.NoMethods && x.docs[def.doc].chunk.Symbols[def.sym].Kind == "method" {
			return
		}
		if len(best) == limit && !better(c, best[len(best)-1]) {
			return
		}
		if !fl.pass(&x.docs[def.doc]) {
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
		ft.InSuffix = suffix[def.nameID]
		ft.UsedBefore = used[def.nameID]
		nameHits, shared := 0, 0
		for j, id := range def.words {
			m := marks[id]
			if j < def.nName && m&near != 0 {
				nameHits++
			}
			if m&around != 0 {
				shared++
			}
		}
		if def.nName > 0 {
			ft.NameShare = float64(nameHits) / float64(def.nName)
		}
		if len(def.words) > 0 {
			ft.HeaderShare = float64(shared) / float64(len(def.words))
		}
		for _, id := range def.idents {
			if types[id] {
				ft.NamesType = true
				break
			}
		}
		if def.term != noTerm {
			ft.Uses = int(x.df[def.term])
		}
		return codectx.ScopeScore(ft)
	}
	// The order of visits: definitions named in the suffix, then those whose headers name a
	// type clue, then those sharing the rarest clue words, until the budget is spent. With
	// clues.Only, the definitions of those names alone.
	var ids []uint32
	if only != nil {
		for id := range only {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	} else {
		for _, set := range []map[uint32]bool{suffix, types} {
			start := len(ids)
			for id := range set {
				ids = append(ids, id)
			}
			slices.Sort(ids[start:])
		}
		start := len(ids)
		ids = append(ids, words...)
		slices.SortFunc(ids[start:], func(a, b uint32) int {
			if da, db := df(a), df(b); da != db {
				return da - db
			}
			return int(a) - int(b)
		})
	}
	seen := map[int32]bool{}
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
			scored++
			offer(cand{i, score(i)})
		}
	}
	// The rest have no clue: they fill what is left. With a path filter, only the file's
	// definitions count against the bound.
	if len(best) < limit && only == nil {
		for i, looked := 0, 0; i < len(ds.defs) && looked < scopeMaxFill; i++ {
			if seen[int32(i)] {
				continue
			}
			if def := &ds.defs[i]; f.Path != "" && (def.doc == deadDef || x.docs[def.doc].chunk.Path != f.Path) {
				continue
			}
			looked++
			offer(cand{int32(i), score(int32(i))})
		}
	}
	hits := make([]codectx.Hit, len(best))
	for i, b := range best {
		def := &ds.defs[b.def]
		c := *x.docs[def.doc].chunk
		sym := c.Symbols[def.sym]
		c.Symbols = nil
		c.StartLine, c.EndLine, c.Body = def.line, def.line, def.header
		hits[i] = codectx.Hit{Chunk: c, Score: b.score, Symbol: &sym}
	}
	return hits
}

// isType reports whether name is defined somewhere as a type (struct, class, interface...).
// The caller holds mu.
func (x *memIndex) isType(name string) bool {
	for _, r := range x.symbols[name] {
		switch x.docs[r.doc].chunk.Symbols[r.sym].Kind {
		case "type", "struct", "class", "interface", "enum", "trait", "union", "module":
			return true
		}
	}
	return false
}
