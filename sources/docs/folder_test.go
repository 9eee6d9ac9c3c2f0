package docs

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/sources/filter"
)

var ctx = context.Background()

func write(t *testing.T, dir, p, content string) {
	t.Helper()
	full := filepath.Join(dir, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newFolder(t *testing.T, dir string, o filter.Options) *Folder {
	t.Helper()
	f, err := NewFolder(FolderConfig{Name: "docs", Path: dir, Filter: o}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// sync runs Tip and Changes, applies the changes to known and returns them as "op path" lines.
func syncOnce(t *testing.T, f *Folder, known map[string]codectx.FileState) (string, []string) {
	t.Helper()
	v, err := f.Tip(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = f.Changes(ctx, "", v, known, func(c codectx.Change) error {
		if c.Version != v || c.Source != "docs" {
			t.Errorf("change %+v: want version %s, source docs", c, v)
		}
		switch c.Op {
		case codectx.OpDelete:
			delete(known, c.Path)
		default:
			if c.Language != codectx.LanguageForPath(c.Path) {
				t.Errorf("change %+v: language", c)
			}
			known[c.Path] = codectx.FileState{BlobHash: c.BlobHash}
		}
		got = append(got, string(c.Op)+" "+c.Path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return v, got
}

func TestFolderSync(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.md")
	write(t, filepath.Dir(outside), "secret.md", "# outside\n")
	write(t, dir, "README.md", "# Docs\n\nHello.\n")
	write(t, dir, "guide/intro.md", "# Intro\n\nStart here.\n")
	write(t, dir, "node_modules/x/index.js", "x\n")
	write(t, dir, ".git/config", "[core]\n")
	write(t, dir, ".env", "A=1\n")
	if err := os.Symlink(outside, filepath.Join(dir, "link.md")); err != nil {
		t.Fatal(err)
	}
	f := newFolder(t, dir, filter.Options{})
	known := map[string]codectx.FileState{}
	v1, got := syncOnce(t, f, known)
	if want := []string{"upsert README.md", "upsert guide/intro.md"}; !slices.Equal(got, want) {
		t.Fatalf("first sync = %v, want %v", got, want)
	}
	if sk := f.Skipped(); sk[codectx.SkipSymlink] != 1 || sk[codectx.SkipSecret] != 1 || len(sk) != 2 {
		t.Fatalf("Skipped() = %v", sk)
	}
	if known["README.md"].BlobHash != gitHash(t, filepath.Join(dir, "README.md")) {
		t.Fatalf("BlobHash %s is not git's", known["README.md"].BlobHash)
	}

	// Nothing changed: same token, no changes.
	v2, got := syncOnce(t, f, known)
	if v2 != v1 || len(got) != 0 {
		t.Fatalf("idle sync: token %s→%s, changes %v", v1, v2, got)
	}

	// Modify, add, delete; a rename is a delete plus an upsert.
	write(t, dir, "README.md", "# Docs\n\nHello again.\n")
	write(t, dir, "guide/setup.md", "# Setup\n\nInstall.\n")
	os.Rename(filepath.Join(dir, "guide/intro.md"), filepath.Join(dir, "guide/start.md"))
	v3, got := syncOnce(t, f, known)
	want := []string{"delete guide/intro.md", "upsert README.md", "upsert guide/setup.md", "upsert guide/start.md"}
	if v3 == v2 || !slices.Equal(got, want) {
		t.Fatalf("second sync = %v (token changed: %v), want %v", got, v3 != v2, want)
	}

	// A known file now filtered out (and a stale known entry) leave the index.
	known["gone.md"] = codectx.FileState{BlobHash: "x"}
	ex := newFolder(t, dir, filter.Options{Exclude: []string{"guide/**"}})
	_, got = syncOnce(t, ex, known)
	want = []string{"delete gone.md", "delete guide/setup.md", "delete guide/start.md"}
	if !slices.Equal(got, want) {
		t.Fatalf("exclude sync = %v, want %v", got, want)
	}
}

func gitHash(t *testing.T, p string) string {
	t.Helper()
	out, err := exec.Command("git", "hash-object", p).Output()
	if err != nil {
		t.Skip("git not available:", err)
	}
	return strings.TrimSpace(string(out))
}

func TestFolderSameSizeRewrite(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.md", "# version one\n")
	f := newFolder(t, dir, filter.Options{})
	known := map[string]codectx.FileState{}
	syncOnce(t, f, known)
	// Same size, same mtime: only the content tells.
	fi, _ := os.Stat(filepath.Join(dir, "a.md"))
	write(t, dir, "a.md", "# version two\n")
	os.Chtimes(filepath.Join(dir, "a.md"), fi.ModTime(), fi.ModTime())
	if _, got := syncOnce(t, f, known); !slices.Equal(got, []string{"upsert a.md"}) {
		t.Fatalf("same-size rewrite: %v", got)
	}
}

func TestFolderRead(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.md")
	write(t, filepath.Dir(outside), "secret.md", "# outside\n")
	files := map[string]string{
		"a.md":       "# A\n\ntext\n",
		"latin1.txt": "caf\xe9 cr\xe8me, plain words here\n",
		"bin.dat":    "\x00\x01\x02binary",
		"big.txt":    strings.Repeat("line of text\n", 200),
		"min.js":     strings.Repeat("a(b,c);", 100),
		"empty.md":   "",
	}
	for p, c := range files {
		write(t, dir, p, c)
	}
	os.Symlink(outside, filepath.Join(dir, "link.md"))
	f := newFolder(t, dir, filter.Options{MaxFileBytes: 1024})
	tests := []struct{ path, want, skip string }{
		{"a.md", files["a.md"], ""},
		{"latin1.txt", "caf\uFFFD cr\uFFFDme, plain words here\n", ""},
		{"bin.dat", "", codectx.SkipBinary},
		{"big.txt", "", codectx.SkipTooLarge},
		{"min.js", "", codectx.SkipMinified},
		{"empty.md", "", codectx.SkipEmpty},
		{"link.md", "", codectx.SkipSymlink},
		{"missing.md", "", codectx.SkipUnreadable},
	}
	for _, tt := range tests {
		b, err := f.Read(ctx, codectx.Change{Path: tt.path})
		var se *codectx.SkipError
		switch {
		case tt.skip != "":
			if !errors.As(err, &se) || se.Reason != tt.skip {
				t.Errorf("Read(%s) = %q, %v; want skip %s", tt.path, b, err, tt.skip)
			}
		case err != nil || string(b) != tt.want:
			t.Errorf("Read(%s) = %q, %v; want %q", tt.path, b, err, tt.want)
		}
	}
	if _, err := f.Read(ctx, codectx.Change{Path: "../escape.md"}); !errors.Is(err, codectx.ErrPermanent) {
		t.Errorf("Read(../escape.md) err = %v, want permanent", err)
	}
	// Concurrent reads are safe.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if b, err := f.Read(ctx, codectx.Change{Path: "a.md"}); err != nil || string(b) != files["a.md"] {
					t.Errorf("concurrent Read = %q, %v", b, err)
				}
			}
		})
	}
	wg.Wait()
}

func TestFolderUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads everything")
	}
	dir := t.TempDir()
	write(t, dir, "ok.md", "# ok\n")
	write(t, dir, "locked.md", "# locked\n")
	os.Chmod(filepath.Join(dir, "locked.md"), 0)
	f := newFolder(t, dir, filter.Options{})
	_, got := syncOnce(t, f, map[string]codectx.FileState{})
	if !slices.Equal(got, []string{"upsert ok.md"}) || f.Skipped()[codectx.SkipUnreadable] != 1 {
		t.Fatalf("changes %v, skipped %v", got, f.Skipped())
	}
}

func TestFolderSpecialFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "ok.md", "# ok\n")
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skip("no fifo:", err)
	}
	f := newFolder(t, dir, filter.Options{})
	_, got := syncOnce(t, f, map[string]codectx.FileState{})
	if !slices.Equal(got, []string{"upsert ok.md"}) || f.Skipped()[codectx.SkipUnreadable] != 1 {
		t.Fatalf("changes %v, skipped %v", got, f.Skipped())
	}
	var se *codectx.SkipError
	if _, err := f.Read(ctx, codectx.Change{Path: "pipe"}); !errors.As(err, &se) || se.Reason != codectx.SkipUnreadable {
		t.Fatalf("Read(fifo) err = %v", err)
	}
}

func TestFolderErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := NewFolder(FolderConfig{Path: missing}, nil); err == nil || err.Error() != "no such folder: "+missing {
		t.Errorf("missing: %v", err)
	}
	file := filepath.Join(t.TempDir(), "f.md")
	os.WriteFile(file, []byte("x"), 0o644)
	if _, err := NewFolder(FolderConfig{Path: file}, nil); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("file: %v", err)
	}
	if _, err := NewFolder(FolderConfig{Path: t.TempDir(), Filter: filter.Options{Include: []string{"[x"}}}, nil); err == nil {
		t.Error("bad glob accepted")
	}
	f, err := NewFolder(FolderConfig{Path: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Close() != nil || f.Close() != nil {
		t.Error("Close is not idempotent")
	}
}
