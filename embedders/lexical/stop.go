package lexical

// stopWords are lower-cased tokens too common in code and prose to help ranking: keywords that
// carry no meaning of their own, and English function words.
var stopWords = map[string]struct{}{}

// maxStop is the length of the longest stop word.
var maxStop int

func init() {
	for _, w := range []string{
		// keywords across languages
		"func", "function", "fn", "def", "return", "if", "else", "elif", "elsif", "for", "while",
		"do", "switch", "case", "break", "continue", "default", "var", "let", "const", "static",
		"public", "private", "protected", "final", "void", "new", "import", "package", "from",
		"as", "try", "catch", "except", "finally", "throw", "throws", "raise", "pass", "end",
		"then", "self", "this", "super", "nil", "null", "none", "undefined", "true", "false",
		"async", "await", "yield", "go", "defer", "range", "export", "require", "include",
		"pub", "mut", "impl", "use", "crate", "where", "loop", "unless", "until", "lambda",
		"begin", "typeof", "instanceof", "extends", "implements", "fi", "esac", "done",
		// English function words
		"the", "an", "and", "or", "not", "is", "are", "was", "be", "to", "of", "in", "on", "at",
		"by", "it", "its", "with", "that", "which", "we", "you", "can",
	} {
		stopWords[w] = struct{}{}
		if len(w) > maxStop {
			maxStop = len(w)
		}
	}
}

// stopTable holds the stop words of up to 8 bytes packed into uint64s, open-addressed by a
// multiplicative hash: the check costs a few instructions instead of a map look-up.
var stopTable [256]uint64

func pack(tok []byte) uint64 {
	var k uint64
	for _, c := range tok {
		k = k<<8 | uint64(c)
	}
	return k
}

func stopSlot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> 56 }

func init() {
	for w := range stopWords {
		if len(w) > 8 {
			continue
		}
		k := pack([]byte(w))
		for s := stopSlot(k); ; s = (s + 1) & 255 {
			if stopTable[s] == 0 {
				stopTable[s] = k
				break
			}
		}
	}
}

func isStop(tok []byte) bool {
	if len(tok) > 8 {
		_, ok := stopWords[string(tok)]
		return ok
	}
	k := pack(tok)
	for s := stopSlot(k); ; s = (s + 1) & 255 {
		switch stopTable[s] {
		case k:
			return true
		case 0:
			return false
		}
	}
}

// keywords are identifiers, as written, that name no symbol of the program.
var keywords = map[string]struct{}{}

func init() {
	for _, w := range []string{
		"func", "function", "fn", "def", "return", "if", "else", "elif", "elsif", "for", "while",
		"do", "switch", "case", "break", "continue", "default", "var", "let", "const", "static",
		"public", "private", "protected", "final", "void", "new", "import", "package", "from",
		"as", "try", "catch", "except", "finally", "throw", "throws", "raise", "pass", "end",
		"then", "self", "this", "super", "nil", "null", "None", "undefined", "true", "false",
		"True", "False", "async", "await", "yield", "go", "defer", "range", "export", "require",
		"pub", "mut", "impl", "use", "crate", "where", "loop", "unless", "until", "lambda",
		"typeof", "instanceof", "extends", "implements", "class", "struct", "interface", "type",
		"enum", "trait", "mod", "module", "namespace", "using", "template", "typename", "auto",
		"extern", "inline", "volatile", "register", "sizeof", "delete", "in", "is", "not", "and",
		"or", "with", "assert", "chan", "map", "select", "goto", "fallthrough", "match", "ref",
		"abstract", "override", "virtual", "sealed", "readonly", "internal", "get", "set",
		"int", "uint", "long", "short", "char", "byte", "bool", "float", "double", "string",
		"unsigned", "signed", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
		"uint64", "float32", "float64", "usize", "isize", "i32", "i64", "u8", "u32", "u64",
		"f32", "f64", "str", "error", "any", "object", "boolean", "number", "symbol", "unsafe",
		"where", "global", "nonlocal", "del", "print", "elif", "begin", "rescue", "ensure",
		"attr_reader", "attr_accessor", "include", "define", "ifdef", "ifndef", "endif",
	} {
		keywords[w] = struct{}{}
	}
}
