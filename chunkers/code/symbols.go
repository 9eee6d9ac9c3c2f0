package code

import (
	"bytes"
	"unicode/utf8"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/codectx/codectx"
)

// collect records the symbols defined by the nodes at the cursor's level and its siblings.
// mode is topBody for the file and namespaces, memberBody inside classes.
func (w *walker) collect(cur *sitter.TreeCursor, mode bodyMode, depth int) {
	for {
		w.collectNode(cur, cur.CurrentNode(), mode, depth)
		if !cur.GoToNextSibling() {
			return
		}
	}
}

// collectNode records the symbols of one node; cur is positioned on n.
func (w *walker) collectNode(cur *sitter.TreeCursor, n *sitter.Node, mode bodyMode, depth int) {
	if depth > maxDepth {
		return
	}
	in := w.l.infoOf(n.Symbol())
	switch {
	case in.container:
		if cur.GoToFirstChild() {
			w.collect(cur, mode, depth+1)
			cur.GoToParent()
		}
	case mode == memberBody && in.member != "":
		if in.def != nil && in.def.nameByDeclarator {
			name, _ := w.declaratorName(n)
			w.add(n, name, in.member)
		} else {
			w.add(n, w.nameField(n), in.member)
		}
	case in.def != nil:
		d := in.def
		var body *sitter.Node
		if d.body != noBody || d.needBody {
			body = n.ChildByFieldName("body")
			if body == nil && d.needBody {
				return
			}
		}
		kind := d.kind
		var name []byte
		if d.nameByDeclarator {
			var qualified bool
			name, qualified = w.declaratorName(n)
			if qualified || mode == memberBody {
				kind = "method"
			}
		} else if kind != "" {
			name = w.nameField(n)
		}
		if kind != "" {
			w.add(n, name, kind)
		}
		if d.body != noBody && body != nil {
			bc := sitter.NewTreeCursor(body)
			if bc.GoToFirstChild() {
				w.collect(bc, d.body, depth+1)
			}
			bc.Close()
		}
	case in.special != spNone && mode == topBody:
		w.special(n, in.special, depth)
	}
}

// add records a symbol named name for the lines of node at.
func (w *walker) add(at *sitter.Node, name []byte, kind string) {
	name = bareName(name)
	if len(name) == 0 {
		return
	}
	s, e, ok := w.span(at)
	if !ok {
		return
	}
	w.symbols = append(w.symbols, codectx.Symbol{Name: string(name), Kind: kind, StartLine: s, EndLine: e})
}

// text returns a node's source.
func (w *walker) text(n *sitter.Node) []byte {
	if n == nil {
		return nil
	}
	sb, eb := int(n.StartByte()), int(n.EndByte())
	if sb > eb || eb > len(w.content) {
		return nil
	}
	return w.content[sb:eb]
}

func (w *walker) nameField(n *sitter.Node) []byte {
	return w.text(n.ChildByFieldName("name"))
}

// typeName returns the type of a node from the cached symbol table.
func (w *walker) typeName(n *sitter.Node) string {
	if sym := int(n.Symbol()); sym < len(w.l.types) {
		return w.l.types[sym]
	}
	return ""
}

// declaratorName follows C/C++ declarators down to the declared name. qualified reports a
// name like Class::method, a method defined outside its class.
func (w *walker) declaratorName(n *sitter.Node) (name []byte, qualified bool) {
	d := n.ChildByFieldName("declarator")
	for i := 0; d != nil && i < 16; i++ {
		switch w.typeName(d) {
		case "identifier", "field_identifier", "type_identifier", "destructor_name", "operator_name":
			return w.text(d), false
		case "qualified_identifier", "scoped_identifier":
			t := w.text(d)
			return t, true
		}
		next := d.ChildByFieldName("declarator")
		if next == nil && d.NamedChildCount() > 0 {
			// reference_declarator and a few others hold their inner declarator unnamed.
			next = d.NamedChild(int(d.NamedChildCount()) - 1)
		}
		d = next
	}
	return nil, false
}

// special reads definitions that need a language's own rules.
func (w *walker) special(n *sitter.Node, sp special, depth int) {
	switch sp {
	case spGoType:
		forNamedChildren(n, func(c *sitter.Node) {
			switch w.typeName(c) {
			case "type_spec", "type_alias":
				kind := "type"
				if t := c.ChildByFieldName("type"); t != nil {
					switch w.typeName(t) {
					case "struct_type":
						kind = "struct"
					case "interface_type":
						kind = "interface"
					}
				}
				w.add(c, w.nameField(c), kind)
			}
		})
	case spGoValue:
		kind := "var"
		if w.typeName(n) == "const_declaration" {
			kind = "const"
		}
		var specs func(p *sitter.Node)
		specs = func(p *sitter.Node) {
			forNamedChildren(p, func(c *sitter.Node) {
				switch w.typeName(c) {
				case "var_spec_list", "const_spec_list":
					specs(c)
				case "var_spec", "const_spec":
					forNamedChildren(c, func(id *sitter.Node) {
						if w.typeName(id) == "identifier" {
							w.add(c, w.text(id), kind)
						}
					})
				}
			})
		}
		specs(n)
	case spPyStatement:
		a := n.NamedChild(0)
		if a == nil || w.typeName(a) != "assignment" {
			return
		}
		left := a.ChildByFieldName("left")
		if left == nil || w.typeName(left) != "identifier" {
			return
		}
		name := w.text(left)
		w.add(n, name, constOrVar(name))
	case spJSVariables:
		kind := "var"
		if bytes.HasPrefix(w.text(n), []byte("const")) {
			kind = "const"
		}
		forNamedChildren(n, func(c *sitter.Node) {
			if w.typeName(c) != "variable_declarator" {
				return
			}
			name := c.ChildByFieldName("name")
			if name == nil || w.typeName(name) != "identifier" {
				return
			}
			k := kind
			if v := c.ChildByFieldName("value"); v != nil {
				switch w.typeName(v) {
				case "arrow_function", "function", "function_expression", "generator_function":
					k = "function"
				case "class":
					k = "class"
				}
			}
			w.add(c, w.text(name), k)
		})
	case spTSStatement:
		if c := n.NamedChild(0); c != nil {
			if in := w.l.infoOf(c.Symbol()); in.def != nil {
				cur := sitter.NewTreeCursor(n)
				if cur.GoToFirstChild() {
					w.collect(cur, topBody, depth+1)
				}
				cur.Close()
			}
		}
	case spCDeclaration, spCTypedef:
		// Tagged types defined inside: struct s { ... } x;
		if t := n.ChildByFieldName("type"); t != nil {
			if in := w.l.infoOf(t.Symbol()); in.def != nil && t.ChildByFieldName("body") != nil {
				cur := sitter.NewTreeCursor(n)
				if cur.GoToFirstChild() {
					for {
						if cur.CurrentFieldName() == "type" {
							w.collectNode(cur, cur.CurrentNode(), topBody, depth+1)
							break
						}
						if !cur.GoToNextSibling() {
							break
						}
					}
				}
				cur.Close()
			}
		}
		if sp == spCTypedef {
			forNamedChildren(n, func(c *sitter.Node) {
				if w.typeName(c) == "type_identifier" {
					w.add(n, w.text(c), "type")
				}
			})
			return
		}
		// Global variables; function prototypes are declarations, not definitions.
		forNamedChildren(n, func(c *sitter.Node) {
			switch w.typeName(c) {
			case "identifier":
				w.add(n, w.text(c), "var")
			case "init_declarator", "pointer_declarator", "array_declarator":
				d := c
				for i := 0; d != nil && i < 8; i++ {
					switch w.typeName(d) {
					case "identifier":
						w.add(n, w.text(d), "var")
						return
					case "function_declarator":
						return
					}
					d = d.ChildByFieldName("declarator")
				}
			}
		})
	case spRubyAssign:
		left := n.ChildByFieldName("left")
		if left != nil && w.typeName(left) == "constant" {
			w.add(n, w.text(left), "const")
		}
	}
}

// forNamedChildren calls fn with each named child of n. It is meant for small nodes: named
// child access is linear in the index.
func forNamedChildren(n *sitter.Node, fn func(*sitter.Node)) {
	cnt := int(n.NamedChildCount())
	for i := 0; i < cnt; i++ {
		if c := n.NamedChild(i); c != nil {
			fn(c)
		}
	}
}

// constOrVar calls an all-capitals name a constant.
func constOrVar(name []byte) string {
	upper := false
	for _, b := range name {
		if b >= 'a' && b <= 'z' {
			return "var"
		}
		if b >= 'A' && b <= 'Z' {
			upper = true
		}
	}
	if upper {
		return "const"
	}
	return "var"
}

// bareName reduces a possibly qualified name (pkg.Type, Outer::Inner, ~Dtor) to the identifier a
// caller writes.
func bareName(name []byte) []byte {
	name = bytes.TrimSpace(name)
	for _, sep := range [][]byte{[]byte("::"), []byte("."), []byte("->")} {
		if i := bytes.LastIndex(name, sep); i >= 0 {
			name = name[i+len(sep):]
		}
	}
	name = bytes.TrimLeft(name, "~")
	name = bytes.Trim(name, "\"'`")
	if len(name) == 0 || len(name) > 256 || !utf8.Valid(name) {
		return nil
	}
	for _, b := range name {
		if isSpace(b) {
			return nil
		}
	}
	return name
}
