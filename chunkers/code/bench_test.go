package code

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/codectx/codectx"
)

// benchCorpus reads the .go files of $CODECTX_BENCH_DIR, by default $(go env GOROOT)/src/net/http.
// Compare BenchmarkChunkGo with BenchmarkParseOnlyGo, the floor, in the same run:
//
//	go test ./chunkers/code -run '^$' -bench 'Go$' -cpu 1,2
//	CODECTX_BENCH_DIR=$(go env GOROOT)/src go test ./chunkers/code -run '^$' -bench 'Go$' -cpu 1,2 -benchtime 3x
func benchCorpus(b *testing.B) (files [][]byte, size int64) {
	b.Helper()
	dir := os.Getenv("CODECTX_BENCH_DIR")
	if dir == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			b.Skipf("no GOROOT: %v", err)
		}
		dir = filepath.Join(strings.TrimSpace(string(out)), "src", "net", "http")
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, data)
		size += int64(len(data))
		return nil
	})
	if err != nil || len(files) == 0 {
		b.Skipf("no corpus in %s: %v", dir, err)
	}
	return files, size
}

// benchFiles runs fn over every file of the corpus once per op, spread over GOMAXPROCS
// goroutines (set with -cpu).
func benchFiles(b *testing.B, fn func([]byte) error) {
	files, size := benchCorpus(b)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for _, f := range files {
				if err := fn(f); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
	// CPU time, unlike wall time, holds up on a shared machine.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/cpu.Seconds()/1e6, "cpu-MB/s")
	}
}

// cpuTime returns the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkParseOnlyGo(b *testing.B) {
	benchFiles(b, func(f []byte) error { return ParseOnly(codectx.LangGo, f) })
}

func BenchmarkChunkGo(b *testing.B) {
	c := New(Options{})
	benchFiles(b, func(f []byte) error {
		_, err := c.Chunk("f.go", codectx.LangGo, f)
		return err
	})
}
