package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/sources/filter"
	"github.com/codectx/codectx/sources/git/gittest"
)

// goSourceRepo commits a copy of $GOROOT/src into a new repository under dir.
func goSourceRepo(b *testing.B, dir string) string {
	b.Helper()
	src := filepath.Join(runtime.GOROOT(), "src")
	if _, err := os.Stat(src); err != nil {
		b.Skip("no GOROOT/src:", err)
	}
	repo := filepath.Join(dir, "go")
	if out, err := exec.Command("cp", "-r", src, repo).CombinedOutput(); err != nil {
		b.Fatalf("copying %s: %v\n%s", src, err, out)
	}
	gittest.Run(b, repo, "init", "-q")
	gittest.Run(b, repo, "add", "-A")
	gittest.Run(b, repo, "commit", "-q", "-m", "x")
	return repo
}

// BenchmarkReadGoSource emits and reads every file of the Go source tree, from loose objects
// and then (after git gc) from a pack, with 1 and 2 readers: through the repository with its
// checkout (from=checkout: the files identical to their blobs are read there), and through
// its .git directory alone, as a bare repository (from=objects). The baseline reads the same
// checkout with os.ReadFile and the same filters, in the same run: compare with it, as the
// machine's load makes absolute numbers noisy.
//
//	go test -run '^$' -bench ReadGoSource -benchtime 3x ./sources/git/
func BenchmarkReadGoSource(b *testing.B) {
	repo := goSourceRepo(b, b.TempDir())
	b.Run("baseline=os.ReadFile", func(b *testing.B) { benchFiles(b, repo) })
	for _, packed := range []bool{false, true} {
		if packed {
			gittest.Run(b, repo, "gc", "-q")
		}
		for _, from := range []string{"checkout", "objects"} {
			url := repo
			if from == "objects" {
				url = filepath.Join(repo, ".git")
			}
			for _, readers := range []int{1, 2} {
				b.Run(fmt.Sprintf("packed=%v/from=%s/readers=%d", packed, from, readers), func(b *testing.B) {
					benchRead(b, url, readers)
				})
			}
		}
	}
}

// benchFiles reads the checkout's files with the filters a source applies.
func benchFiles(b *testing.B, repo string) {
	flt, err := filter.New(filter.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var bytes, files int64
	for b.Loop() {
		bytes, files = 0, 0
		err := filepath.WalkDir(repo, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(repo, p)
			if d.IsDir() {
				if d.Name() == ".git" {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || flt.Path(filepath.ToSlash(rel)) != "" {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if flt.Content(rel, data) == "" {
				files++
				bytes += int64(len(filter.CleanUTF8(data)))
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(bytes)
	b.ReportMetric(float64(files), "files/op")
}

func benchRead(b *testing.B, repo string, readers int) {
	ctx := context.Background()
	s, err := New(Config{Name: "go", URL: repo}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	to, err := s.Tip(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var bytes, files, skipped atomic.Int64
	for b.Loop() {
		bytes.Store(0)
		files.Store(0)
		skipped.Store(0)
		ch := make(chan codectx.Change, 64)
		var wg sync.WaitGroup
		var failed atomic.Value
		for range readers {
			wg.Go(func() {
				for c := range ch {
					data, err := s.Read(ctx, c)
					var se *codectx.SkipError
					switch {
					case errors.As(err, &se):
						skipped.Add(1)
					case err != nil:
						failed.Store(err)
					default:
						files.Add(1)
						bytes.Add(int64(len(data)))
					}
				}
			})
		}
		err := s.Changes(ctx, "", to, nil, func(c codectx.Change) error { ch <- c; return nil })
		close(ch)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		if err, _ := failed.Load().(error); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(bytes.Load())
	b.ReportMetric(float64(files.Load()), "files/op")
	b.ReportMetric(float64(skipped.Load()), "skipped/op")
}

// BenchmarkBlobHash compares the check of a checkout file against its blob's name: go-git's
// hasher (collision-detecting SHA-1) and blobHash (the standard library's SHA-1), on a file of
// typical source size. Both give the same name (TestBlobHash).
func BenchmarkBlobHash(b *testing.B) {
	data := bytes.Repeat([]byte("func f() { return g(x) }\n"), 300) // 7.5 kB
	b.Run("go-git", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			h := plumbing.NewHasher(plumbing.BlobObject, int64(len(data)))
			h.Write(data)
			h.Sum()
		}
	})
	b.Run("blobHash", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			blobHash(data)
		}
	})
}
