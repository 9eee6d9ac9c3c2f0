package serve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers/imports"
)

// ContextRequest is the body of POST /v1/context.
type ContextRequest struct {
	Source      string `json:"source,omitempty"`
	GitURL      string `json:"git_url,omitempty"`
	Filepath    string `json:"filepath"`
	Language    string `json:"language,omitempty"`
	Prefix      string `json:"prefix"`
	Suffix      string `json:"suffix,omitempty"`
	MaxSnippets int    `json:"max_snippets,omitempty"`
	MaxChars    int    `json:"max_chars,omitempty"`
}

// Defaults and limits of a context request.
const (
	DefaultMaxSnippets = 10
	DefaultMaxChars    = 2048
	MaxMaxSnippets     = 100
	MaxMaxChars        = 1 << 16
)

// Validate fills defaults and rejects bad fields.
func (r *ContextRequest) Validate() error {
	if r.Prefix == "" && r.Suffix == "" {
		return fmt.Errorf("%w: prefix (or suffix) is required", errBadRequest)
	}
	if r.MaxSnippets == 0 {
		r.MaxSnippets = DefaultMaxSnippets
	}
	if r.MaxChars == 0 {
		r.MaxChars = DefaultMaxChars
	}
	if r.MaxSnippets < 0 || r.MaxSnippets > MaxMaxSnippets {
		return fmt.Errorf("%w: max_snippets must be between 1 and %d", errBadRequest, MaxMaxSnippets)
	}
	if r.MaxChars < 0 || r.MaxChars > MaxMaxChars {
		return fmt.Errorf("%w: max_chars must be between 1 and %d", errBadRequest, MaxMaxChars)
	}
	r.Filepath = strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(r.Filepath, `\`, "/")), "/")
	return nil
}

// Snippet is one piece of context.
type Snippet struct {
	Source    string   `json:"source"`
	Filepath  string   `json:"filepath"`
	StartLine int      `json:"start_line"`
	EndLine   int      `json:"end_line"`
	Language  string   `json:"language"`
	Body      string   `json:"body"`
	Score     float64  `json:"score"`
	Signals   []string `json:"signals"`
}

// ContextResponse is the answer of POST /v1/context.
type ContextResponse struct {
	Snippets []Snippet `json:"snippets"`
	TookMS   float64   `json:"took_ms"`
}

// Retriever ranks context for a cursor position by combining signals from an index: the
// definitions of identifiers used around the cursor, and BM25 over chunks.
type Retriever struct {
	Index codectx.Index
	// Sources lists the source names that can be searched.
	Sources func() []string
	// Query turns text into lexical query terms; Identifiers lists the identifiers of text,
	// nearest to its end first. Both must use the tokenizer the index was built with.
	Query       func(text []byte) []codectx.QueryTerm
	Identifiers func(text []byte) []string
	Log         *slog.Logger

	files dropCache[uint64, *fileInfo] // what was read of indexed files (text, imports, names used), by content
}

// Tuning of the signals. Definitions of names used at the cursor are what the next line needs
// most, so they outrank lexical similarity; BM25 fills the rest of the budget.
const (
	prefixLinesForQuery = 20
	suffixLinesForQuery = 10
	maxIdentifiers      = 24
	definitionsPerName  = 4
	lexicalK            = 24
	weightDefinition    = 1.0
	weightLexical       = 0.45
	// A definition of a name that the code before the cursor already uses counts less (the
	// model sees how it is used) than one of a name only the suffix uses (about to be used).
	weightUsedDefinition = 0.5
	weightNewDefinition  = 1.5
	// The headers of the definitions in the same chunk as a definition found (a const block,
	// the methods beside one) score this share of it.
	weightSibling = 0.5
	maxSiblings   = 4
	// weightForeignMethod scales a method found by name in Python or TS/JS.
	weightForeignMethod = 0.25
)

// addFunc adds a candidate span with a score and the signal that found it; kind is the
// definition's kind when it is one (codectx.Symbol.Kind), else "".
type addFunc func(c codectx.Chunk, start, end int, body string, score float64, signal, kind string)

type candidate struct {
	kind      string
	chunk     codectx.Chunk
	startLine int
	endLine   int
	body      string
	score     float64
	signals   []string
}

// Retrieve answers a validated context request.
func (r *Retriever) Retrieve(ctx context.Context, req ContextRequest) ([]Snippet, error) {
	filter, err := r.filter(req)
	if err != nil {
		return nil, err
	}
	// Without a path, the cursor's file is found by its content, so that it is left out and
	// the signals that start from it (imports, scope) work.
	r.inferPath(ctx, &req, &filter)
	prefixTail := lastLines(req.Prefix, prefixLinesForQuery)
	suffixHead := codectx.FirstLines(req.Suffix, suffixLinesForQuery)

	// Candidates by value in one slice, found by span; their first signals share one slab. The
	// slice and the map are kept between requests (what is returned copies out of them).
	sc := candidatePool.Get().(*candidateScratch)
	defer sc.release()
	cands, all, slab := sc.bySpan, sc.all[:0], sc.slab[:0]
	add := func(c codectx.Chunk, start, end int, body string, score float64, signal, kind string) {
		key := spanKey{c.Source, c.Path, start, end}
		if i, ok := cands[key]; ok {
			cd := &all[i]
			cd.score += score
			cd.signals = append(cd.signals, signal)
			if cd.kind == "" {
				cd.kind = kind
			}
			return
		}
		if len(slab) == cap(slab) {
			slab = make([]string, 0, expectCandidates) // the scratch keeps the first only
		}
		slab = append(slab, signal)
		cands[key] = len(all)
		all = append(all, candidate{chunk: c, startLine: start, endLine: end, body: body, score: score, signals: slab[len(slab)-1 : len(slab) : len(slab)], kind: kind})
	}

	// Each signal runs on its own, so that a failure or a panic in one still lets the others
	// answer.
	// The imports the prefix shows: naming a module's member in an import is not using it.
	lang := requestLanguage(req)
	var prefixImports []imports.Import
	if imports.Supports(lang) {
		prefixImports = imports.Parse(lang, req.Prefix)
	}
	// The identifiers around the cursor, read once for the signals that use them, and the
	// names the code before the cursor uses: the next line more likely needs one it has not
	// used yet. TS/JS imports sit at the top of a module, so one within the last lines says
	// only that the file is short: its names are left to the imports signal. A Python import
	// near the cursor is a local one, and what it binds is about to be used.
	code := withoutLines(req.Prefix, imports.Lines(prefixImports))
	// Above a prefix that is only the last lines (an editor's window), the indexed copy of the
	// file holds the rest of what the file uses.
	above := r.above(ctx, req, filter.Sources)
	// What is before the cursor, from the top of the file: the prefix, or the indexed copy
	// above it and the prefix. The enclosing function's header and, in Go, the cursor's place
	// are read there.
	full := req.Prefix
	if fam := codectx.LanguageFamily(lang); above.at > 0 && (fam == "go" || fam == "python") {
		if strings.HasPrefix(above.text[above.at:], req.Prefix) {
			full = above.text[:above.at+len(req.Prefix)] // the same text, without a copy of the file
		} else {
			full = above.text[:above.at] + req.Prefix
		}
	}
	near := prefixTail
	if codectx.LanguageFamily(lang) == "js" {
		near = lastLines(code, prefixLinesForQuery)
	}
	var before, after, used []string
	var encName string // the function the cursor is in
	if r.Identifiers != nil {
		before, after = r.Identifiers([]byte(near)), r.Identifiers([]byte(suffixHead))
		used = before
		switch {
		case codectx.LanguageFamily(lang) == "go":
			// A name a comment mentions is not used yet: the doc comment of the declaration
			// being written names what it is about.
			used = r.Identifiers(withoutGoComments(code))
		case code != near: // more than the window the query reads
			used = r.Identifiers([]byte(code))
		}
		if above.at > 0 {
			n := len(used)
			for range above.uses {
				n++
			}
			used = append(make([]string, 0, n), used...)
			for name := range above.uses {
				used = append(used, name)
			}
		}
		// The name of the function the cursor is in is declared, not used: a wrapper calls
		// what it is named after.
		if encName = enclosingFuncName(codectx.LanguageFamily(lang), full); encName != "" {
			if i := slices.Index(used, encName); i >= 0 {
				used = slices.Delete(slices.Clone(used), i, i+1)
			}
		}
	}
	usedSet := sc.used
	for _, u := range used {
		usedSet[u] = true
	}
	// Definitions come from code the cursor's file can use: not from tests, unless it is one.
	defFilter := filter
	defFilter.NoTests = req.Filepath != "" && !codectx.IsTestPath(req.Filepath)
	var looked, types []string // the names whose definitions were looked up, and what their signatures name
	r.safely("definitions", func() (err error) {
		looked, types, err = r.definitions(ctx, req, before, after, usedSet, defFilter, add)
		return err
	})
	// The lines around the cursor, which the lexical signal reads too.
	around := prefixTail + "\n" + suffixHead
	// The words of the enclosing function's name count as near the cursor: a function calls
	// what it is named after (MarkPersistentFlagRequired calls MarkFlagRequired), however far
	// up its header is.
	clues := codectx.ScopeClues{
		Used:   used,
		Skip:   looked,
		Types:  types,
		Suffix: after,
		Near:   codectx.Words(lastLines(prefixTail, 3) + "\n" + codectx.FirstLines(suffixHead, 2) + "\n" + encName),
		Around: codectx.Words(around),
	}
	r.safely("imports", func() error {
		return r.importsSignal(ctx, req, lang, prefixImports, clues, before, after, defFilter, add)
	})
	r.safely("scope", func() error {
		return r.scope(ctx, req, clues, defFilter, add)
	})
	var lexHits []codectx.Hit
	r.safely("bm25", func() (err error) {
		lexHits, err = r.lexical(ctx, around, filter, add)
		return err
	})
	// The analogs signal reads the lexical hits. In TS/JS it lowered MRR (yargs 0.687 → 0.562).
	if fam := codectx.LanguageFamily(lang); fam == "go" || fam == "python" {
		r.safely("analogs", func() error {
			return r.analogs(ctx, req, fam, lexHits, usedSet, looked, defFilter, add)
		})
	}

	// Go names made of the names beside the cursor (scanPlanBinaryFloat4ToFloat64Scanner).
	if codectx.LanguageFamily(lang) == "go" {
		r.safely("parts", func() error {
			return r.parts(ctx, req, usedSet, looked, defFilter, add)
		})
	}

	r.recycle(lexHits) // the last signal reading them is done

	list := sc.list[:0]
	for i := range all {
		list = append(list, &all[i])
	}
	sc.list = list
	if codectx.LanguageFamily(lang) == "go" {
		weighByPlace(list, goPlaceOf(full))
		// In a sequence of lines alike, the names between those of the lines beside the cursor.
		weighBySequence(list, sequenceBounds(req.Prefix, req.Suffix), after)
		// The methods of the types at hand (the receiver's fields) over same-named others.
		r.safely("types", func() error {
			types, err := r.goFieldTypes(ctx, req, full, defFilter)
			weighByTypes(list, types)
			return err
		})
	}
	slices.SortFunc(list, func(a, b *candidate) int {
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		if a.chunk.Path != b.chunk.Path {
			return strings.Compare(a.chunk.Path, b.chunk.Path)
		}
		return a.startLine - b.startLine
	})
	sc.all = all
	return pack(list, req.MaxSnippets, req.MaxChars), nil
}

// expectCandidates is how many candidates a typical request gathers.
const expectCandidates = 128

type spanKey struct {
	source, path string
	start, end   int
}

// candidateScratch is the candidates of one request, kept for the next one.
type candidateScratch struct {
	bySpan map[spanKey]int
	all    []candidate
	list   []*candidate    // all, to sort
	used   map[string]bool // the names the code before the cursor uses
	slab   []string        // the candidates' first signals
}

var candidatePool = sync.Pool{New: func() any {
	return &candidateScratch{bySpan: make(map[spanKey]int, expectCandidates), all: make([]candidate, 0, expectCandidates),
		used: make(map[string]bool, expectCandidates), slab: make([]string, 0, expectCandidates)}
}}

// release clears the scratch (it must not keep chunks alive) and returns it to the pool. One
// that grew far past a typical request is left to the collector.
func (sc *candidateScratch) release() {
	if cap(sc.all) > 16*expectCandidates {
		return
	}
	if len(sc.used) > 16*expectCandidates {
		sc.used = make(map[string]bool, expectCandidates) // clearing costs what the map once held
	}
	clear(sc.bySpan)
	clear(sc.used)
	clear(sc.all[:cap(sc.all)])
	clear(sc.list[:cap(sc.list)])
	clear(sc.slab[:cap(sc.slab)])
	sc.all, sc.list = sc.all[:0], sc.list[:0]
	candidatePool.Put(sc)
}

func (r *Retriever) safely(name string, f func() error) {
	defer func() {
		if p := recover(); p != nil {
			r.logger().Error("retrieval signal panicked", "signal", name, "panic", p)
		}
	}()
	if err := f(); err != nil {
		// A request that ran out of time or went away fails every signal after that point:
		// under load that would be a warning per signal per request. The caller counts it.
		level := slog.LevelWarn
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			level = slog.LevelDebug
		}
		r.logger().Log(context.Background(), level, "retrieval signal failed", "signal", name, "err", err)
	}
}

func (r *Retriever) logger() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// filter turns the request's source, git_url, filepath and language into a search filter.
func (r *Retriever) filter(req ContextRequest) (codectx.SearchFilter, error) {
	var f codectx.SearchFilter
	names := r.Sources()
	switch {
	case req.Source != "":
		found := false
		for _, n := range names {
			if n == req.Source {
				found = true
				break
			}
		}
		if !found {
			return f, fmt.Errorf("source %q: %w", req.Source, codectx.ErrNotFound)
		}
		f.Sources = []string{req.Source}
	case req.GitURL != "":
		f.Sources = MatchGitURL(req.GitURL, names)
	}
	if fam := codectx.LanguageFamily(requestLanguage(req)); fam != "" && fam != "doc" {
		f.Families = []string{fam}
	}
	if req.Filepath != "" {
		f.ExcludePath = req.Filepath
		if len(f.Sources) == 1 {
			f.ExcludeSource = f.Sources[0]
		}
	}
	return f, nil
}

// MatchGitURL returns the sources whose repository name matches the one in a git URL
// ("git@github.com:o/r.git", "https://host/o/r", ...), as Tabby matches repositories. A source
// named "r" or "r@branch" matches. With no match, nil: every source is searched.
func MatchGitURL(gitURL string, names []string) []string {
	u := strings.TrimSuffix(strings.TrimRight(strings.TrimSpace(gitURL), "/"), ".git")
	if i := strings.LastIndexAny(u, "/:"); i >= 0 {
		u = u[i+1:]
	}
	if u == "" {
		return nil
	}
	var out []string
	for _, n := range names {
		base := n
		if i := strings.IndexByte(base, '@'); i >= 0 {
			base = base[:i]
		}
		if strings.EqualFold(base, u) {
			out = append(out, n)
		}
	}
	return out
}

// definitions adds the definitions of the identifiers nearest the cursor. It returns the names
// it looked up and the identifiers of the signatures it found (the types the cursor's values
// have, with luck).
//
// before and after are the identifiers of the prefix's tail and the suffix's head, each nearest
// its end first (as Retriever.Identifiers lists them).
func (r *Retriever) definitions(ctx context.Context, req ContextRequest, before, after []string, used map[string]bool, f codectx.SearchFilter, add addFunc) ([]string, []string, error) {
	if r.Identifiers == nil {
		return nil, nil, nil
	}
	// Rank identifiers by distance from the cursor: the prefix read backwards from the cursor,
	// interleaved with the suffix read forwards. A name's rank is its index in names: there are
	// at most maxIdentifiers of them, and a scan costs less than a map.
	after = reverse(after)
	var names []string
	for i := 0; len(names) < maxIdentifiers && (i < len(before) || i < len(after)); i++ {
		for _, list := range [][]string{before, after} {
			if i < len(list) && len(names) < maxIdentifiers && !slices.Contains(names, list[i]) {
				names = append(names, list[i])
			}
		}
	}
	if len(names) == 0 {
		return nil, nil, nil
	}
	f.Near = req.Filepath
	hits, err := r.Index.Definitions(ctx, names, f, definitionsPerName)
	if err != nil {
		return names, nil, err
	}
	defer r.recycle(hits)
	var types []string
	seenType := map[string]bool{}
	// The hits of each name, by rank; hits come grouped by name, in the order of names.
	var perName [maxIdentifiers]int
	var buf [maxIdentifiers * definitionsPerName]int
	ranks := buf[:0] // by hit: the rank of its name, or -1
	for i, h := range hits {
		pos := -1
		switch {
		case h.Symbol == nil:
		case i > 0 && hits[i-1].Symbol != nil && hits[i-1].Symbol.Name == h.Symbol.Name:
			pos = ranks[i-1]
		default:
			pos = slices.Index(names, h.Symbol.Name)
		}
		if ranks = append(ranks, pos); pos >= 0 {
			perName[pos]++
		}
	}
	// Each name's signal, made once for all its hits.
	var signals [maxIdentifiers]string
	for pos, count := range perName {
		if count > 0 {
			signals[pos] = "symbol:" + names[pos]
		}
	}
	dir := path.Dir(req.Filepath)
	top := topDir(dir)
	fam := codectx.LanguageFamily(requestLanguage(req))
	importing := fam == "python" || fam == "js"
	for i, h := range hits {
		pos := ranks[i]
		if pos < 0 {
			continue
		}
		s := *h.Symbol
		score := weightDefinition / (1 + 0.08*float64(pos))
		// A name defined in many places says little about which definition is meant.
		score /= math.Sqrt(float64(perName[pos]))
		// A name the suffix uses and the prefix does not is about to be used.
		if used[s.Name] {
			score *= weightUsedDefinition
		} else {
			score *= weightNewDefinition
		}
		// In Python and TS/JS a method is called on an object, and its name alone says little
		// about which class's method it is (the cursor's own class is in its own file).
		if s.Kind == "method" && importing {
			score *= weightForeignMethod
		}
		if req.Filepath != "" {
			switch hd := path.Dir(h.Path); {
			case hd == dir:
				score *= 2
			case strings.HasPrefix(hd, top) && (len(hd) == len(top) || hd[len(top)] == '/'): // in top, or top itself
				score *= 1.2
			}
		}
		start, end := clampSpan(h.Chunk, s.StartLine, s.EndLine)
		add(h.Chunk, start, end, "", score, signals[pos], s.Kind) // the body is cut when packed
		// The definitions beside it (a const block, a type's methods) are often what comes
		// next: the headers of the nearest few in its chunk, under the definition.
		if perName[pos] == 1 {
			for _, o := range siblings(h.Chunk, s, maxSiblings) {
				add(h.Chunk, o.StartLine, o.StartLine, o.header, weightSibling*score, "sibling:"+o.Name, o.Kind)
			}
		}
		if perName[pos] == 1 {
			for _, id := range r.Identifiers([]byte(spanBody(h.Chunk, start, start))) {
				if id != s.Name && !seenType[id] {
					seenType[id] = true
					types = append(types, id)
				}
			}
		}
	}
	return names, types, nil
}

// scopeHeaders is how many definitions of the cursor's folder the scope signal proposes. Each
// is one line: a signature costs a tenth of a chunk.
const scopeHeaders = 32

// weightScope scales the scope signal's scores (codectx.ScopeScore) under the definitions of
// names near the cursor: those are what the next line needs; the folder's other definitions
// are a guess. A header without a clue ranks under the best lexical hit.
const weightScope = 0.6

// weightScopeImporting further scales the scope signal for languages whose files reach other
// files only through imports (Python, TS/JS).
const weightScopeImporting = 0.5

// scopeBudgetShare is the share of a request's max_chars that headers take at their score;
// the rest rank under the best lexical hit (weightScopeOverRoom), to fill what is left.
const scopeBudgetShare = 0.4

const weightScopeOverRoom = 0.2

// scope proposes the definitions of the cursor's folder (its package, for Go) other than those
// the definitions signal looked up (looked), as one-line headers: the next line often calls
// something the file has not called yet, and that name is, by nature, not near the cursor. The
// index ranks them by clues around the cursor (codectx.ScopeScore).
func (r *Retriever) scope(ctx context.Context, req ContextRequest, clues codectx.ScopeClues, f codectx.SearchFilter, add addFunc) error {
	if req.Filepath == "" || r.Identifiers == nil {
		return nil
	}
	fam := codectx.LanguageFamily(requestLanguage(req))
	hits, err := r.Index.Scope(ctx, path.Dir(req.Filepath), clues, f, withSpare(fam, scopeHeaders))
	if err != nil {
		return err
	}
	defer r.recycle(hits)
	hits = kindWeighted(fam, hits, scopeHeaders)
	// Headers take scopeBudgetShare of the budget at their score, so that the best lexical
	// chunk keeps room; the others come after it.
	room := int(scopeBudgetShare * float64(req.MaxChars))
	w := weightScope
	switch fam {
	case "python", "js":
		// There a file uses only what it imports (which the imports signal proposes): the rest
		// of its folder is a weaker guess than in Go, where the package is in scope.
		w *= weightScopeImporting
	}
	// The hits' signal names ("scope:" and the name) are cut from one string: one allocation.
	var sb strings.Builder
	n := 0
	for _, h := range hits {
		n += len("scope:") + len(h.Symbol.Name)
	}
	sb.Grow(n)
	for _, h := range hits {
		sb.WriteString("scope:")
		sb.WriteString(h.Symbol.Name)
	}
	signals := sb.String()
	for _, h := range hits {
		ww := w
		if room -= len(h.Body) + 1; room < 0 {
			ww *= weightScopeOverRoom
		}
		k := len("scope:") + len(h.Symbol.Name)
		add(h.Chunk, h.StartLine, h.EndLine, h.Body, ww*h.Score, signals[:k], h.Symbol.Kind)
		signals = signals[k:]
	}
	return nil
}

// hitRecycler is an Index that takes back the slices of its answers (embedded.Store).
type hitRecycler interface{ RecycleHits([]codectx.Hit) }

// recycle hands hits back to the index, if it takes them, once nothing reads them any more.
func (r *Retriever) recycle(hits []codectx.Hit) {
	if rc, ok := r.Index.(hitRecycler); ok && hits != nil {
		rc.RecycleHits(hits)
	}
}

func (r *Retriever) lexical(ctx context.Context, text string, f codectx.SearchFilter, add addFunc) ([]codectx.Hit, error) {
	if r.Query == nil {
		return nil, nil
	}
	terms := r.Query([]byte(text))
	if len(terms) == 0 {
		return nil, nil
	}
	hits, err := r.Index.Lexical(ctx, terms, f, lexicalK)
	if err != nil {
		return nil, err
	}
	if len(hits) == 0 {
		return nil, nil
	}
	top := hits[0].Score
	for _, h := range hits {
		if top <= 0 {
			break
		}
		add(h.Chunk, h.StartLine, h.EndLine, h.Body, weightLexical*h.Score/top, "bm25", "")
	}
	return hits, nil
}

// clampSpan limits the lines start..end to the chunk.
func clampSpan(c codectx.Chunk, start, end int) (int, int) {
	if start < c.StartLine || start > c.EndLine {
		start = c.StartLine
	}
	if end > c.EndLine || end < start {
		end = c.EndLine
	}
	return start, end
}

// spanBody cuts the lines start..end (within the chunk) out of its body.
func spanBody(c codectx.Chunk, start, end int) string {
	if start == c.StartLine && end == c.EndLine {
		return c.Body
	}
	body := c.Body
	skip := max(start-c.StartLine, 0)
	from := lineOffset(body, skip)
	to := from + lineOffset(body[from:], end-c.StartLine+1-skip) // on from where the span starts
	if from >= to {
		return c.Body
	}
	return strings.TrimSuffix(body[from:to], "\n")
}

// lineOffset returns the byte offset where line n (0-based) of s starts, or len(s).
func lineOffset(s string, n int) int {
	off := 0
	for ; n > 0; n-- {
		i := strings.IndexByte(s[off:], '\n')
		if i < 0 {
			return len(s)
		}
		off += i + 1
	}
	return off
}

// pack takes candidates best first, drops spans that overlap a better one in the same file,
// and keeps what fits in maxChars. A candidate too large for what is left is cut to its first
// lines when at least a few of them fit.
func pack(list []*candidate, maxSnippets, maxChars int) []Snippet {
	out := make([]Snippet, 0, min(maxSnippets, len(list)))
	left := maxChars
	type span struct{ start, end int }
	type keptSpan struct {
		source, path string
		span
	}
	var keptBuf [16]keptSpan
	kept := keptBuf[:0] // few: at most a snippet each
	var scratch [4]span
	for _, c := range list {
		if len(out) >= maxSnippets || left <= 0 {
			break
		}
		// A span that overlaps what is already taken from its file keeps only its new lines:
		// a definition taken first must not cost the rest of the chunk around it.
		pieces := append(scratch[:0], span{c.startLine, c.endLine})
		for _, ks := range kept {
			if ks.path != c.chunk.Path || ks.source != c.chunk.Source {
				continue
			}
			k := ks.span
			var next []span
			for _, p := range pieces {
				if p.end < k.start || k.end < p.start {
					next = append(next, p)
					continue
				}
				if p.start < k.start {
					next = append(next, span{p.start, k.start - 1})
				}
				if k.end < p.end {
					next = append(next, span{k.end + 1, p.end})
				}
			}
			pieces = next
		}
		whole := len(pieces) == 1 && pieces[0] == span{c.startLine, c.endLine}
		for _, p := range pieces {
			if len(out) >= maxSnippets || left <= 0 {
				break
			}
			body, end := c.body, p.end
			if body == "" || !whole {
				body = spanBody(c.chunk, p.start, p.end)
			}
			if !whole && len(strings.TrimSpace(body)) < minPieceChars {
				continue // a brace or a blank line left over says nothing
			}
			if len(body) > left {
				body, end = cutLines(body, p.start, left)
				if len(body) < 40 {
					continue
				}
			}
			left -= len(body)
			kept = append(kept, keptSpan{c.chunk.Source, c.chunk.Path, span{p.start, end}})
			out = append(out, Snippet{
				Source: c.chunk.Source, Filepath: c.chunk.Path, StartLine: p.start, EndLine: end,
				Language: c.chunk.Language, Body: body, Score: math.Round(c.score*1e4) / 1e4, Signals: c.signals,
			})
		}
	}
	// The signals lists point into the request's scratch: the answer gets its own copy.
	n := 0
	for _, sn := range out {
		n += len(sn.Signals)
	}
	own := make([]string, 0, n)
	for i := range out {
		own = append(own, out[i].Signals...)
		out[i].Signals = own[len(own)-len(out[i].Signals) : len(own) : len(own)]
	}
	return out
}

// minPieceChars is the least text worth sending from what is left of a span once the lines
// already taken are cut out of it.
const minPieceChars = 40

// cutLines keeps the first whole lines of body that fit in max bytes, and returns the last
// line kept.
func cutLines(body string, startLine, max int) (string, int) {
	n, line := 0, startLine-1
	for n < len(body) {
		next := len(body)
		if i := strings.IndexByte(body[n:], '\n'); i >= 0 {
			next = n + i + 1
		}
		if len(strings.TrimSuffix(body[:next], "\n")) > max {
			break
		}
		n = next
		line++
	}
	return strings.TrimSuffix(body[:n], "\n"), line
}

func lastLines(s string, n int) string {
	i := len(s)
	for k := 0; k <= n && i > 0; k++ {
		j := strings.LastIndexByte(s[:i], '\n')
		if j < 0 {
			return s
		}
		if k == n {
			return s[j+1:]
		}
		i = j
	}
	return s[i:]
}

func topDir(dir string) string {
	if i := strings.IndexByte(dir, '/'); i >= 0 {
		return dir[:i]
	}
	return dir
}

func reverse(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// requestLanguage is the request's language, or the one its path suggests.
func requestLanguage(req ContextRequest) string {
	if lang := codectx.NormalizeLanguage(req.Language); lang != "" {
		return lang
	}
	if req.Filepath != "" {
		return codectx.LanguageForPath(req.Filepath)
	}
	return ""
}

// withoutLines returns text without the lines (1-based) in skip.
func withoutLines(text string, skip map[int]bool) string {
	if len(skip) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	for n := 1; text != ""; n++ {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line = text[:i+1]
		}
		text = text[len(line):]
		if !skip[n] {
			b.WriteString(line)
		}
	}
	return b.String()
}

// sibling is a definition beside another in its chunk, with its header line.
type sibling struct {
	codectx.Symbol
	header string
}

// siblings returns at most n other definitions of chunk c, nearest to s first (in the chunk's
// order among equals). Only the headers of those returned are cut out of the body.
func siblings(c codectx.Chunk, s codectx.Symbol, n int) []sibling {
	dist := func(o codectx.Symbol) int {
		if d := o.StartLine - s.StartLine; d >= 0 {
			return d
		}
		return s.StartLine - o.StartLine
	}
	var buf [32]int32
	near := buf[:0] // indexes into c.Symbols
	for i, o := range c.Symbols {
		if o.Name == s.Name || o.StartLine < c.StartLine || o.StartLine > c.EndLine || o.Kind == "heading" {
			continue
		}
		near = append(near, int32(i))
	}
	slices.SortStableFunc(near, func(a, b int32) int { return dist(c.Symbols[a]) - dist(c.Symbols[b]) })
	var out []sibling
	for _, i := range near {
		o := c.Symbols[i]
		if len(out) == n {
			break
		}
		header := strings.TrimRight(spanBody(c, o.StartLine, o.StartLine), " \t\r{")
		if strings.TrimSpace(header) == "" {
			continue
		}
		out = append(out, sibling{o, header})
	}
	return out
}
