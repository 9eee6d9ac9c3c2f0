package serve

import (
	"cmp"
	"context"
	"path"
	"slices"
	"strings"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers/imports"
)

// The imports signal: what the cursor's file imports from other files of its source. A name
// imported and not yet used near the cursor is what the next line is likely to need, and it is
// by nature far from the cursor (the import sits at the top of the file). Modules imported
// whole (import * as ns, from . import module) propose their members, ranked by the same clues
// as the folder's definitions.
const (
	// weightImport scales the scope score (codectx.ScopeScore) of a name the file imports:
	// above the definitions of the names the code around the cursor already uses.
	weightImport = 1.6
	// weightModule scales that of a member of a module the file imports whole.
	weightModule = 0.8
	// maxImportTargets bounds the files one retrieval looks into.
	maxImportTargets = 24
	// moduleHeaders is how many members of one module imported whole are proposed. A module
	// offers dozens; 16 rather than 8 put the member the next line uses within a 2,048-character
	// prompt more often (Python 0.783 → 0.823) at the same rank.
	moduleHeaders = 16
	// reexportDepth bounds how far re-exports (export { a } from './x') are followed.
	reexportDepth = 3
)

// fileImports returns the imports of an indexed file (none when the index does not hold it).
func (r *Retriever) fileImports(ctx context.Context, source, p string) ([]imports.Import, error) {
	info, err := r.fileInfo(ctx, source, p)
	if err != nil || info == nil {
		return nil, err
	}
	return info.imports, nil
}

// importTarget is a file the cursor's file imports from, with what it imports.
type importTarget struct {
	source, path string
	names        []string // members imported by name
	whole        bool     // imported whole (a namespace): its members are proposed by clues
	near         bool     // the module's local name is used around the cursor
	depth        int      // re-exports followed to get here
}

// importsSignal adds the definitions the cursor's file imports. looked lists the names the
// definitions signal already looked up (they are near the cursor), clues the scope clues.
func (r *Retriever) importsSignal(ctx context.Context, req ContextRequest, lang string, prefixImports []imports.Import, clues codectx.ScopeClues, before, after []string, f codectx.SearchFilter, add addFunc) error {
	if req.Filepath == "" || !imports.Supports(lang) {
		return nil
	}
	fam := codectx.LanguageFamily(lang)
	if fam != "python" && fam != "js" {
		return nil // Go's imports name other packages: the scope signal covers a package's own
	}
	// The identifiers around the cursor.
	nearIDs := make(map[string]bool, len(before)+len(after))
	for _, list := range [][]string{before, after} {
		for _, id := range list {
			nearIDs[id] = true
		}
	}
	sources := f.Sources
	if len(sources) == 0 {
		sources = r.Sources()
	}
	// The file's imports: those of its indexed copy, and those the request's prefix shows
	// (a file being edited may import more than its indexed copy).
	var source string
	var list []imports.Import
	for _, s := range sources {
		l, err := r.fileImports(ctx, s, req.Filepath)
		if err != nil {
			return err
		}
		if len(l) > 0 {
			source, list = s, l
			break
		}
	}
	if source == "" {
		if len(sources) != 1 {
			return nil // a file no source holds: which source its imports point into is unknown
		}
		source = sources[0]
	}
	list = append(list[:len(list):len(list)], prefixImports...)

	exists := func(p string) bool {
		chunks, err := r.Index.File(ctx, source, p)
		return err == nil && len(chunks) > 0
	}
	targets := map[string]*importTarget{}
	var order []string
	target := func(p string, depth int) *importTarget {
		t := targets[p]
		if t == nil {
			if len(order) >= maxImportTargets {
				return nil
			}
			t = &importTarget{source: source, path: p, depth: depth}
			targets[p] = t
			order = append(order, p)
		}
		return t
	}
	for _, im := range list {
		if im.Export && im.Local == "" && im.Name == "*" {
			continue // export * from: binds nothing in this file
		}
		file, name, whole := resolveImport(fam, req.Filepath, im, exists)
		if file == "" || file == req.Filepath {
			continue
		}
		t := target(file, 0)
		if t == nil {
			break
		}
		if whole {
			t.whole = true
			if nearIDs[im.Local] || nearIDs[lastDotted(im.Local)] {
				t.near = true
			}
		} else if name != "" {
			t.names = appendUnique(t.names, name)
		}
	}

	seen := map[string]bool{} // names proposed, so that a re-export chain proposes one definition
	for i := 0; i < len(order); i++ {
		t := targets[order[i]]
		dir := path.Dir(t.path)
		ff := codectx.SearchFilter{Sources: []string{t.source}, Path: t.path, Families: f.Families, NoTests: f.NoTests}
		if len(t.names) > 0 {
			c := clues
			c.Only = t.names
			hits, err := r.Index.Scope(ctx, dir, c, ff, len(t.names))
			if err != nil {
				return err
			}
			found := map[string]bool{}
			for _, h := range hits {
				found[h.Symbol.Name] = true
				if !seen[h.Symbol.Name] {
					seen[h.Symbol.Name] = true
					add(h.Chunk, h.StartLine, h.EndLine, h.Body, weightImport*h.Score, "import:"+h.Symbol.Name, h.Symbol.Kind)
				}
			}
			r.recycle(hits)
			// Names the file does not define may be re-exported from another.
			var missing []string
			for _, n := range t.names {
				// A name the definitions signal looked up is followed too: it may name a
				// module (from .context import reduction), whose members that signal does not
				// propose.
				if !found[n] {
					missing = append(missing, n)
				}
			}
			if len(missing) > 0 && t.depth < reexportDepth {
				if err := r.followReexports(ctx, fam, t, missing, nearIDs, exists, target); err != nil {
					return err
				}
			}
		}
		if t.whole {
			c := clues
			c.NoMethods = true
			hits, err := r.Index.Scope(ctx, dir, c, ff, withSpare(fam, moduleHeaders))
			if err != nil {
				return err
			}
			w := weightModule
			if t.near {
				w *= 1.3
			}
			for _, h := range kindWeighted(fam, hits, moduleHeaders) {
				add(h.Chunk, h.StartLine, h.EndLine, h.Body, w*h.Score, "module:"+h.Symbol.Name, h.Symbol.Kind)
			}
			r.recycle(hits)
		}
	}
	return nil
}

// Python's module-level assignments, proposed as a guess (a module's members, the folder's
// definitions), are what other files use least: a private one (_logger, _event_loop_policy) is
// its module's own state, and constants come in dozens (logging levels, timeouts, feature
// names) of which a file uses a few. On the eval's Python tasks they are the next line's name
// for 0.2% (private) and 0.7% (constants) of such proposals, against 1–2% for functions and
// classes.
const (
	weightPrivateAssign = 0.35
	weightConst         = 0.8
)

// guessedKindWeight scales the score of a definition proposed without its name near the cursor
// by how often one of its kind is what the next line uses.
func guessedKindWeight(fam, name, kind string) float64 {
	if fam != "python" {
		return 1
	}
	switch {
	case (kind == "var" || kind == "const") && strings.HasPrefix(name, "_"):
		return weightPrivateAssign
	case kind == "const":
		return weightConst
	}
	return 1
}

// spareGuesses is how many definitions beyond those proposed the module members and the scope
// signal read in Python, so that those guessedKindWeight lowers leave their places to others
// (Python within 2,048 characters 0.826 → 0.836, MRR 0.401 → 0.404).
const spareGuesses = 8

// withSpare returns how many definitions to read to propose n.
func withSpare(fam string, n int) int {
	if fam == "python" {
		return n + spareGuesses
	}
	return n
}

// kindWeighted scales the scores of hits by guessedKindWeight and returns the best n, best
// first. It reorders hits.
func kindWeighted(fam string, hits []codectx.Hit, n int) []codectx.Hit {
	if fam != "python" {
		return hits[:min(n, len(hits))]
	}
	for i := range hits {
		hits[i].Score *= guessedKindWeight(fam, hits[i].Symbol.Name, hits[i].Symbol.Kind)
	}
	slices.SortStableFunc(hits, func(a, b codectx.Hit) int { return cmp.Compare(b.Score, a.Score) })
	return hits[:min(n, len(hits))]
}

// followReexports finds where file t gets the names it does not define: its imports that
// bind them (export { a } from './x', import { a } from './x', export * from './x'), and adds
// those files as targets. A name bound to a module (from . import reduction, imported in turn
// by from .context import reduction) makes that module a target imported whole; nearIDs tells
// whether its name is used around the cursor.
func (r *Retriever) followReexports(ctx context.Context, fam string, t *importTarget, missing []string, nearIDs map[string]bool, exists func(string) bool, target func(string, int) *importTarget) error {
	list, err := r.fileImports(ctx, t.source, t.path)
	if err != nil {
		return err
	}
	for _, im := range list {
		var names []string
		switch {
		case im.Name == "*":
			names = missing // export * from / from m import *: any of them may come from there
		case im.Local != "" && slices.Contains(missing, im.Local) && im.Name != "" && im.Name != "default":
			names = []string{im.Name}
		default:
			continue
		}
		file, _, whole := resolveImport(fam, t.path, im, exists)
		if file == "" || file == t.path {
			continue
		}
		if whole && im.Name != "*" {
			// from . import reduction: the name is a module, whose members are proposed.
			nt := target(file, t.depth+1)
			if nt == nil {
				return nil
			}
			nt.whole = true
			nt.near = nt.near || nearIDs[im.Local]
			continue
		}
		nt := target(file, t.depth+1)
		if nt == nil {
			return nil
		}
		for _, n := range names {
			nt.names = appendUnique(nt.names, n)
		}
	}
	return nil
}

// resolveImport finds the indexed file an import points to, from the importing file's path.
// name is the definition to look for in it ("" for none); whole reports a module imported
// whole, whose members are all candidates. Only imports within the source resolve: relative
// ones for TS/JS, relative and absolute (from the importing file's ancestors) for Python.
func resolveImport(fam, from string, im imports.Import, exists func(string) bool) (file, name string, whole bool) {
	dir := path.Dir(from)
	switch fam {
	case "js":
		if !strings.HasPrefix(im.Module, "./") && !strings.HasPrefix(im.Module, "../") && im.Module != "." && im.Module != ".." {
			return "", "", false // a package: not in this source
		}
		if file = resolveJS(path.Join(dir, im.Module), exists); file == "" {
			return "", "", false
		}
		switch im.Name {
		case "":
			return file, "", true
		case "*":
			return file, "", false
		case "default":
			return file, im.Local, false // the default export is often named as it is imported
		}
		return file, im.Name, false
	case "python":
		base, ok := pythonModuleDirs(dir, im.Module)
		if !ok {
			return "", "", false
		}
		for _, b := range base {
			if im.Name != "" && im.Name != "*" {
				// from pkg import name: name may be a submodule or a member of pkg.
				if f := resolvePython(path.Join(b, im.Name), exists); f != "" {
					return f, "", true
				}
				if f := resolvePython(b, exists); f != "" {
					return f, im.Name, false
				}
				continue
			}
			if f := resolvePython(b, exists); f != "" {
				return f, "", true
			}
		}
	}
	return "", "", false
}

// jsExtensions are tried, in order, for an import specifier without a known extension.
var jsExtensions = []string{".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts"}

func resolveJS(p string, exists func(string) bool) string {
	if p == "" || strings.HasPrefix(p, "..") {
		return ""
	}
	switch ext := path.Ext(p); ext {
	case ".js", ".jsx", ".mjs", ".cjs":
		// TypeScript sources import their compiled name: ./x.js is ./x.ts.
		stem := strings.TrimSuffix(p, ext)
		for _, e := range []string{ext, ".ts", ".tsx", ".mts", ".cts"} {
			if exists(stem + e) {
				return stem + e
			}
		}
	case ".ts", ".tsx", ".mts", ".cts":
		if exists(p) {
			return p
		}
	}
	for _, e := range jsExtensions {
		if exists(p + e) {
			return p + e
		}
	}
	for _, e := range jsExtensions {
		if exists(p + "/index" + e) {
			return p + "/index" + e
		}
	}
	return ""
}

// pythonModuleDirs returns the paths (without .py) a Python module name may have, from the
// importing file's folder: one for a relative module, one per ancestor folder (nearest first)
// for an absolute one.
func pythonModuleDirs(dir, module string) ([]string, bool) {
	if module == "" {
		return nil, false
	}
	if strings.HasPrefix(module, ".") {
		rest := strings.TrimLeft(module, ".")
		up := len(module) - len(rest) - 1
		base := dir
		for ; up > 0; up-- {
			if base == "." {
				return nil, false
			}
			base = path.Dir(base)
		}
		if rest != "" {
			base = path.Join(base, strings.ReplaceAll(rest, ".", "/"))
		}
		return []string{base}, true
	}
	rel := strings.ReplaceAll(module, ".", "/")
	var out []string
	for d := dir; ; d = path.Dir(d) {
		out = append(out, path.Join(d, rel))
		if d == "." || d == "/" {
			break
		}
	}
	return out, true
}

func resolvePython(p string, exists func(string) bool) string {
	if p == "" || p == "." || strings.HasPrefix(p, "..") {
		return ""
	}
	for _, f := range []string{p + ".py", p + "/__init__.py", p + ".pyi"} {
		if exists(f) {
			return f
		}
	}
	return ""
}

func lastDotted(s string) string {
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func appendUnique(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}
