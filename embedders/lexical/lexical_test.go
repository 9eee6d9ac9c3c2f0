package lexical

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/codectx/codectx"
)

func tokens(s string) []string {
	var out []string
	Tokens([]byte(s), func(t []byte) { out = append(out, string(t)) })
	return out
}

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"ParseConfig", []string{"parseconfig", "parse", "config"}},
		{"HTTPServer", []string{"httpserver", "http", "server"}},
		{"parseHTTPRequest", []string{"parsehttprequest", "parse", "http", "request"}},
		{"snake_item_name", []string{"snake_item_name", "snake", "item", "name"}},
		{"kebab-style", []string{"kebab", "style"}},
		{"utf8Decode", []string{"utf8decode", "utf", "decode"}},
		{"sha256sum", []string{"sha256sum", "sha", "256", "sum"}},
		{"__init__", []string{"__init__", "init"}},
		{"XMLHttpRequest2", []string{"xmlhttprequest2", "xml", "http", "request"}},
		{"func (c *Config) Load() error { return nil }", []string{"config", "load", "error"}},
		{"// the config is loaded from a file", []string{"config", "loaded", "file"}},
		{`"error: missing key"`, []string{"error", "missing", "key"}},
		{"a b c x1 42 1234 12345", []string{"x1", "42", "1234"}},
		{"größeÄnderung", []string{"größeänderung", "größe", "änderung"}},
		{"日本語 テスト", []string{"日本語", "テスト"}},
		{"naïve_café", []string{"naïve_café", "naïve", "café"}},
		{"\xff\xfeok\xc3", []string{"ok"}},
		{"", nil},
		// Over maxToken bytes: not kept whole, but the words that end within the limit are.
		{strings.Repeat("alpha_", 11) + "omega", slices.Repeat([]string{"alpha"}, 10)},
	} {
		if got := tokens(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestVector(t *testing.T) {
	terms, n := Vector([]byte("ParseConfig parses the config; parseConfig again"))
	want := []codectx.Term{{Token: "again", Freq: 1}, {Token: "config", Freq: 3}, {Token: "parse", Freq: 2}, {Token: "parseconfig", Freq: 2}, {Token: "parses", Freq: 1}}
	if !reflect.DeepEqual(terms, want) {
		t.Errorf("terms = %v, want %v", terms, want)
	}
	if n != 9 {
		t.Errorf("length = %d, want 9", n)
	}
	if terms, n := Vector(nil); len(terms) != 0 || n != 0 {
		t.Errorf("Vector(nil) = %v, %d", terms, n)
	}
}

func TestQuery(t *testing.T) {
	got := Query([]byte("cfg := ParseConfig(path)\ncfg.Validate()"))
	want := []codectx.QueryTerm{{Token: "cfg", Weight: 2}, {Token: "config", Weight: 1}, {Token: "parse", Weight: 1}, {Token: "parseconfig", Weight: 1}, {Token: "path", Weight: 1}, {Token: "validate", Weight: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Query = %v, want %v", got, want)
	}
}

func TestIdentifiers(t *testing.T) {
	src := "func (s *Server) Start() error {\n\tcfg, err := ParseConfig(s.path)\n\tif err != nil {\n\t\treturn err\n\t}\n\ts.cfg = cfg\n\tHTTPServer.Listen(cfg.Port, 80)\n"
	want := []string{"Port", "cfg", "Listen", "HTTPServer", "err", "path", "ParseConfig", "Start", "Server"}
	if got := Identifiers([]byte(src)); !reflect.DeepEqual(got, want) {
		t.Errorf("Identifiers = %q, want %q", got, want)
	}
	if got := Identifiers([]byte("if None and True: größe = 1")); !reflect.DeepEqual(got, []string{"größe"}) {
		t.Errorf("Identifiers = %q", got)
	}
}

func TestTokensDoesNotAllocate(t *testing.T) {
	text := []byte("func (c *Config) ParseHTTPServer(snake_case int) { return größeÄnderung }")
	n := 0
	allocs := testing.AllocsPerRun(100, func() { Tokens(text, func([]byte) { n++ }) })
	if allocs != 0 {
		t.Errorf("Tokens allocates %.1f times per call", allocs)
	}
}

// TestVectorManyTerms checks the sorted terms of texts with more distinct terms than the short
// path sorts at once, against counting and sorting the tokens plainly: terms sharing their first
// eight bytes, digits, underscores, non-ASCII first letters, and one first letter for all.
func TestVectorManyTerms(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"configuration", "configurator", "configure", "config", "x9", "9lives", "_private",
		"über", "ärger", "日本語", "zeta", "alpha", "alphabet", "alphabetical", "aaaaaaaa", "aaaaaaaab", "aaaaaaab"}
	for round := 0; round < 200; round++ {
		var b strings.Builder
		n := 1 + rng.IntN(400)
		for i := 0; i < n; i++ {
			switch rng.IntN(4) {
			case 0:
				b.WriteString(words[rng.IntN(len(words))])
			case 1:
				fmt.Fprintf(&b, "name%d", rng.IntN(300))
			case 2:
				fmt.Fprintf(&b, "s%cx%d", 'a'+rune(rng.IntN(3)), rng.IntN(50)) // one first letter
			default:
				fmt.Fprintf(&b, "%c%cWord", 'a'+rune(rng.IntN(26)), 'a'+rune(rng.IntN(26)))
			}
			b.WriteByte(' ')
		}
		text := []byte(b.String())
		count := map[string]uint32{}
		Tokens(text, func(tok []byte) { count[string(tok)]++ })
		want := make([]codectx.Term, 0, len(count))
		for tok, f := range count {
			want = append(want, codectx.Term{Token: tok, Freq: f})
		}
		slices.SortFunc(want, func(a, b codectx.Term) int { return strings.Compare(a.Token, b.Token) })
		if got, _ := Vector(text); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d (%d terms): Vector differs from counting and sorting\ngot  %v\nwant %v", round, len(want), got, want)
		}
	}
}

func FuzzTokens(f *testing.F) {
	f.Add([]byte("ParseConfig HTTPServer snake_case kebab-case"))
	f.Add([]byte("größeÄnderung_日本語 \xff\xfe\xc3"))
	f.Add([]byte("__a__ A_B_C aB1cD2 " + strings.Repeat("X", 300)))
	f.Fuzz(func(t *testing.T, text []byte) {
		total := 0
		Tokens(text, func(tok []byte) {
			total++
			if len(tok) < 2 || len(tok) > maxToken {
				t.Fatalf("token %q has a bad length", tok)
			}
			if !utf8.Valid(tok) && utf8.Valid(text) {
				t.Fatalf("token %q is not valid UTF-8", tok)
			}
			if !bytes.Equal(tok, bytes.ToLower(tok)) && utf8.Valid(tok) {
				t.Fatalf("token %q is not lower case", tok)
			}
		})
		terms, n := Vector(text)
		if n != total {
			t.Fatalf("Vector length %d, Tokens gave %d", n, total)
		}
		sum := 0
		for i, term := range terms {
			sum += int(term.Freq)
			if i > 0 && terms[i-1].Token >= term.Token {
				t.Fatalf("terms not sorted and unique at %d", i)
			}
		}
		if sum != n {
			t.Fatalf("frequencies add up to %d, want %d", sum, n)
		}
		for _, id := range Identifiers(text) {
			if len(id) < 2 {
				t.Fatalf("identifier %q too short", id)
			}
		}
	})
}

// benchText reads the .go files of $(go env GOROOT)/src/net/http as one text.
func benchText(b *testing.B) []byte {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip(err)
	}
	files, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "src", "net", "http", "*.go"))
	var text []byte
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		text = append(text, d...)
	}
	if len(text) == 0 {
		b.Skip("no corpus")
	}
	return text
}

// BenchmarkTokens and BenchmarkVector measure throughput on Go source, chunk by chunk:
//
//	go test ./embedders/lexical -run '^$' -bench . -cpu 1
func BenchmarkTokens(b *testing.B) {
	text := benchText(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Tokens(text, func([]byte) {})
	}
}

func BenchmarkVector(b *testing.B) {
	text := benchText(b)
	const chunk = 1500
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(text); i += chunk {
			Vector(text[i:min(i+chunk, len(text))])
		}
	}
}

// BenchmarkBaselineScan is the floor for the two above, in the same run: one table look-up per
// byte, the least any tokenizer does. On a shared machine compare ratios, not MB/s.
func BenchmarkBaselineScan(b *testing.B) {
	text := benchText(b)
	b.SetBytes(int64(len(text)))
	n := 0
	for b.Loop() {
		for _, c := range text {
			if asciiClass[c] != cSep {
				n++
			}
		}
	}
	if n == 0 {
		b.Fatal("no identifier bytes")
	}
}
