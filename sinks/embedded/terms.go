package embedded

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/codectx/codectx"
)

// termsFormat is the first byte of an encoded terms blob, so that the encoding can change.
const termsFormat = 1

// encodeTerms appends the compact binary form of terms (sorted by token) to dst:
// a format byte, the count, then for each term the length of the prefix it shares with the
// previous token, the rest of the token and the frequency, all as uvarints.
func encodeTerms(dst []byte, terms []codectx.Term) []byte {
	dst = append(dst, termsFormat)
	dst = binary.AppendUvarint(dst, uint64(len(terms)))
	prev := ""
	for _, t := range terms {
		shared := 0
		for shared < len(prev) && shared < len(t.Token) && prev[shared] == t.Token[shared] {
			shared++
		}
		dst = binary.AppendUvarint(dst, uint64(shared))
		dst = binary.AppendUvarint(dst, uint64(len(t.Token)-shared))
		dst = append(dst, t.Token[shared:]...)
		dst = binary.AppendUvarint(dst, uint64(t.Freq))
		prev = t.Token
	}
	return dst
}

var errCorruptTerms = errors.New("corrupt terms blob")

// decodeTerms calls fn for each term of an encoded blob. The token bytes passed to fn are only
// valid during the call.
func decodeTerms(b []byte, fn func(token []byte, freq uint32)) error {
	if len(b) == 0 {
		return nil
	}
	var tok []byte
	_, err := readTerms(b, &tok, nil, fn)
	return err
}

// readTerms decodes one terms blob at the start of b and returns what follows it. buf is a
// scratch buffer for the tokens; count, unless nil, is told the number of terms before fn
// gets them; fn may be nil to skip the terms.
func readTerms(b []byte, buf *[]byte, count func(n int), fn func(token []byte, freq uint32)) ([]byte, error) {
	if len(b) == 0 {
		return nil, errCorruptTerms
	}
	if b[0] != termsFormat {
		return nil, fmt.Errorf("%w: format %d", errCorruptTerms, b[0])
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, errCorruptTerms
	}
	b = b[k:]
	if count != nil {
		if n > uint64(len(b)) {
			return nil, errCorruptTerms
		}
		count(int(n))
	}
	tok := (*buf)[:0]
	defer func() { *buf = tok }()
	for i := uint64(0); i < n; i++ {
		shared, k := binary.Uvarint(b)
		if k <= 0 || shared > uint64(len(tok)) {
			return nil, errCorruptTerms
		}
		b = b[k:]
		rest, k := binary.Uvarint(b)
		if k <= 0 || rest > uint64(len(b)-k) {
			return nil, errCorruptTerms
		}
		b = b[k:]
		tok = append(tok[:shared], b[:rest]...)
		b = b[rest:]
		freq, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, errCorruptTerms
		}
		b = b[k:]
		if fn != nil {
			fn(tok, uint32(freq))
		}
	}
	return b, nil
}

// fileFormat is the first byte of a file's chunks blob.
const fileFormat = 2

// Flags of a chunk record in a file's chunks blob.
const (
	chunkIDHex   = 1 << iota // the id is 32 lowercase hex digits, stored as 16 bytes
	chunkHashHex             // the content hash is 32 lowercase hex digits, stored as 16 bytes
	chunkLang                // the chunk's language differs from the file's and follows
)

// appendFileChunks appends the chunks blob of a file to dst. The bodies are stored apart,
// concatenated in the order of the chunks.
// The blob holds a format byte and the chunk count, then for each chunk: flags, id, content
// hash, language (when it is not the file's), start line, line count, body length, token
// count, symbols (name, kind, lines relative to the chunk) and its encoded terms.
func appendFileChunks(dst []byte, fileLang string, chunks []preparedChunk) []byte {
	dst = append(dst, fileFormat)
	dst = binary.AppendUvarint(dst, uint64(len(chunks)))
	for _, pc := range chunks {
		c := pc.chunk
		var flags uint64
		if isHex32(c.ID) {
			flags |= chunkIDHex
		}
		if isHex32(c.ContentHash) {
			flags |= chunkHashHex
		}
		if c.Language != fileLang {
			flags |= chunkLang
		}
		dst = binary.AppendUvarint(dst, flags)
		dst = appendID(dst, c.ID, flags&chunkIDHex != 0)
		dst = appendID(dst, c.ContentHash, flags&chunkHashHex != 0)
		if flags&chunkLang != 0 {
			dst = appendString(dst, c.Language)
		}
		dst = binary.AppendVarint(dst, int64(c.StartLine))
		dst = binary.AppendVarint(dst, int64(c.EndLine-c.StartLine))
		dst = binary.AppendUvarint(dst, uint64(len(c.Body)))
		dst = binary.AppendUvarint(dst, uint64(pc.length))
		dst = binary.AppendUvarint(dst, uint64(len(c.Symbols)))
		for _, s := range c.Symbols {
			dst = appendString(dst, s.Name)
			dst = appendString(dst, s.Kind)
			dst = binary.AppendVarint(dst, int64(s.StartLine-c.StartLine))
			dst = binary.AppendVarint(dst, int64(s.EndLine-s.StartLine))
		}
		dst = encodeTerms(dst, pc.terms)
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendID(dst []byte, s string, packed bool) []byte {
	if !packed {
		return appendString(dst, s)
	}
	var raw [16]byte
	hex.Decode(raw[:], []byte(s)) // isHex32 checked it
	return append(dst, raw[:]...)
}

// isHex32 reports whether s is 32 lowercase hex digits, the form of ids and content hashes,
// which round-trips through 16 raw bytes.
func isHex32(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

var errCorruptFile = errors.New("corrupt file blob")

// chunkReader decodes a file's chunks blob. Bodies are substrings of the file's bodies text,
// so that loading a file allocates its bodies once.
type chunkReader struct {
	b        []byte
	bodies   string
	fileLang string
	n        int // chunks left
	tok      []byte
	intern   func([]byte) string
	count    func(n int) // if set, told each chunk's number of terms before they are decoded
	err      error
}

func newChunkReader(blob []byte, bodies, fileLang string, intern func([]byte) string) (*chunkReader, error) {
	if len(blob) == 0 || blob[0] != fileFormat {
		return nil, errCorruptFile
	}
	n, k := binary.Uvarint(blob[1:])
	if k <= 0 || n > uint64(len(blob)) {
		return nil, errCorruptFile
	}
	return &chunkReader{b: blob[1+k:], bodies: bodies, fileLang: fileLang, n: int(n), intern: intern}, nil
}

func (r *chunkReader) uvarint() uint64 {
	v, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.err = errCorruptFile
		r.b = nil
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *chunkReader) varint() int {
	v, k := binary.Varint(r.b)
	if k <= 0 {
		r.err = errCorruptFile
		r.b = nil
		return 0
	}
	r.b = r.b[k:]
	return int(v)
}

func (r *chunkReader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.err = errCorruptFile
		r.b = nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *chunkReader) id(packed bool) string {
	if packed {
		return hex.EncodeToString(r.bytes(16))
	}
	return string(r.bytes(r.uvarint()))
}

// next decodes the next chunk into c (Source and Path are left to the caller) and returns its
// token count; terms gets its terms, or they are skipped when it is nil. It returns false at
// the end of the blob or on an error, which r.err then holds.
func (r *chunkReader) next(c *codectx.Chunk, terms func(tok []byte, freq uint32)) (length int, ok bool) {
	if r.n == 0 || r.err != nil {
		return 0, false
	}
	r.n--
	flags := r.uvarint()
	c.ID = r.id(flags&chunkIDHex != 0)
	c.ContentHash = r.id(flags&chunkHashHex != 0)
	c.Language = r.fileLang
	if flags&chunkLang != 0 {
		c.Language = r.intern(r.bytes(r.uvarint()))
	}
	c.StartLine = r.varint()
	c.EndLine = c.StartLine + r.varint()
	bl := r.uvarint()
	if r.err == nil && bl > uint64(len(r.bodies)) {
		r.err = errCorruptFile
	}
	if r.err != nil {
		return 0, false
	}
	c.Body, r.bodies = r.bodies[:bl], r.bodies[bl:]
	length = int(r.uvarint())
	ns := r.uvarint()
	if ns > uint64(len(r.b)) {
		r.err = errCorruptFile
		return 0, false
	}
	c.Symbols = nil
	if ns > 0 {
		c.Symbols = make([]codectx.Symbol, ns)
		for i := range c.Symbols {
			s := &c.Symbols[i]
			s.Name = r.intern(r.bytes(r.uvarint()))
			s.Kind = r.intern(r.bytes(r.uvarint()))
			s.StartLine = c.StartLine + r.varint()
			s.EndLine = s.StartLine + r.varint()
		}
	}
	if r.err != nil {
		return 0, false
	}
	rest, err := readTerms(r.b, &r.tok, r.count, terms)
	if err != nil {
		r.err = err
		return 0, false
	}
	r.b = rest
	return length, true
}
