package eval

import (
	"path"
	"sort"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// jsModule is what task generation knows of one TypeScript or JavaScript file.
type jsModule struct {
	file string
	defs map[string]Span // top-level declarations, exported or not ("default" too)
	// exports maps an exported name to the local name it exports (export { a as b }).
	exports map[string]string
	// reexports maps an exported name to a name of another file (export { a } from './x').
	reexports map[string]jsBind
	stars     []string // files of export * from './x'
	binds     map[string]jsBind
}

// jsBind is what an import binds: the name name of the file file, or the whole module
// (name "*").
type jsBind struct {
	file, name string
}

type jsProject struct {
	mods map[string]*jsModule
}

var jsExts = []string{".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".jsx", ".cjs"}

// resolveSpec maps a relative import specifier of from to a file of the project, the way
// TypeScript and bundlers do: the exact name, the name with a .js-like extension swapped for a
// source one, the name with an extension added, or the folder's index file. Package imports
// give "".
func (x *jsProject) resolveSpec(from, spec string) string {
	if !strings.HasPrefix(spec, ".") {
		return ""
	}
	base := path.Join(path.Dir(from), spec)
	if _, ok := x.mods[base]; ok {
		return base
	}
	stem := base
	switch path.Ext(base) {
	case ".js", ".jsx", ".mjs", ".cjs":
		stem = strings.TrimSuffix(base, path.Ext(base))
	}
	for _, s := range []string{stem, base + "/index"} {
		for _, e := range jsExts {
			if _, ok := x.mods[s+e]; ok {
				return s + e
			}
		}
	}
	return ""
}

// lookup resolves the exported name name of file: a declaration, a re-export (followed a few
// steps), or an export * that has it.
func (x *jsProject) lookup(file, name string, depth int) (Span, bool) {
	m, ok := x.mods[file]
	if !ok || depth > 6 {
		return Span{}, false
	}
	local := name
	if l, ok := m.exports[name]; ok {
		local = l
	}
	if s, ok := m.defs[local]; ok {
		return s, true
	}
	if b, ok := m.binds[local]; ok && b.name != "*" {
		if s, ok := x.lookup(b.file, b.name, depth+1); ok {
			return s, true
		}
	}
	if b, ok := m.reexports[name]; ok {
		return x.lookup(b.file, b.name, depth+1)
	}
	if name == "default" {
		return Span{}, false
	}
	for _, f := range m.stars {
		if s, ok := x.lookup(f, name, depth+1); ok {
			return s, true
		}
	}
	return Span{}, false
}

// jsTasks finds, in every file of a TypeScript or JavaScript project, the first use of each
// name that an import of the file binds to a declaration in another file of the project:
// "import { name } from './x'" then name, or "import * as x from './x'" then x.name. Re-exports
// through index files are followed to the declaration, which is the gold.
func jsTasks(files map[string][]byte) []Task {
	paths := make([]string, 0, len(files))
	for p := range files {
		if grammarFor(p) != nil && !strings.HasSuffix(p, ".py") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	x := &jsProject{mods: map[string]*jsModule{}}
	for _, p := range paths {
		x.mods[p] = &jsModule{file: p, defs: map[string]Span{}, exports: map[string]string{},
			reexports: map[string]jsBind{}, binds: map[string]jsBind{}}
	}
	trees := map[string]*sitter.Tree{}
	defer func() {
		for _, t := range trees {
			t.Close()
		}
	}()
	for _, p := range paths {
		tree := parseFile(p, files[p])
		if tree == nil {
			continue
		}
		trees[p] = tree
		x.readTop(x.mods[p], tree.RootNode(), files[p])
	}
	var out []Task
	for _, p := range paths {
		tree, ok := trees[p]
		if !ok {
			continue
		}
		m := x.mods[p]
		c := newCollector(p, files[p])
		var walk func(n *sitter.Node)
		walk = func(n *sitter.Node) {
			switch n.Type() {
			case "import_statement":
				return
			case "export_clause":
				return
			case "identifier", "type_identifier", "shorthand_property_identifier":
				x.use(m, c, n, files[p])
				return
			}
			for i := 0; i < int(n.ChildCount()); i++ {
				walk(n.Child(i))
			}
		}
		walk(tree.RootNode())
		out = append(out, c.tasks...)
	}
	return out
}

// use makes a task of an identifier when it is the file's first use of an imported
// declaration of another file.
func (x *jsProject) use(m *jsModule, c *collector, n *sitter.Node, src []byte) {
	parent := n.Parent()
	if parent != nil && isField(parent, "name", n) {
		switch parent.Type() {
		case "jsx_opening_element", "jsx_self_closing_element", "jsx_closing_element":
		default:
			return // a declaration, parameter or specifier of its own
		}
	}
	name := n.Content(src)
	if _, own := m.defs[name]; own {
		return
	}
	b, ok := m.binds[name]
	if !ok {
		return
	}
	at, cur := n, n
	var gold Span
	if b.name == "*" {
		// A namespace: the member named after it (ns.name, or ns.Type in a type).
		if parent == nil {
			return
		}
		var member *sitter.Node
		switch {
		case parent.Type() == "member_expression" && isField(parent, "object", n):
			member = parent.ChildByFieldName("property")
		case parent.Type() == "nested_type_identifier" && isField(parent, "module", n):
			member = parent.ChildByFieldName("name")
		}
		if member == nil {
			return
		}
		if gold, ok = x.lookup(b.file, member.Content(src), 0); !ok {
			return
		}
		at, cur, name = member, parent, member.Content(src)
	} else if gold, ok = x.lookup(b.file, b.name, 0); !ok {
		return
	}
	p := cur.Parent()
	call := p != nil && ((p.Type() == "call_expression" && isField(p, "function", cur)) ||
		(p.Type() == "new_expression" && isField(p, "constructor", cur)))
	c.add(at, name, gold, call)
}

// readTop notes a file's top-level declarations, exports, re-exports and imports.
func (x *jsProject) readTop(m *jsModule, root *sitter.Node, src []byte) {
	for _, n := range children(root, false) {
		switch n.Type() {
		case "import_statement":
			x.readImport(m, n, src)
		case "export_statement":
			x.readExport(m, n, src)
		default:
			jsDecl(m, n, n, src)
		}
	}
}

// jsDecl notes the names a declaration node declares, with the span of node (the export
// statement around it, when there is one). TypeScript overloads that follow each other make
// one span.
func jsDecl(m *jsModule, d, node *sitter.Node, src []byte) []string {
	note := func(name *sitter.Node) string {
		if name == nil || (name.Type() != "identifier" && name.Type() != "type_identifier") {
			return ""
		}
		id := name.Content(src)
		s := lineSpan(m.file, node)
		if old, ok := m.defs[id]; ok {
			if s.StartLine <= old.EndLine+2 && s.EndLine > old.EndLine {
				old.EndLine = s.EndLine
				m.defs[id] = old
			}
			return id
		}
		m.defs[id] = s
		return id
	}
	var names []string
	switch d.Type() {
	case "function_declaration", "generator_function_declaration", "function_signature",
		"class_declaration", "abstract_class_declaration", "interface_declaration",
		"type_alias_declaration", "enum_declaration", "internal_module", "module":
		if id := note(d.ChildByFieldName("name")); id != "" {
			names = append(names, id)
		}
	case "lexical_declaration", "variable_declaration":
		for _, v := range children(d, false) {
			if v.Type() == "variable_declarator" {
				if id := note(v.ChildByFieldName("name")); id != "" {
					names = append(names, id)
				}
			}
		}
	case "expression_statement": // namespace X {} parses as a statement in some grammars
		if e := d.NamedChild(0); e != nil && e.Type() == "internal_module" {
			return jsDecl(m, e, node, src)
		}
	case "ambient_declaration":
		for _, ch := range children(d, false) {
			names = append(names, jsDecl(m, ch, node, src)...)
		}
	}
	return names
}

func (x *jsProject) readImport(m *jsModule, n *sitter.Node, src []byte) {
	file := x.resolveSpec(m.file, stringValue(n.ChildByFieldName("source"), src))
	if file == "" {
		return
	}
	bind := func(local, name string) {
		if _, ok := m.binds[local]; !ok && local != "" {
			m.binds[local] = jsBind{file: file, name: name}
		}
	}
	for _, cl := range children(n, false) {
		if cl.Type() != "import_clause" {
			continue
		}
		for _, ch := range children(cl, false) {
			switch ch.Type() {
			case "identifier":
				bind(ch.Content(src), "default")
			case "namespace_import":
				if id := ch.NamedChild(0); id != nil {
					bind(id.Content(src), "*")
				}
			case "named_imports":
				for _, sp := range children(ch, false) {
					if sp.Type() != "import_specifier" {
						continue
					}
					nm, al := sp.ChildByFieldName("name"), sp.ChildByFieldName("alias")
					if nm == nil {
						continue
					}
					local := nm.Content(src)
					if al != nil {
						local = al.Content(src)
					}
					bind(local, nm.Content(src))
				}
			}
		}
	}
}

func (x *jsProject) readExport(m *jsModule, n *sitter.Node, src []byte) {
	isDefault := false
	for _, ch := range children(n, true) {
		if ch.Type() == "default" {
			isDefault = true
		}
	}
	if d := n.ChildByFieldName("declaration"); d != nil {
		names := jsDecl(m, d, n, src)
		if isDefault && len(names) > 0 {
			m.exports["default"] = names[0]
		}
		return
	}
	if v := n.ChildByFieldName("value"); v != nil && isDefault {
		switch v.Type() {
		case "identifier":
			m.exports["default"] = v.Content(src)
		case "function_expression", "function", "class", "arrow_function":
			m.defs["default"] = lineSpan(m.file, n)
		}
		return
	}
	var from string
	if s := n.ChildByFieldName("source"); s != nil {
		if from = x.resolveSpec(m.file, stringValue(s, src)); from == "" {
			return
		}
	}
	for _, ch := range children(n, true) {
		switch ch.Type() {
		case "*":
			if from != "" {
				m.stars = append(m.stars, from)
			}
		case "export_clause":
			for _, sp := range children(ch, false) {
				if sp.Type() != "export_specifier" {
					continue
				}
				nm, al := sp.ChildByFieldName("name"), sp.ChildByFieldName("alias")
				if nm == nil {
					continue
				}
				exported := nm.Content(src)
				if al != nil {
					exported = al.Content(src)
				}
				if from != "" {
					m.reexports[exported] = jsBind{file: from, name: nm.Content(src)}
				} else {
					m.exports[exported] = nm.Content(src)
				}
			}
		}
	}
}

// stringValue is the text of a string literal node without its quotes.
func stringValue(n *sitter.Node, src []byte) string {
	if n == nil {
		return ""
	}
	return strings.Trim(n.Content(src), "'\"`")
}
