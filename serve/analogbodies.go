package serve

import (
	"slices"
	"strings"
)

// bodyNames is what the analogs signal reads in a hit's body: its identifiers (see eachIdentAt),
// each once, and where each line uses which. It does not depend on the request: the lexical hits
// of a folder recur from request to request (an editor asks about the same file again and
// again), and scanning their bytes was most of the signal's cost, so it is kept (analogBodies).
type bodyNames struct {
	body  string    // the body read; also what tells a chunk id reused for another body
	names []nameKey // the distinct identifiers, in the order of their first use
	uses  []int32   // the index in names of each identifier, in order
	lines []int32   // where each line starts in uses, then len(uses)
}

// scanBody reads body, with sc's scan, uses and lines as scratch: the bodyNames it returns is
// allocated at its size.
func scanBody(body string, sc *analogScratch) *bodyNames {
	t := &sc.scan
	defer t.reset()
	uses, lines := sc.uses[:0], sc.lines[:0]
	for rest := body; rest != ""; {
		line := rest
		if j := strings.IndexByte(rest, '\n'); j >= 0 {
			line, rest = rest[:j], rest[j+1:]
		} else {
			rest = ""
		}
		lines = append(lines, int32(len(uses)))
		for p := 0; p < len(line); {
			class := identClass[line[p]]
			if class == 0 {
				p++
				continue
			}
			start := p
			for p++; p < len(line) && identClass[line[p]] != 0; p++ {
			}
			if class == digit || p-start < 2 { // a number, or a one-letter name
				continue
			}
			id := line[start:p]
			h := hashName(id)
			k, slot := t.find(id, h)
			if k < 0 {
				k = t.add(slot, id, h)
			}
			uses = append(uses, k)
		}
	}
	lines = append(lines, int32(len(uses)))
	sc.uses, sc.lines = uses, lines
	return &bodyNames{body: body, names: slices.Clone(t.keys), uses: slices.Clone(uses), lines: slices.Clone(lines)}
}

// analogBodies keeps the bodyNames of recent hits, by chunk id: at most bodyCacheSize bodies
// and about bodyCacheBytes.
var analogBodies dropCache[string, *bodyNames]

const (
	bodyCacheSize  = 4096
	bodyCacheBytes = 32 << 20
)

// cachedBody returns the bodyNames kept for the chunk id with body, or nil. An id kept for
// another body has it read again. The index's own body compares equal at once: the same
// address.
func cachedBody(id, body string) *bodyNames {
	if b, ok := analogBodies.get(id); ok && b.body == body {
		return b
	}
	return nil
}

// keepBody keeps b, the body too: once the index drops it, the cache still holds it.
func keepBody(id string, b *bodyNames) {
	size := len(b.body) + 24*len(b.names) + 4*len(b.uses) + 4*len(b.lines) + 64
	analogBodies.put(id, b, size, bodyCacheSize, bodyCacheBytes)
}
