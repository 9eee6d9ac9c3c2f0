package serve_test

import (
	"context"
	"strings"
	"testing"

	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sinks/embedded"
)

// TestSiblingsAndTests: the definitions beside one in use (a const block) are proposed as
// headers, at most a few, nearest first; definitions in test files are not proposed to code
// outside tests.
func TestSiblingsAndTests(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var consts strings.Builder
	consts.WriteString("package shell\n\n// Directive tells the shell what to do.\ntype Directive int\n\nconst (\n")
	for _, n := range []string{"DirectiveError", "DirectiveNoSpace", "DirectiveNoFileComp", "DirectiveFilterFileExt", "DirectiveFilterDirs", "DirectiveKeepOrder", "DirectiveDefault"} {
		consts.WriteString("\t" + n + " Directive = iota\n")
	}
	consts.WriteString(")\n")
	_, r := indexFiles(t, st, map[string]map[string]string{"repo": {
		"shell/directive.go":   consts.String(),
		"shell/helper_test.go": "package shell\n\nfunc testCompleter(args []string) Directive {\n\treturn DirectiveDefault\n}\n",
	}})
	got, err := r.Retrieve(ctx, serve.ContextRequest{
		Filepath: "shell/complete.go",
		Prefix:   "package shell\n\nfunc complete(args []string) int {\n\tif len(args) == 0 {\n\t\treturn int(DirectiveNoSpace)\n\t}\n",
		MaxChars: 4096, MaxSnippets: 30,
	})
	if err != nil {
		t.Fatal(err)
	}
	var sibs []string
	for _, s := range got {
		for _, sig := range s.Signals {
			if strings.HasPrefix(sig, "sibling:") {
				sibs = append(sibs, strings.TrimPrefix(sig, "sibling:"))
			}
		}
		if s.Filepath == "shell/helper_test.go" && strings.Join(s.Signals, ",") != "bm25" {
			t.Errorf("a test file's definition proposed to code outside tests (lexical hits may show tests): %+v", s)
		}
	}
	// DirectiveNoSpace's neighbours: Error and NoFileComp at distance 1, FilterFileExt at 2,
	// and Directive (the type) or FilterDirs at 3.
	if len(sibs) != 4 || !strings.Contains(strings.Join(sibs, " "), "DirectiveError") || !strings.Contains(strings.Join(sibs, " "), "DirectiveNoFileComp") {
		t.Errorf("siblings of DirectiveNoSpace = %v, want its 4 nearest", sibs)
	}
	if strings.Contains(strings.Join(sibs, " "), "DirectiveDefault") {
		t.Errorf("a far sibling proposed: %v", sibs)
	}
}
