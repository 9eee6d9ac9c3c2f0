// Package filter decides which files of a source are worth indexing: it drops vendored trees,
// lock files, secrets, user-excluded paths, and content that is empty, too large, binary,
// minified or generated. Every source applies the same Filter, so that a file is judged the
// same way whether it comes from a git repository or a plain folder.
package filter

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/codectx/codectx"
)

// DefaultMaxFileBytes is the size above which a file is skipped as too large.
const DefaultMaxFileBytes int64 = 1 << 20

// Thresholds of the content checks.
const (
	// sniffBytes is how much of the start of a file is examined for binary content.
	sniffBytes = 8 << 10
	// maxLineRunes: a code file with a longer line is taken for minified.
	maxLineRunes = 300
	// maxMeanLineRunes: a file whose lines are this long on average is taken for minified.
	maxMeanLineRunes = 150
	// proseMaxLineRunes replaces maxLineRunes for prose (Markdown, plain text), where a whole
	// paragraph on one line is normal.
	proseMaxLineRunes = 20000
	// minAlnumShare: below this share of letters and digits among non-blank characters, a file
	// is taken for generated data. Only files with at least minAlnumSample such characters are
	// judged, so that a tiny config file of punctuation is kept.
	minAlnumShare  = 0.25
	minAlnumSample = 256
	// maxBadShare: when more than this share of the sniffed bytes are invalid UTF-8 or control
	// characters, the file is binary; below it, it is text in a legacy encoding.
	maxBadShare = 0.10
)

// Options configures a Filter. The zero value is usable: default size limit, no globs.
type Options struct {
	// MaxFileBytes is the largest file indexed (0: DefaultMaxFileBytes).
	MaxFileBytes int64 `toml:"max_file_bytes" json:"max_file_bytes,omitempty"`
	// Include, when set, keeps only the paths matching one of these globs (doublestar syntax,
	// `**` matches any number of directories). Paths are slash-separated and relative.
	Include []string `toml:"include" json:"include,omitempty"`
	// Exclude drops the paths matching one of these globs.
	Exclude []string `toml:"exclude" json:"exclude,omitempty"`
	// AllowSecrets indexes files that look like secrets (.env, keys, credentials).
	AllowSecrets bool `toml:"allow_secrets" json:"allow_secrets,omitempty"`
}

// Validate reports bad globs and a negative size limit.
func (o Options) Validate() error {
	var errs []error
	if o.MaxFileBytes < 0 {
		errs = append(errs, fmt.Errorf("max_file_bytes must not be negative, got %d", o.MaxFileBytes))
	}
	for _, g := range o.Include {
		if !doublestar.ValidatePattern(g) {
			errs = append(errs, fmt.Errorf("include: bad glob %q", g))
		}
	}
	for _, g := range o.Exclude {
		if !doublestar.ValidatePattern(g) {
			errs = append(errs, fmt.Errorf("exclude: bad glob %q", g))
		}
	}
	return errors.Join(errs...)
}

// Filter applies Options. It is immutable and safe for concurrent use.
type Filter struct {
	opts Options
	max  int64
}

// New validates o and returns its Filter.
func New(o Options) (*Filter, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("file filter: %w", err)
	}
	f := &Filter{opts: o, max: o.MaxFileBytes}
	if f.max == 0 {
		f.max = DefaultMaxFileBytes
	}
	return f, nil
}

// MaxFileBytes is the effective size limit.
func (f *Filter) MaxFileBytes() int64 { return f.max }

// vendorDirs are directory names whose whole subtree is third-party code.
var vendorDirs = map[string]bool{
	"vendor":           true,
	"node_modules":     true,
	"bower_components": true,
	".git":             true,
}

// lockFiles are dependency lock files by base name (lower case); any "*.lock" is one too.
var lockFiles = map[string]bool{
	"package-lock.json":   true,
	"npm-shrinkwrap.json": true,
	"yarn.lock":           true,
	"pnpm-lock.yaml":      true,
	"go.sum":              true,
	"go.work.sum":         true,
	"cargo.lock":          true,
	"poetry.lock":         true,
	"gemfile.lock":        true,
	"composer.lock":       true,
	"bun.lockb":           true,
}

// secretNames are secret files by exact base name (lower case).
var secretNames = map[string]bool{
	".netrc":           true,
	".npmrc":           true,
	".pypirc":          true,
	".git-credentials": true,
}

// secretExts are secret files by extension (lower case).
var secretExts = map[string]bool{
	".pem": true, ".key": true, ".p12": true, ".pfx": true, ".keystore": true, ".jks": true,
}

// Path returns why the file at p (slash-separated, relative to the source root) is not
// indexed, or "" when it may be. It looks at the name only.
func (f *Filter) Path(p string) string {
	p = strings.TrimPrefix(p, "./")
	dir, base := path.Split(p)
	for dir != "" {
		var seg string
		seg, dir, _ = strings.Cut(dir, "/")
		if vendorDirs[seg] {
			return codectx.SkipVendored
		}
	}
	lower := strings.ToLower(base)
	if lockFiles[lower] || strings.HasSuffix(lower, ".lock") {
		return codectx.SkipLockFile
	}
	if !f.opts.AllowSecrets && isSecret(lower) {
		return codectx.SkipSecret
	}
	if len(f.opts.Include) > 0 && !matchAny(f.opts.Include, p) {
		return codectx.SkipExcluded
	}
	if matchAny(f.opts.Exclude, p) {
		return codectx.SkipExcluded
	}
	return ""
}

// isSecret reports whether a lower-case base name looks like a secret.
func isSecret(base string) bool {
	switch {
	case secretNames[base], secretExts[path.Ext(base)]:
		return true
	case strings.HasPrefix(base, ".env"),
		strings.HasPrefix(base, "id_rsa"),
		strings.HasPrefix(base, "id_ed25519"),
		strings.HasPrefix(base, "id_ecdsa"),
		strings.HasPrefix(base, "id_dsa"):
		return true
	case strings.HasPrefix(base, "credentials"):
		// credentials.json, credentials.yml, .aws/credentials; but credentials.go is code.
		lang := codectx.LanguageForPath(base)
		return lang == codectx.LangText
	}
	return false
}

func matchAny(globs []string, p string) bool {
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, p); ok {
			return true
		}
	}
	return false
}

// Content returns why a file with content b is not indexed, or "" when it may be. It makes a
// single pass over b. Text that is not valid UTF-8 but mostly text passes; run it through
// CleanUTF8 before use.
func (f *Filter) Content(p string, b []byte) string {
	if len(b) == 0 {
		return codectx.SkipEmpty
	}
	if int64(len(b)) > f.max {
		return codectx.SkipTooLarge
	}
	sniff := b[:min(len(b), sniffBytes)]
	if bytes.IndexByte(sniff, 0) >= 0 || badShare(sniff) > maxBadShare {
		return codectx.SkipBinary
	}
	st := scan(b)
	if st.nonSpace == 0 {
		return codectx.SkipEmpty
	}
	limit := maxLineRunes
	prose := isProse(p)
	if prose {
		limit = proseMaxLineRunes
	}
	if st.maxLine > limit {
		return codectx.SkipMinified
	}
	if !prose && st.runes/st.lines > maxMeanLineRunes {
		return codectx.SkipMinified
	}
	if st.nonSpace >= minAlnumSample && float64(st.alnum) < minAlnumShare*float64(st.nonSpace) {
		return codectx.SkipMinified
	}
	return ""
}

func isProse(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".md", ".markdown", ".mdx", ".txt", ".rst", ".adoc", ".asciidoc", ".org", ".tex":
		return true
	}
	return false
}

// stats are the line statistics of a file. Lengths count runes (UTF-8 leading bytes), so that
// non-Latin text is not taken for long lines.
type stats struct {
	lines, runes, maxLine int
	nonSpace, alnum       int
}

// Byte classes for scan.
const (
	clsOther = iota // punctuation: a character, not alphanumeric
	clsAlnum        // ASCII letter, digit, underscore, or the leading byte of a non-ASCII character
	clsSpace        // blank other than newline
	clsCont         // UTF-8 continuation byte: not a new character
	clsNewline
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case c == '\n':
			t[c] = clsNewline
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			t[c] = clsSpace
		case c >= 0x80 && c < 0xC0:
			t[c] = clsCont
		case c >= 0xC0, 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
			t[c] = clsAlnum
		default:
			t[c] = clsOther
		}
	}
	return t
}()

func scan(b []byte) stats {
	var st stats
	var cnt [5]int
	line := 0
	for _, c := range b {
		k := byteClass[c]
		cnt[k]++
		if k == clsNewline {
			st.maxLine = max(st.maxLine, line)
			line = 0
		} else if k != clsCont {
			line++
		}
	}
	st.lines = cnt[clsNewline]
	if line > 0 {
		st.lines++
		st.maxLine = max(st.maxLine, line)
	}
	st.lines = max(st.lines, 1)
	st.alnum = cnt[clsAlnum]
	st.nonSpace = cnt[clsAlnum] + cnt[clsOther]
	st.runes = st.nonSpace + cnt[clsSpace]
	return st
}

// badShare is the share of bytes in b that are control characters or invalid UTF-8.
func badShare(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	bad := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b && c != '\b' {
				bad++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			// A sequence cut by the end of the sniffed window is not evidence of binary.
			if len(b)-i < utf8.UTFMax && !utf8.FullRune(b[i:]) {
				break
			}
			bad++
		}
		i += n
	}
	return float64(bad) / float64(len(b))
}

// CleanUTF8 returns b with every byte that is not part of valid UTF-8 replaced by U+FFFD. It
// returns b itself when it is valid.
func CleanUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/8)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}
