package eval

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// fetchPython copies a package of the local Python standard library to
// workdir/src/NAME/PACKAGE, so that its absolute imports ("from email.utils import x") name
// files of the copy. Compiled caches are left out.
func fetchPython(ctx context.Context, p Project, workdir string) (string, error) {
	dst := filepath.Join(workdir, "src", p.Name())
	if _, err := os.Stat(filepath.Join(dst, ".eval-complete")); err == nil {
		return dst, nil
	}
	out, err := exec.CommandContext(ctx, "python3", "-c",
		"import os,sys,email;print(os.path.dirname(os.path.dirname(email.__file__)));print('%d.%d.%d'%sys.version_info[:3])").Output()
	if err != nil {
		return "", fmt.Errorf("finding the Python standard library: %w", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		return "", fmt.Errorf("finding the Python standard library: unexpected %q", out)
	}
	stdlib, version := lines[0], lines[1]
	if p.Version != "" && version != p.Version && !strings.HasPrefix(version, p.Version+".") {
		return "", fmt.Errorf("%s: python3 is %s, not %s", p.Name(), version, p.Version)
	}
	src := filepath.Join(stdlib, filepath.FromSlash(p.Module))
	if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("%s: no package folder %s in the standard library", p.Name(), src)
	}
	if err := os.RemoveAll(dst); err != nil {
		return "", err
	}
	if err := copyTree(src, filepath.Join(dst, filepath.FromSlash(p.Module))); err != nil {
		return "", fmt.Errorf("copying %s: %w", p.Name(), err)
	}
	if err := os.WriteFile(filepath.Join(dst, ".eval-complete"), []byte(version+"\n"), 0o644); err != nil {
		return "", err
	}
	return dst, nil
}

// fetchNPM downloads a package with "npm pack NAME@VERSION" into a temporary folder under
// workdir and unpacks the files under its Root folder to workdir/src/NAME.
func fetchNPM(ctx context.Context, p Project, workdir string) (string, error) {
	dst := filepath.Join(workdir, "src", p.Name())
	if _, err := os.Stat(filepath.Join(dst, ".eval-complete")); err == nil {
		return dst, nil
	}
	tmp, err := os.MkdirTemp(workdir, "npm-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "npm", "pack", "--silent", "--pack-destination", tmp, p.Module+"@"+p.Version)
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm pack %s@%s: %v: %s", p.Module, p.Version, err, strings.TrimSpace(stderr.String()))
	}
	tgz, err := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if err != nil || len(tgz) != 1 {
		return "", fmt.Errorf("npm pack %s@%s: want one tarball, found %d", p.Module, p.Version, len(tgz))
	}
	if err := os.RemoveAll(dst); err != nil {
		return "", err
	}
	n, err := untarFolder(tgz[0], p.Root, dst)
	if err != nil {
		return "", fmt.Errorf("unpacking %s: %w", p.Name(), err)
	}
	if n == 0 {
		return "", fmt.Errorf("%s: no files under %q in the package", p.Name(), p.Root)
	}
	if err := os.WriteFile(filepath.Join(dst, ".eval-complete"), nil, 0o644); err != nil {
		return "", err
	}
	return dst, nil
}

// untarFolder writes the regular files of a gzipped npm tarball that lie under folder (inside
// the tarball's top folder, "package/" by convention; "" for all) to dst, relative to folder,
// and returns how many it wrote. A name that would land outside dst is an error.
func untarFolder(tgz, folder, dst string) (int, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	folder = strings.Trim(path.Clean("/"+folder), "/")
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean("/" + h.Name)
		// Drop the tarball's top folder.
		_, name, ok := strings.Cut(strings.TrimPrefix(name, "/"), "/")
		if !ok {
			continue
		}
		if folder != "" {
			if !strings.HasPrefix(name, folder+"/") {
				continue
			}
			name = strings.TrimPrefix(name, folder+"/")
		}
		target := filepath.Join(dst, filepath.FromSlash(name))
		if rel, err := filepath.Rel(dst, target); err != nil || strings.HasPrefix(rel, "..") {
			return n, fmt.Errorf("tar entry %q escapes the folder", h.Name)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return n, err
		}
		out, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
		if err != nil {
			return n, err
		}
		if _, err := io.Copy(out, io.LimitReader(tr, 64<<20)); err != nil {
			out.Close()
			return n, err
		}
		if err := out.Close(); err != nil {
			return n, err
		}
		n++
	}
}
