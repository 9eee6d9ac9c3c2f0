package imports_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/codectx/codectx/chunkers/code"
	"github.com/codectx/codectx/chunkers/imports"
)

// benchSource is a TypeScript file of about 40 KB: imports, then functions.
func benchSource() string {
	var b strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, "import { helper%d, Type%d as Alias%d } from './module%d';\n", i, i, i, i)
	}
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&b, "export function work%d(value: number): number {\n  return helper%d(value) + %d;\n}\n\n", i, i%30, i)
	}
	return b.String()
}

// BenchmarkParse is what reading a file's imports costs at query time with this package.
func BenchmarkParse(b *testing.B) {
	src := benchSource()
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		if len(imports.Parse("typescript", src)) != 60 {
			b.Fatal("wrong import count")
		}
	}
}

// BenchmarkParseTreeSitter is the alternative: the same file through the tree-sitter chunker,
// which parses it and walks the tree, as indexing does.
func BenchmarkParseTreeSitter(b *testing.B) {
	src := []byte(benchSource())
	ch := code.New(code.Options{})
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		if _, err := ch.Chunk("a.ts", "typescript", src); err != nil {
			b.Fatal(err)
		}
	}
}
