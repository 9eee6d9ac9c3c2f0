package embedded

import (
	"encoding/binary"
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
	if b[0] != termsFormat {
		return fmt.Errorf("%w: format %d", errCorruptTerms, b[0])
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return errCorruptTerms
	}
	b = b[k:]
	var tok []byte
	for i := uint64(0); i < n; i++ {
		shared, k := binary.Uvarint(b)
		if k <= 0 || shared > uint64(len(tok)) {
			return errCorruptTerms
		}
		b = b[k:]
		rest, k := binary.Uvarint(b)
		if k <= 0 || rest > uint64(len(b)-k) {
			return errCorruptTerms
		}
		b = b[k:]
		tok = append(tok[:shared], b[:rest]...)
		b = b[rest:]
		freq, k := binary.Uvarint(b)
		if k <= 0 {
			return errCorruptTerms
		}
		b = b[k:]
		fn(tok, uint32(freq))
	}
	return nil
}
