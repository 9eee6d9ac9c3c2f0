package filter

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/codectx/codectx"
)

func mustNew(t *testing.T, o Options) *Filter {
	t.Helper()
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"good globs", Options{Include: []string{"**/*.go", "docs/**"}, Exclude: []string{"**/testdata/**"}}, true},
		{"bad include", Options{Include: []string{"src/[a-"}}, false},
		{"bad exclude", Options{Exclude: []string{"{a,b"}}, false},
		{"negative size", Options{MaxFileBytes: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if _, nerr := New(tt.opts); (nerr == nil) != tt.ok {
				t.Fatalf("New() = %v, want ok=%v", nerr, tt.ok)
			}
		})
	}
}

func TestPath(t *testing.T) {
	def := Options{}
	globs := Options{Include: []string{"src/**", "*.md"}, Exclude: []string{"src/**/gen_*.go"}}
	tests := []struct {
		opts Options
		path string
		want string
	}{
		{def, "main.go", ""},
		{def, "pkg/server/server.go", ""},
		{def, "vendor/github.com/x/y.go", codectx.SkipVendored},
		{def, "cmd/vendor/golang.org/x/a.go", codectx.SkipVendored},
		{def, "web/node_modules/react/index.js", codectx.SkipVendored},
		{def, ".git/config", codectx.SkipVendored},
		{def, "sub/.git/HEAD", codectx.SkipVendored},
		{def, "docs/vendor.md", ""}, // a file named like a vendor dir is not vendored
		{def, "package-lock.json", codectx.SkipLockFile},
		{def, "web/yarn.lock", codectx.SkipLockFile},
		{def, "pnpm-lock.yaml", codectx.SkipLockFile},
		{def, "go.sum", codectx.SkipLockFile},
		{def, "Cargo.lock", codectx.SkipLockFile},
		{def, "poetry.lock", codectx.SkipLockFile},
		{def, "Gemfile.lock", codectx.SkipLockFile},
		{def, "composer.lock", codectx.SkipLockFile},
		{def, "flake.lock", codectx.SkipLockFile},
		{def, "go.mod", ""},
		{def, ".env", codectx.SkipSecret},
		{def, "deploy/.env.production", codectx.SkipSecret},
		{def, "certs/server.pem", codectx.SkipSecret},
		{def, "tls.key", codectx.SkipSecret},
		{def, "home/.ssh/id_rsa", codectx.SkipSecret},
		{def, "id_rsa.pub", codectx.SkipSecret},
		{def, "id_ed25519", codectx.SkipSecret},
		{def, "cert.p12", codectx.SkipSecret},
		{def, "cert.PFX", codectx.SkipSecret},
		{def, ".netrc", codectx.SkipSecret},
		{def, "credentials.json", codectx.SkipSecret},
		{def, ".aws/credentials", codectx.SkipSecret},
		{def, ".npmrc", codectx.SkipSecret},
		{def, ".pypirc", codectx.SkipSecret},
		{def, "release.keystore", codectx.SkipSecret},
		{def, "auth/credentials.go", ""}, // code about credentials is not a secret
		{def, "keys.go", ""},
		{Options{AllowSecrets: true}, ".env", ""},
		{Options{AllowSecrets: true}, "vendor/a.go", codectx.SkipVendored},
		{globs, "src/a/b.go", ""},
		{globs, "README.md", ""},
		{globs, "docs/guide.md", codectx.SkipExcluded}, // *.md does not cross directories
		{globs, "tools/x.go", codectx.SkipExcluded},
		{globs, "src/a/gen_x.go", codectx.SkipExcluded},
		{Options{Exclude: []string{"**/testdata/**"}}, "a/testdata/b/c.txt", codectx.SkipExcluded},
		{Options{Exclude: []string{"**/testdata/**"}}, "a/b/c.txt", ""},
	}
	for _, tt := range tests {
		f := mustNew(t, tt.opts)
		if got := f.Path(tt.path); got != tt.want {
			t.Errorf("Path(%q) with %+v = %q, want %q", tt.path, tt.opts, got, tt.want)
		}
	}
}

func lines(n int, line string) []byte {
	return []byte(strings.Repeat(line+"\n", n))
}

func TestContent(t *testing.T) {
	goFile := []byte("package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello, world\")\n}\n")
	latin1 := []byte("# R\xe9sum\xe9\n\nCe fichier est \xe9crit en Latin-1, pas en UTF-8. Il reste du texte.\n")
	longProse := []byte("# Title\n\n" + strings.Repeat("A long paragraph of prose without hard wraps. ", 40) + "\n")
	bin := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 100)...)
	noise := make([]byte, 2000)
	for i := range noise {
		noise[i] = byte(0x80 + i%64) // continuation bytes only: invalid everywhere, no NUL
	}
	tests := []struct {
		name, path string
		max        int64
		content    []byte
		want       string
	}{
		{"go source", "main.go", 0, goFile, ""},
		{"markdown", "README.md", 0, []byte("# Hi\n\nSome *text*.\n"), ""},
		{"utf8 non-latin", "doc.md", 0, []byte(strings.Repeat("これは日本語の文章です。", 20) + "\n"), ""},
		{"latin1 text kept", "notes.txt", 0, latin1, ""},
		{"empty", "a.go", 0, nil, codectx.SkipEmpty},
		{"whitespace only", "a.go", 0, []byte(" \n\t\r\n\n   "), codectx.SkipEmpty},
		{"too large", "a.go", 64, lines(10, "var x = 1"), codectx.SkipTooLarge},
		{"at limit", "a.go", 100, lines(10, "var x = 1"), ""},
		{"NUL byte", "a.dat", 0, bin, codectx.SkipBinary},
		{"NUL after sniff window kept", "a.txt", 0, append(lines(1000, "plain text line"), 0), ""},
		{"invalid utf8 noise", "a.dat", 0, noise, codectx.SkipBinary},
		{"long line", "app.min.js", 0, []byte("var a=1;" + strings.Repeat("b(c,d);", 60) + "\n"), codectx.SkipMinified},
		{"long line in prose kept", "guide.md", 0, longProse, ""},
		{"mean line long", "data.js", 0, lines(20, strings.Repeat("x", 200)), codectx.SkipMinified},
		{"low alnum share", "art.txt", 0, lines(20, "=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=- | -=-"), codectx.SkipMinified},
		{"low alnum but tiny kept", "x.cfg", 0, []byte("---\n***\n"), ""},
		// Generated code with ordinary lines is kept: its definitions are what callers use.
		{"generated go kept", "zz.go", 0, []byte("// Code generated by stringer; DO NOT EDIT.\n\npackage x\n"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustNew(t, Options{MaxFileBytes: tt.max})
			if got := f.Content(tt.path, tt.content); got != tt.want {
				t.Fatalf("Content(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestCleanUTF8(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain", "plain"},
		{"日本", "日本"},
		{"R\xe9sum\xe9", "R\uFFFDsum\uFFFD"},
		{"a\xff\xfeb", "a\uFFFD\uFFFDb"},
		{"cut \xe6\x97", "cut \uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		got := CleanUTF8([]byte(tt.in))
		if string(got) != tt.want || !utf8.Valid(got) {
			t.Errorf("CleanUTF8(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	valid := []byte("valid")
	if got := CleanUTF8(valid); &got[0] != &valid[0] {
		t.Error("CleanUTF8 copied valid input")
	}
}

func BenchmarkContent(b *testing.B) {
	f, _ := New(Options{})
	src := bytes.Repeat([]byte("func f(a, b int) int {\n\treturn a + b // sum ünïcödé\n}\n"), 8000)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if r := f.Content("x.go", src); r != "" {
			b.Fatal(r)
		}
	}
}
