package prompt

import "strings"

// Normalize converts CRLF line endings in prefix and suffix to LF, and reports whether the
// document uses CRLF. The line break nearest the cursor decides: the last one in the prefix, or
// else the first one in the suffix. Lone CRs are left alone.
func Normalize(prefix, suffix string) (p, s string, crlf bool) {
	if i := strings.LastIndexByte(prefix, '\n'); i >= 0 {
		crlf = i > 0 && prefix[i-1] == '\r'
	} else if i := strings.IndexByte(suffix, '\n'); i >= 0 {
		crlf = i > 0 && suffix[i-1] == '\r'
	}
	return strings.ReplaceAll(prefix, "\r\n", "\n"), strings.ReplaceAll(suffix, "\r\n", "\n"), crlf
}

// Restore turns the LF line endings of generated text into CRLF when crlf is true. Line breaks
// that already are CRLF stay as they are. It works on whole texts: a chunk of a stream that ends
// in a CR would get a second one before the LF that starts the next chunk.
func Restore(text string, crlf bool) string {
	if !crlf || !strings.Contains(text, "\n") {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + strings.Count(text, "\n"))
	last := 0
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' && (i == 0 || text[i-1] != '\r') {
			b.WriteString(text[last:i])
			b.WriteString("\r\n")
			last = i + 1
		}
	}
	b.WriteString(text[last:])
	return b.String()
}
