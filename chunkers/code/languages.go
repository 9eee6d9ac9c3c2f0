package code

import (
	"sync"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/c"
	"github.com/smacker/go-tree-sitter/cpp"
	"github.com/smacker/go-tree-sitter/csharp"
	"github.com/smacker/go-tree-sitter/golang"
	"github.com/smacker/go-tree-sitter/java"
	"github.com/smacker/go-tree-sitter/javascript"
	"github.com/smacker/go-tree-sitter/python"
	"github.com/smacker/go-tree-sitter/ruby"
	"github.com/smacker/go-tree-sitter/rust"
	"github.com/smacker/go-tree-sitter/typescript/tsx"
	"github.com/smacker/go-tree-sitter/typescript/typescript"

	"github.com/codectx/codectx"
)

// bodyMode says how the body of a definition is searched for further definitions.
type bodyMode uint8

const (
	noBody     bodyMode = iota
	topBody             // a namespace or module: its definitions are read like top-level ones
	memberBody          // a class or similar: functions in it are methods
)

// special marks node types whose symbols need a language-specific reading.
type special uint8

const (
	spNone         special = iota
	spGoType               // type_declaration: one symbol per type_spec / type_alias
	spGoValue              // const_declaration / var_declaration: one symbol per name
	spPyStatement          // module-level expression_statement: NAME = ...
	spJSVariables          // lexical_declaration / variable_declaration
	spCDeclaration         // declaration: global variables and tagged types, not prototypes
	spCTypedef             // type_definition
	spRubyAssign           // assignment to a constant
	spTSStatement          // expression_statement wrapping a namespace
)

// def describes a definition node type.
type def struct {
	kind string
	body bodyMode
	// nameByDeclarator: the name is found by following the "declarator" fields (C and C++).
	nameByDeclarator bool
	// needBody: only a node with a body defines something (C's struct s; only declares).
	needBody bool
}

// spec is what the chunker knows of one language's grammar.
type spec struct {
	lang *sitter.Language
	// Node types, by name.
	defs       map[string]def    // definitions at top level (and in namespace bodies)
	members    map[string]string // functions inside class bodies, with their kind ("method")
	containers []string          // wrappers whose children are read as if in the parent
	glue       []string          // comments and attributes that stick to what follows them
	specials   map[string]special
}

// nodeInfo is spec, indexed by the grammar's symbol ids so that a node is classified by the
// symbol read with it, with no look-up by name.
type nodeInfo struct {
	def       *def
	member    string
	container bool
	glue      bool
	special   special
}

type language struct {
	name   string
	lang   *sitter.Language
	info   []nodeInfo
	types  []string   // node type names by symbol id
	fields fields     // ids of the fields read
	pool   *sync.Pool // *parser, set to the grammar
}

func (l *language) infoOf(sym uint16) *nodeInfo {
	if int(sym) < len(l.info) {
		return &l.info[sym]
	}
	return &noInfo
}

var noInfo nodeInfo

func newLanguage(name string, s spec) *language {
	l := &language{name: name, lang: s.lang}
	n := int(s.lang.SymbolCount())
	l.info = make([]nodeInfo, n)
	l.types = make([]string, n)
	set := func(list []string) map[string]bool {
		m := make(map[string]bool, len(list))
		for _, t := range list {
			m[t] = true
		}
		return m
	}
	containers, glue := set(s.containers), set(s.glue)
	for i := 0; i < n; i++ {
		sym := sitter.Symbol(i)
		if s.lang.SymbolType(sym) != sitter.SymbolTypeRegular {
			continue
		}
		t := s.lang.SymbolName(sym)
		l.types[i] = t
		in := &l.info[i]
		if d, ok := s.defs[t]; ok {
			d := d
			in.def = &d
		}
		in.member = s.members[t]
		in.container = containers[t]
		in.glue = glue[t]
		in.special = s.specials[t]
	}
	cl := cLanguage(name)
	if cl == nil {
		panic("code: no C grammar for " + name)
	}
	l.fields = fieldIDs(cl)
	l.pool = newParserPool(cl)
	return l
}

var (
	languagesOnce sync.Once
	languages     map[string]*language
)

// languageFor returns the grammar for a language id, or nil when there is none.
func languageFor(id string) *language {
	languagesOnce.Do(initLanguages)
	return languages[codectx.NormalizeLanguage(id)]
}

// Supports reports whether the code chunker handles a language id.
func Supports(lang string) bool { return languageFor(lang) != nil }

func initLanguages() {
	fn := def{kind: "function"}
	class := def{kind: "class", body: memberBody}
	module := def{kind: "module", body: topBody}

	js := func(l *sitter.Language, ts bool) spec {
		s := spec{
			lang: l,
			defs: map[string]def{
				"function_declaration":           fn,
				"generator_function_declaration": fn,
				"function_signature":             fn,
				"class_declaration":              class,
				"abstract_class_declaration":     class,
				"interface_declaration":          {kind: "interface", body: memberBody},
				"type_alias_declaration":         {kind: "type"},
				"enum_declaration":               {kind: "enum"},
				"internal_module":                module,
				"module":                         module,
			},
			members: map[string]string{
				"method_definition":         "method",
				"abstract_method_signature": "method",
				"method_signature":          "method",
			},
			containers: []string{"export_statement", "ambient_declaration"},
			glue:       []string{"comment", "decorator"},
			specials: map[string]special{
				"lexical_declaration":  spJSVariables,
				"variable_declaration": spJSVariables,
			},
		}
		if ts {
			s.specials["expression_statement"] = spTSStatement
		}
		return s
	}
	cdefs := func() map[string]def {
		return map[string]def{
			"function_definition":  {kind: "function", nameByDeclarator: true},
			"struct_specifier":     {kind: "struct", body: memberBody, needBody: true},
			"union_specifier":      {kind: "struct", body: memberBody, needBody: true},
			"enum_specifier":       {kind: "enum", needBody: true},
			"preproc_def":          {kind: "const"},
			"preproc_function_def": {kind: "macro"},
		}
	}
	cContainers := []string{"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "linkage_specification", "declaration_list"}
	cppDefs := cdefs()
	cppDefs["class_specifier"] = def{kind: "class", body: memberBody, needBody: true}
	cppDefs["namespace_definition"] = module
	cppDefs["alias_declaration"] = def{kind: "type"}
	cppDefs["concept_definition"] = def{kind: "type"}
	csType := func(kind string) def { return def{kind: kind, body: memberBody} }

	specs := map[string]spec{
		codectx.LangGo: {
			lang: golang.GetLanguage(),
			defs: map[string]def{
				"function_declaration": fn,
				"method_declaration":   {kind: "method"},
			},
			glue: []string{"comment"},
			specials: map[string]special{
				"type_declaration":  spGoType,
				"const_declaration": spGoValue,
				"var_declaration":   spGoValue,
			},
		},
		codectx.LangPython: {
			lang: python.GetLanguage(),
			defs: map[string]def{
				"function_definition": fn,
				"class_definition":    class,
			},
			members:    map[string]string{"function_definition": "method"},
			containers: []string{"decorated_definition"},
			glue:       []string{"comment", "decorator"},
			specials:   map[string]special{"expression_statement": spPyStatement},
		},
		codectx.LangJavaScript: js(javascript.GetLanguage(), false),
		codectx.LangJSX:        js(javascript.GetLanguage(), false),
		codectx.LangTypeScript: js(typescript.GetLanguage(), true),
		codectx.LangTSX:        js(tsx.GetLanguage(), true),
		codectx.LangJava: {
			lang: java.GetLanguage(),
			defs: map[string]def{
				"class_declaration":           class,
				"interface_declaration":       {kind: "interface", body: memberBody},
				"enum_declaration":            {kind: "enum", body: memberBody},
				"record_declaration":          class,
				"annotation_type_declaration": {kind: "interface"},
			},
			members: map[string]string{
				"method_declaration":      "method",
				"constructor_declaration": "method",
			},
			containers: []string{"enum_body_declarations"},
			glue:       []string{"line_comment", "block_comment"},
		},
		codectx.LangRust: {
			lang: rust.GetLanguage(),
			defs: map[string]def{
				"function_item":           fn,
				"function_signature_item": fn,
				"struct_item":             {kind: "struct"},
				"union_item":              {kind: "struct"},
				"enum_item":               {kind: "enum"},
				"trait_item":              {kind: "trait", body: memberBody},
				"impl_item":               {kind: "", body: memberBody},
				"type_item":               {kind: "type"},
				"const_item":              {kind: "const"},
				"static_item":             {kind: "var"},
				"mod_item":                module,
				"macro_definition":        {kind: "macro"},
			},
			members: map[string]string{
				"function_item":           "method",
				"function_signature_item": "method",
			},
			glue: []string{"line_comment", "block_comment", "attribute_item"},
		},
		codectx.LangC: {
			lang:       c.GetLanguage(),
			defs:       cdefs(),
			containers: cContainers,
			glue:       []string{"comment"},
			specials: map[string]special{
				"declaration":     spCDeclaration,
				"type_definition": spCTypedef,
			},
		},
		codectx.LangCPP: {
			lang: cpp.GetLanguage(),
			defs: cppDefs,
			members: map[string]string{
				"function_definition": "method",
			},
			containers: append([]string{"template_declaration"}, cContainers...),
			glue:       []string{"comment"},
			specials: map[string]special{
				"declaration":     spCDeclaration,
				"type_definition": spCTypedef,
			},
		},
		codectx.LangCSharp: {
			lang: csharp.GetLanguage(),
			defs: map[string]def{
				"class_declaration":         csType("class"),
				"struct_declaration":        csType("struct"),
				"interface_declaration":     csType("interface"),
				"record_declaration":        csType("class"),
				"record_struct_declaration": csType("struct"),
				"enum_declaration":          {kind: "enum"},
				"delegate_declaration":      {kind: "type"},
				"namespace_declaration":     module,
			},
			members: map[string]string{
				"method_declaration":      "method",
				"constructor_declaration": "method",
			},
			containers: []string{"file_scoped_namespace_declaration"},
			glue:       []string{"comment"},
		},
		codectx.LangRuby: {
			lang: ruby.GetLanguage(),
			defs: map[string]def{
				"method":           fn,
				"singleton_method": {kind: "method"},
				"class":            class,
				"module":           {kind: "module", body: memberBody},
			},
			members: map[string]string{
				"method":           "method",
				"singleton_method": "method",
			},
			glue:     []string{"comment"},
			specials: map[string]special{"assignment": spRubyAssign},
		},
	}
	languages = make(map[string]*language, len(specs))
	for name, s := range specs {
		languages[name] = newLanguage(name, s)
	}
}
