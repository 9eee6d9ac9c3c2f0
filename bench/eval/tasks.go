package eval

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Span is a range of lines of one file of a project; lines are 1-based and inclusive.
type Span struct {
	File      string `json:"file"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
}

// Task is one completion point: the cursor is at the start of Line of File, and that line is
// hidden. Prefix is the file's text before the line, Suffix the text after it. Gold is the
// definition the hidden line needs.
type Task struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"` // "call": the line calls it; "use": it names it first in the file
	File   string `json:"file"`
	Line   int    `json:"line"`
	Name   string `json:"name"`
	Prefix string `json:"-"`
	Suffix string `json:"-"`
	Gold   Span   `json:"gold"`
}

// Task kinds.
const (
	KindCall = "call"
	KindUse  = "use"
)

// GoFiles lists the .go files of a module folder, relative and slash-separated, sorted. It
// leaves out testdata, vendor, hidden folders and nested modules.
func GoFiles(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != root {
				if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
					return filepath.SkipDir
				}
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") && d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// GenerateTasks finds the completion points of a Go project, given its files by
// slash-separated path. In each package (a folder's non-test files of one package name) it
// takes, per file, the first reference to each package-level name or method that is declared
// in another file of the package, one task per line. Names declared in more than one file
// (build-tag variants) are left out, since their gold would be ambiguous. Then max tasks are
// drawn under seed; the result is sorted by file and line and is the same for the same input.
func GenerateTasks(files map[string][]byte, max int, seed uint64) []Task {
	byDir := map[string][]string{}
	for p := range files {
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			byDir[path.Dir(p)] = append(byDir[path.Dir(p)], p)
		}
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	var all []Task
	for _, d := range dirs {
		paths := byDir[d]
		sort.Strings(paths)
		all = append(all, packageTasks(paths, files)...)
	}
	return draw(all, max, seed)
}

// GenerateTasksFor finds the completion points of a project of the language lang (LangGo,
// LangPython or LangJS) and draws max of them under seed (see GenerateTasks).
func GenerateTasksFor(lang string, files map[string][]byte, max int, seed uint64) []Task {
	switch lang {
	case LangPython:
		return draw(pythonTasks(files), max, seed)
	case LangJS:
		return draw(jsTasks(files), max, seed)
	}
	return GenerateTasks(files, max, seed)
}

// draw sorts tasks by file and line, keeps max of them drawn under seed, and names them.
func draw(all []Task, max int, seed uint64) []Task {
	byPlace := func(all []Task) {
		sort.Slice(all, func(i, j int) bool {
			if all[i].File != all[j].File {
				return all[i].File < all[j].File
			}
			return all[i].Line < all[j].Line
		})
	}
	byPlace(all)
	if max > 0 && len(all) > max {
		r := rand.New(rand.NewPCG(seed, 0x636f646563747821))
		r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		all = all[:max]
		byPlace(all)
	}
	for i := range all {
		all[i].ID = fmt.Sprintf("%s:%d", all[i].File, all[i].Line)
	}
	return all
}

// packageTasks type-checks one folder's files (imports resolve to empty stand-ins, so only
// the package's own names are known, which is all the tasks need) and collects its tasks.
func packageTasks(paths []string, files map[string][]byte) []Task {
	fset := token.NewFileSet()
	var parsed []*ast.File
	var names []string
	counts := map[string]int{}
	for _, p := range paths {
		f, err := parser.ParseFile(fset, p, files[p], parser.ParseComments|parser.SkipObjectResolution)
		if err != nil || ignoredByBuild(f) {
			continue
		}
		parsed = append(parsed, f)
		names = append(names, p)
		counts[f.Name.Name]++
	}
	// Keep the package name most files use (a folder may hold a stray "package main" tool).
	pkgName := ""
	for n, c := range counts {
		if c > counts[pkgName] || (c == counts[pkgName] && n < pkgName) {
			pkgName = n
		}
	}
	var pf []*ast.File
	var pp []string
	for i, f := range parsed {
		if f.Name.Name == pkgName {
			pf, pp = append(pf, f), append(pp, names[i])
		}
	}
	if len(pf) < 2 {
		return nil
	}

	// Declarations by the position of their name, with their span.
	decls := map[token.Pos]Span{}
	declFiles := map[string]map[string]bool{} // declared name -> files declaring it
	note := func(file string, name *ast.Ident, from, to token.Pos, recv string) {
		if name.Name == "_" {
			return
		}
		decls[name.Pos()] = Span{File: file, StartLine: fset.Position(from).Line, EndLine: fset.Position(to).Line}
		key := recv + "." + name.Name
		if declFiles[key] == nil {
			declFiles[key] = map[string]bool{}
		}
		declFiles[key][file] = true
	}
	for i, f := range pf {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				recv := ""
				if d.Recv != nil && len(d.Recv.List) == 1 {
					recv = receiverType(d.Recv.List[0].Type)
				}
				note(pp[i], d.Name, d.Pos(), d.End(), recv)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					from, to := s.Pos(), s.End()
					if !d.Lparen.IsValid() {
						from, to = d.Pos(), d.End()
					}
					switch s := s.(type) {
					case *ast.TypeSpec:
						note(pp[i], s.Name, from, to, "")
					case *ast.ValueSpec:
						for _, n := range s.Names {
							note(pp[i], n, from, to, "")
						}
					}
				}
			}
		}
	}

	info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: stubImporter{}, Error: func(error) {}, FakeImportC: true}
	pkg, _ := conf.Check(pkgName, fset, pf, info)
	if pkg == nil {
		return nil
	}

	var out []Task
	for i, f := range pf {
		file := pp[i]
		src := files[file]
		calls := map[*ast.Ident]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				switch fn := ast.Unparen(c.Fun).(type) {
				case *ast.Ident:
					calls[fn] = true
				case *ast.SelectorExpr:
					calls[fn.Sel] = true
				case *ast.IndexExpr: // a generic function with explicit type arguments
					if id, ok := fn.X.(*ast.Ident); ok {
						calls[id] = true
					}
				}
			}
			return true
		})
		seenObj := map[types.Object]bool{}
		seenLine := map[int]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			obj := info.Uses[id]
			if obj == nil || obj.Pkg() != pkg || seenObj[obj] {
				return true
			}
			span, ok := decls[obj.Pos()]
			if !ok || span.File == file {
				return true
			}
			seenObj[obj] = true
			key := "." + obj.Name()
			if fn, ok := obj.(*types.Func); ok {
				if sig, ok := fn.Type().(*types.Signature); ok && sig.Recv() != nil {
					key = namedOf(sig.Recv().Type()) + "." + obj.Name()
				}
			}
			if len(declFiles[key]) != 1 {
				return true
			}
			line := fset.Position(id.Pos()).Line
			if seenLine[line] {
				return true
			}
			seenLine[line] = true
			kind := KindUse
			if calls[id] {
				kind = KindCall
			}
			prefix, suffix := splitAtLine(src, line)
			out = append(out, Task{Kind: kind, File: file, Line: line, Name: obj.Name(), Prefix: prefix, Suffix: suffix, Gold: span})
			return true
		})
	}
	return out
}

// splitAtLine returns the text before line n (1-based) and the text after it.
func splitAtLine(src []byte, n int) (string, string) {
	s := string(src)
	start := 0
	for i := 1; i < n; i++ {
		j := strings.IndexByte(s[start:], '\n')
		if j < 0 {
			return s, ""
		}
		start += j + 1
	}
	end := strings.IndexByte(s[start:], '\n')
	if end < 0 {
		return s[:start], ""
	}
	return s[:start], s[start+end+1:]
}

// ignoredByBuild reports a file that is never built ("//go:build ignore" and the like).
func ignoredByBuild(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:build") && strings.Contains(c.Text, "ignore") {
				return true
			}
		}
	}
	return false
}

func receiverType(e ast.Expr) string {
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}

func namedOf(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok {
		return n.Obj().Name()
	}
	return ""
}

// stubImporter answers every import with an empty package, so that type-checking needs no
// dependency on disk. References into imports fail quietly; the package's own names resolve.
type stubImporter struct{}

func (stubImporter) Import(p string) (*types.Package, error) {
	name := path.Base(p)
	if len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		name = path.Base(path.Dir(p))
	}
	name = strings.TrimPrefix(name, "go-")
	name = strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, name)
	pkg := types.NewPackage(p, name)
	pkg.MarkComplete()
	return pkg, nil
}
