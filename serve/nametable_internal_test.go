package serve

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// benchIdents is the identifiers of some of Go's own net/http source, in order, each with the
// hash scanBody keeps.
func benchIdents(b *testing.B) []nameKey {
	files, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "net", "http", "*.go"))
	if len(files) == 0 {
		b.Skip("no Go source here")
	}
	var out []nameKey
	for _, f := range files[:min(8, len(files))] {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		eachIdent(string(data), func(id string) { out = append(out, nameKey{id, hashName(id)}) })
	}
	return out
}

// BenchmarkNameTable is why the analogs signal finds names in a table of its own rather than
// a Go map: the same work, each identifier of a body looked up and added when new, with the
// hash kept from the scan (nameTable) or computed by the map at each lookup.
func BenchmarkNameTable(b *testing.B) {
	ids := benchIdents(b)
	b.Run("nameTable", func(b *testing.B) {
		t := newNameTable(1024)
		for b.Loop() {
			for _, k := range ids {
				if i, slot := t.find(k.name, k.hash); i < 0 {
					t.add(slot, k.name, k.hash)
				}
			}
			t.reset()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/ident")
	})
	b.Run("map", func(b *testing.B) {
		m := make(map[string]int32, 512)
		for b.Loop() {
			for _, k := range ids {
				if _, ok := m[k.name]; !ok {
					m[k.name] = int32(len(m))
				}
			}
			clear(m)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/ident")
	})
}

func TestNameTableFindsWhatWasAdded(t *testing.T) {
	tab := newNameTable(4)
	names := []string{"a1", "Request", "Response", "ServeHTTP", "x_y", "Request2", "ab", "ba"}
	for i, n := range names {
		if k, _ := tab.find(n, hashName(n)); k >= 0 {
			t.Fatalf("%s found before it was added", n)
		}
		_, slot := tab.find(n, hashName(n))
		if k := tab.add(slot, n, hashName(n)); int(k) != i {
			t.Fatalf("add(%s) = %d, want %d", n, k, i)
		}
	}
	for i, n := range names {
		if k, _ := tab.find(n, hashName(n)); int(k) != i {
			t.Errorf("find(%s) = %d, want %d", n, k, i)
		}
	}
	tab.reset()
	if k, _ := tab.find("Request", hashName("Request")); k >= 0 {
		t.Error("a reset table still finds Request")
	}
}
