package eval

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Snippet is one piece of context a retriever returns.
type Snippet struct {
	File      string
	StartLine int
	EndLine   int
	Body      string
	// Why says what chose the snippet, where the retriever tells (codectx: its signals).
	Why string
}

// Retriever answers the eval's tasks. Rank returns the best snippets first (the eval reads
// the first ten); Pack returns what the retriever would put into a prompt of budget
// characters. Neither may return the task's own file.
type Retriever interface {
	Name() string
	Rank(t Task) ([]Snippet, error)
	Pack(t Task, budget int) ([]Snippet, error)
}

// rankDepth is how many snippets a baseline ranks, enough to fill the largest budget.
const rankDepth = 50

// packGreedy takes snippets in rank order, skipping one whose body no longer fits.
func packGreedy(ranked []Snippet, budget int) []Snippet {
	var out []Snippet
	left := budget
	for _, s := range ranked {
		if len(s.Body) <= left {
			out = append(out, s)
			left -= len(s.Body)
		}
	}
	return out
}

// words splits text into \w+ tokens (letters, digits and underscores).
func words(text string) []string {
	var out []string
	start := -1
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		isWord := r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
		if isWord && start < 0 {
			start = i
		} else if !isWord && start >= 0 {
			out = append(out, text[start:i])
			start = -1
		}
		i += n
	}
	if start >= 0 {
		out = append(out, text[start:])
	}
	return out
}

// lastLines returns the last n lines of text (a trailing newline ends the last line).
func lastLines(text string, n int) []string {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// doc is one retrievable window of a file.
type doc struct {
	Snippet
	tokens []string
}

// bm25 is a plain Okapi BM25 index (k1 = 1.2, b = 0.75) over windows.
type bm25 struct {
	docs     []doc
	postings map[string][]posting
	avgLen   float64
}

type posting struct {
	doc int
	tf  int
}

func newBM25(docs []doc) *bm25 {
	x := &bm25{docs: docs, postings: map[string][]posting{}}
	total := 0
	for i, d := range docs {
		tf := map[string]int{}
		for _, t := range d.tokens {
			tf[t]++
		}
		for t, n := range tf {
			x.postings[t] = append(x.postings[t], posting{i, n})
		}
		total += len(d.tokens)
	}
	if len(docs) > 0 {
		x.avgLen = float64(total) / float64(len(docs))
	}
	return x
}

// search ranks the windows outside exclude by BM25 for the query tokens (each once), with at
// most perFile windows of one file (0: no cap), best first and ties by file and line.
func (x *bm25) search(query []string, exclude string, perFile, k int) []Snippet {
	const k1, b = 1.2, 0.75
	scores := map[int]float64{}
	seen := map[string]bool{}
	n := float64(len(x.docs))
	for _, q := range query {
		if seen[q] {
			continue
		}
		seen[q] = true
		ps := x.postings[q]
		if len(ps) == 0 {
			continue
		}
		idf := math.Log(1 + (n-float64(len(ps))+0.5)/(float64(len(ps))+0.5))
		for _, p := range ps {
			dl := float64(len(x.docs[p.doc].tokens))
			tf := float64(p.tf)
			scores[p.doc] += idf * tf * (k1 + 1) / (tf + k1*(1-b+b*dl/x.avgLen))
		}
	}
	return topK(x.docs, scores, exclude, perFile, k)
}

func topK(docs []doc, scores map[int]float64, exclude string, perFile, k int) []Snippet {
	ids := make([]int, 0, len(scores))
	for id, s := range scores {
		if s > 0 && docs[id].File != exclude {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := ids[i], ids[j]
		if scores[a] != scores[b] {
			return scores[a] > scores[b]
		}
		if docs[a].File != docs[b].File {
			return docs[a].File < docs[b].File
		}
		return docs[a].StartLine < docs[b].StartLine
	})
	var out []Snippet
	per := map[string]int{}
	for _, id := range ids {
		if len(out) >= k {
			break
		}
		d := docs[id]
		if perFile > 0 && per[d.File] >= perFile {
			continue
		}
		per[d.File]++
		out = append(out, d.Snippet)
	}
	return out
}

// sortedPaths returns the keys of files in order.
func sortedPaths(files map[string][]byte) []string {
	out := make([]string, 0, len(files))
	for p := range files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func splitLines(src []byte) []string {
	return strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")
}

// Tabby is the retrieval Tabby puts into its prompts, as the eval models it: BM25 over \w+
// tokens of about 512-character chunks, queried with the last 20 lines of the prefix, at most
// two chunks from one file.
type Tabby struct{ x *bm25 }

// NewTabby indexes files (path -> content).
func NewTabby(files map[string][]byte) *Tabby {
	var docs []doc
	for _, p := range sortedPaths(files) {
		lines := splitLines(files[p])
		for i := 0; i < len(lines); {
			j, size := i, 0
			for j < len(lines) && (size == 0 || size+len(lines[j])+1 <= 512) {
				size += len(lines[j]) + 1
				j++
			}
			body := strings.Join(lines[i:j], "\n")
			docs = append(docs, doc{Snippet{File: p, StartLine: i + 1, EndLine: j, Body: body}, words(body)})
			i = j
		}
	}
	return &Tabby{newBM25(docs)}
}

func (*Tabby) Name() string { return "tabby-like" }

func (r *Tabby) Rank(t Task) ([]Snippet, error) {
	q := words(strings.Join(lastLines(t.Prefix, 20), "\n"))
	return r.x.search(q, t.File, 2, rankDepth), nil
}

func (r *Tabby) Pack(t Task, budget int) ([]Snippet, error) {
	s, err := r.Rank(t)
	return packGreedy(s, budget), err
}

// CCEBM25 is the BM25 retrieval of the CrossCodeEval benchmark: the non-empty lines of each
// file in chunks of ten, queried with the last ten non-empty lines of the prefix.
type CCEBM25 struct{ x *bm25 }

// NewCCEBM25 indexes files (path -> content).
func NewCCEBM25(files map[string][]byte) *CCEBM25 {
	var docs []doc
	for _, p := range sortedPaths(files) {
		type numbered struct {
			n    int
			text string
		}
		var nonEmpty []numbered
		for i, l := range splitLines(files[p]) {
			if strings.TrimSpace(l) != "" {
				nonEmpty = append(nonEmpty, numbered{i + 1, l})
			}
		}
		for i := 0; i < len(nonEmpty); i += 10 {
			j := min(i+10, len(nonEmpty))
			var b strings.Builder
			for k := i; k < j; k++ {
				if k > i {
					b.WriteByte('\n')
				}
				b.WriteString(nonEmpty[k].text)
			}
			body := b.String()
			docs = append(docs, doc{Snippet{File: p, StartLine: nonEmpty[i].n, EndLine: nonEmpty[j-1].n, Body: body}, words(body)})
		}
	}
	return &CCEBM25{newBM25(docs)}
}

func (*CCEBM25) Name() string { return "cce-bm25" }

func (r *CCEBM25) Rank(t Task) ([]Snippet, error) {
	var q []string
	lines := strings.Split(t.Prefix, "\n")
	for i := len(lines) - 1; i >= 0 && len(q) < 10; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			q = append(q, lines[i])
		}
	}
	return r.x.search(words(strings.Join(q, "\n")), t.File, 0, rankDepth), nil
}

func (r *CCEBM25) Pack(t Task, budget int) ([]Snippet, error) {
	s, err := r.Rank(t)
	return packGreedy(s, budget), err
}

// RepoCoder is the sparse retrieval of RepoCoder: 20-line windows stepping 10 lines, ranked by
// the Jaccard similarity of their token sets with the last 20 lines of the prefix.
type RepoCoder struct {
	docs  []doc
	sets  [][]int // sorted token ids of each window
	vocab map[string]int
}

// NewRepoCoder indexes files (path -> content).
func NewRepoCoder(files map[string][]byte) *RepoCoder {
	r := &RepoCoder{vocab: map[string]int{}}
	for _, p := range sortedPaths(files) {
		lines := splitLines(files[p])
		for i := 0; i < len(lines); i += 10 {
			j := min(i+20, len(lines))
			body := strings.Join(lines[i:j], "\n")
			r.docs = append(r.docs, doc{Snippet: Snippet{File: p, StartLine: i + 1, EndLine: j, Body: body}})
			r.sets = append(r.sets, r.set(words(body), true))
			if j == len(lines) {
				break
			}
		}
	}
	return r
}

func (r *RepoCoder) set(tokens []string, grow bool) []int {
	seen := map[int]bool{}
	unknown := map[string]int{}
	var out []int
	for _, t := range tokens {
		id, ok := r.vocab[t]
		if !ok {
			if !grow {
				// Unknown to every window: it counts only in the union.
				if id, ok = unknown[t]; !ok {
					id = -1 - len(unknown)
					unknown[t] = id
				}
			} else {
				id = len(r.vocab)
				r.vocab[t] = id
			}
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Ints(out)
	return out
}

func (*RepoCoder) Name() string { return "repocoder-jaccard" }

func (r *RepoCoder) Rank(t Task) ([]Snippet, error) {
	q := r.set(words(strings.Join(lastLines(t.Prefix, 20), "\n")), false)
	scores := map[int]float64{}
	for i, s := range r.sets {
		inter, a, b := 0, 0, 0
		for a < len(q) && b < len(s) {
			switch {
			case q[a] == s[b]:
				inter++
				a++
				b++
			case q[a] < s[b]:
				a++
			default:
				b++
			}
		}
		if inter > 0 {
			scores[i] = float64(inter) / float64(len(q)+len(s)-inter)
		}
	}
	return topK(r.docs, scores, t.File, 0, rankDepth), nil
}

func (r *RepoCoder) Pack(t Task, budget int) ([]Snippet, error) {
	s, err := r.Rank(t)
	return packGreedy(s, budget), err
}

var (
	_ Retriever = (*Tabby)(nil)
	_ Retriever = (*CCEBM25)(nil)
	_ Retriever = (*RepoCoder)(nil)
)
