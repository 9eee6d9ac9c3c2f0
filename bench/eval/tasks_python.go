package eval

import (
	"sort"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// pyModule is what task generation knows of one Python file: its top-level definitions and the
// names its imports bind.
type pyModule struct {
	file string
	defs map[string]Span
	// binds maps a name an import statement binds to what it names; at is where the import
	// statement ends, so that only later code counts as a use.
	binds map[string]pyBind
}

// pyBind is what an import binds: the module mod itself (name == "") or the name name of it.
type pyBind struct {
	mod, name string
	at        uint32
}

// pyTarget is what a name resolves to: a definition, or a module of the project.
type pyTarget struct {
	def  *Span
	mod  string
	name string
}

type pyProject struct {
	mods map[string]*pyModule // by dotted module name ("email.mime.text"; a package by its own)
}

// pyModuleName is the dotted module name of a file path: a/b.py is a.b, a/__init__.py is a.
func pyModuleName(p string) string {
	p = strings.TrimSuffix(p, ".py")
	p = strings.TrimSuffix(p, "/__init__")
	return strings.ReplaceAll(p, "/", ".")
}

// lookup resolves mod.name: a definition of the module, a name it imports (re-exports are
// followed a few steps), or a submodule.
func (x *pyProject) lookup(mod, name string, depth int) (pyTarget, bool) {
	if m, ok := x.mods[mod]; ok {
		if s, ok := m.defs[name]; ok {
			return pyTarget{def: &s, name: name}, true
		}
		if b, ok := m.binds[name]; ok && depth < 5 {
			if t, ok := x.resolve(b, depth+1); ok {
				return t, true
			}
		}
	}
	if _, ok := x.mods[mod+"."+name]; ok {
		return pyTarget{mod: mod + "." + name}, true
	}
	return pyTarget{}, false
}

func (x *pyProject) resolve(b pyBind, depth int) (pyTarget, bool) {
	if b.name == "" {
		if _, ok := x.mods[b.mod]; ok {
			return pyTarget{mod: b.mod}, true
		}
		return pyTarget{}, false
	}
	return x.lookup(b.mod, b.name, depth)
}

// pythonTasks finds, in every file of a Python project, the first use of each name that an
// import of the file binds to a definition in another file of the project: "from .x import
// name" then name, or "from . import x" / "import pkg.x" then x.name. The gold is the
// top-level def, class or assignment.
func pythonTasks(files map[string][]byte) []Task {
	paths := make([]string, 0, len(files))
	for p := range files {
		if strings.HasSuffix(p, ".py") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	x := &pyProject{mods: map[string]*pyModule{}}
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
		m := &pyModule{file: p, defs: map[string]Span{}, binds: map[string]pyBind{}}
		pyDefs(m, tree.RootNode(), files[p], 0)
		pyImports(m, tree.RootNode(), files[p])
		x.mods[pyModuleName(p)] = m
	}
	var out []Task
	for _, p := range paths {
		tree, ok := trees[p]
		if !ok {
			continue
		}
		m := x.mods[pyModuleName(p)]
		c := newCollector(p, files[p])
		var walk func(n *sitter.Node)
		walk = func(n *sitter.Node) {
			switch n.Type() {
			case "import_statement", "import_from_statement", "future_import_statement":
				return
			case "identifier":
				pyUse(x, m, c, n, files[p])
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

// pyUse makes a task of an identifier when it is the file's first use of an imported
// definition of another file.
func pyUse(x *pyProject, m *pyModule, c *collector, n *sitter.Node, src []byte) {
	parent := n.Parent()
	if parent != nil {
		switch parent.Type() {
		case "attribute":
			if !isField(parent, "object", n) {
				return
			}
		case "keyword_argument", "function_definition", "class_definition":
			if isField(parent, "name", n) {
				return
			}
		}
	}
	name := n.Content(src)
	if _, own := m.defs[name]; own {
		return
	}
	b, ok := m.binds[name]
	if !ok || n.StartByte() < b.at {
		return
	}
	t, ok := x.resolve(b, 0)
	if !ok {
		return
	}
	at, cur := n, n
	for t.def == nil {
		// A module: follow the attribute chain (pkg.mod.name).
		p := cur.Parent()
		if p == nil || p.Type() != "attribute" || !isField(p, "object", cur) {
			return
		}
		attr := p.ChildByFieldName("attribute")
		if attr == nil {
			return
		}
		if t, ok = x.lookup(t.mod, attr.Content(src), 0); !ok {
			return
		}
		at, cur = attr, p
	}
	p := cur.Parent()
	call := p != nil && p.Type() == "call" && isField(p, "function", cur)
	c.add(at, t.name, *t.def, call)
}

// pyDefs notes the top-level definitions of a Python module, looking into top-level if and
// try blocks (the first definition of a name wins).
func pyDefs(m *pyModule, n *sitter.Node, src []byte, depth int) {
	for _, ch := range children(n, false) {
		switch ch.Type() {
		case "function_definition", "class_definition":
			pyNote(m, ch.ChildByFieldName("name"), ch, src)
		case "decorated_definition":
			if d := ch.ChildByFieldName("definition"); d != nil {
				pyNote(m, d.ChildByFieldName("name"), ch, src)
			}
		case "expression_statement":
			if a := ch.NamedChild(0); a != nil && a.Type() == "assignment" {
				if l := a.ChildByFieldName("left"); l != nil && l.Type() == "identifier" {
					pyNote(m, l, ch, src)
				}
			}
		case "if_statement", "try_statement", "else_clause", "elif_clause", "except_clause", "finally_clause", "block":
			if depth < 4 {
				pyDefs(m, ch, src, depth+1)
			}
		}
	}
}

func pyNote(m *pyModule, name, node *sitter.Node, src []byte) {
	if name == nil {
		return
	}
	id := name.Content(src)
	if _, ok := m.defs[id]; !ok {
		m.defs[id] = lineSpan(m.file, node)
	}
}

// pyImports notes the names the file's import statements bind, wherever they are (a function
// may import what it needs); the first binding of a name wins.
func pyImports(m *pyModule, root *sitter.Node, src []byte) {
	pkg := pyModuleName(m.file)
	if !strings.HasSuffix(m.file, "/__init__.py") && m.file != "__init__.py" {
		pkg = parentModule(pkg)
	}
	bind := func(local string, b pyBind) {
		if _, ok := m.binds[local]; !ok && local != "" {
			m.binds[local] = b
		}
	}
	var walk func(n *sitter.Node)
	walk = func(n *sitter.Node) {
		switch n.Type() {
		case "import_statement":
			for _, ch := range children(n, false) {
				switch ch.Type() {
				case "dotted_name": // import a.b binds a
					full := ch.Content(src)
					first, _, _ := strings.Cut(full, ".")
					bind(first, pyBind{mod: first, at: n.EndByte()})
				case "aliased_import": // import a.b as c binds c to a.b
					if nm, al := ch.ChildByFieldName("name"), ch.ChildByFieldName("alias"); nm != nil && al != nil {
						bind(al.Content(src), pyBind{mod: nm.Content(src), at: n.EndByte()})
					}
				}
			}
			return
		case "import_from_statement":
			mod, ok := pyFromModule(n, pkg, src)
			if !ok {
				return
			}
			afterImport := false
			for _, ch := range children(n, true) {
				if ch.Type() == "import" {
					afterImport = true
					continue
				}
				if !afterImport {
					continue
				}
				switch ch.Type() {
				case "dotted_name":
					nm := ch.Content(src)
					bind(nm, pyBind{mod: mod, name: nm, at: n.EndByte()})
				case "aliased_import":
					if nm, al := ch.ChildByFieldName("name"), ch.ChildByFieldName("alias"); nm != nil && al != nil {
						bind(al.Content(src), pyBind{mod: mod, name: nm.Content(src), at: n.EndByte()})
					}
				}
			}
			return
		}
		for i := 0; i < int(n.ChildCount()); i++ {
			walk(n.Child(i))
		}
	}
	walk(root)
}

// pyFromModule is the absolute module a "from M import ..." statement names.
func pyFromModule(n *sitter.Node, pkg string, src []byte) (string, bool) {
	mn := n.ChildByFieldName("module_name")
	if mn == nil {
		return "", false
	}
	if mn.Type() == "dotted_name" {
		return mn.Content(src), true
	}
	if mn.Type() != "relative_import" {
		return "", false
	}
	text := mn.Content(src)
	rest := strings.TrimLeft(text, ".")
	base := pkg
	for range len(text) - len(rest) - 1 {
		if base == "" {
			return "", false
		}
		base = parentModule(base)
	}
	switch {
	case rest == "":
		return base, base != ""
	case base == "":
		return rest, true
	}
	return base + "." + rest, true
}

func parentModule(m string) string {
	if i := strings.LastIndexByte(m, '.'); i >= 0 {
		return m[:i]
	}
	return ""
}

// collector gathers one file's tasks: the first use of each definition, one task per line.
type collector struct {
	file  string
	src   []byte
	seen  map[Span]bool
	lines map[int]bool
	tasks []Task
}

func newCollector(file string, src []byte) *collector {
	return &collector{file: file, src: src, seen: map[Span]bool{}, lines: map[int]bool{}}
}

// add records a use at node at of the definition gold named name, unless the definition is in
// the file itself, was used before, or the line already has a task.
func (c *collector) add(at *sitter.Node, name string, gold Span, call bool) {
	if gold.File == c.file || c.seen[gold] {
		return
	}
	c.seen[gold] = true
	line := int(at.StartPoint().Row) + 1
	if c.lines[line] {
		return
	}
	c.lines[line] = true
	kind := KindUse
	if call {
		kind = KindCall
	}
	prefix, suffix := splitAtLine(c.src, line)
	c.tasks = append(c.tasks, Task{Kind: kind, File: c.file, Line: line, Name: name, Prefix: prefix, Suffix: suffix, Gold: gold})
}
