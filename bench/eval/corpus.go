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

// Languages of the eval. LangJS covers TypeScript and JavaScript: one npm corpus.
const (
	LangGo     = "go"
	LangPython = "python"
	LangJS     = "js"
)

// Languages lists the eval's languages in the order the report shows them.
var Languages = []string{LangGo, LangPython, LangJS}

// NormalizeLang maps the spellings a user may give (py, ts, typescript, javascript) to the
// eval's language ids; it returns "" for an unknown one.
func NormalizeLang(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "go", "golang":
		return LangGo
	case "python", "py":
		return LangPython
	case "js", "ts", "javascript", "typescript", "npm":
		return LangJS
	}
	return ""
}

// Project is one project of the corpus at a pinned version: a Go module, a package of the
// local Python standard library, or an npm package.
type Project struct {
	Lang string `json:"lang"`
	// Module is the Go module path, the standard-library package or the npm package name.
	Module string `json:"module"`
	// Version is the module or npm version. For Python it is empty (whichever python3 is on the
	// PATH) or a "3.11"-like prefix that the interpreter's version must match.
	Version string `json:"version,omitempty"`
	// Root is, for npm, the folder of the package that holds its source ("src"); the other
	// files of the tarball are left out.
	Root string `json:"root,omitempty"`
}

// DefaultProjects is the corpus of the eval.
var DefaultProjects = []Project{
	{Lang: LangGo, Module: "github.com/spf13/cobra", Version: "v1.8.1"},
	{Lang: LangGo, Module: "github.com/jackc/pgx/v5", Version: "v5.7.6"},
	{Lang: LangGo, Module: "github.com/prometheus/client_golang", Version: "v1.21.1"},
	{Lang: LangPython, Module: "email"},
	{Lang: LangPython, Module: "asyncio"},
	{Lang: LangPython, Module: "importlib"},
	{Lang: LangPython, Module: "multiprocessing"},
	{Lang: LangPython, Module: "xml"},
	{Lang: LangJS, Module: "rxjs", Version: "7.8.1", Root: "src"},
	{Lang: LangJS, Module: "@tanstack/query-core", Version: "5.59.0", Root: "src"},
	{Lang: LangJS, Module: "@trpc/server", Version: "10.45.2", Root: "src"},
	{Lang: LangJS, Module: "ky", Version: "1.7.2", Root: "distribution"},
	{Lang: LangJS, Module: "yargs", Version: "17.7.2", Root: "build/lib"},
}

// ParseProject reads a project: "MODULE@VERSION" or "go:MODULE@VERSION" for Go,
// "py:PACKAGE" (or "py:PACKAGE@3.11") for the Python standard library, and
// "npm:NAME@VERSION" or "npm:NAME@VERSION#FOLDER" for npm.
func ParseProject(s string) (Project, error) {
	s = strings.TrimSpace(s)
	lang := LangGo
	if kind, rest, ok := strings.Cut(s, ":"); ok && NormalizeLang(kind) != "" {
		lang, s = NormalizeLang(kind), rest
	}
	p := Project{Lang: lang}
	if lang == LangJS {
		s, p.Root, _ = strings.Cut(s, "#")
	}
	at := strings.LastIndex(s, "@")
	if at > 0 {
		p.Module, p.Version = s[:at], s[at+1:]
	} else {
		p.Module = s
	}
	if p.Module == "" || (lang != LangPython && p.Version == "") || (at > 0 && p.Version == "") {
		return Project{}, fmt.Errorf("project %q: want MODULE@VERSION, py:PACKAGE or npm:NAME@VERSION[#FOLDER]", s)
	}
	return p, nil
}

// Name is the short name the eval shows: for Go the module's last element (before a /vN) and
// version, for Python the package and "stdlib", for npm the package (scope joined with a dash)
// and version.
func (p Project) Name() string {
	switch p.Lang {
	case LangPython:
		v := p.Version
		if v == "" {
			v = "stdlib"
		}
		return p.Module + "@" + v
	case LangJS:
		return strings.ReplaceAll(strings.TrimPrefix(p.Module, "@"), "/", "-") + "@" + p.Version
	}
	base := path.Base(p.Module)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" {
		base = path.Base(path.Dir(p.Module))
	}
	return base + "@" + p.Version
}

// Fetch brings a project into workdir/src/NAME and returns that folder; a complete earlier
// copy is reused.
func Fetch(ctx context.Context, p Project, workdir string) (string, error) {
	switch p.Lang {
	case LangPython:
		return fetchPython(ctx, p, workdir)
	case LangJS:
		return fetchNPM(ctx, p, workdir)
	}
	return fetchGo(ctx, p, workdir)
}

// fetchGo downloads a module with "go mod download" into a module cache of its own under
// workdir and copies its files, writable, to workdir/src/NAME. The module cache is removed
// afterwards.
func fetchGo(ctx context.Context, p Project, workdir string) (string, error) {
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
