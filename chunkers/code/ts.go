package code

// The chunker parses and reads syntax trees through the few tree-sitter functions below, called
// straight from C, rather than through go-tree-sitter's Go API (whose grammars and runtime it
// links). Its walk needs a handful of facts per node (type, byte span, field); the Go API costs
// several cgo calls per node for them, plus a map insertion and an allocation for every node
// touched and a C allocation for every field looked up by name: indexing Go's source tree spent
// 1.4 CPU-seconds walking trees for 8 parsing them (and 0.3 copying the content into C memory
// allocated per file). Here one call lists a node's children with those facts, which cut the
// walk to 0.3-0.45 seconds, and the content is parsed from a buffer the parser keeps.
// BenchmarkChunkGo against BenchmarkParseOnlyGo measures what walking adds to parsing.

/*
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// Declarations of tree-sitter's C API (lib/include/tree_sitter/api.h), as compiled into
// github.com/smacker/go-tree-sitter.
typedef uint16_t TSSymbol;
typedef uint16_t TSFieldId;
typedef struct TSLanguage TSLanguage;
typedef struct TSParser TSParser;
typedef struct TSTree TSTree;
typedef struct TSNode {
	uint32_t context[4];
	const void *id;
	const TSTree *tree;
} TSNode;
typedef struct TSTreeCursor {
	const void *tree;
	const void *id;
	uint32_t context[3];
} TSTreeCursor;

TSParser *ts_parser_new(void);
void ts_parser_delete(TSParser *self);
bool ts_parser_set_language(TSParser *self, const TSLanguage *language);
TSTree *ts_parser_parse_string(TSParser *self, const TSTree *old_tree, const char *string, uint32_t length);
void ts_tree_delete(TSTree *self);
TSNode ts_tree_root_node(const TSTree *self);
TSSymbol ts_node_symbol(TSNode self);
uint32_t ts_node_start_byte(TSNode self);
uint32_t ts_node_end_byte(TSNode self);
bool ts_node_is_null(TSNode self);
TSNode ts_node_named_child(TSNode self, uint32_t child_index);
uint32_t ts_node_named_child_count(TSNode self);
TSNode ts_node_child_by_field_id(TSNode self, TSFieldId field_id);
TSTreeCursor ts_tree_cursor_new(TSNode node);
void ts_tree_cursor_delete(TSTreeCursor *self);
void ts_tree_cursor_reset(TSTreeCursor *self, TSNode node);
TSNode ts_tree_cursor_current_node(const TSTreeCursor *self);
TSFieldId ts_tree_cursor_current_field_id(const TSTreeCursor *self);
bool ts_tree_cursor_goto_next_sibling(TSTreeCursor *self);
bool ts_tree_cursor_goto_first_child(TSTreeCursor *self);
TSFieldId ts_language_field_id_for_name(const TSLanguage *self, const char *name, uint32_t name_length);
uint32_t ts_language_symbol_count(const TSLanguage *self);

// The grammars, from go-tree-sitter's language packages.
const TSLanguage *tree_sitter_go(void);
const TSLanguage *tree_sitter_python(void);
const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_tsx(void);
const TSLanguage *tree_sitter_java(void);
const TSLanguage *tree_sitter_rust(void);
const TSLanguage *tree_sitter_c(void);
const TSLanguage *tree_sitter_cpp(void);
const TSLanguage *tree_sitter_c_sharp(void);
const TSLanguage *tree_sitter_ruby(void);

// A node and what the walker reads of it.
typedef struct {
	TSNode node;
	uint32_t start, end; // bytes
	uint16_t symbol;
	uint16_t field; // field id under the parent it was listed from (0: none, or not listed)
} cnode;

// A parser, its current tree, and the nodes read from the tree so far (an array the walker
// indexes; it may move when nodes are added).
typedef struct {
	TSParser *parser;
	TSTree *tree;
	TSTreeCursor cursor;
	bool has_cursor;
	char *text;
	uint32_t text_cap;
	cnode *nodes;
	uint32_t len, cap;
	bool failed; // a node could not be added (out of memory)
} cparser;

static cparser *cp_new(const TSLanguage *lang) {
	cparser *p = calloc(1, sizeof(cparser));
	if (!p) return NULL;
	p->parser = ts_parser_new();
	if (!p->parser || !ts_parser_set_language(p->parser, lang)) {
		if (p->parser) ts_parser_delete(p->parser);
		free(p);
		return NULL;
	}
	return p;
}

static void cp_done(cparser *p) {
	if (p->has_cursor) {
		ts_tree_cursor_delete(&p->cursor);
		p->has_cursor = false;
	}
	if (p->tree) {
		ts_tree_delete(p->tree);
		p->tree = NULL;
	}
	p->len = 0;
	p->failed = false;
}

static void cp_free(cparser *p) {
	cp_done(p);
	ts_parser_delete(p->parser);
	free(p->text);
	free(p->nodes);
	free(p);
}

static uint32_t cp_add(cparser *p, TSNode n, TSFieldId field) {
	if (p->len == p->cap) {
		uint32_t cap = p->cap ? 2 * p->cap : 256;
		cnode *nodes = realloc(p->nodes, (size_t)cap * sizeof(cnode));
		if (!nodes) {
			p->failed = true;
			return UINT32_MAX;
		}
		p->nodes = nodes;
		p->cap = cap;
	}
	cnode *c = &p->nodes[p->len];
	c->node = n;
	c->start = ts_node_start_byte(n);
	c->end = ts_node_end_byte(n);
	c->symbol = ts_node_symbol(n);
	c->field = field;
	return p->len++;
}

// cp_parse parses length bytes from src, copied first (the caller's memory is not kept), and
// adds the root node as node 0. It returns false when tree-sitter returns no tree.
static bool cp_parse(cparser *p, const char *src, uint32_t length) {
	cp_done(p);
	if (length > p->text_cap || !p->text) {
		char *text = realloc(p->text, length ? length : 1);
		if (!text) return false;
		p->text = text;
		p->text_cap = length;
	}
	if (length) memcpy(p->text, src, length);
	p->tree = ts_parser_parse_string(p->parser, NULL, p->text, length);
	if (!p->tree) return false;
	TSNode root = ts_tree_root_node(p->tree);
	p->cursor = ts_tree_cursor_new(root);
	p->has_cursor = true;
	return cp_add(p, root, 0) != UINT32_MAX;
}

// cp_children adds the children of node i that a tree cursor visits (the visible ones), in
// order, with their field ids, and returns how many it added.
static uint32_t cp_children(cparser *p, uint32_t i) {
	uint32_t first = p->len;
	ts_tree_cursor_reset(&p->cursor, p->nodes[i].node);
	if (!ts_tree_cursor_goto_first_child(&p->cursor)) return 0;
	do {
		TSNode n = ts_tree_cursor_current_node(&p->cursor);
		if (cp_add(p, n, ts_tree_cursor_current_field_id(&p->cursor)) == UINT32_MAX) return p->len - first;
	} while (ts_tree_cursor_goto_next_sibling(&p->cursor));
	return p->len - first;
}

// cp_field adds the child of node i with field id f and returns its index, or UINT32_MAX when
// there is none.
static uint32_t cp_field(cparser *p, uint32_t i, TSFieldId f) {
	TSNode n = ts_node_child_by_field_id(p->nodes[i].node, f);
	if (ts_node_is_null(n)) return UINT32_MAX;
	return cp_add(p, n, 0);
}

// cp_named_child adds named child k of node i and returns its index, or UINT32_MAX.
static uint32_t cp_named_child(cparser *p, uint32_t i, uint32_t k) {
	TSNode n = ts_node_named_child(p->nodes[i].node, k);
	if (ts_node_is_null(n)) return UINT32_MAX;
	return cp_add(p, n, 0);
}

static uint32_t cp_named_child_count(cparser *p, uint32_t i) {
	return ts_node_named_child_count(p->nodes[i].node);
}

static TSFieldId field_id(const TSLanguage *lang, _GoString_ name) {
	return ts_language_field_id_for_name(lang, _GoStringPtr(name), (uint32_t)_GoStringLen(name));
}
*/
import "C"

import (
	"errors"
	"runtime"
	"sync"
	"unsafe"

	"github.com/codectx/codectx"
)

// cLanguage returns the C grammar of a language id, or nil.
func cLanguage(id string) *C.TSLanguage {
	switch id {
	case codectx.LangGo:
		return C.tree_sitter_go()
	case codectx.LangPython:
		return C.tree_sitter_python()
	case codectx.LangJavaScript, codectx.LangJSX:
		return C.tree_sitter_javascript()
	case codectx.LangTypeScript:
		return C.tree_sitter_typescript()
	case codectx.LangTSX:
		return C.tree_sitter_tsx()
	case codectx.LangJava:
		return C.tree_sitter_java()
	case codectx.LangRust:
		return C.tree_sitter_rust()
	case codectx.LangC:
		return C.tree_sitter_c()
	case codectx.LangCPP:
		return C.tree_sitter_cpp()
	case codectx.LangCSharp:
		return C.tree_sitter_c_sharp()
	case codectx.LangRuby:
		return C.tree_sitter_ruby()
	}
	return nil
}

// noField is the id of a field the grammar does not have: no child has it.
const noField = 0

// fields are the ids of the fields the chunker reads, in one grammar.
type fields struct {
	name, body, typ, declarator, left, value C.TSFieldId
}

func fieldIDs(lang *C.TSLanguage) fields {
	id := func(name string) C.TSFieldId { return C.field_id(lang, name) }
	return fields{name: id("name"), body: id("body"), typ: id("type"), declarator: id("declarator"),
		left: id("left"), value: id("value")}
}

// symbolCount returns the number of symbols of a C grammar.
func symbolCount(lang *C.TSLanguage) uint32 { return uint32(C.ts_language_symbol_count(lang)) }

// parser is a pooled tree-sitter parser. Its C memory is freed when the pool drops it.
type parser struct{ c *C.cparser }

var errNoParser = errors.New("cannot create a tree-sitter parser")

func newParserPool(lang *C.TSLanguage) *sync.Pool {
	return &sync.Pool{New: func() any {
		c := C.cp_new(lang)
		if c == nil {
			return nil
		}
		p := &parser{c: c}
		runtime.AddCleanup(p, func(c *C.cparser) { C.cp_free(c) }, c)
		return p
	}}
}

// parse parses content; the tree and its nodes live until done. ok is false when tree-sitter
// gave no tree (the root, node 0, is then missing).
func (p *parser) parse(content []byte) (ok bool) {
	var src *C.char
	if len(content) > 0 {
		src = (*C.char)(unsafe.Pointer(&content[0]))
	}
	return bool(C.cp_parse(p.c, src, C.uint32_t(len(content))))
}

// done frees the tree and forgets its nodes.
func (p *parser) done() { C.cp_done(p.c) }

// nodeRef indexes the nodes read from the current tree.
type nodeRef = uint32

// none is the nodeRef of a missing node.
const none nodeRef = ^nodeRef(0)

// node returns node i. The pointer is valid until the next call that adds nodes.
func (p *parser) node(i nodeRef) *C.cnode {
	if i >= nodeRef(p.c.len) {
		panic("code: node index out of range")
	}
	return (*C.cnode)(unsafe.Add(unsafe.Pointer(p.c.nodes), uintptr(i)*unsafe.Sizeof(C.cnode{})))
}

// children adds the children of node i and returns the first one's index and their number.
func (p *parser) children(i nodeRef) (first nodeRef, n int) {
	first = nodeRef(p.c.len)
	n = int(C.cp_children(p.c, C.uint32_t(i)))
	if p.c.failed {
		panic("code: out of memory reading the syntax tree")
	}
	return first, n
}

// field adds the child of node i in field f and returns it, or none.
func (p *parser) field(i nodeRef, f C.TSFieldId) nodeRef {
	if f == noField {
		return none
	}
	return p.checked(C.cp_field(p.c, C.uint32_t(i), f))
}

// namedChild adds named child k of node i and returns it, or none.
func (p *parser) namedChild(i nodeRef, k int) nodeRef {
	return p.checked(C.cp_named_child(p.c, C.uint32_t(i), C.uint32_t(k)))
}

func (p *parser) namedChildCount(i nodeRef) int {
	return int(C.cp_named_child_count(p.c, C.uint32_t(i)))
}

func (p *parser) checked(r C.uint32_t) nodeRef {
	if p.c.failed {
		panic("code: out of memory reading the syntax tree")
	}
	return nodeRef(r)
}
