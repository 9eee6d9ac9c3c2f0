package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// Project is a Go module at a pinned version.
type Project struct {
	Module  string `json:"module"`
	Version string `json:"version"`
}

// DefaultProjects is the Go corpus of the eval.
var DefaultProjects = []Project{
	{"github.com/spf13/cobra", "v1.8.1"},
	{"github.com/jackc/pgx/v5", "v5.7.6"},
	{"github.com/prometheus/client_golang", "v1.21.1"},
}

// ParseProject reads "module@version".
func ParseProject(s string) (Project, error) {
	mod, ver, ok := strings.Cut(strings.TrimSpace(s), "@")
	if !ok || mod == "" || ver == "" {
		return Project{}, fmt.Errorf("project %q: want MODULE@VERSION", s)
	}
	return Project{mod, ver}, nil
}

// Name is the short name the eval shows: the module's last element (before a /vN) and version.
func (p Project) Name() string {
	base := path.Base(p.Module)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" {
		base = path.Base(path.Dir(p.Module))
	}
	return base + "@" + p.Version
}

// Fetch downloads a project with "go mod download" into a module cache of its own under
// workdir and copies its files, writable, to workdir/src/NAME, which it returns. A complete
// earlier copy is reused. The module cache is removed afterwards.
func Fetch(ctx context.Context, p Project, workdir string) (string, error) {
	dst := filepath.Join(workdir, "src", p.Name())
	if _, err := os.Stat(filepath.Join(dst, ".eval-complete")); err == nil {
		return dst, nil
	}
	cache, err := os.MkdirTemp(workdir, "modcache-")
	if err != nil {
		return "", err
	}
	defer removeModCache(cache)
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", p.Module+"@"+p.Version)
	cmd.Dir = cache // no go.mod there: the download needs no main module
	cmd.Env = append(os.Environ(), "GOMODCACHE="+filepath.Join(cache, "mod"), "GOFLAGS=-mod=mod", "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil || info.Error != "" || info.Dir == "" {
		msg := strings.TrimSpace(info.Error)
		if msg == "" {
			msg = strings.TrimSpace(stderr.String())
		}
		if msg == "" && runErr != nil {
			msg = runErr.Error()
		}
		return "", fmt.Errorf("downloading %s@%s: %s", p.Module, p.Version, msg)
	}
	if err := os.RemoveAll(dst); err != nil {
		return "", err
	}
	if err := copyTree(info.Dir, dst); err != nil {
		return "", fmt.Errorf("copying %s: %w", p.Name(), err)
	}
	if err := os.WriteFile(filepath.Join(dst, ".eval-complete"), nil, 0o644); err != nil {
		return "", err
	}
	return dst, nil
}

// copyTree copies the regular files under src to dst, writable by the owner.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// removeModCache deletes a module cache, whose folders the go command makes read-only.
func removeModCache(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	os.RemoveAll(dir)
}
