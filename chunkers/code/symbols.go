package code

import (
	"bytes"
	"unicode/utf8"

	"github.com/codectx/codectx"
)

// collectChildren records the symbols defined by the children of node n. mode is topBody for
// the file and namespaces, memberBody inside classes.
func (w *walker) collectChildren(n nodeRef, mode bodyMode, depth int) {
	first, cnt := w.p.children(n)
	for i := first; i < first+nodeRef(cnt); i++ {
		w.collectNode(i, mode, depth)
	}
}

// collectNode records the symbols of node n.
func (w *walker) collectNode(n nodeRef, mode bodyMode, depth int) {
	if depth > maxDepth {
		return
	}
	in := w.l.infoOf(w.sym(n))
	switch {
	case in.container:
		w.collectChildren(n, mode, depth+1)
	case mode == memberBody && in.member != "":
		if in.def != nil && in.def.nameByDeclarator {
			name, _ := w.declaratorName(n)
			w.add(n, name, in.member)
		} else {
			w.add(n, w.nameField(n), in.member)
		}
	case in.def != nil:
		d := in.def
		body := none
		if d.body != noBody || d.needBody {
			body = w.p.field(n, w.l.fields.body)
			if body == none && d.needBody {
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
		if d.body != noBody && body != none {
			w.collectChildren(body, d.body, depth+1)
		}
	case in.special != spNone && mode == topBody:
		w.special(n, in.special, depth)
	}
}

// add records a symbol named name for the lines of node at.
func (w *walker) add(at nodeRef, name []byte, kind string) {
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
func (w *walker) text(n nodeRef) []byte {
	if n == none {
		return nil
	}
	cn := w.p.node(n)
	sb, eb := int(cn.start), int(cn.end)
	if sb > eb || eb > len(w.content) {
		return nil
	}
	return w.content[sb:eb]
}

func (w *walker) nameField(n nodeRef) []byte {
	return w.text(w.p.field(n, w.l.fields.name))
}

// typeName returns the type of a node from the cached symbol table ("" for anonymous nodes
// and errors).
func (w *walker) typeName(n nodeRef) string {
	if sym := int(w.sym(n)); sym < len(w.l.types) {
		return w.l.types[sym]
	}
	return ""
}

// declaratorName follows C/C++ declarators down to the declared name. qualified reports a
// name like Class::method, a method defined outside its class.
func (w *walker) declaratorName(n nodeRef) (name []byte, qualified bool) {
	d := w.p.field(n, w.l.fields.declarator)
	for i := 0; d != none && i < 16; i++ {
		switch w.typeName(d) {
		case "identifier", "field_identifier", "type_identifier", "destructor_name", "operator_name":
			return w.text(d), false
		case "qualified_identifier", "scoped_identifier":
			t := w.text(d)
			return t, true
		}
		next := w.p.field(d, w.l.fields.declarator)
		if next == none {
			// reference_declarator and a few others hold their inner declarator unnamed.
			if k := w.p.namedChildCount(d); k > 0 {
				next = w.p.namedChild(d, k-1)
			}
		}
		d = next
	}
	return nil, false
}

// special reads definitions that need a language's own rules.
func (w *walker) special(n nodeRef, sp special, depth int) {
	switch sp {
	case spGoType:
		w.forNamedChildren(n, func(c nodeRef, typ string) {
			switch typ {
			case "type_spec", "type_alias":
				kind := "type"
				if t := w.p.field(c, w.l.fields.typ); t != none {
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
		var specs func(p nodeRef)
		specs = func(p nodeRef) {
			w.forNamedChildren(p, func(c nodeRef, typ string) {
				switch typ {
				case "var_spec_list", "const_spec_list":
					specs(c)
				case "var_spec", "const_spec":
					w.forNamedChildren(c, func(id nodeRef, typ string) {
						if typ == "identifier" {
							w.add(c, w.text(id), kind)
						}
					})
				}
			})
		}
		specs(n)
	case spPyStatement:
		a := w.p.namedChild(n, 0)
		if a == none || w.typeName(a) != "assignment" {
			return
		}
		left := w.p.field(a, w.l.fields.left)
		if left == none || w.typeName(left) != "identifier" {
			return
		}
		name := w.text(left)
		w.add(n, name, constOrVar(name))
	case spJSVariables:
		kind := "var"
		if bytes.HasPrefix(w.text(n), []byte("const")) {
			kind = "const"
		}
		w.forNamedChildren(n, func(c nodeRef, typ string) {
			if typ != "variable_declarator" {
				return
			}
			name := w.p.field(c, w.l.fields.name)
			if name == none || w.typeName(name) != "identifier" {
				return
			}
			k := kind
			if v := w.p.field(c, w.l.fields.value); v != none {
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
		if c := w.p.namedChild(n, 0); c != none {
			if in := w.l.infoOf(w.sym(c)); in.def != nil {
				w.collectChildren(n, topBody, depth+1)
			}
		}
	case spCDeclaration, spCTypedef:
		// Tagged types defined inside: struct s { ... } x;
		if t := w.p.field(n, w.l.fields.typ); t != none {
			if in := w.l.infoOf(w.sym(t)); in.def != nil && w.p.field(t, w.l.fields.body) != none {
				first, cnt := w.p.children(n)
				for i := first; i < first+nodeRef(cnt); i++ {
					if w.p.node(i).field == w.l.fields.typ {
						w.collectNode(i, topBody, depth+1)
						break
					}
				}
			}
		}
		if sp == spCTypedef {
			w.forNamedChildren(n, func(c nodeRef, typ string) {
				if typ == "type_identifier" {
					w.add(n, w.text(c), "type")
				}
			})
			return
		}
		// Global variables; function prototypes are declarations, not definitions.
		w.forNamedChildren(n, func(c nodeRef, typ string) {
			switch typ {
			case "identifier":
				w.add(n, w.text(c), "var")
			case "init_declarator", "pointer_declarator", "array_declarator":
				d := c
				for i := 0; d != none && i < 8; i++ {
					switch w.typeName(d) {
					case "identifier":
						w.add(n, w.text(d), "var")
						return
					case "function_declarator":
						return
					}
					d = w.p.field(d, w.l.fields.declarator)
				}
			}
		})
	case spRubyAssign:
		left := w.p.field(n, w.l.fields.left)
		if left != none && w.typeName(left) == "constant" {
			w.add(n, w.text(left), "const")
		}
	}
}

// forNamedChildren calls fn with each named child of n that has a type (not an error node),
// in order, and its type. The children are listed with the anonymous ones, which have no type
// and are passed over.
func (w *walker) forNamedChildren(n nodeRef, fn func(c nodeRef, typ string)) {
	first, cnt := w.p.children(n)
	for i := first; i < first+nodeRef(cnt); i++ {
		if typ := w.typeName(i); typ != "" {
			fn(i, typ)
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
