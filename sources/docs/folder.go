// Package docs holds the codectx sources for documents: Folder indexes a plain directory that is
// not a git repository.
package docs

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/sources/filter"
)

// FolderConfig configures a Folder.
type FolderConfig struct {
	// Name identifies the source (default: the folder's base name).
	Name string `toml:"name" json:"name"`
	// Path is the folder's location on disk.
	Path string `toml:"path" json:"path"`
	// Filter selects the files indexed.
	Filter filter.Options `toml:"filter" json:"filter"`
}

// Validate checks the configuration without touching the disk.
func (c FolderConfig) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("path is required"))
	}
	if err := c.Filter.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Folder is a directory of files as a codectx.Source. Versions are tokens of the folder's
// state (see Tip); every sync reconciles against the store.
//
// BlobHash is git's blob hash of the content (hex SHA-1 of "blob <size>\x00" + content), so the
// same file has the same hash here and in a git source. A file over the size limit is not read
// at all: its BlobHash is a hash of its size and modification time, and Read skips it as
// too_large.
type Folder struct {
	cfg    FolderConfig
	log    *slog.Logger
	filter *filter.Filter
	dir    string
	root   *os.Root

	mu      sync.Mutex
	hashes  map[string]statHash // hashes computed by earlier syncs, reused while size and mtime hold
	skipped map[string]int

	closed atomic.Bool
}

var _ codectx.Source = (*Folder)(nil)

// statHash is a computed hash with the file's state when it was computed.
type statHash struct {
	size  int64
	mtime time.Time
	at    time.Time // when the hash was computed
	hash  string
}

// racyWindow: a file modified this close to when it was hashed may change again without its
// size or mtime changing visibly (coarse timestamps), so its cached hash is not trusted.
const racyWindow = 2 * time.Second

// NewFolder opens a folder source.
func NewFolder(cfg FolderConfig, log *slog.Logger) (*Folder, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("folder source %q: %w", cfg.Name, err)
	}
	f, err := filter.New(cfg.Filter)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("folder source: %w", err)
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("no such folder: %s", dir)
	case err != nil:
		return nil, fmt.Errorf("opening folder %s: %w", dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("not a folder: %s", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening folder %s: %w", dir, err)
	}
	if cfg.Name == "" {
		cfg.Name = filepath.Base(dir)
	}
	return &Folder{
		cfg: cfg, log: log.With("source", cfg.Name), filter: f, dir: dir, root: root,
		hashes: map[string]statHash{}, skipped: map[string]int{},
	}, nil
}

// Name implements codectx.Source.
func (f *Folder) Name() string { return f.cfg.Name }

// entry is a regular file found by a walk.
type entry struct {
	path  string // slash-separated, relative
	size  int64
	mtime time.Time
}

// walk lists the folder's files in lexical order, without following symlinks. Directories the
// filter rejects as a whole (vendored trees, .git) are not entered. visit gets every
// non-directory with its reason to be skipped by path or type ("" when it is a regular file to
// index).
func (f *Folder) walk(ctx context.Context, visit func(e entry, reason string) error) error {
	return filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, rerr := filepath.Rel(f.dir, p)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			if p == f.dir {
				return fmt.Errorf("reading folder %s: %w", f.dir, err)
			}
			f.log.Warn("unreadable path, skipped", "path", rel, "err", err)
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return visit(entry{path: rel}, codectx.SkipUnreadable)
		}
		if d.IsDir() {
			if p != f.dir && f.filter.Path(rel+"/_") == codectx.SkipVendored {
				return filepath.SkipDir
			}
			return nil
		}
		e := entry{path: rel}
		if d.Type()&fs.ModeSymlink != 0 {
			return visit(e, codectx.SkipSymlink)
		}
		if !d.Type().IsRegular() {
			return visit(e, codectx.SkipUnreadable)
		}
		fi, ierr := d.Info()
		if ierr != nil {
			if errors.Is(ierr, fs.ErrNotExist) {
				return nil // removed while walking
			}
			f.log.Warn("unreadable file, skipped", "path", rel, "err", ierr)
			return visit(e, codectx.SkipUnreadable)
		}
		e.size, e.mtime = fi.Size(), fi.ModTime()
		return visit(e, f.filter.Path(rel))
	})
}

// Tip implements codectx.Source: it returns a hash of every file's path, size and modification
// time, which changes whenever a file is added, removed or rewritten. It reads no file.
func (f *Folder) Tip(ctx context.Context) (string, error) {
	if f.closed.Load() {
		return "", errors.New("folder source is closed")
	}
	h := sha1.New()
	var buf []byte
	err := f.walk(ctx, func(e entry, reason string) error {
		buf = append(buf[:0], e.path...)
		buf = append(buf, 0)
		buf = strconv.AppendInt(buf, e.size, 10)
		buf = append(buf, 0)
		buf = strconv.AppendInt(buf, e.mtime.UnixNano(), 10)
		buf = append(buf, '\n')
		h.Write(buf)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Changes implements codectx.Source. A folder keeps no history, so it always reconciles: from
// is ignored, and the files on disk are compared with known by content hash.
func (f *Folder) Changes(ctx context.Context, from, to string, known map[string]codectx.FileState, emit func(codectx.Change) error) error {
	if f.closed.Load() {
		return errors.New("folder source is closed")
	}
	skipped := map[string]int{}
	seen := make(map[string]bool, len(known))
	fresh := make(map[string]statHash)
	change := func(op codectx.Op, p, hash string) error {
		c := codectx.Change{Source: f.cfg.Name, Version: to, Path: p, Op: op}
		if op != codectx.OpDelete {
			c.BlobHash, c.Language = hash, codectx.LanguageForPath(p)
		}
		return emit(c)
	}
	err := f.walk(ctx, func(e entry, reason string) error {
		seen[e.path] = true
		_, isKnown := known[e.path]
		if reason == "" {
			sh, err := f.hash(e)
			if err != nil {
				f.log.Warn("unreadable file, skipped", "path", e.path, "err", err)
				reason = codectx.SkipUnreadable
			} else {
				fresh[e.path] = sh
				if k, ok := known[e.path]; ok && k.BlobHash == sh.hash {
					return nil
				}
				return change(codectx.OpUpsert, e.path, sh.hash)
			}
		}
		skipped[reason]++
		if isKnown {
			return change(codectx.OpDelete, e.path, "")
		}
		return nil
	})
	f.mu.Lock()
	f.skipped = skipped
	if err == nil {
		f.hashes = fresh
	}
	f.mu.Unlock()
	if err != nil {
		return err
	}
	var gone []string
	for p := range known {
		if !seen[p] {
			gone = append(gone, p)
		}
	}
	slices.Sort(gone)
	for _, p := range gone {
		if err := change(codectx.OpDelete, p, ""); err != nil {
			return err
		}
	}
	return nil
}

// hash returns the file's BlobHash, reusing the one of the last sync when the file's size and
// mtime are unchanged (and were not racy then).
func (f *Folder) hash(e entry) (statHash, error) {
	f.mu.Lock()
	old, ok := f.hashes[e.path]
	f.mu.Unlock()
	if ok && old.size == e.size && old.mtime.Equal(e.mtime) && old.at.Sub(e.mtime) > racyWindow {
		return old, nil
	}
	sh := statHash{size: e.size, mtime: e.mtime, at: time.Now()}
	if e.size > f.filter.MaxFileBytes() {
		sh.hash = statToken(e)
		return sh, nil
	}
	b, err := f.root.ReadFile(filepath.FromSlash(e.path))
	if err != nil {
		return statHash{}, err
	}
	sh.size = int64(len(b))
	sh.hash = BlobHash(b)
	return sh, nil
}

// statToken stands in for the content hash of a file too large to read.
func statToken(e entry) string {
	s := sha1.Sum([]byte("stat\x00" + strconv.FormatInt(e.size, 10) + "\x00" + strconv.FormatInt(e.mtime.UnixNano(), 10)))
	return hex.EncodeToString(s[:])
}

// BlobHash is git's hash of a blob with content b.
func BlobHash(b []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(b)) + "\x00"))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// Skipped returns, by reason, how many files the last Changes call left out for their path or
// type (vendored, lock_file, secret, excluded, symlink, unreadable). Files inside a skipped
// directory (vendor/, node_modules/, .git/) are not walked and not counted.
func (f *Folder) Skipped() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.skipped)
}

// Read implements codectx.Source. It returns the file's current content, which may be newer
// than c.BlobHash; the caller indexes what it gets. It is safe for concurrent use.
func (f *Folder) Read(ctx context.Context, c codectx.Change) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.closed.Load() {
		return nil, errors.New("folder source is closed")
	}
	if !filepath.IsLocal(filepath.FromSlash(c.Path)) {
		return nil, codectx.Permanent(fmt.Errorf("reading %q: path outside the folder", c.Path))
	}
	if r := f.filter.Path(c.Path); r != "" {
		return nil, &codectx.SkipError{Reason: r}
	}
	name := filepath.FromSlash(c.Path)
	// Lstat, then open inside the root: a symlink is never followed, out of the folder or not.
	fi, err := f.root.Lstat(name)
	if err != nil {
		return nil, f.unreadable(c.Path, err)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, &codectx.SkipError{Reason: codectx.SkipSymlink}
	case !fi.Mode().IsRegular():
		return nil, f.unreadable(c.Path, errors.New("not a regular file"))
	case fi.Size() > f.filter.MaxFileBytes():
		return nil, &codectx.SkipError{Reason: codectx.SkipTooLarge}
	}
	file, err := f.root.Open(name)
	if err != nil {
		return nil, f.unreadable(c.Path, err)
	}
	defer file.Close()
	// Read one byte past the limit, in case the file grew since the Lstat.
	b, err := io.ReadAll(io.LimitReader(file, f.filter.MaxFileBytes()+1))
	if err != nil {
		return nil, f.unreadable(c.Path, err)
	}
	if c.BlobHash != "" && BlobHash(b) != c.BlobHash {
		f.log.Debug("file changed since it was listed; reading its new content", "path", c.Path)
	}
	if r := f.filter.Content(c.Path, b); r != "" {
		return nil, &codectx.SkipError{Reason: r}
	}
	return filter.CleanUTF8(b), nil
}

// unreadable logs why a file could not be read and skips it: the next sync sees it again.
func (f *Folder) unreadable(p string, err error) error {
	f.log.Warn("unreadable file, skipped", "path", p, "err", err)
	return &codectx.SkipError{Reason: codectx.SkipUnreadable}
}

// Close implements codectx.Source. It is idempotent.
func (f *Folder) Close() error {
	if f.closed.Swap(true) {
		return nil
	}
	return f.root.Close()
}
