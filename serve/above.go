package serve

import (
	"context"
	"hash/fnv"
	"strings"
	"sync"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers/imports"
)

// Editors send only the last lines before the cursor (tabby-agent: 20). What the file uses
// above them still tells which names are already in use, and in Go where the cursor is; the
// indexed copy of the file holds those lines, as of its last sync.

// minAnchor is the least text the first lines of the prefix must hold to be looked for in the
// indexed copy: a shorter one (a brace, a blank line) matches too many places.
const minAnchor = 24

// fileAbove is the indexed copy of the cursor's file, and where in it the request's prefix
// begins (0: unknown, or the top of the file).
type fileAbove struct {
	*fileInfo
	at int
}

// uses reports the names the file uses above the prefix.
func (f fileAbove) uses(yield func(string) bool) {
	if f.fileInfo == nil {
		return
	}
	for _, u := range f.firstUses() {
		if int(u.off) >= f.at || !yield(u.name) {
			return
		}
	}
}

// above returns the indexed copy of the cursor's file and where the request's prefix begins in
// it; at is 0 when the prefix begins at the top of the file, the index does not hold the file,
// or the prefix's first lines are not in it (the file changed since it was indexed).
func (r *Retriever) above(ctx context.Context, req ContextRequest, sources []string) fileAbove {
	if req.Filepath == "" {
		return fileAbove{}
	}
	anchor := ""
	for n := 3; n <= 8; n++ {
		if anchor = codectx.FirstLines(req.Prefix, n); len(strings.TrimSpace(anchor)) >= minAnchor || anchor == req.Prefix {
			break
		}
	}
	if len(strings.TrimSpace(anchor)) < minAnchor || !strings.HasSuffix(anchor, "\n") {
		return fileAbove{} // too little to place, or the whole prefix is one unfinished line
	}
	if len(sources) == 0 {
		sources = r.Sources()
	}
	for _, s := range sources {
		info, err := r.fileInfo(ctx, s, req.Filepath)
		if err != nil || info == nil {
			continue
		}
		if i := strings.Index(info.text, anchor); i > 0 && info.text[i-1] == '\n' {
			return fileAbove{info, i}
		}
		return fileAbove{}
	}
	return fileAbove{}
}

// fileInfo is what the retriever keeps of an indexed file, read once per version of it.
type fileInfo struct {
	text    string // its lines where they were (lines no chunk holds are blank)
	lang    string
	imports []imports.Import // its imports, for the languages whose imports are read

	usesOnce sync.Once
	firstUse []nameAt // see firstUses
}

// nameAt is a name and the offset of its first use in a file's text.
type nameAt struct {
	name string
	off  int32
}

// firstUses returns the names the file uses, each with the offset in text of its first use,
// in the order of those offsets: comments (Go) and import lines are not uses. It is worked
// out on first call. (A slice in file order, not a map: a request reads the names above a
// point, which is a prefix of it.)
func (f *fileInfo) firstUses() []nameAt {
	f.usesOnce.Do(func() {
		seen := map[string]bool{}
		src := f.text
		if codectx.LanguageFamily(f.lang) == "go" {
			src = string(withoutGoComments(src))
		}
		skip := imports.Lines(f.imports)
		off := 0
		for n := 1; off < len(src); n++ {
			end := len(src)
			if i := strings.IndexByte(src[off:], '\n'); i >= 0 {
				end = off + i + 1
			}
			if !skip[n] {
				base := off
				eachIdentAt(src[off:end], func(at int, id string) {
					if !seen[id] {
						seen[id] = true
						f.firstUse = append(f.firstUse, nameAt{id, int32(base + at)})
					}
				})
			}
			off = end
		}
	})
	return f.firstUse
}

// fileInfo returns what the retriever keeps of an indexed file, nil when the index does not
// hold it. It is cached by the ids of the file's chunks.
func (r *Retriever) fileInfo(ctx context.Context, source, p string) (*fileInfo, error) {
	chunks, err := r.Index.File(ctx, source, p)
	if err != nil || len(chunks) == 0 {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte(source))
	h.Write([]byte{0})
	h.Write([]byte(p))
	for _, c := range chunks {
		h.Write([]byte{0})
		h.Write([]byte(c.ID))
	}
	key := h.Sum64()
	if v, ok := r.files.get(key); ok {
		return v, nil
	}
	var text strings.Builder
	line := 1
	for _, c := range chunks {
		for ; line < c.StartLine; line++ {
			text.WriteByte('\n')
		}
		if line > c.StartLine {
			continue // overlapping chunks: the first one's lines stand
		}
		text.WriteString(c.Body)
		text.WriteByte('\n')
		line = c.EndLine + 1
	}
	info := &fileInfo{text: text.String(), lang: chunks[0].Language}
	if imports.Supports(info.lang) {
		info.imports = imports.Parse(info.lang, info.text)
	}
	// The size: the text, and roughly what its names take once read.
	r.files.put(key, info, 2*len(info.text), fileCacheSize, fileCacheBytes)
	return info, nil
}

// Retriever.files keeps what the retriever read of recent files: an editor asks about a few
// files many times. It holds at most fileCacheSize files and about fileCacheBytes.
const (
	fileCacheSize  = 1024
	fileCacheBytes = 64 << 20
)
