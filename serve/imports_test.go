package serve_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sinks/embedded"
)

// signalsOf lists, for each snippet, its file and signals.
func signalsOf(snippets []serve.Snippet) string {
	var b strings.Builder
	for _, s := range snippets {
		b.WriteString(s.Filepath + " " + strings.Join(s.Signals, ",") + " " + strconv.FormatFloat(s.Score, 'f', 4, 64) + "\n")
	}
	return b.String()
}

// rankOf returns the 0-based rank of the first snippet with a signal, or -1.
func rankOf(snippets []serve.Snippet, signal string) int {
	for i, s := range snippets {
		for _, sig := range s.Signals {
			if sig == signal {
				return i
			}
		}
	}
	return -1
}

// The imports sit more than 20 lines above the cursor, out of the lines the definitions
// signal reads.
var (
	pyBody = strings.Repeat("# parsing state\n", 25)
	pyFeed = "from . import errors\nfrom .util import quote_header\n\n" + pyBody + "class Parser:\n    def parse(self, lines):\n        for line in lines:\n            if not line:\n"
)

func TestImportsSignal(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	filler := strings.Repeat("export function handleValue(value: number): number {\n  return value + 1;\n}\n\n", 3)
	mainTS := "import { isCallable, noop } from '../util';\nimport * as shapes from '../shapes.js';\n\n" +
		"export function start(): void {\n  noop();\n}\n" + strings.Repeat("\n// value handling\n", 30) +
		"export function run(value: unknown): number {\n  const area = shapes.\n  return handleValue(1);\n}\n"
	_, r := indexFiles(t, st, map[string]map[string]string{"app": {
		"src/util/isCallable.ts": "export function isCallable(x: object): boolean {\n  return typeof x === 'function';\n}\n",
		"src/util/noop.ts":       "export function noop(): void {}\n",
		"src/util/index.ts":      "export { isCallable } from './isCallable';\nexport * from './noop';\n",
		"src/shapes.ts":          "export function circleArea(r: number): number {\n  return Math.PI * r * r;\n}\n\nexport class Square {\n  area(): number { return 1; }\n}\n",
		"src/main/filler.ts":     filler,
		"src/main/main.ts":       mainTS,
		"pkg/errors.py":          "class MessageError(Exception):\n    \"\"\"Base class for errors.\"\"\"\n\n\nclass StartBoundaryNotFoundDefect(MessageError):\n    pass\n",
		"pkg/util.py":            "def quote_header(value):\n    return '\"' + value + '\"'\n",
		"pkg/feed.py":            pyFeed + "                defect = errors.\n",
	}})

	// TS: the names the file imports, through the folder's index.ts re-exports; the one the
	// code before the cursor already uses ranks under the one it does not.
	prefix := mainTS[:strings.Index(mainTS, "  const area")]
	suffix := mainTS[len(prefix):]
	got, err := r.Retrieve(ctx, serve.ContextRequest{Filepath: "src/main/main.ts", Prefix: prefix, Suffix: suffix, MaxSnippets: 20, MaxChars: 4096})
	if err != nil {
		t.Fatal(err)
	}
	isCall, noop := rankOf(got, "import:isCallable"), rankOf(got, "import:noop")
	if isCall < 0 || noop < 0 {
		t.Fatalf("imported isCallable (via export { } from) and noop (via export * from) not both proposed:\n%s", signalsOf(got))
	}
	if isCall > noop {
		t.Errorf("isCallable (not used yet) ranks under noop (used above the cursor):\n%s", signalsOf(got))
	}
	for _, s := range got {
		if strings.Contains(strings.Join(s.Signals, ","), "import:isCallable") && s.Filepath != "src/util/isCallable.ts" {
			t.Errorf("isCallable proposed from %s, want src/util/isCallable.ts", s.Filepath)
		}
	}
	// A namespace import (./shapes.js is shapes.ts) proposes the module's top-level names,
	// not its methods.
	if rankOf(got, "module:circleArea") < 0 || rankOf(got, "module:Square") < 0 {
		t.Errorf("members of the namespace import not proposed:\n%s", signalsOf(got))
	}
	if rankOf(got, "module:area") >= 0 {
		t.Errorf("a method proposed as a module member:\n%s", signalsOf(got))
	}

	// Python: from . import errors proposes the module's classes; from .util import name the
	// function.
	got, err = r.Retrieve(ctx, serve.ContextRequest{Filepath: "pkg/feed.py", Prefix: pyFeed, Suffix: "", MaxSnippets: 20, MaxChars: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if rankOf(got, "module:StartBoundaryNotFoundDefect") < 0 || rankOf(got, "import:quote_header") < 0 {
		t.Errorf("Python imports not followed:\n%s", signalsOf(got))
	}

	// A file the index does not hold: its prefix's imports still count.
	got, err = r.Retrieve(ctx, serve.ContextRequest{Filepath: "pkg/new.py", Prefix: "from .util import quote_header\n\n" + pyBody + "def f():\n", MaxSnippets: 20, MaxChars: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if rankOf(got, "import:quote_header") < 0 {
		t.Errorf("imports of an unindexed file's prefix not followed:\n%s", signalsOf(got))
	}
}

// TestLocateWithoutPath: without a filepath (tabby-agent's LSP mode), the cursor's file is found
// by the lines above the cursor, left out, and its imports followed.
func TestLocateWithoutPath(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, r := indexFiles(t, st, map[string]map[string]string{"app": {
		"pkg/errors.py": "class MessageError(Exception):\n    \"\"\"Base class for errors.\"\"\"\n\n\nclass StartBoundaryNotFoundDefect(MessageError):\n    pass\n",
		"pkg/util.py":   "def quote_header(value):\n    return '\"' + value + '\"'\n",
		"pkg/feed.py":   pyFeed + "                defect = errors.StartBoundaryNotFoundDefect()\n",
	}})
	got, err := r.Retrieve(ctx, serve.ContextRequest{Prefix: pyFeed, MaxSnippets: 20, MaxChars: 4096})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if s.Filepath == "pkg/feed.py" {
			t.Errorf("the cursor's own file returned: %+v", s)
		}
	}
	if rankOf(got, "module:StartBoundaryNotFoundDefect") < 0 || rankOf(got, "import:quote_header") < 0 {
		t.Errorf("imports of the located file not followed:\n%s", signalsOf(got))
	}
	// Lines found nowhere: nothing is located, and retrieval still answers.
	if _, err := r.Retrieve(ctx, serve.ContextRequest{Prefix: "zzz unknown line here\nyyy another unknown line\n", MaxSnippets: 5, MaxChars: 1024}); err != nil {
		t.Fatal(err)
	}
}
