package embedded

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/codectx/codectx"
)

// TestPutFilesMatchesPutFile stores a corpus file by file in one store and in batches (with
// bad files among them) in another: the batches store exactly what PutFile does, a bad file
// fails alone, and the stores answer alike.
func TestPutFilesMatchesPutFile(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(9, 10))
	one, batched := openTest(t, t.TempDir()), openTest(t, t.TempDir())
	for v := 0; v < 2; v++ {
		files := corpusFiles(rng, 90, v)
		for _, f := range files {
			if err := one.PutFile(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		for start := 0; start < len(files); start += 16 {
			batch := slices.Clone(files[start:min(start+16, len(files))])
			batch = append(batch, codectx.File{Source: "one"}) // no path: fails alone
			errs := batched.PutFiles(ctx, batch)
			if len(errs) != len(batch) {
				t.Fatalf("%d errors for %d files", len(errs), len(batch))
			}
			for i, err := range errs {
				if bad := i == len(batch)-1; (err != nil) != bad {
					t.Fatalf("file %d (%q): error %v", i, batch[i].Path, err)
				}
			}
		}
	}
	a, b := answers(t, one), answers(t, batched)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the stores answer differently")
	}
	for _, src := range []string{"one", "two"} {
		ca, _ := one.Chunks(ctx, src)
		cb, _ := batched.Chunks(ctx, src)
		if !reflect.DeepEqual(ca, cb) {
			t.Fatalf("chunks of %s differ", src)
		}
		fa, _ := one.Files(ctx, src)
		fb, _ := batched.Files(ctx, src)
		if !reflect.DeepEqual(fa, fb) {
			t.Fatalf("files of %s differ", src)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range batched.PutFiles(canceled, corpusFiles(rng, 3, 5)) {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("PutFiles with a canceled context: %v", err)
		}
	}
}
