// Package chunkers picks the chunker for a file's language: tree-sitter for source code
// (chunkers/code), headings for Markdown (chunkers/markdown) and line windows for any other
// text (chunkers/text).
package chunkers

import (
	"github.com/codectx/codectx"
	"github.com/codectx/codectx/chunkers/code"
	"github.com/codectx/codectx/chunkers/markdown"
	"github.com/codectx/codectx/chunkers/text"
)

// Options configure every chunker.
type Options struct {
	// TargetChars is the size chunks aim at, in bytes (1500 when <= 0). A single definition or
	// section up to twice this size stays in one chunk.
	TargetChars int
}

// New returns a chunker that dispatches on the language: code languages (see code.Supports)
// to the tree-sitter chunker, markdown to the heading chunker, anything else to line windows.
// An empty language is guessed from the path. Chunks carry the normalised language id.
func New(opts Options) codectx.Chunker {
	return &dispatcher{
		code:     code.New(code.Options{TargetChars: opts.TargetChars}),
		markdown: markdown.New(markdown.Options{TargetChars: opts.TargetChars}),
		text:     text.New(text.Options{TargetChars: opts.TargetChars}),
	}
}

type dispatcher struct {
	code     *code.Chunker
	markdown *markdown.Chunker
	text     *text.Chunker
}

var _ codectx.Chunker = (*dispatcher)(nil)

func (d *dispatcher) Chunk(path, language string, content []byte) ([]codectx.Chunk, error) {
	if language == "" {
		language = codectx.LanguageForPath(path)
	}
	// Chunks carry the normalised id ("golang" becomes "go").
	switch lang := codectx.NormalizeLanguage(language); {
	case code.Supports(lang):
		return d.code.Chunk(path, lang, content)
	case lang == codectx.LangMarkdown:
		return d.markdown.Chunk(path, lang, content)
	default:
		return d.text.Chunk(path, lang, content)
	}
}
