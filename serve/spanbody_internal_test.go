package serve

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/codectx/codectx"
)

// spanBody gives lines start..end of a chunk (without the last newline), the whole body when
// the span is the chunk's or holds nothing, whatever the span and the body's line ends: here it
// is checked against splitting the body into lines.
func TestSpanBody(t *testing.T) {
	naive := func(c codectx.Chunk, start, end int) string {
		if start == c.StartLine && end == c.EndLine {
			return c.Body
		}
		lines := strings.SplitAfter(c.Body, "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		from := min(max(start-c.StartLine, 0), len(lines))
		to := min(max(end-c.StartLine+1, 0), len(lines))
		if from >= to {
			return c.Body
		}
		return strings.TrimSuffix(strings.Join(lines[from:to], ""), "\n")
	}
	rng := rand.New(rand.NewSource(1))
	parts := []string{"a", "bc", "\n", "\n\n", "x := f(y)", " "}
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.Intn(12); n > 0; n-- {
			b.WriteString(parts[rng.Intn(len(parts))])
		}
		c := codectx.Chunk{Body: b.String(), StartLine: 1 + rng.Intn(5)}
		c.EndLine = c.StartLine + strings.Count(c.Body, "\n")
		start := c.StartLine - 2 + rng.Intn(c.EndLine-c.StartLine+5)
		end := start - 2 + rng.Intn(c.EndLine-c.StartLine+6)
		if got, want := spanBody(c, start, end), naive(c, start, end); got != want {
			t.Fatalf("spanBody(%q, lines %d..%d, span %d..%d) = %q, want %q", c.Body, c.StartLine, c.EndLine, start, end, got, want)
		}
	}
}
