package eval

import (
	"testing"

	"github.com/codectx/codectx"
)

func TestWindowLines(t *testing.T) {
	prefix := "a\nb\nc\n\td := "
	for _, tc := range []struct {
		n    int
		want string
	}{{1, "\td := "}, {2, "c\n\td := "}, {4, prefix}, {9, prefix}} {
		if got := lastLinesOf(prefix, tc.n); got != tc.want {
			t.Errorf("lastLinesOf(%q, %d) = %q, want %q", prefix, tc.n, got, tc.want)
		}
	}
	suffix := "x)\ny\nz"
	for _, tc := range []struct {
		n    int
		want string
	}{{1, "x)\n"}, {2, "x)\ny\n"}, {3, suffix}, {5, suffix}} {
		if got := codectx.FirstLines(suffix, tc.n); got != tc.want {
			t.Errorf("FirstLines(%q, %d) = %q, want %q", suffix, tc.n, got, tc.want)
		}
	}
}
