// Package git is the codectx source for git repositories, read with go-git.
//
// A local repository is opened in place and never modified. A remote one (https, ssh or file
// URL) is fetched into a bare repository under DataDir/repos/<name> on every Tip, force-updating
// its remote-tracking branches so that rewritten history is followed.
//
// Changes diffs the trees of two commits (with rename detection) when the cursor's commit is
// still there, and otherwise reconciles the tree at the tip against what the store knows,
// comparing blob hashes without reading any blob. Read loads one blob by its hash and is safe
// for concurrent use; in a local repository with a checkout it takes the checkout's file
// instead when that file's git hash is the blob's.
package git

import (
	"bytes"
	"cmp"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/sources/filter"
)

// Errors of New and Tip, for errors.Is.
var (
	// ErrNoRepository: the local path does not exist.
	ErrNoRepository = errors.New("no such repository")
	// ErrNotRepository: the local path exists but is not a git repository (use a folder source).
	ErrNotRepository = errors.New("not a git repository")
	// ErrBranchNotFound: the configured branch does not exist.
	ErrBranchNotFound = errors.New("branch not found")
)

const (
	remoteName = "origin"
	// renameLimit caps content-based rename detection (added × deleted files compared), as
	// git's diff.renameLimit does; above it only exact renames are found.
	renameLimit = 400
	renameScore = 60
	// cacheBytes is the object cache shared by the readers of one repository.
	cacheBytes = 64 << 20
	// readerCacheBytes is the object cache (delta bases) of each pooled pack reader: sharing
	// one cache between readers made two readers slower than one.
	readerCacheBytes = 16 << 20
)

// Config configures a git source.
type Config struct {
	// Name identifies the source (default: the repository's directory name).
	Name string `toml:"name" json:"name"`
	// URL is a local path, or an https, ssh, git or file URL (or scp-like user@host:path).
	URL string `toml:"url" json:"url"`
	// Branch to index (default: HEAD of a local repository, the default branch of a remote).
	Branch string `toml:"branch" json:"branch,omitempty"`
	// DataDir holds clones of remote repositories, under DataDir/repos/<name>.
	DataDir string `toml:"data_dir" json:"data_dir,omitempty"`
	// Token authenticates https fetches (basic auth with user "x-access-token", or the URL's).
	Token string `toml:"token" json:"-"`
	// SSHKeyFile is a private key for ssh URLs (default: the ssh agent).
	SSHKeyFile string `toml:"ssh_key_file" json:"ssh_key_file,omitempty"`
	// Filter selects the files indexed.
	Filter filter.Options `toml:"filter" json:"filter"`
}

var scpLike = regexp.MustCompile(`^(?:[A-Za-z0-9._~-]+@)?[A-Za-z0-9.-]+:[^/\\]`)

// isRemote reports whether u names a remote repository rather than a local path.
func isRemote(u string) bool {
	if strings.Contains(u, "://") {
		return true
	}
	if _, err := os.Stat(u); err == nil {
		return false
	}
	return scpLike.MatchString(u)
}

// Validate checks the configuration. It does not use the network.
func (c Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("url is required"))
	} else if isRemote(c.URL) && c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is required for a remote repository"))
	}
	if c.SSHKeyFile != "" {
		if _, err := os.Stat(c.SSHKeyFile); err != nil {
			errs = append(errs, fmt.Errorf("ssh_key_file: %w", err))
		}
	}
	if err := c.Filter.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// IsRepository reports whether path is a local git repository (a work tree or a bare one).
func IsRepository(path string) bool {
	_, err := gogit.PlainOpenWithOptions(path, &gogit.PlainOpenOptions{EnableDotGitCommonDir: true})
	return err == nil
}

// handle is one opened view of the repository's storage. A handle is replaced, never changed,
// when the repository may have changed on disk (new packs), so readers never race a reindex.
type handle struct {
	repo    *gogit.Repository
	st      *filesystem.Storage // nil when go-git built the storage itself
	objects string              // the objects directory, for reading loose objects directly ("" : don't)
	// workTree is the checkout of a local repository ("" for a bare one or a clone): a file
	// there whose content hashes to the wanted blob is read instead of the object store.
	workTree string

	// Readers of packed blobs. A go-git storage that keeps its pack files open is much faster
	// but not safe for concurrent use, so each Read borrows one of its own.
	newReader func() (*filesystem.Storage, error)
	mu        sync.Mutex
	free      []*filesystem.Storage
	closed    bool
}

// reader borrows a storage for reading packed objects (the shared one when there is no pool).
func (h *handle) reader() (storer.EncodedObjectStorer, func(), error) {
	if h.newReader == nil {
		return h.repo.Storer, func() {}, nil
	}
	h.mu.Lock()
	if n := len(h.free); n > 0 {
		st := h.free[n-1]
		h.free = h.free[:n-1]
		h.mu.Unlock()
		return st, func() { h.release(st) }, nil
	}
	h.mu.Unlock()
	st, err := h.newReader()
	if err != nil {
		return nil, nil, err
	}
	return st, func() { h.release(st) }, nil
}

func (h *handle) release(st *filesystem.Storage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		st.Close()
		return
	}
	h.free = append(h.free, st)
}

// close closes the pooled readers; readers still borrowed are closed when released.
func (h *handle) close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	var errs []error
	for _, st := range h.free {
		errs = append(errs, st.Close())
	}
	h.free = nil
	if h.st != nil {
		errs = append(errs, h.st.Close())
	}
	return errors.Join(errs...)
}

// Source is a git repository as a codectx.Source.
type Source struct {
	cfg    Config
	log    *slog.Logger
	filter *filter.Filter
	remote bool
	dir    string // the local repository, or the clone of a remote one
	url    string // remote URL without credentials
	auth   transport.AuthMethod

	tipMu     sync.Mutex // serializes Tip: fetches and handle swaps
	refreshMu sync.Mutex // serializes reopening after a missing object
	branch    string     // resolved remote default branch, under tipMu
	h         atomic.Pointer[handle]

	skipMu  sync.Mutex
	skipped map[string]int

	closed atomic.Bool
}

var _ codectx.Source = (*Source)(nil)

// New opens a git source. For a local path it opens the repository and checks the branch;
// for a remote URL it opens an existing clone (if any) and leaves fetching to Tip.
func New(cfg Config, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("git source %q: %w", cfg.Name, err)
	}
	f, err := filter.New(cfg.Filter)
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, filter: f, remote: isRemote(cfg.URL), skipped: map[string]int{}}
	if s.remote {
		if err := s.setUpRemote(); err != nil {
			return nil, err
		}
	} else {
		abs, err := filepath.Abs(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("git source: %w", err)
		}
		s.dir = abs
		if s.cfg.Name == "" {
			s.cfg.Name = strings.TrimSuffix(filepath.Base(abs), ".git")
		}
	}
	s.log = log.With("source", s.cfg.Name)
	if s.remote {
		if IsRepository(s.dir) {
			h, err := s.open()
			if err != nil {
				return nil, err
			}
			s.h.Store(h)
		}
		return s, nil
	}
	h, err := s.open()
	if err != nil {
		return nil, err
	}
	if _, err := s.resolveLocal(h); err != nil {
		return nil, err
	}
	s.h.Store(h)
	return s, nil
}

func (s *Source) setUpRemote() error {
	ep, err := transport.NewEndpoint(s.cfg.URL)
	if err != nil {
		return fmt.Errorf("git source: bad url: %w", err)
	}
	user, pass := ep.User, ep.Password
	ep.Password = ""
	if ep.Protocol == "http" || ep.Protocol == "https" {
		ep.User = ""
	}
	s.url = ep.String()
	if s.cfg.Name == "" {
		s.cfg.Name = strings.TrimSuffix(path.Base(strings.TrimRight(ep.Path, "/")), ".git")
	}
	s.dir = filepath.Join(s.cfg.DataDir, "repos", safeName(s.cfg.Name))
	switch ep.Protocol {
	case "http", "https":
		switch {
		case s.cfg.Token != "":
			if user == "" {
				user = "x-access-token"
			}
			s.auth = &githttp.BasicAuth{Username: user, Password: s.cfg.Token}
		case pass != "":
			s.auth = &githttp.BasicAuth{Username: user, Password: pass}
		}
	case "ssh":
		if user == "" {
			user = "git"
		}
		if s.cfg.SSHKeyFile != "" {
			a, err := gitssh.NewPublicKeysFromFile(user, s.cfg.SSHKeyFile, "")
			if err != nil {
				return fmt.Errorf("git source %q: ssh key %s: %w", s.cfg.Name, s.cfg.SSHKeyFile, err)
			}
			s.auth = a
		}
	}
	return nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(n string) string {
	n = unsafeChars.ReplaceAllString(n, "_")
	if n == "" || n == "." || n == ".." {
		n = "_" + n
	}
	return n
}

// Name implements codectx.Source.
func (s *Source) Name() string { return s.cfg.Name }

// where names the repository in messages.
func (s *Source) where() string {
	if s.remote {
		return s.url
	}
	return s.dir
}

// open opens a fresh handle on s.dir.
func (s *Source) open() (*handle, error) {
	fi, err := os.Stat(s.dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNoRepository, s.dir)
		}
		return nil, fmt.Errorf("opening repository %s: %w", s.dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s (a file, not a directory)", ErrNotRepository, s.dir)
	}
	// Work trees keep their repository in .git; bare repositories are the directory itself.
	dot := filepath.Join(s.dir, ".git")
	dfi, err := os.Stat(dot)
	switch {
	case err == nil && dfi.IsDir():
	case err == nil:
		// A .git file (linked work tree or submodule): let go-git follow it.
		repo, err := gogit.PlainOpenWithOptions(s.dir, &gogit.PlainOpenOptions{EnableDotGitCommonDir: true})
		if err != nil {
			return nil, s.openError(err)
		}
		return warm(&handle{repo: repo})
	default:
		dot = s.dir
		if _, err := os.Stat(filepath.Join(dot, "HEAD")); err != nil {
			return nil, fmt.Errorf("%w: %s", ErrNotRepository, s.dir)
		}
	}
	objCache := cache.NewObjectLRU(cacheBytes)
	st := filesystem.NewStorageWithOptions(osfs.New(dot), objCache,
		filesystem.Options{LargeObjectThreshold: s.filter.MaxFileBytes()})
	repo, err := gogit.Open(st, nil)
	if err != nil {
		st.Close()
		return nil, s.openError(err)
	}
	newReader := func() (*filesystem.Storage, error) {
		rst := filesystem.NewStorageWithOptions(osfs.New(dot), cache.NewObjectLRU(readerCacheBytes),
			filesystem.Options{LargeObjectThreshold: s.filter.MaxFileBytes(), KeepDescriptors: true})
		_, err := rst.EncodedObject(plumbing.AnyObject, plumbing.ZeroHash) // load the pack indexes
		if err != nil && !errors.Is(err, plumbing.ErrObjectNotFound) {
			rst.Close()
			return nil, fmt.Errorf("reading pack indexes: %w", err)
		}
		return rst, nil
	}
	h := &handle{repo: repo, st: st, objects: filepath.Join(dot, "objects"), newReader: newReader}
	if dot != s.dir && !s.remote {
		h.workTree = s.dir
	}
	return warm(h)
}

func (s *Source) openError(err error) error {
	if errors.Is(err, gogit.ErrRepositoryNotExists) {
		return fmt.Errorf("%w: %s", ErrNotRepository, s.dir)
	}
	return fmt.Errorf("opening repository %s: %w", s.dir, err)
}

// warm loads the pack indexes once, before the handle is shared: go-git loads them lazily
// without a lock, which would race between concurrent first readers.
func warm(h *handle) (*handle, error) {
	_, err := h.repo.Storer.EncodedObject(plumbing.AnyObject, plumbing.ZeroHash)
	if err != nil && !errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("reading pack indexes: %w", err)
	}
	return h, nil
}

func (s *Source) handle() (*handle, error) {
	if s.closed.Load() {
		return nil, errors.New("git source is closed")
	}
	h := s.h.Load()
	if h == nil {
		return nil, fmt.Errorf("repository %s has not been fetched yet", s.url)
	}
	return h, nil
}

// Tip implements codectx.Source: it fetches a remote first, then returns the commit hash at
// the tip of the branch.
func (s *Source) Tip(ctx context.Context) (string, error) {
	if s.closed.Load() {
		return "", errors.New("git source is closed")
	}
	s.tipMu.Lock()
	defer s.tipMu.Unlock()
	if s.remote {
		return s.tipRemote(ctx)
	}
	// Reopen, so that objects packed since the last Tip (git gc, fetch) are seen.
	h, err := s.open()
	if err != nil {
		return "", err
	}
	c, err := s.resolveLocal(h)
	if err != nil {
		h.close()
		return "", err
	}
	s.swap(h)
	return c.String(), nil
}

// swap makes h the current handle and closes the one it replaces. A reader still holding the
// old handle is safe: its borrowed storage is closed when returned, and the rest reopens files
// as it needs them.
func (s *Source) swap(h *handle) {
	if old := s.h.Swap(h); old != nil && old != h {
		if err := old.close(); err != nil {
			s.log.Warn("closing the previous repository handle", "err", err)
		}
	}
}

// resolveLocal returns the commit at the configured branch, or at HEAD.
func (s *Source) resolveLocal(h *handle) (plumbing.Hash, error) {
	if s.cfg.Branch == "" {
		ref, err := h.repo.Head()
		if err != nil {
			if errors.Is(err, plumbing.ErrReferenceNotFound) {
				return plumbing.ZeroHash, fmt.Errorf("repository %s has no commits", s.dir)
			}
			return plumbing.ZeroHash, fmt.Errorf("resolving HEAD in %s: %w", s.dir, err)
		}
		return s.peel(h, ref.Hash())
	}
	b := s.cfg.Branch
	names := []plumbing.ReferenceName{plumbing.ReferenceName(b)}
	if !strings.HasPrefix(b, "refs/") {
		names = []plumbing.ReferenceName{
			plumbing.NewBranchReferenceName(b),
			plumbing.ReferenceName("refs/remotes/" + b),
			plumbing.NewTagReferenceName(b),
		}
	}
	for _, n := range names {
		ref, err := h.repo.Reference(n, true)
		if err == nil {
			return s.peel(h, ref.Hash())
		}
		if !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return plumbing.ZeroHash, fmt.Errorf("resolving %s in %s: %w", n, s.dir, err)
		}
	}
	return plumbing.ZeroHash, s.branchError(h, "refs/heads/")
}

// peel follows annotated tags to the commit.
func (s *Source) peel(h *handle, hash plumbing.Hash) (plumbing.Hash, error) {
	for range 10 {
		tag, err := h.repo.TagObject(hash)
		if err != nil {
			break
		}
		hash = tag.Target
	}
	if _, err := h.repo.CommitObject(hash); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading commit %s in %s: %w", hash, s.where(), err)
	}
	return hash, nil
}

// branchError lists the branches under prefix that do exist.
func (s *Source) branchError(h *handle, prefix string) error {
	var avail []string
	if iter, err := h.repo.References(); err == nil {
		_ = iter.ForEach(func(r *plumbing.Reference) error {
			if n := r.Name().String(); strings.HasPrefix(n, prefix) && !strings.HasSuffix(n, "/HEAD") {
				avail = append(avail, strings.TrimPrefix(n, prefix))
			}
			return nil
		})
	}
	slices.Sort(avail)
	list := strings.Join(avail, ", ")
	if list == "" {
		list = "(none)"
	}
	return fmt.Errorf("%w: branch %s not found in %s; available: %s", ErrBranchNotFound, s.cfg.Branch, s.where(), list)
}

func (s *Source) tipRemote(ctx context.Context) (string, error) {
	if err := s.fetch(ctx); err != nil {
		return "", err
	}
	h, err := s.open()
	if err != nil {
		return "", err
	}
	swapped := false
	defer func() {
		if !swapped {
			h.close() // an error before the swap: this handle is no one's
		}
	}()
	branch := s.cfg.Branch
	if branch == "" {
		if branch, err = s.defaultBranch(ctx, h); err != nil {
			return "", err
		}
	}
	ref, err := h.repo.Reference(plumbing.NewRemoteReferenceName(remoteName, branch), true)
	if err != nil {
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			return "", s.branchError(h, "refs/remotes/"+remoteName+"/")
		}
		return "", fmt.Errorf("resolving branch %s of %s: %w", branch, s.url, err)
	}
	c, err := s.peel(h, ref.Hash())
	if err != nil {
		return "", err
	}
	s.swap(h)
	swapped = true
	return c.String(), nil
}

// fetch brings the clone up to date, creating it first if needed. It works on its own handle
// so that readers of the current one are not disturbed.
func (s *Source) fetch(ctx context.Context) error {
	repo, err := gogit.PlainOpen(s.dir)
	if errors.Is(err, gogit.ErrRepositoryNotExists) {
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			return fmt.Errorf("creating clone of %s: %w", s.url, err)
		}
		repo, err = gogit.PlainInit(s.dir, true)
	}
	if err != nil {
		return fmt.Errorf("opening clone of %s at %s: %w", s.url, s.dir, err)
	}
	refspec := config.RefSpec("+refs/heads/*:refs/remotes/" + remoteName + "/*")
	cfg, err := repo.Config()
	if err != nil {
		return fmt.Errorf("reading config of clone %s: %w", s.dir, err)
	}
	if rc := cfg.Remotes[remoteName]; rc == nil || len(rc.URLs) != 1 || rc.URLs[0] != s.url {
		cfg.Remotes[remoteName] = &config.RemoteConfig{Name: remoteName, URLs: []string{s.url}, Fetch: []config.RefSpec{refspec}}
		if err := repo.SetConfig(cfg); err != nil {
			return fmt.Errorf("configuring clone %s: %w", s.dir, err)
		}
	}
	s.log.Debug("fetching", "url", s.url)
	err = repo.FetchContext(ctx, &gogit.FetchOptions{
		RemoteName: remoteName,
		RefSpecs:   []config.RefSpec{refspec},
		Auth:       s.auth,
		Tags:       gogit.NoTags,
		Force:      true,
		Prune:      true,
	})
	switch {
	case err == nil, errors.Is(err, gogit.NoErrAlreadyUpToDate):
		return nil
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("fetching %s: the remote repository is empty", s.url)
	default:
		return fmt.Errorf("fetching %s: %w", s.url, err)
	}
}

// defaultBranch asks the remote which branch its HEAD points at; it is asked once.
func (s *Source) defaultBranch(ctx context.Context, h *handle) (string, error) {
	if s.branch != "" {
		return s.branch, nil
	}
	rem, err := h.repo.Remote(remoteName)
	if err != nil {
		return "", fmt.Errorf("clone %s: %w", s.dir, err)
	}
	refs, err := rem.ListContext(ctx, &gogit.ListOptions{Auth: s.auth})
	if err != nil {
		return "", fmt.Errorf("listing branches of %s: %w", s.url, err)
	}
	var heads []string
	for _, r := range refs {
		if r.Name() == plumbing.HEAD && r.Type() == plumbing.SymbolicReference {
			s.branch = r.Target().Short()
			return s.branch, nil
		}
		if r.Name().IsBranch() {
			heads = append(heads, r.Name().Short())
		}
	}
	// No symbolic HEAD advertised: take the only branch, or a conventional name.
	if len(heads) == 1 {
		s.branch = heads[0]
		return s.branch, nil
	}
	for _, b := range []string{"main", "master", "trunk"} {
		if slices.Contains(heads, b) {
			s.branch = b
			return b, nil
		}
	}
	return "", fmt.Errorf("cannot tell the default branch of %s; set branch (available: %s)", s.url, strings.Join(heads, ", "))
}

// Skipped returns, by reason, how many files the last Changes call left out for their path or
// type (vendored, lock_file, secret, excluded, submodule, symlink).
func (s *Source) Skipped() map[string]int {
	s.skipMu.Lock()
	defer s.skipMu.Unlock()
	return maps.Clone(s.skipped)
}

// entryReason is why a tree entry is not indexed, judging by its mode and path.
func (s *Source) entryReason(p string, mode filemode.FileMode) string {
	switch mode {
	case filemode.Submodule:
		return codectx.SkipSubmodule
	case filemode.Symlink:
		return codectx.SkipSymlink
	case filemode.Regular, filemode.Executable, filemode.Deprecated:
		return s.filter.Path(p)
	default:
		return codectx.SkipUnreadable
	}
}

// Changes implements codectx.Source.
func (s *Source) Changes(ctx context.Context, from, to string, known map[string]codectx.FileState, emit func(codectx.Change) error) error {
	h, err := s.handle()
	if err != nil {
		return err
	}
	e := &emitter{s: s, version: to, known: known, skipped: map[string]int{}, emit: emit}
	defer func() {
		s.skipMu.Lock()
		s.skipped = e.skipped
		s.skipMu.Unlock()
	}()
	// The commits and trees are looked up (and a diff computed) before anything is emitted, so a
	// lookup that fails on a stale handle can simply start over on a fresh one.
	toTree, err := s.tree(&h, to)
	if err != nil {
		return err
	}
	if from != "" {
		fromTree, err := s.tree(&h, from)
		if err == nil && fromTree.Hash == toTree.Hash {
			return nil
		}
		if err == nil {
			changes, err := s.diff(ctx, h, fromTree, toTree)
			if isNotFound(err) {
				if nh := s.refresh(h); nh != h {
					h = nh
					if fromTree, err = s.tree(&h, from); err == nil {
						if toTree, err = s.tree(&h, to); err == nil {
							changes, err = s.diff(ctx, h, fromTree, toTree)
						}
					}
				}
			}
			if err != nil {
				return err
			}
			for _, c := range changes {
				if err := e.diffChange(c); err != nil {
					return err
				}
			}
			return nil
		}
		s.log.Info("cursor commit is unusable, reconciling the whole tree", "from", from, "to", to, "err", err)
	}
	return s.reconcile(ctx, h, toTree, e)
}

func isNotFound(err error) bool { return errors.Is(err, plumbing.ErrObjectNotFound) }

// refresh replaces old by a freshly opened handle, unless another caller already did. Objects
// may move while the repository is open: git gc packs loose objects and deletes them, and a
// handle lists the packs only once. It returns old when reopening fails.
func (s *Source) refresh(old *handle) *handle {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	if cur := s.h.Load(); cur != old && cur != nil {
		return cur
	}
	nh, err := s.open()
	if err != nil {
		s.log.Warn("reopening repository", "err", err)
		return old
	}
	if !s.h.CompareAndSwap(old, nh) {
		nh.close()
		if cur := s.h.Load(); cur != nil {
			return cur
		}
		return old
	}
	if old != nil {
		old.close()
	}
	return nh
}

// tree returns the tree of commit rev, refreshing *h once when an object is missing.
func (s *Source) tree(h **handle, rev string) (*object.Tree, error) {
	if !plumbing.IsHash(rev) {
		return nil, fmt.Errorf("bad commit id %q", rev)
	}
	hash := plumbing.NewHash(rev)
	var t *object.Tree
	err := s.retry(h, func(h *handle) error {
		c, err := h.repo.CommitObject(hash)
		if err != nil {
			return fmt.Errorf("reading commit %s in %s: %w", rev, s.where(), err)
		}
		if t, err = h.repo.TreeObject(c.TreeHash); err != nil {
			return fmt.Errorf("reading tree of commit %s in %s: %w", rev, s.where(), err)
		}
		return nil
	})
	return t, err
}

// retry runs fn on *h and, when it fails for a missing object, once more on a fresh handle.
func (s *Source) retry(h **handle, fn func(*handle) error) error {
	err := fn(*h)
	if isNotFound(err) {
		if nh := s.refresh(*h); nh != *h {
			*h = nh
			err = fn(nh)
		}
	}
	return err
}

// emitter turns tree entries into Changes, applying the path filters.
type emitter struct {
	s       *Source
	version string
	known   map[string]codectx.FileState
	skipped map[string]int
	emit    func(codectx.Change) error
}

func (e *emitter) change(op codectx.Op, p, oldPath string, hash plumbing.Hash) error {
	c := codectx.Change{Source: e.s.cfg.Name, Version: e.version, Path: p, OldPath: oldPath, Op: op}
	if op != codectx.OpDelete {
		c.BlobHash = hash.String()
		c.Language = codectx.LanguageForPath(p)
	}
	return e.emit(c)
}

func (e *emitter) isKnown(p string) bool {
	_, ok := e.known[p]
	return ok
}

func (s *Source) diff(ctx context.Context, h *handle, a, b *object.Tree) (object.Changes, error) {
	changes, err := object.DiffTreeWithOptions(ctx, a, b, &object.DiffTreeOptions{
		DetectRenames: true, RenameScore: renameScore, RenameLimit: renameLimit,
	})
	if err != nil {
		return nil, fmt.Errorf("diffing trees %s..%s in %s: %w", a.Hash, b.Hash, s.where(), err)
	}
	return changes, nil
}

func (e *emitter) diffChange(c *object.Change) error {
	from, to := c.From, c.To
	var toReason string
	if to.Name != "" {
		toReason = e.s.entryReason(to.Name, to.TreeEntry.Mode)
		if toReason != "" {
			e.skipped[toReason]++
		}
	}
	// The old path was indexed, or may have been: it must go when the new state is not indexed.
	fromIndexed := from.Name != "" && (e.isKnown(from.Name) || e.s.entryReason(from.Name, from.TreeEntry.Mode) == "")
	switch {
	case to.Name == "": // deleted
		if fromIndexed {
			return e.change(codectx.OpDelete, from.Name, "", plumbing.ZeroHash)
		}
		return nil
	case toReason != "": // the new state is filtered out
		if fromIndexed {
			return e.change(codectx.OpDelete, from.Name, "", plumbing.ZeroHash)
		}
		return nil
	case from.Name != "" && from.Name != to.Name && fromIndexed: // renamed
		return e.change(codectx.OpRename, to.Name, from.Name, to.TreeEntry.Hash)
	default: // added or modified, or renamed from a path that was never indexed
		return e.change(codectx.OpUpsert, to.Name, "", to.TreeEntry.Hash)
	}
}

// reconcile walks the tree at the tip (tree objects only) and emits its difference with known.
func (s *Source) reconcile(ctx context.Context, h *handle, root *object.Tree, e *emitter) error {
	seen := make(map[string]bool, len(e.known))
	var walk func(t *object.Tree, prefix string) error
	walk = func(t *object.Tree, prefix string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, ent := range t.Entries {
			p := prefix + ent.Name
			if ent.Mode == filemode.Dir {
				var sub *object.Tree
				err := s.retry(&h, func(h *handle) (err error) {
					sub, err = h.repo.TreeObject(ent.Hash)
					return err
				})
				if err != nil {
					return fmt.Errorf("reading tree %s (%s) in %s: %w", ent.Hash, p, s.where(), err)
				}
				if err := walk(sub, p+"/"); err != nil {
					return err
				}
				continue
			}
			seen[p] = true
			if r := s.entryReason(p, ent.Mode); r != "" {
				e.skipped[r]++
				if e.isKnown(p) {
					if err := e.change(codectx.OpDelete, p, "", plumbing.ZeroHash); err != nil {
						return err
					}
				}
				continue
			}
			if k, ok := e.known[p]; ok && k.BlobHash == ent.Hash.String() {
				continue
			}
			if err := e.change(codectx.OpUpsert, p, "", ent.Hash); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, ""); err != nil {
		return err
	}
	gone := make([]string, 0)
	for p := range e.known {
		if !seen[p] {
			gone = append(gone, p)
		}
	}
	slices.Sort(gone)
	for _, p := range gone {
		if err := e.change(codectx.OpDelete, p, "", plumbing.ZeroHash); err != nil {
			return err
		}
	}
	return nil
}

// Read implements codectx.Source. It is safe for concurrent use.
func (s *Source) Read(ctx context.Context, c codectx.Change) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r := s.filter.Path(c.Path); r != "" {
		return nil, &codectx.SkipError{Reason: r}
	}
	if !plumbing.IsHash(c.BlobHash) {
		return nil, codectx.Permanent(fmt.Errorf("reading %s: bad blob hash %q", c.Path, c.BlobHash))
	}
	h, err := s.handle()
	if err != nil {
		return nil, err
	}
	hash := plumbing.NewHash(c.BlobHash)
	var b []byte
	err = s.retry(&h, func(h *handle) (err error) {
		b, err = s.blob(h, c.Path, hash)
		return err
	})
	var se *codectx.SkipError
	switch {
	case errors.As(err, &se):
		return nil, err
	case err != nil:
		// Classify before wrapping: the path and folder must not decide (a file named
		// invalid_test.go is no sign of corruption).
		permanent := errors.Is(err, plumbing.ErrObjectNotFound) || isCorrupt(err)
		err = fmt.Errorf("reading blob %s (%s) in %s: %w", hash, c.Path, s.where(), err)
		if permanent {
			return nil, codectx.Permanent(err)
		}
		return nil, err
	}
	if r := s.filter.Content(c.Path, b); r != "" {
		return nil, &codectx.SkipError{Reason: r}
	}
	return filter.CleanUTF8(b), nil
}

// blob returns a blob's content, or a *SkipError when it is empty or too large (known from the
// object's header, before its content is read). p is the blob's path in the commit, where the
// checkout may hold the same content (see workTreeBlob).
func (s *Source) blob(h *handle, p string, hash plumbing.Hash) ([]byte, error) {
	if h.workTree != "" {
		if b, ok := s.workTreeBlob(h.workTree, p, hash); ok {
			return b, nil
		}
	}
	if h.objects != "" {
		b, found, err := s.looseBlob(h.objects, hash)
		if found || err != nil {
			return b, err
		}
	}
	st, release, err := h.reader()
	if err != nil {
		return nil, err
	}
	defer release()
	obj, err := st.EncodedObject(plumbing.BlobObject, hash)
	if err != nil {
		return nil, err
	}
	size := obj.Size()
	if err := s.checkSize(size); err != nil {
		return nil, err
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	b := make([]byte, size)
	if _, err := io.ReadFull(rd, b); err != nil {
		return nil, fmt.Errorf("corrupt object: %w", err)
	}
	return b, nil
}

func (s *Source) checkSize(size int64) error {
	if size == 0 {
		return &codectx.SkipError{Reason: codectx.SkipEmpty}
	}
	if size > s.filter.MaxFileBytes() {
		return &codectx.SkipError{Reason: codectx.SkipTooLarge}
	}
	return nil
}

// workTreeBlob reads the blob hash from the checkout's file at p when that file holds exactly
// the blob: the file's git object hash is computed and compared, so a file edited, converted
// (line endings, filters) or replaced since the commit is never taken for it. Reading and
// hashing the files of Go's source tree takes 40% of the time of inflating their blobs from a
// pack (BenchmarkReadGoSource, from=checkout against from=objects). ok is false, and the caller reads the object store, whenever the file is not a plain
// regular file of a size the blob could have (empty and oversized blobs are left to the
// object store, which knows their size from the header), or its content differs.
func (s *Source) workTreeBlob(workTree, p string, hash plumbing.Hash) (b []byte, ok bool) {
	rel := filepath.FromSlash(p)
	if !filepath.IsLocal(rel) {
		return nil, false
	}
	name := filepath.Join(workTree, rel)
	// Only a regular file, never a link (the blob of a symlink is its target's path), nor a
	// FIFO or device, which could block or never end.
	lfi, err := os.Lstat(name)
	if err != nil || !lfi.Mode().IsRegular() || lfi.Size() <= 0 || lfi.Size() > s.filter.MaxFileBytes() {
		return nil, false
	}
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !os.SameFile(lfi, fi) || !fi.Mode().IsRegular() {
		return nil, false
	}
	size := fi.Size()
	if size <= 0 || size > s.filter.MaxFileBytes() {
		return nil, false
	}
	b = make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, false
	}
	if blobHash(b) != hash {
		return nil, false
	}
	return b, true
}

// blobHash is git's object name of a blob with content b. It uses plain SHA-1, which the CPU
// computes in hardware, where go-git's hasher uses collision-detecting SHA-1 in software
// (BenchmarkBlobHash: 2.2× the time of this one). The check only tells whether a checkout
// file still holds the blob the commit names, and a file crafted to collide fools nothing but
// its author's own index.
func blobHash(b []byte) plumbing.Hash {
	h := sha1.New()
	h.Write(strconv.AppendInt([]byte("blob "), int64(len(b)), 10))
	h.Write([]byte{0})
	h.Write(b)
	var out plumbing.Hash
	copy(out[:], h.Sum(nil))
	return out
}

var zlibReaders sync.Pool

// looseBlob reads a loose object straight from its file. go-git would do the same, plus hash
// the content twice (to verify it and to cache it) through a chroot file system: this is about
// twice as fast. zlib's own checksum still catches corruption. found is false when there is no
// loose object of that hash (it may be packed).
func (s *Source) looseBlob(objects string, hash plumbing.Hash) (b []byte, found bool, err error) {
	hx := hash.String()
	f, err := os.Open(filepath.Join(objects, hx[:2], hx[2:]))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, false, nil
		}
		return nil, true, err
	}
	defer f.Close()
	var zr io.ReadCloser
	if r, ok := zlibReaders.Get().(io.ReadCloser); ok {
		if err := r.(zlib.Resetter).Reset(f, nil); err != nil {
			return nil, true, fmt.Errorf("corrupt object: %w", err)
		}
		zr = r
	} else if zr, err = zlib.NewReader(f); err != nil {
		return nil, true, fmt.Errorf("corrupt object: %w", err)
	}
	defer zlibReaders.Put(zr)
	// The header is "blob <size>\x00"; read it with the start of the content.
	var head [64]byte
	n, err := io.ReadFull(zr, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, true, fmt.Errorf("corrupt object: %w", err)
	}
	nul := bytes.IndexByte(head[:n], 0)
	typ, sizeStr, ok := strings.Cut(string(head[:max(nul, 0)]), " ")
	size, perr := strconv.ParseInt(sizeStr, 10, 64)
	if nul < 0 || !ok || perr != nil || size < 0 {
		return nil, true, errors.New("corrupt object: bad header")
	}
	if typ != "blob" {
		return nil, true, fmt.Errorf("%w: object is a %s, not a blob", plumbing.ErrObjectNotFound, typ)
	}
	if err := s.checkSize(size); err != nil {
		return nil, true, err
	}
	rest := head[nul+1 : n]
	if int64(len(rest)) > size {
		return nil, true, errors.New("corrupt object: longer than its header says")
	}
	b = make([]byte, size)
	copy(b, rest)
	if _, err := io.ReadFull(zr, b[len(rest):]); err != nil {
		return nil, true, fmt.Errorf("corrupt object: %w", err)
	}
	// Reading to the end verifies zlib's checksum.
	if m, err := zr.Read(head[:1]); m != 0 || !errors.Is(err, io.EOF) {
		return nil, true, fmt.Errorf("corrupt object: %v", cmp.Or(err, errors.New("longer than its header says")))
	}
	return b, true, nil
}

// isCorrupt tells decoding errors (retrying cannot help) from I/O errors (it may).
func isCorrupt(err error) bool {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "zlib") || strings.Contains(msg, "invalid") ||
		strings.Contains(msg, "malformed") || strings.Contains(msg, "corrupt") ||
		strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "checksum")
}

// Close implements codectx.Source. It is idempotent.
func (s *Source) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.tipMu.Lock()
	defer s.tipMu.Unlock()
	if h := s.h.Swap(nil); h != nil {
		return h.close()
	}
	return nil
}
