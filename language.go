package codectx

import (
	"path"
	"strings"
)

// Language ids. They follow the ids editors send (VS Code's language ids), so that a request's
// "language" field can be used as it is.
const (
	LangGo         = "go"
	LangPython     = "python"
	LangJavaScript = "javascript"
	LangJSX        = "javascriptreact"
	LangTypeScript = "typescript"
	LangTSX        = "typescriptreact"
	LangJava       = "java"
	LangRust       = "rust"
	LangC          = "c"
	LangCPP        = "cpp"
	LangCSharp     = "csharp"
	LangRuby       = "ruby"
	LangMarkdown   = "markdown"
	LangText       = "text"
)

var extLanguage = map[string]string{
	".go":       LangGo,
	".py":       LangPython,
	".pyi":      LangPython,
	".js":       LangJavaScript,
	".mjs":      LangJavaScript,
	".cjs":      LangJavaScript,
	".jsx":      LangJSX,
	".ts":       LangTypeScript,
	".mts":      LangTypeScript,
	".cts":      LangTypeScript,
	".tsx":      LangTSX,
	".java":     LangJava,
	".rs":       LangRust,
	".c":        LangC,
	".h":        LangC,
	".cc":       LangCPP,
	".cpp":      LangCPP,
	".cxx":      LangCPP,
	".hpp":      LangCPP,
	".hh":       LangCPP,
	".hxx":      LangCPP,
	".cs":       LangCSharp,
	".rb":       LangRuby,
	".md":       LangMarkdown,
	".markdown": LangMarkdown,
	".mdx":      LangMarkdown,
}

// LanguageForPath guesses a file's language from its name. Files with no known extension are
// "text".
func LanguageForPath(p string) string {
	ext := strings.ToLower(path.Ext(p))
	if l, ok := extLanguage[ext]; ok {
		return l
	}
	return LangText
}

// languageAliases maps other common spellings of language ids to ours.
var languageAliases = map[string]string{
	"golang": LangGo, "py": LangPython, "js": LangJavaScript, "jsx": LangJSX,
	"ts": LangTypeScript, "tsx": LangTSX, "c++": LangCPP, "cs": LangCSharp, "c#": LangCSharp,
	"rb": LangRuby, "md": LangMarkdown, "plaintext": LangText,
}

// NormalizeLanguage maps a client's language id to ours ("" stays "").
func NormalizeLanguage(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if a, ok := languageAliases[l]; ok {
		return a
	}
	return l
}

// LanguageFamily groups languages whose code can use each other's definitions: the JavaScript
// dialects are one family, C and C++ another. Documents form the "doc" family.
func LanguageFamily(lang string) string {
	switch NormalizeLanguage(lang) {
	case LangJavaScript, LangJSX, LangTypeScript, LangTSX:
		return "js"
	case LangC, LangCPP:
		return "c"
	case LangMarkdown, LangText:
		return "doc"
	case "":
		return ""
	default:
		return NormalizeLanguage(lang)
	}
}

// LineComment returns the line-comment marker of a language ("//" when unknown).
func LineComment(lang string) string {
	switch NormalizeLanguage(lang) {
	case LangPython, LangRuby, "shellscript", "bash", "sh", "yaml", "toml", "perl", "r", "elixir":
		return "#"
	case "lua", "sql", "haskell":
		return "--"
	default:
		return "//"
	}
}

// IsTestPath reports whether p names a test file by the usual conventions: Go's _test.go,
// Python's test_*.py and *_test.py, JavaScript's *.test.* and *.spec.*, and files under a
// __tests__ folder. Code outside tests does not use what tests define.
func IsTestPath(p string) bool {
	base := path.Base(p)
	switch {
	case strings.HasSuffix(base, "_test.go"),
		strings.HasSuffix(base, ".py") && (strings.HasPrefix(base, "test_") || strings.HasSuffix(base, "_test.py")),
		strings.Contains(base, ".test.") || strings.Contains(base, ".spec."),
		strings.Contains("/"+p, "/__tests__/"):
		return true
	}
	return false
}
