package embedded

import (
	"fmt"
	"hash/maphash"
	"math/rand"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
)

func TestStrTable(t *testing.T) {
	tab := newStrTable()
	words := []string{"", "a", "parse", "Parse", "parseHTTP", strings.Repeat("x", strBlockSize+10), "é"}
	for i := 0; i < 5000; i++ {
		words = append(words, fmt.Sprintf("w%d", i))
	}
	for i, w := range words {
		if _, ok := tab.get(w); ok {
			t.Fatalf("%q found before it was added", w)
		}
		if id := tab.add(w); int(id) != i {
			t.Fatalf("add(%q) = %d, want %d", w, id, i)
		}
	}
	if tab.len() != len(words) {
		t.Fatalf("len = %d, want %d", tab.len(), len(words))
	}
	for i, w := range words {
		if id, ok := tab.get(w); !ok || int(id) != i {
			t.Fatalf("get(%q) = %d, %v; want %d", w, id, ok, i)
		}
		if got := tab.str(uint32(i)); got != w {
			t.Fatalf("str(%d) = %q, want %q", i, got, w)
		}
	}
	if _, ok := tab.get("missing"); ok {
		t.Fatal("a string never added was found")
	}
}

// Two strings with one hash: the second is found through the table's overflow map.
func TestStrTableCollision(t *testing.T) {
	tab := newStrTable()
	a := tab.add("alpha")
	// Make "beta" collide with "alpha", as two strings of the same 64-bit hash would.
	tab.byHash[maphash.String(tab.seed, "beta")] = strEntry{a, tab.spans[a]}
	b := tab.add("beta")
	if b != 1 || len(tab.more) != 1 {
		t.Fatalf("add(beta) = %d with %d in the overflow map; want 1 and 1", b, len(tab.more))
	}
	for _, c := range []struct {
		s  string
		id uint32
	}{{"alpha", a}, {"beta", b}} {
		if id, ok := tab.get(c.s); !ok || id != c.id {
			t.Fatalf("get(%q) = %d, %v; want %d", c.s, id, ok, c.id)
		}
	}
	if _, ok := tab.get("gamma"); ok {
		t.Fatal("a string never added was found")
	}
}

// BenchmarkStrTable compares strTable with map[string]uint32 over 300,000 terms like an index's:
// the cost of a lookup, and the heap the garbage collector scans for each (scan_MB, read from
// runtime/metrics after a collection).
func BenchmarkStrTable(b *testing.B) {
	const n = 300_000
	rng := rand.New(rand.NewSource(1))
	terms := make([]string, n)
	for i := range terms {
		l := 3 + rng.Intn(12)
		var sb strings.Builder
		for j := 0; j < l; j++ {
			sb.WriteByte(byte('a' + rng.Intn(26)))
		}
		terms[i] = fmt.Sprintf("%s%d", sb.String(), i)
	}
	queries := make([]string, 4096)
	for i := range queries {
		queries[i] = strings.Clone(terms[rng.Intn(n)])
	}
	scanned := func() float64 {
		runtime.GC()
		s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
		metrics.Read(s)
		return float64(s[0].Value.Uint64()) / (1 << 20)
	}
	b.Run("map", func(b *testing.B) {
		base := scanned()
		m := make(map[string]uint32)
		for i, t := range terms {
			m[strings.Clone(t)] = uint32(i)
		}
		scan := scanned() - base
		b.ResetTimer()
		var sum uint32
		for i := 0; i < b.N; i++ {
			sum += m[queries[i%len(queries)]]
		}
		b.ReportMetric(scan, "scan_MB")
		runtime.KeepAlive(m)
		runtime.KeepAlive(sum)
	})
	b.Run("strTable", func(b *testing.B) {
		base := scanned()
		tab := newStrTable()
		for _, t := range terms {
			tab.add(t)
		}
		scan := scanned() - base
		b.ResetTimer()
		var sum uint32
		for i := 0; i < b.N; i++ {
			id, _ := tab.get(queries[i%len(queries)])
			sum += id
		}
		b.ReportMetric(scan, "scan_MB")
		runtime.KeepAlive(&tab)
		runtime.KeepAlive(sum)
	})
}
