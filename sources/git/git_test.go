package git

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/sources/filter"
	"github.com/codectx/codectx/sources/git/gittest"
)

var ctx = context.Background()

func newSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "repo"
	}
	s, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tip(t *testing.T, s *Source) string {
	t.Helper()
	v, err := s.Tip(ctx)
	if err != nil {
		t.Fatalf("Tip: %v", err)
	}
	return v
}

func changes(t *testing.T, s *Source, from, to string, known map[string]codectx.FileState) []codectx.Change {
	t.Helper()
	var got []codectx.Change
	err := s.Changes(ctx, from, to, known, func(c codectx.Change) error {
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatalf("Changes(%.7s, %.7s): %v", from, to, err)
	}
	sortChanges(got)
	return got
}

func sortChanges(cs []codectx.Change) {
	slices.SortFunc(cs, func(a, b codectx.Change) int {
		return strings.Compare(a.Path+"\x00"+string(a.Op), b.Path+"\x00"+string(b.Op))
	})
}

// want builds the expected changes; blob hashes come from git itself.
type want struct {
	r       *gittest.Repo
	version string
	cs      []codectx.Change
}

func (w *want) upsert(p string) *want {
	w.cs = append(w.cs, codectx.Change{Source: "repo", Version: w.version, Path: p, Op: codectx.OpUpsert,
		BlobHash: w.r.Git("rev-parse", w.version+":"+p), Language: codectx.LanguageForPath(p)})
	return w
}

func (w *want) rename(old, p string) *want {
	w.cs = append(w.cs, codectx.Change{Source: "repo", Version: w.version, Path: p, OldPath: old, Op: codectx.OpRename,
		BlobHash: w.r.Git("rev-parse", w.version+":"+p), Language: codectx.LanguageForPath(p)})
	return w
}

func (w *want) delete(p string) *want {
	w.cs = append(w.cs, codectx.Change{Source: "repo", Version: w.version, Path: p, Op: codectx.OpDelete})
	return w
}

func (w *want) check(t *testing.T, got []codectx.Change) {
	t.Helper()
	sortChanges(w.cs)
	if !slices.Equal(got, w.cs) {
		t.Fatalf("changes differ\n got: %s\nwant: %s", dump(got), dump(w.cs))
	}
}

func dump(cs []codectx.Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "\n  %s %s<-%s %.7s %s %.7s", c.Op, c.Path, c.OldPath, c.BlobHash, c.Language, c.Version)
	}
	return b.String()
}

// apply updates known as a store would after handling cs.
func apply(known map[string]codectx.FileState, cs []codectx.Change) {
	for _, c := range cs {
		switch c.Op {
		case codectx.OpDelete:
			delete(known, c.Path)
		case codectx.OpRename:
			delete(known, c.OldPath)
			known[c.Path] = codectx.FileState{BlobHash: c.BlobHash}
		default:
			known[c.Path] = codectx.FileState{BlobHash: c.BlobHash}
		}
	}
}

const goSrc = "package main\n\nfunc main() {\n\tprintln(\"hello\")\n}\n"

func seed(r *gittest.Repo) string {
	r.Write("main.go", goSrc)
	r.Write("README.md", "# Demo\n\nA small repository.\n")
	r.Write("pkg/util/util.go", "package util\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n")
	r.Write("vendor/dep/dep.go", "package dep\n")
	r.Write("web/node_modules/x/index.js", "module.exports = 1\n")
	r.Write("go.sum", "example.com/x v1.0.0 h1:abc=\n")
	r.Write(".env", "TOKEN=secret\n")
	r.Symlink("/etc/passwd", "passwd-link")
	r.Symlink("main.go", "main-link.go")
	r.Git("add", "-A")
	r.Submodule("third/sub", "1111111111111111111111111111111111111111")
	return r.Commit("first")
}

func TestChangesLocal(t *testing.T) {
	r := gittest.NewRepo(t)
	c1 := seed(r)
	s := newSource(t, Config{URL: r.Dir()})
	if got := tip(t, s); got != c1 {
		t.Fatalf("Tip = %s, want %s", got, c1)
	}

	// First sync: everything indexable is upserted.
	got := changes(t, s, "", c1, nil)
	(&want{r: r, version: c1}).upsert("main.go").upsert("README.md").upsert("pkg/util/util.go").check(t, got)
	wantSkipped := map[string]int{
		codectx.SkipVendored: 2, codectx.SkipLockFile: 1, codectx.SkipSecret: 1,
		codectx.SkipSymlink: 2, codectx.SkipSubmodule: 1,
	}
	if sk := s.Skipped(); !mapsEqual(sk, wantSkipped) {
		t.Fatalf("Skipped() = %v, want %v", sk, wantSkipped)
	}
	known := map[string]codectx.FileState{}
	apply(known, got)

	// Modify, delete, rename (same content and slightly edited), add.
	r.Write("main.go", goSrc+"\n// changed\n")
	r.Remove("README.md")
	r.Rename("pkg/util/util.go", "pkg/mathx/util.go")
	r.Write("docs/guide.md", "# Guide\n\nRead me.\n")
	r.Write("vendor/dep/dep.go", "package dep // changed\n")
	c2 := r.Commit("second")
	if got := tip(t, s); got != c2 {
		t.Fatalf("Tip = %s, want %s", got, c2)
	}
	got = changes(t, s, c1, c2, known)
	(&want{r: r, version: c2}).upsert("main.go").delete("README.md").
		rename("pkg/util/util.go", "pkg/mathx/util.go").upsert("docs/guide.md").check(t, got)
	if sk := s.Skipped(); sk[codectx.SkipVendored] != 1 || len(sk) != 1 {
		t.Fatalf("Skipped() after diff = %v, want 1 vendored", sk)
	}
	apply(known, got)

	// Reconciling from scratch against known finds nothing to do...
	if got := changes(t, s, "", c2, known); len(got) != 0 {
		t.Fatalf("reconcile against up-to-date known: %s", dump(got))
	}
	// ...and with an unknown cursor commit, reconciles too.
	stale := maps2(known)
	stale["gone.go"] = codectx.FileState{BlobHash: strings.Repeat("a", 40)}
	stale["main.go"] = codectx.FileState{BlobHash: strings.Repeat("b", 40), Skip: codectx.SkipMinified}
	got = changes(t, s, strings.Repeat("c", 40), c2, stale)
	(&want{r: r, version: c2}).delete("gone.go").upsert("main.go").check(t, got)

	// A skipped file recorded with its hash is not emitted again.
	stale = maps2(known)
	stale["docs/guide.md"] = codectx.FileState{BlobHash: known["docs/guide.md"].BlobHash, Skip: codectx.SkipMinified}
	if got := changes(t, s, "", c2, stale); len(got) != 0 {
		t.Fatalf("skipped-but-known file re-emitted: %s", dump(got))
	}
}

func maps2(m map[string]codectx.FileState) map[string]codectx.FileState {
	out := make(map[string]codectx.FileState, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestFilterChanges(t *testing.T) {
	r := gittest.NewRepo(t)
	r.Write("a.go", "package a\n")
	r.Write("b.go", "package b\n")
	r.Write("gen/c.go", "package c\n")
	c1 := r.Commit("first")
	all := newSource(t, Config{URL: r.Dir()})
	known := map[string]codectx.FileState{}
	apply(known, changes(t, all, "", c1, nil))

	// A newly excluded file leaves the index on reconcile.
	ex := newSource(t, Config{URL: r.Dir(), Filter: filter.Options{Exclude: []string{"gen/**"}}})
	got := changes(t, ex, "", c1, known)
	(&want{r: r, version: c1}).delete("gen/c.go").check(t, got)
	if sk := ex.Skipped(); sk[codectx.SkipExcluded] != 1 {
		t.Fatalf("Skipped() = %v, want 1 excluded", sk)
	}
	// Not emitted at all when it was never known.
	if got := changes(t, ex, "", c1, map[string]codectx.FileState{}); len(got) != 2 {
		t.Fatalf("fresh sync with exclude: %s", dump(got))
	}

	// A rename into an excluded path deletes the old path; out of it, it is an upsert.
	r.Rename("a.go", "gen/a.go")
	r.Rename("gen/c.go", "c.go")
	r.Write("gen/new.go", "package gen\n")
	c2 := r.Commit("move")
	got = changes(t, ex, c1, c2, map[string]codectx.FileState{"a.go": known["a.go"], "b.go": known["b.go"]})
	(&want{r: r, version: c2}).delete("a.go").upsert("c.go").check(t, got)
	if sk := ex.Skipped(); sk[codectx.SkipExcluded] != 2 {
		t.Fatalf("Skipped() = %v, want 2 excluded", sk)
	}
}

func TestModeChanges(t *testing.T) {
	r := gittest.NewRepo(t)
	r.Write("a.go", "package a\n")
	r.Write("b.go", "package b\n")
	c1 := r.Commit("first")
	s := newSource(t, Config{URL: r.Dir()})
	known := map[string]codectx.FileState{}
	apply(known, changes(t, s, "", c1, nil))
	// A file replaced by a symlink leaves the index; an executable bit is just a modification.
	r.Remove("a.go")
	r.Symlink("b.go", "a.go")
	if err := os.Chmod(filepath.Join(r.Dir(), "b.go"), 0o755); err != nil {
		t.Fatal(err)
	}
	c2 := r.Commit("modes")
	got := changes(t, s, c1, c2, known)
	(&want{r: r, version: c2}).delete("a.go").upsert("b.go").check(t, got)
}

func TestBranches(t *testing.T) {
	r := gittest.NewRepo(t)
	r.Write("a.go", "package a\n")
	c1 := r.Commit("first")
	r.Branch("feature")
	r.Checkout("feature")
	r.Write("f.go", "package f\n")
	c2 := r.Commit("feature work")
	r.Checkout("main")

	mainSrc := newSource(t, Config{URL: r.Dir(), Branch: "main"})
	if got := tip(t, mainSrc); got != c1 {
		t.Fatalf("main Tip = %s, want %s", got, c1)
	}
	headSrc := newSource(t, Config{URL: r.Dir()})
	if got := tip(t, headSrc); got != c1 {
		t.Fatalf("HEAD Tip = %s, want %s", got, c1)
	}
	feat := newSource(t, Config{URL: r.Dir(), Branch: "feature"})
	if got := tip(t, feat); got != c2 {
		t.Fatalf("feature Tip = %s, want %s", got, c2)
	}
	// Switching the indexed branch is a diff between the branch tips.
	got := changes(t, feat, c1, c2, nil)
	(&want{r: r, version: c2}).upsert("f.go").check(t, got)
	// HEAD follows a checkout.
	r.Checkout("feature")
	if got := tip(t, headSrc); got != c2 {
		t.Fatalf("HEAD Tip after checkout = %s, want %s", got, c2)
	}

	_, err := New(Config{Name: "x", URL: r.Dir(), Branch: "nope"}, nil)
	if err == nil || !errors.Is(err, ErrBranchNotFound) {
		t.Fatalf("bad branch: err = %v", err)
	}
	for _, s := range []string{"branch nope not found in " + r.Dir(), "available: feature, main"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("bad branch error %q does not contain %q", err, s)
		}
	}
}

func TestBadRepositories(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := New(Config{Name: "x", URL: missing}, nil)
	if !errors.Is(err, ErrNoRepository) || !strings.Contains(err.Error(), "no such repository: "+missing) {
		t.Errorf("missing path: err = %v", err)
	}

	plain := t.TempDir()
	os.WriteFile(filepath.Join(plain, "a.txt"), []byte("x"), 0o644)
	if IsRepository(plain) {
		t.Error("IsRepository(plain dir) = true")
	}
	if _, err := New(Config{Name: "x", URL: plain}, nil); !errors.Is(err, ErrNotRepository) {
		t.Errorf("plain dir: err = %v", err)
	}
	r := gittest.NewRepo(t)
	if !IsRepository(r.Dir()) {
		t.Error("IsRepository(repo) = false")
	}
	if _, err := New(Config{Name: "x", URL: r.Dir()}, nil); err == nil || !strings.Contains(err.Error(), "has no commits") {
		t.Errorf("empty repo: err = %v", err)
	}

	// Corrupt: HEAD points at a commit whose object file is garbage.
	r.Write("a.go", "package a\n")
	c := r.Commit("first")
	obj := filepath.Join(r.Dir(), ".git", "objects", c[:2], c[2:])
	os.Chmod(obj, 0o644)
	if err := os.WriteFile(obj, []byte("not zlib at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Name: "x", URL: r.Dir()}, nil); err == nil || !strings.Contains(err.Error(), "reading commit "+c) {
		t.Errorf("corrupt repo: err = %v", err)
	}

	// Unreachable remote.
	s := newSource(t, Config{URL: "file://" + missing, DataDir: t.TempDir()})
	if _, err := s.Tip(ctx); err == nil || !strings.Contains(err.Error(), "fetching file://"+missing) {
		t.Errorf("unreachable remote: err = %v", err)
	}
	if _, err := New(Config{Name: "x", URL: "https://example.com/r.git"}, nil); err == nil || !strings.Contains(err.Error(), "data_dir") {
		t.Errorf("remote without data dir: err = %v", err)
	}
}

func TestRead(t *testing.T) {
	r := gittest.NewRepo(t)
	files := map[string]string{
		"main.go":     goSrc,
		"latin1.txt":  "caf\xe9 au lait, cr\xe8me br\xfbl\xe9e and other words\n",
		"logo.png":    "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
		"huge.txt":    strings.Repeat("a line of text\n", 10000),
		"app.min.js":  "var a=1;" + strings.Repeat("f(a,b);", 100) + "\n",
		"empty.txt":   "",
		"zz_gen.go":   "// Code generated by go generate; DO NOT EDIT.\n\npackage x\n",
		"vendor/v.go": "package v\n",
	}
	for p, c := range files {
		r.Write(p, c)
	}
	c1 := r.Commit("files")
	s := newSource(t, Config{URL: r.Dir(), Filter: filter.Options{MaxFileBytes: 100 << 10}})
	tests := []struct {
		path, want, skip string
	}{
		{"main.go", goSrc, ""},
		{"latin1.txt", "caf\uFFFD au lait, cr\uFFFDme br\uFFFDl\uFFFDe and other words\n", ""},
		{"logo.png", "", codectx.SkipBinary},
		{"huge.txt", "", codectx.SkipTooLarge},
		{"app.min.js", "", codectx.SkipMinified},
		{"empty.txt", "", codectx.SkipEmpty},
		// Generated code with ordinary lines is indexed: callers use its definitions.
		{"zz_gen.go", "// Code generated by go generate; DO NOT EDIT.\n\npackage x\n", ""},
		{"vendor/v.go", "", codectx.SkipVendored},
	}
	for _, tt := range tests {
		c := codectx.Change{Source: "repo", Version: c1, Path: tt.path, Op: codectx.OpUpsert, BlobHash: r.Git("rev-parse", c1+":"+tt.path)}
		b, err := s.Read(ctx, c)
		var se *codectx.SkipError
		switch {
		case tt.skip != "":
			if !errors.As(err, &se) || se.Reason != tt.skip {
				t.Errorf("Read(%s) err = %v, want skip %s", tt.path, err, tt.skip)
			}
		case err != nil:
			t.Errorf("Read(%s): %v", tt.path, err)
		case string(b) != tt.want:
			t.Errorf("Read(%s) = %q, want %q", tt.path, b, tt.want)
		}
	}
	_, err := s.Read(ctx, codectx.Change{Path: "x.go", BlobHash: strings.Repeat("d", 40)})
	if !errors.Is(err, codectx.ErrPermanent) {
		t.Errorf("Read(missing blob) err = %v, want permanent", err)
	}

	// A corrupt blob is a permanent error. (The checkout's main.go holds the same content and
	// would be read instead: it is edited, so that the object store is read.)
	h := r.Git("rev-parse", c1+":main.go")
	obj := filepath.Join(r.Dir(), ".git", "objects", h[:2], h[2:])
	os.Chmod(obj, 0o644)
	os.WriteFile(obj, []byte("garbage"), 0o644)
	r.Write("main.go", goSrc+"// edited\n")
	s2 := newSource(t, Config{URL: r.Dir()})
	_, err = s2.Read(ctx, codectx.Change{Path: "main.go", BlobHash: h})
	if !errors.Is(err, codectx.ErrPermanent) {
		t.Errorf("Read(corrupt blob) err = %v, want permanent", err)
	}
}

// TestReadWorkTree: a file of the checkout is read in place of its blob only when its content
// is the blob's; anything else (edited, converted, replaced by a link or a FIFO, removed) is
// read from the object store.
func TestReadWorkTree(t *testing.T) {
	for _, packed := range []bool{false, true} {
		t.Run(fmt.Sprintf("packed=%v", packed), func(t *testing.T) {
			r := gittest.NewRepo(t)
			files := map[string]string{
				"same.go":    goSrc,
				"edited.go":  "package edited\n",
				"crlf.txt":   "one\ntwo\n",
				"linked.go":  "package linked\n",
				"fifo.go":    "package fifo\n",
				"removed.go": "package removed\n",
				"dir/sub.go": "package sub\n",
			}
			for p, c := range files {
				r.Write(p, c)
			}
			c1 := r.Commit("files")
			if packed {
				r.GC()
			}
			r.Write("edited.go", "package edited // changed since the commit\n")
			r.Write("crlf.txt", "one\r\ntwo\r\n")
			target := filepath.Join(t.TempDir(), "linked.go")
			os.WriteFile(target, []byte("package linked\n"), 0o644)
			r.Remove("linked.go")
			r.Symlink(target, "linked.go")
			r.Remove("fifo.go")
			if err := syscall.Mkfifo(filepath.Join(r.Dir(), "fifo.go"), 0o644); err != nil {
				t.Fatal(err)
			}
			r.Remove("removed.go")
			s := newSource(t, Config{URL: r.Dir()})
			for p, want := range files {
				b, err := s.Read(ctx, codectx.Change{Path: p, BlobHash: r.Git("rev-parse", c1+":"+p)})
				if err != nil || string(b) != want {
					t.Errorf("Read(%s) = %q, %v; want the committed %q", p, b, err, want)
				}
			}
			// The identical file is read from the checkout: with its object gone from the store,
			// it still reads, while the edited one no longer does.
			if packed {
				return
			}
			for _, p := range []string{"same.go", "edited.go"} {
				h := r.Git("rev-parse", c1+":"+p)
				os.Remove(filepath.Join(r.Dir(), ".git", "objects", h[:2], h[2:]))
			}
			s2 := newSource(t, Config{URL: r.Dir()})
			if b, err := s2.Read(ctx, codectx.Change{Path: "same.go", BlobHash: r.Git("rev-parse", c1+":same.go")}); err != nil || string(b) != goSrc {
				t.Errorf("Read(same.go) without its object = %q, %v; want it from the checkout", b, err)
			}
			if _, err := s2.Read(ctx, codectx.Change{Path: "edited.go", BlobHash: r.Git("rev-parse", c1+":edited.go")}); !errors.Is(err, codectx.ErrPermanent) {
				t.Errorf("Read(edited.go) without its object: err = %v, want permanent (not found)", err)
			}
		})
	}
}

func TestSymlinkOutsideNotFollowed(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(outside, []byte("outside content\n"), 0o644)
	r := gittest.NewRepo(t)
	r.Write("a.go", "package a\n")
	r.Symlink(outside, "escape.txt")
	c1 := r.Commit("links")
	s := newSource(t, Config{URL: r.Dir()})
	got := changes(t, s, "", c1, nil)
	(&want{r: r, version: c1}).upsert("a.go").check(t, got)
	// Even when asked directly, Read returns the link's blob (its target path), never the target.
	b, err := s.Read(ctx, codectx.Change{Path: "escape.txt", BlobHash: r.Git("rev-parse", c1+":escape.txt")})
	if err != nil {
		t.Fatalf("Read(escape.txt): %v", err)
	}
	if strings.Contains(string(b), "outside content") || string(b) != outside {
		t.Fatalf("Read(escape.txt) = %q, want the link's target path %q, not the target's content", b, outside)
	}
}

// snapshot lists a directory tree with sizes and modification times.
func snapshot(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		fmt.Fprintf(&b, "%s %d %d\n", p, fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	return b.String()
}

func TestLocalRepositoryUntouchedAndConcurrentRead(t *testing.T) {
	r := gittest.NewRepo(t)
	for i := range 60 {
		r.Write(fmt.Sprintf("d%d/f%d.go", i%5, i), fmt.Sprintf("package d\n\n// F%d is number %d.\nfunc F%d() int { return %d }\n%s", i, i, i, i, strings.Repeat("// filler line\n", i*30)))
	}
	r.Commit("first")
	for _, packed := range []bool{false, true} {
		if packed {
			r.GC()
		}
		before := snapshot(t, r.Dir())
		s := newSource(t, Config{URL: r.Dir()})
		to := tip(t, s)
		cs := changes(t, s, "", to, nil)
		if len(cs) != 60 {
			t.Fatalf("packed=%v: %d changes, want 60", packed, len(cs))
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(cs))
		for w := range 4 {
			wg.Go(func() {
				for i := w; i < len(cs); i += 4 {
					b, err := s.Read(ctx, cs[i])
					if err != nil {
						errs <- fmt.Errorf("%s: %w", cs[i].Path, err)
						continue
					}
					disk, _ := os.ReadFile(filepath.Join(r.Dir(), cs[i].Path))
					if string(b) != string(disk) {
						errs <- fmt.Errorf("%s: content differs", cs[i].Path)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("packed=%v: %v", packed, err)
		}
		if after := snapshot(t, r.Dir()); after != before {
			t.Fatalf("packed=%v: the repository changed on disk", packed)
		}
	}
}

func TestRemoteForcePush(t *testing.T) {
	origin := gittest.NewRepo(t)
	origin.Write("a.go", "package a\n")
	origin.Write("b.go", "package b\n")
	c1 := origin.Commit("first")
	origin.Write("c.go", "package c\n")
	c2 := origin.Commit("second")
	origin.Branch("other")

	dataDir := t.TempDir()
	url := "file://" + origin.Dir()
	s := newSource(t, Config{Name: "repo", URL: url, DataDir: dataDir})
	if got := tip(t, s); got != c2 {
		t.Fatalf("Tip = %s, want %s", got, c2)
	}
	clone := filepath.Join(dataDir, "repos", "repo")
	if !IsRepository(clone) {
		t.Fatalf("no clone at %s", clone)
	}
	got := changes(t, s, "", c2, nil)
	(&want{r: origin, version: c2}).upsert("a.go").upsert("b.go").upsert("c.go").check(t, got)
	known := map[string]codectx.FileState{}
	apply(known, got)

	// Rewrite history at origin: drop c2, commit something else, gc the old commit away.
	origin.ResetHard(c1)
	origin.Write("a.go", "package a // rewritten\n")
	origin.Write("d.go", "package d\n")
	c3 := origin.Commit("rewritten")
	origin.Git("branch", "-D", "other")
	origin.GC()
	if got := tip(t, s); got != c3 {
		t.Fatalf("Tip after force-push = %s, want %s", got, c3)
	}
	// The clone still has c2, so this is a diff c2..c3.
	got = changes(t, s, c2, c3, known)
	(&want{r: origin, version: c3}).upsert("a.go").delete("c.go").upsert("d.go").check(t, got)
	// Pruned: the deleted branch is gone from the clone.
	other := newSource(t, Config{Name: "repo", URL: url, DataDir: dataDir, Branch: "other"})
	if _, err := other.Tip(ctx); !errors.Is(err, ErrBranchNotFound) || !strings.Contains(err.Error(), "available: main") {
		t.Fatalf("deleted branch: err = %v", err)
	}

	// A re-created clone does not know c2: the source reconciles against known.
	if err := os.RemoveAll(clone); err != nil {
		t.Fatal(err)
	}
	fresh := newSource(t, Config{Name: "repo", URL: url, DataDir: dataDir})
	if got := tip(t, fresh); got != c3 {
		t.Fatalf("Tip of new clone = %s, want %s", got, c3)
	}
	got = changes(t, fresh, c2, c3, known)
	(&want{r: origin, version: c3}).upsert("a.go").delete("c.go").upsert("d.go").check(t, got)

	b, err := fresh.Read(ctx, got[0])
	if err != nil || string(b) != "package a // rewritten\n" {
		t.Fatalf("Read(%s) = %q, %v", got[0].Path, b, err)
	}
}

func TestEmitErrorStops(t *testing.T) {
	r := gittest.NewRepo(t)
	r.Write("a.go", "package a\n")
	r.Write("b.go", "package b\n")
	c1 := r.Commit("first")
	s := newSource(t, Config{URL: r.Dir()})
	stop := errors.New("stop")
	n := 0
	err := s.Changes(ctx, "", c1, nil, func(codectx.Change) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err = %v after %d emits, want stop after 1", err, n)
	}
}

// TestGCWhileOpen: git gc packs and deletes loose objects under an open source (auto gc does
// it at any time); lookups must find them in the new pack.
func TestGCWhileOpen(t *testing.T) {
	r := gittest.NewRepo(t)
	r.Write("a.go", "package a\n")
	c1 := r.Commit("first")
	r.Write("b.go", "package b\n")
	c2 := r.Commit("second")
	s := newSource(t, Config{URL: r.Dir()})
	if got := tip(t, s); got != c2 {
		t.Fatalf("Tip = %s", got)
	}
	r.GC()
	if n := r.Git("count-objects"); !strings.HasPrefix(n, "0 objects") {
		t.Fatalf("gc left loose objects: %s", n)
	}
	got := changes(t, s, c1, c2, nil)
	(&want{r: r, version: c2}).upsert("b.go").check(t, got)
	b, err := s.Read(ctx, got[0])
	if err != nil || string(b) != "package b\n" {
		t.Fatalf("Read = %q, %v", b, err)
	}
	got = changes(t, s, "", c2, nil)
	(&want{r: r, version: c2}).upsert("a.go").upsert("b.go").check(t, got)
}

// TestBlobHash checks blobHash against go-git's name for the same content, empty included.
func TestBlobHash(t *testing.T) {
	for _, content := range []string{"", "x", "package main\n\nfunc main() {}\n", strings.Repeat("ab\n", 10000)} {
		want := plumbing.ComputeHash(plumbing.BlobObject, []byte(content))
		if got := blobHash([]byte(content)); got != want {
			t.Errorf("blobHash(%d bytes) = %s, want %s", len(content), got, want)
		}
	}
}
