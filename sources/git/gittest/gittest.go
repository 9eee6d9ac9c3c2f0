// Package gittest builds real git repositories for tests, with the git command line.
package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Repo is a git repository with a work tree in a temporary directory. Its methods fail the test
// on error.
type Repo struct {
	t   testing.TB
	dir string
}

// NewRepo creates an empty repository whose first branch is "main".
func NewRepo(t testing.TB) *Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git command not found")
	}
	r := &Repo{t: t, dir: t.TempDir()}
	r.Git("init", "-q", "-b", "main")
	return r
}

// Dir is the work tree's root.
func (r *Repo) Dir() string { return r.dir }

// Env is the environment git runs with: no user or system configuration, a fixed identity, and
// no automatic gc (which would repack the repository in the background at random moments).
func Env() []string {
	return append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=gc.auto", "GIT_CONFIG_VALUE_0=0",
		"GIT_AUTHOR_NAME=gittest", "GIT_AUTHOR_EMAIL=gittest@example.com",
		"GIT_COMMITTER_NAME=gittest", "GIT_COMMITTER_EMAIL=gittest@example.com",
		"GIT_TERMINAL_PROMPT=0",
	)
}

// Git runs git in the work tree and returns its trimmed standard output.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return Run(r.t, r.dir, args...)
}

// Run runs git in dir and returns its trimmed standard output.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = Env()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func (r *Repo) abs(p string) string { return filepath.Join(r.dir, filepath.FromSlash(p)) }

// Write writes a file (creating its directories) in the work tree.
func (r *Repo) Write(path, content string) {
	r.t.Helper()
	p := r.abs(path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// Symlink creates a symbolic link at path pointing to target.
func (r *Repo) Symlink(target, path string) {
	r.t.Helper()
	p := r.abs(path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		r.t.Fatal(err)
	}
}

// Submodule records a submodule entry (a gitlink to commit) at path in the index, without
// cloning anything: its directory stays empty, as for a submodule not checked out. The next
// Commit commits it.
func (r *Repo) Submodule(path, commit string) {
	r.t.Helper()
	if err := os.MkdirAll(r.abs(path), 0o755); err != nil {
		r.t.Fatal(err)
	}
	r.Git("update-index", "--add", "--cacheinfo", "160000,"+commit+","+path)
}

// Remove deletes a file from the work tree.
func (r *Repo) Remove(path string) {
	r.t.Helper()
	if err := os.Remove(r.abs(path)); err != nil {
		r.t.Fatal(err)
	}
}

// Rename moves a file in the work tree.
func (r *Repo) Rename(oldPath, newPath string) {
	r.t.Helper()
	np := r.abs(newPath)
	if err := os.MkdirAll(filepath.Dir(np), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Rename(r.abs(oldPath), np); err != nil {
		r.t.Fatal(err)
	}
}

// Commit stages every change of the work tree, commits it and returns the commit's hash.
func (r *Repo) Commit(msg string) string {
	r.t.Helper()
	r.Git("add", "-A")
	r.Git("commit", "-q", "--allow-empty", "--no-verify", "-m", msg)
	return r.Head()
}

// Head returns the hash of the commit checked out.
func (r *Repo) Head() string {
	r.t.Helper()
	return r.Git("rev-parse", "HEAD")
}

// Branch creates a branch at the current commit without switching to it.
func (r *Repo) Branch(name string) {
	r.t.Helper()
	r.Git("branch", name)
}

// Checkout switches the work tree to a branch or commit.
func (r *Repo) Checkout(name string) {
	r.t.Helper()
	r.Git("checkout", "-q", name)
}

// ResetHard moves the current branch to commit, discarding later history (to rewrite it).
func (r *Repo) ResetHard(commit string) {
	r.t.Helper()
	r.Git("reset", "-q", "--hard", commit)
}

// GC expires the reflog and prunes every unreachable object, so that rewritten history is
// really gone, and packs the rest.
func (r *Repo) GC() {
	r.t.Helper()
	r.Git("reflog", "expire", "--expire=now", "--all")
	r.Git("gc", "-q", "--prune=now")
}
