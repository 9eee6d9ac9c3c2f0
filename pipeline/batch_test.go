package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/codectx/codectx"
)

// TestBatcher runs upserts through a batcher the way Indexer.Apply does, some failing and some
// panicking before their file is ready, and a store that fails some files and panics on one
// group: every file added is stored once, in groups of at most the batch size, each upsert gets
// its own file's error, and no upsert waits once no other is on its way.
func TestBatcher(t *testing.T) {
	var mu sync.Mutex
	stored := map[string]int{}
	groups, largest := 0, 0
	panicked := false
	b := &batcher{size: 5, put: func(ctx context.Context, files []codectx.File) []error {
		mu.Lock()
		groups++
		largest = max(largest, len(files))
		if !panicked && len(files) > 1 {
			panicked = true
			mu.Unlock()
			panic("store exploded")
		}
		errs := make([]error, len(files))
		for i, f := range files {
			stored[f.Path]++
			if f.Path[len(f.Path)-1] == '1' {
				errs[i] = errors.New("bad file " + f.Path)
			}
		}
		mu.Unlock()
		return errs
	}}
	results := make([]error, 300)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			defer func() { recover() }()
			ctx := context.Background()
			b.enter()
			added := false
			defer func() {
				if !added {
					b.leave(ctx)
				}
			}()
			time.Sleep(time.Duration(rand.Intn(300)) * time.Microsecond)
			switch i % 10 {
			case 3:
				results[i] = errors.New("prepare failed")
				return
			case 7:
				results[i] = errors.New("prepare panicked")
				panic("prepare panicked")
			}
			added = true
			defer func() {
				if recover() != nil { // this upsert stored the group that panicked
					results[i] = errNotStored
				}
			}()
			results[i] = b.add(ctx, codectx.File{Path: fmt.Sprintf("f%d", i)})
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("upserts are stuck in the batcher")
	}
	lost := 0
	for i, err := range results {
		p := fmt.Sprintf("f%d", i)
		switch {
		case i%10 == 3 || i%10 == 7:
			if stored[p] != 0 {
				t.Errorf("%s stored without being added", p)
			}
		case errors.Is(err, errNotStored):
			lost++ // in the group whose store panicked
		case stored[p] != 1:
			t.Errorf("%s stored %d times, error %v", p, stored[p], err)
		case i%10 == 1 && err == nil, i%10 != 1 && err != nil:
			t.Errorf("%s: error %v", p, err)
		}
	}
	if lost < 2 || lost > 5 {
		t.Errorf("%d files lost to the panicking group, want 2 to 5", lost)
	}
	if largest > 5 {
		t.Errorf("a group of %d files, over the batch size", largest)
	}
	if b.busy != 0 || b.group != nil {
		t.Errorf("batcher left with %d busy, group %v", b.busy, b.group)
	}
	t.Logf("%d files in %d groups", len(results)*8/10, groups)
}

// TestBatcherAlone: a lone upsert is stored at once.
func TestBatcherAlone(t *testing.T) {
	b := &batcher{size: 32, put: func(_ context.Context, files []codectx.File) []error { return make([]error, len(files)) }}
	b.enter()
	done := make(chan error)
	go func() { done <- b.add(context.Background(), codectx.File{Path: "a"}) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a lone upsert waits in the batcher")
	}
}
