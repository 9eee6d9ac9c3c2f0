// Package prompt builds the text a completion model sees and decides where its answer ends.
//
// Layout puts context snippets in front of the prefix as comments, the way Tabby lays them out;
// Normalize and Restore move documents between the editor's line endings and the LF that models
// are trained on; a Stopper watches a streamed completion and ends it at the next top-level
// definition, at a blank line after a finished block, where it starts repeating the suffix, or
// at a length cap. Everything here is a pure function of its inputs.
package prompt

import (
	"strings"
	"unicode/utf8"

	"github.com/codectx/codectx"
)

// Where a snippet came from.
const (
	OriginDeclaration = "declaration"
	OriginChangedFile = "changed_file"
	OriginRecentFile  = "recent_file"
	OriginRetrieved   = "retrieved"
)

// Snippet is one piece of context for the prompt.
type Snippet struct {
	Filepath string   `json:"filepath"`
	Body     string   `json:"body"`
	Score    float64  `json:"score,omitempty"`
	Origin   string   `json:"origin"` // one of the Origin constants
	Signals  []string `json:"signals,omitempty"`
}

// commentStyle is how context lines are commented out: open + " " + line, and + " " + close
// for languages that only have block comments.
type commentStyle struct{ open, close string }

// noComments lists languages with no comment syntax at all: context would corrupt the file the
// model believes it is writing, so they get none.
var noComments = map[string]bool{"json": true, "jsonl": true, "csv": true}

// extraComments covers languages whose comment codectx.LineComment does not know (it answers
// "//" for them). Markup gets one block comment per line.
var extraComments = map[string]commentStyle{
	// "text" is also what codectx calls every file it has no language for (Makefile, .toml,
	// .sh, Dockerfile...), which mostly comment with "#"; in prose "#" reads as a note.
	codectx.LangText: {open: "#"},
	"plaintext":      {open: "#"},
	// "#" would be a heading in Markdown.
	codectx.LangMarkdown: {open: "<!--", close: "-->"},
	"html":               {open: "<!--", close: "-->"},
	"xml":                {open: "<!--", close: "-->"},
	"svg":                {open: "<!--", close: "-->"},
	"vue":                {open: "<!--", close: "-->"},
	"svelte":             {open: "<!--", close: "-->"},
	"css":                {open: "/*", close: "*/"},
	"ocaml":              {open: "(*", close: "*)"},
	"dockerfile":         {open: "#"},
	"makefile":           {open: "#"},
	"cmake":              {open: "#"},
	"powershell":         {open: "#"},
	"julia":              {open: "#"},
	"nim":                {open: "#"},
	"coffeescript":       {open: "#"},
	"graphql":            {open: "#"},
	"properties":         {open: "#"},
	"ignore":             {open: "#"},
	"dotenv":             {open: "#"},
	"terraform":          {open: "#"},
	"hcl":                {open: "#"},
	"zsh":                {open: "#"},
	"fish":               {open: "#"},
	"nix":                {open: "#"},
	"crystal":            {open: "#"},
	"ini":                {open: ";"},
	"clojure":            {open: ";"},
	"lisp":               {open: ";"},
	"scheme":             {open: ";"},
	"tex":                {open: "%"},
	"latex":              {open: "%"},
	"bibtex":             {open: "%"},
	"erlang":             {open: "%"},
	"matlab":             {open: "%"},
	"vb":                 {open: "'"},
	"fortran":            {open: "!"},
	"vim":                {open: `"`},
}

// commentStyleFor returns how to comment out a line in a normalized language; ok is false for
// languages that have no comments.
func commentStyleFor(lang string) (commentStyle, bool) {
	if noComments[lang] {
		return commentStyle{}, false
	}
	if st, ok := extraComments[lang]; ok {
		return st, true
	}
	return commentStyle{open: codectx.LineComment(lang)}, true
}

// writeLine writes one comment line of lead and text to b: the open marker, then lead and text
// after a space unless both are blank, then the close marker after a space if the style has one.
func (c commentStyle) writeLine(b *strings.Builder, lead, text string) {
	b.WriteString(c.open)
	if lead != "" || strings.TrimSpace(text) != "" {
		b.WriteByte(' ')
		b.WriteString(lead)
		b.WriteString(text)
	}
	if c.close != "" {
		b.WriteByte(' ')
		b.WriteString(c.close)
	}
}

// line returns one comment line of text (see writeLine).
func (c commentStyle) line(text string) string {
	var b strings.Builder
	c.writeLine(&b, "", text)
	return b.String()
}

// Layout prepends snippets to prefix as comments in the language's syntax: for each snippet a
// "Path: <filepath>" line and its body, one comment per line, with an empty comment line between
// snippets and a newline before the prefix — Tabby's layout, so that models tuned on it see what
// they expect. prefix and bodies are expected with LF line endings (see Normalize); CRLF bodies
// are converted.
//
// Snippets are taken in order while they fit in budget characters (runes) of added text, the
// comment markers, separators and newlines included; one that does not fit is skipped and a
// later, smaller one may still fit. A budget of 0 or less adds nothing. Dropped on the way:
// bodies that are blank, exact repeats (same filepath and body), bodies already in the prefix
// verbatim, and, in block-comment languages, bodies containing the comment's close marker.
// A snippet without a filepath gets no Path line. Whitespace-only body lines become bare
// markers. Languages without comments (JSON) get no context.
//
// It returns the new prefix and the snippets used, unchanged, in order (nil when none).
func Layout(language, prefix string, snippets []Snippet, budget int) (string, []Snippet) {
	if budget <= 0 || len(snippets) == 0 {
		return prefix, nil
	}
	style, ok := commentStyleFor(codectx.NormalizeLanguage(language))
	if !ok {
		return prefix, nil
	}
	separator := style.line("") + "\n"
	sepLen := utf8.RuneCountInString(separator)

	var (
		out  strings.Builder
		used []Snippet
		size int
		seen = make(map[[2]string]bool, len(snippets))
	)
	// The budget counts runes: most of code's are bytes.
	out.Grow(min(budget, 1<<16) + len(prefix))
	for _, sn := range snippets {
		body := strings.ReplaceAll(sn.Body, "\r\n", "\n")
		trimmed := strings.TrimSpace(body)
		key := [2]string{sn.Filepath, body}
		if trimmed == "" || seen[key] || strings.Contains(prefix, trimmed) {
			continue
		}
		if style.close != "" && strings.Contains(body, style.close) {
			continue
		}
		block := renderSnippet(style, sn.Filepath, body)
		cost := utf8.RuneCountInString(block)
		if len(used) > 0 {
			cost += sepLen
		}
		if size+cost > budget {
			continue
		}
		seen[key] = true
		if len(used) > 0 {
			out.WriteString(separator)
		}
		out.WriteString(block)
		size += cost
		used = append(used, sn)
	}
	if len(used) == 0 {
		return prefix, nil
	}
	out.WriteString(prefix)
	return out.String(), used
}

// renderSnippet comments out one snippet, each line ending in a newline.
func renderSnippet(style commentStyle, filepath, body string) string {
	var b strings.Builder
	// One allocation: the body, the path, and what commenting adds to each line.
	b.Grow(len(body) + len(filepath) + (strings.Count(body, "\n")+2)*(len(style.open)+len(style.close)+3) + len("Path: "))
	if filepath != "" {
		// A newline in a path would end the comment.
		if strings.ContainsAny(filepath, "\r\n") {
			filepath = pathBreaks.Replace(filepath)
		}
		style.writeLine(&b, "Path: ", filepath)
		b.WriteByte('\n')
	}
	// Blank lines at either end of a body only spend the budget.
	body = strings.TrimRight(body, " \t\r\n")
	for {
		nl := strings.IndexByte(body, '\n')
		if nl < 0 || strings.TrimSpace(body[:nl]) != "" {
			break
		}
		body = body[nl+1:]
	}
	for line := range strings.SplitSeq(body, "\n") {
		style.writeLine(&b, "", strings.TrimRight(line, "\r"))
		b.WriteByte('\n')
	}
	return b.String()
}

// pathBreaks turns the line breaks of a path into spaces.
var pathBreaks = strings.NewReplacer("\r", " ", "\n", " ")
