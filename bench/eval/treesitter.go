package eval

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/javascript"
	"github.com/smacker/go-tree-sitter/python"
	"github.com/smacker/go-tree-sitter/typescript/tsx"
	"github.com/smacker/go-tree-sitter/typescript/typescript"
)

// grammarFor returns the tree-sitter grammar of a Python, TypeScript or JavaScript file, or nil.
func grammarFor(p string) *sitter.Language {
	switch strings.ToLower(path.Ext(p)) {
	case ".py":
		return python.GetLanguage()
	case ".ts", ".mts", ".cts":
		return typescript.GetLanguage()
	case ".tsx":
		return tsx.GetLanguage()
	case ".js", ".mjs", ".cjs", ".jsx":
		return javascript.GetLanguage()
	}
	return nil
}

// parseFile parses src with the grammar its name calls for; nil when there is none or the
// parse fails. The caller closes the tree.
func parseFile(p string, src []byte) *sitter.Tree {
	g := grammarFor(p)
	if g == nil {
		return nil
	}
	parser := sitter.NewParser()
	defer parser.Close()
	parser.SetLanguage(g)
	tree, err := parser.ParseCtx(context.Background(), nil, src)
	if err != nil {
		return nil
	}
	return tree
}

// lineSpan is the 1-based, inclusive line range of a node. A node that ends at the start of a
// line (after its newline) ends on the line before.
func lineSpan(file string, n *sitter.Node) Span {
	sp, ep := n.StartPoint(), n.EndPoint()
	end := int(ep.Row) + 1
	if ep.Column == 0 && ep.Row > sp.Row {
		end--
	}
	return Span{File: file, StartLine: int(sp.Row) + 1, EndLine: end}
}

// sameNode reports whether a and b are the same node of one tree.
func sameNode(a, b *sitter.Node) bool {
	return a != nil && b != nil && a.StartByte() == b.StartByte() && a.EndByte() == b.EndByte() && a.Type() == b.Type()
}

// isField reports whether n is the child of parent under field.
func isField(parent *sitter.Node, field string, n *sitter.Node) bool {
	if parent == nil {
		return false
	}
	return sameNode(parent.ChildByFieldName(field), n)
}

// children returns a node's children (named or not when all is true).
func children(n *sitter.Node, all bool) []*sitter.Node {
	var out []*sitter.Node
	if all {
		for i := 0; i < int(n.ChildCount()); i++ {
			out = append(out, n.Child(i))
		}
		return out
	}
	for i := 0; i < int(n.NamedChildCount()); i++ {
		out = append(out, n.NamedChild(i))
	}
	return out
}

// identifierLeaves are the leaf node types, in the Python, TypeScript and JavaScript grammars,
// that hold a name. Masking overwrites exactly these.
var identifierLeaves = map[string]bool{
	"identifier": true, "property_identifier": true, "type_identifier": true,
	"shorthand_property_identifier": true, "shorthand_property_identifier_pattern": true,
	"private_property_identifier": true, "statement_identifier": true,
}

// maskTreeSitter is MaskLines for the tree-sitter languages: the name leaves on the given
// lines are overwritten with 'x', byte for byte (a private name keeps its '#'). An identifier
// made of x's is still an identifier, so the file keeps its length, lines and syntax.
func maskTreeSitter(p string, src []byte, lines map[int]bool) []byte {
	out := append([]byte(nil), src...)
	if len(lines) == 0 {
		return out
	}
	tree := parseFile(p, src)
	if tree == nil {
		return out
	}
	defer tree.Close()
	var walk func(n *sitter.Node)
	walk = func(n *sitter.Node) {
		sp, ep := n.StartPoint(), n.EndPoint()
		hit := false
		for l := int(sp.Row) + 1; l <= int(ep.Row)+1; l++ {
			if lines[l] {
				hit = true
				break
			}
		}
		if !hit {
			return
		}
		if n.ChildCount() == 0 {
			if identifierLeaves[n.Type()] && lines[int(sp.Row)+1] {
				for i := n.StartByte(); i < n.EndByte() && int(i) < len(out); i++ {
					if out[i] != '#' {
						out[i] = 'x'
					}
				}
			}
			return
		}
		for i := 0; i < int(n.ChildCount()); i++ {
			walk(n.Child(i))
		}
	}
	walk(tree.RootNode())
	return out
}

// MaskFile masks the given lines of a file of any of the eval's languages (see MaskLines).
func MaskFile(p string, src []byte, lines map[int]bool) []byte {
	if strings.HasSuffix(p, ".go") {
		return MaskLines(src, lines)
	}
	return maskTreeSitter(p, src, lines)
}

// SourceFiles lists the files of a project folder that the eval indexes and draws tasks
// from, relative and slash-separated, sorted: .go files for Go (see GoFiles); .py files for
// Python; TypeScript and JavaScript files for js, without declaration files (.d.ts), minified
// bundles, tests and node_modules. Hidden folders, __pycache__ and test folders are left out.
func SourceFiles(root, lang string) ([]string, error) {
	if lang == LangGo {
		return GoFiles(root)
	}
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "__pycache__" || name == "node_modules" ||
				name == "test" || name == "tests" || name == "__tests__" || name == "__mocks__") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !isSourceName(name, lang) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(out)
	return out, err
}

func isSourceName(name, lang string) bool {
	switch lang {
	case LangPython:
		return strings.HasSuffix(name, ".py")
	case LangJS:
		for _, bad := range []string{".d.ts", ".d.mts", ".d.cts", ".min.js", ".test.", ".spec.", ".bench."} {
			if strings.Contains(name, bad) {
				return false
			}
		}
		switch path.Ext(name) {
		case ".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs":
			return true
		}
	}
	return false
}

// DetectLang guesses the language of a local project folder from the files it holds most of.
func DetectLang(root string) string {
	best, bestN := LangGo, 0
	for _, l := range Languages {
		files, err := SourceFiles(root, l)
		if err == nil && len(files) > bestN {
			best, bestN = l, len(files)
		}
	}
	return best
}

func readFiles(root string, paths []string) (map[string][]byte, error) {
	files := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		files[p] = b
	}
	return files, nil
}
