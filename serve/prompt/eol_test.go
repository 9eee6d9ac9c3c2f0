package prompt

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name           string
		prefix, suffix string
		p, s           string
		crlf           bool
	}{
		{"lf", "a\nb", "c\nd", "a\nb", "c\nd", false},
		{"crlf", "a\r\nb", "c\r\nd", "a\nb", "c\nd", true},
		{"decided by the prefix's last break", "a\nb\r\nc", "\n", "a\nb\nc", "\n", true},
		{"prefix's last break is LF", "a\r\nb\nc", "\r\n", "a\nb\nc", "\n", false},
		{"no break in the prefix: the suffix decides", "abc", "d\r\ne", "abc", "d\ne", true},
		{"no break at all", "abc", "def", "abc", "def", false},
		{"empty", "", "", "", "", false},
		{"lone CR kept", "a\rb\r\n", "", "a\rb\n", "", true},
		{"CR at the very start of the suffix", "x", "\r\ny", "x", "\ny", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, s, crlf := Normalize(tc.prefix, tc.suffix)
			if p != tc.p || s != tc.s || crlf != tc.crlf {
				t.Errorf("Normalize(%q, %q) = %q, %q, %v; want %q, %q, %v", tc.prefix, tc.suffix, p, s, crlf, tc.p, tc.s, tc.crlf)
			}
		})
	}
}

func TestRestore(t *testing.T) {
	tests := []struct {
		in   string
		crlf bool
		want string
	}{
		{"a\nb\n", false, "a\nb\n"},
		{"a\nb\n", true, "a\r\nb\r\n"},
		{"a\r\nb\n", true, "a\r\nb\r\n"},
		{"\n\n", true, "\r\n\r\n"},
		{"no break", true, "no break"},
		{"", true, ""},
		{"a\r\r\nb", true, "a\r\r\nb"},
	}
	for _, tc := range tests {
		if got := Restore(tc.in, tc.crlf); got != tc.want {
			t.Errorf("Restore(%q, %v) = %q, want %q", tc.in, tc.crlf, got, tc.want)
		}
	}
}

// A CRLF document survives Normalize then Restore, and so does an LF one.
func TestNormalizeRestoreRoundTrip(t *testing.T) {
	docs := []string{
		"func main() {\r\n\tfmt.Println(1)\r\n}\r\n",
		"def f():\n    return 1\n",
		"one line",
		"\r\n\r\n",
		"a\r\nb\r\nc",
	}
	for _, doc := range docs {
		for cursor := 0; cursor <= len(doc); cursor++ {
			if cursor > 0 && doc[cursor-1] == '\r' {
				continue // editors never put the cursor inside a line break
			}
			p, s, crlf := Normalize(doc[:cursor], doc[cursor:])
			if strings.Contains(p+s, "\r\n") {
				t.Fatalf("%q at %d: CRLF left after Normalize", doc, cursor)
			}
			wantCRLF := strings.Contains(doc, "\r\n")
			if crlf != wantCRLF {
				t.Fatalf("%q at %d: crlf = %v", doc, cursor, crlf)
			}
			if got := Restore(p, crlf) + Restore(s, crlf); got != doc {
				t.Fatalf("%q at %d: round trip gave %q", doc, cursor, got)
			}
		}
	}
}
