package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"

	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sinks/embedded"
)

// The retriever keeps working memory between requests and hands the index's answer slices back
// for reuse (embedded.Store.RecycleHits): requests answered at the same time, in any order, must
// each get what they get alone.
func TestConcurrentAnswersMatchSequential(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rng := rand.New(rand.NewSource(1))
	files := map[string]string{}
	for p := 0; p < 4; p++ {
		for f := 0; f < 6; f++ {
			var b strings.Builder
			fmt.Fprintf(&b, "package pkg%d\n\n", p)
			for d := 0; d < 5; d++ {
				name := fmt.Sprintf("Func%d%d%d", p, f, d)
				other := fmt.Sprintf("Func%d%d%d", p, rng.Intn(6), rng.Intn(5))
				fmt.Fprintf(&b, "// %s computes a value from %s.\nfunc %s(x int) int {\n\ty := %s(x + %d)\n\tif y > 10 {\n\t\treturn y\n\t}\n\treturn %s(y)\n}\n\n", name, other, name, other, d, other)
			}
			fmt.Fprintf(&b, "type Type%d%d struct {\n\tField int\n}\n\nfunc (t *Type%d%d) Method() int { return Func%d%d0(t.Field) }\n", p, f, p, f, p, f)
			files[fmt.Sprintf("pkg%d/file%d.go", p, f)] = b.String()
		}
		files[fmt.Sprintf("py%d/mod.py", p)] = fmt.Sprintf("from .helpers import helper%d\n\ndef run%d(x):\n    return helper%d(x) + 1\n", p, p, p)
		files[fmt.Sprintf("py%d/helpers.py", p)] = fmt.Sprintf("def helper%d(x):\n    return x * 2\n\nclass Box%d:\n    def size(self):\n        return helper%d(3)\n", p, p, p)
	}
	_, r := indexFiles(t, st, map[string]map[string]string{"repo": files})

	var reqs []serve.ContextRequest
	for path, content := range files {
		lines := strings.SplitAfter(content, "\n")
		for k := 0; k < 3; k++ {
			at := 1 + rng.Intn(len(lines)-1)
			req := serve.ContextRequest{Filepath: path, Prefix: strings.Join(lines[:at], ""), Suffix: strings.Join(lines[at:], ""), MaxChars: 2048, MaxSnippets: 8}
			if err := req.Validate(); err != nil {
				t.Fatal(err)
			}
			reqs = append(reqs, req)
		}
	}
	answer := func(req serve.ContextRequest) (string, error) {
		got, err := r.Retrieve(ctx, req)
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(got)
		return string(b), err
	}
	want := make([]string, len(reqs))
	nonEmpty := 0
	for i, req := range reqs {
		if want[i], err = answer(req); err != nil {
			t.Fatal(err)
		}
		if want[i] != "null" && want[i] != "[]" {
			nonEmpty++
		}
	}
	if nonEmpty < len(reqs)/2 {
		t.Fatalf("only %d of %d requests got context: the corpus does not exercise the signals", nonEmpty, len(reqs))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			order := rand.New(rand.NewSource(int64(g))).Perm(len(reqs))
			for round := 0; round < 3; round++ {
				for _, i := range order {
					got, err := answer(reqs[i])
					if err != nil || got != want[i] {
						select {
						case errs <- fmt.Sprintf("%s at %d bytes: %v\n got %s\nwant %s", reqs[i].Filepath, len(reqs[i].Prefix), err, got, want[i]):
						default:
						}
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
