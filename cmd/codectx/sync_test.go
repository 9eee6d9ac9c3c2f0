package main

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/sources/git/gittest"
)

// chunkKey is what "the same index" means: the same set of (path, span, content hash).
func chunkKeys(chunks []codectx.Chunk) []string {
	out := make([]string, len(chunks))
	for i, c := range chunks {
		out[i] = fmt.Sprintf("%s:%d-%d:%s", c.Path, c.StartLine, c.EndLine, c.ContentHash)
	}
	sort.Strings(out)
	return out
}

// syncOnce opens the index in dataDir, syncs one source and returns the run and the index's
// chunks. Opening and closing every time also shows the index survives restarts.
func syncOnce(t *testing.T, dataDir, url, branch string) (codectx.Run, []string) {
	t.Helper()
	ctx := context.Background()
	cfg := defaultConfig()
	cfg.DataDir = dataDir
	cfg.Sources = []SourceConfig{{Name: "repo", URL: url, Branch: branch}}
	a, err := openApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.pipe.Start(ctx); err != nil {
		t.Fatal(err)
	}
	run, err := a.pipe.Sync(ctx, "repo", "test", nil)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	chunks, err := a.store.Chunks(ctx, "repo")
	if err != nil {
		t.Fatal(err)
	}
	return run, chunkKeys(chunks)
}

func diffKeys(a, b []string) string {
	in := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var d []string
	for _, x := range a {
		if !mb[x] {
			d = append(d, "only incremental: "+x)
		}
	}
	for _, x := range b {
		if !ma[x] {
			d = append(d, "only from scratch: "+x)
		}
	}
	return strings.Join(d, "\n")
}

func goSrc(pkg, fn, body string) string {
	return fmt.Sprintf("package %s\n\n// %s is part of the fixture.\nfunc %s(x int) int {\n\t%s\n}\n", pkg, fn, fn, body)
}

// TestIncrementalIndexEqualsFromScratch walks a repository through commits, edits, deletes,
// renames, a branch switch and a force-push, and checks after every step that syncing the
// existing index gives exactly the index a fresh sync of the same tip gives.
func TestIncrementalIndexEqualsFromScratch(t *testing.T) {
	for _, remote := range []bool{false, true} {
		t.Run(map[bool]string{false: "local", true: "remote"}[remote], func(t *testing.T) {
			repo := gittest.NewRepo(t)
			repo.Write("go.mod", "module example.com/fixture\n")
			repo.Write("calc/add.go", goSrc("calc", "Add", "return x + 1"))
			repo.Write("calc/mul.go", goSrc("calc", "Mul", "return x * 2"))
			repo.Write("tools/script.py", "def helper(a, b):\n    return a + b\n\n\nclass Runner:\n    def run(self):\n        return helper(1, 2)\n")
			repo.Write("docs/guide.md", "# Guide\n\nHow to add.\n\n## Details\n\nMore text here.\n")
			repo.Write("assets/logo.bin", "\x00\x01\x02binary")
			repo.Write("vendor/dep/dep.go", goSrc("dep", "Dep", "return x"))
			repo.Commit("initial")

			url := repo.Dir()
			if remote {
				url = "file://" + repo.Dir()
			}
			dataDir := t.TempDir()
			branch := "main"
			var base string // a commit to rewrite history back to
			steps := []struct {
				name string
				do   func()
				// check looks at the incremental run of the step.
				check func(t *testing.T, run codectx.Run)
			}{
				{"first sync", func() {}, func(t *testing.T, run codectx.Run) {
					if run.Upserts != 5 || run.Skipped[codectx.SkipBinary] != 1 || run.Skipped[codectx.SkipVendored] != 1 {
						t.Errorf("first sync: %+v", run)
					}
				}},
				{"commit", func() {
					repo.Write("calc/sub.go", goSrc("calc", "Sub", "return x - 1"))
					base = repo.Commit("add sub")
				}, func(t *testing.T, run codectx.Run) {
					if run.From == "" || run.Upserts != 1 || run.Deletes != 0 {
						t.Errorf("commit: want one incremental upsert, got %+v", run)
					}
				}},
				{"modify", func() {
					repo.Write("calc/add.go", goSrc("calc", "Add", "return x + 100"))
					repo.Commit("modify add")
				}, func(t *testing.T, run codectx.Run) {
					if run.Upserts != 1 || run.Deletes != 0 {
						t.Errorf("modify: %+v", run)
					}
				}},
				{"delete", func() {
					repo.Remove("calc/mul.go")
					repo.Commit("delete mul")
				}, func(t *testing.T, run codectx.Run) {
					if run.Upserts != 0 || run.Deletes != 1 {
						t.Errorf("delete: %+v", run)
					}
				}},
				{"rename", func() {
					repo.Rename("tools/script.py", "tools/runner.py")
					repo.Commit("rename")
				}, func(t *testing.T, run codectx.Run) {
					if run.Upserts != 1 || run.Deletes != 0 {
						t.Errorf("rename: want one rename, got %+v", run)
					}
				}},
				{"switch branch", func() {
					repo.Branch("feature")
					repo.Checkout("feature")
					repo.Write("calc/div.go", goSrc("calc", "Div", "return x / 2"))
					repo.Remove("docs/guide.md")
					repo.Commit("feature work")
					repo.Checkout("main")
					repo.Write("calc/add.go", goSrc("calc", "Add", "return x + 7"))
					repo.Commit("main moves on")
					branch = "feature"
				}, nil},
				{"force-push", func() {
					repo.Checkout("feature")
					repo.ResetHard(base)
					repo.Write("calc/add.go", goSrc("calc", "Add", "return x + 42"))
					repo.Write("calc/new.go", goSrc("calc", "New", "return 0"))
					repo.Commit("rewritten history")
					repo.GC() // the old tip is really gone
				}, nil},
			}
			for _, step := range steps {
				step.do()
				run, incremental := syncOnce(t, dataDir, url, branch)
				_, scratch := syncOnce(t, t.TempDir(), url, branch)
				if len(scratch) == 0 {
					t.Fatalf("%s: the from-scratch index is empty", step.name)
				}
				if d := diffKeys(incremental, scratch); d != "" {
					t.Fatalf("%s: incremental index differs from a from-scratch index of the same tip:\n%s", step.name, d)
				}
				if step.check != nil {
					step.check(t, run)
				}
			}
		})
	}
}
