package serve

import (
	"slices"
	"testing"

	"github.com/codectx/codectx/chunkers/imports"
)

func TestResolveImport(t *testing.T) {
	files := map[string]bool{
		"src/util/isFunction.ts": true, "src/util/index.ts": true, "src/a.tsx": true, "src/b.js": true,
		"lib/x.mjs": true, "email/errors.py": true, "email/__init__.py": true, "email/mime/text.py": true,
		"email/mime/__init__.py": true, "pkg/sub/__init__.py": true,
	}
	exists := func(p string) bool { return files[p] }
	cases := []struct {
		fam, from string
		im        imports.Import
		file      string
		name      string
		whole     bool
	}{
		{"js", "src/main.ts", imports.Import{Module: "./util/isFunction", Name: "isFunction"}, "src/util/isFunction.ts", "isFunction", false},
		{"js", "src/main.ts", imports.Import{Module: "./util/isFunction.js", Name: "isFunction"}, "src/util/isFunction.ts", "isFunction", false},
		{"js", "src/main.ts", imports.Import{Module: "./util", Name: "isFunction"}, "src/util/index.ts", "isFunction", false},
		{"js", "src/deep/main.ts", imports.Import{Module: "../a", Name: "default", Local: "A"}, "src/a.tsx", "A", false},
		{"js", "src/main.ts", imports.Import{Module: "./b", Local: "b"}, "src/b.js", "", true},
		{"js", "lib/y.mjs", imports.Import{Module: "./x.mjs", Name: "*"}, "lib/x.mjs", "", false},
		{"js", "src/main.ts", imports.Import{Module: "react", Name: "useState"}, "", "", false},
		{"js", "main.ts", imports.Import{Module: "../outside", Name: "x"}, "", "", false},
		{"python", "email/parser.py", imports.Import{Module: ".", Name: "errors", Local: "errors"}, "email/errors.py", "", true},
		{"python", "email/parser.py", imports.Import{Module: ".errors", Name: "MessageError", Local: "MessageError"}, "email/errors.py", "MessageError", false},
		{"python", "email/mime/base.py", imports.Import{Module: "..errors", Name: "E", Local: "E"}, "email/errors.py", "E", false},
		{"python", "email/mime/base.py", imports.Import{Module: "email.errors", Name: "E", Local: "E"}, "email/errors.py", "E", false},
		{"python", "email/mime/base.py", imports.Import{Module: "email.mime.text", Local: "email.mime.text"}, "email/mime/text.py", "", true},
		{"python", "email/mime/base.py", imports.Import{Module: "email", Name: "policy", Local: "policy"}, "email/__init__.py", "policy", false},
		{"python", "pkg/a.py", imports.Import{Module: ".sub", Name: "*"}, "pkg/sub/__init__.py", "", true},
		{"python", "top.py", imports.Import{Module: "...up", Name: "x"}, "", "", false},
		{"python", "email/parser.py", imports.Import{Module: "os", Local: "os"}, "", "", false},
	}
	for _, c := range cases {
		file, name, whole := resolveImport(c.fam, c.from, c.im, exists)
		if file != c.file || name != c.name || whole != c.whole {
			t.Errorf("resolveImport(%s, %s, %+v) = %q, %q, %v; want %q, %q, %v", c.fam, c.from, c.im, file, name, whole, c.file, c.name, c.whole)
		}
	}
}

func TestPythonModuleDirs(t *testing.T) {
	got, ok := pythonModuleDirs("a/b", "x.y")
	if want := []string{"a/b/x/y", "a/x/y", "x/y"}; !ok || !slices.Equal(got, want) {
		t.Errorf("pythonModuleDirs(a/b, x.y) = %v, want %v", got, want)
	}
	got, ok = pythonModuleDirs("a/b", "..c")
	if want := []string{"a/c"}; !ok || !slices.Equal(got, want) {
		t.Errorf("pythonModuleDirs(a/b, ..c) = %v, want %v", got, want)
	}
}

func TestWithoutLines(t *testing.T) {
	if got := withoutLines("a\nb\nc\nd", map[int]bool{2: true, 4: true}); got != "a\nc\n" {
		t.Errorf("withoutLines = %q", got)
	}
}
