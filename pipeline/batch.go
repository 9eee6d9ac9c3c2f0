package pipeline

import (
	"context"
	"errors"
	"sync"

	"github.com/codectx/codectx"
)

// BatchStore is a store that can store several files in one transaction. The indexer gathers
// the files of concurrent upserts for it (see Indexer.Batch), which the embedded store commits
// several times faster than one transaction per file.
//
// A store that wraps another by embedding it and changes PutFile must change PutFiles alike:
// the indexer calls PutFiles when there is one.
type BatchStore interface {
	// PutFiles stores each file as PutFile would and returns each one's error.
	PutFiles(ctx context.Context, files []codectx.File) []error
}

// errNotStored is the error of the files of a batch whose storing panicked.
var errNotStored = errors.New("the batch of files holding this one failed to store")

// batcher gathers the files of concurrent upserts into groups stored together. An upsert
// enters before it is read and parsed, and then either adds its file or leaves. A group is
// stored once it holds size files, or once no other upsert that entered is still on its way
// to it, by the goroutine whose file or departure completed it; the others wait for it. So a
// lone change is stored at once, and the files of a sync in groups.
type batcher struct {
	put  func(ctx context.Context, files []codectx.File) []error
	size int

	mu    sync.Mutex
	busy  int    // upserts entered and neither added nor gone
	group *group // the files waiting to be stored, nil when none is
}

// group is a batch of files and, once stored (done is closed), their errors.
type group struct {
	files []codectx.File
	errs  []error
	done  chan struct{}
}

// enter counts an upsert that will add its file or leave.
func (b *batcher) enter() {
	b.mu.Lock()
	b.busy++
	b.mu.Unlock()
}

// leave counts out an upsert that will not add its file. When the files waiting were waiting
// only for it, the caller stores them.
func (b *batcher) leave(ctx context.Context) {
	b.mu.Lock()
	b.busy--
	var g *group
	if b.busy == 0 && b.group != nil {
		g, b.group = b.group, nil
	}
	b.mu.Unlock()
	if g != nil {
		b.store(ctx, g)
	}
}

// add stores f with the files of the upserts handled alongside, and returns f's error. It
// returns early, with ctx's error, when ctx is done first (f may still be stored).
func (b *batcher) add(ctx context.Context, f codectx.File) error {
	b.mu.Lock()
	b.busy--
	g := b.group
	if g == nil {
		g = &group{done: make(chan struct{})}
		b.group = g
	}
	i := len(g.files)
	g.files = append(g.files, f)
	full := len(g.files) >= b.size || b.busy == 0
	if full {
		b.group = nil
	}
	b.mu.Unlock()
	if full {
		b.store(ctx, g)
	} else {
		select {
		case <-g.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return g.errs[i]
}

// store stores a complete group and lets its waiting upserts go.
func (b *batcher) store(ctx context.Context, g *group) {
	g.errs = make([]error, len(g.files))
	for i := range g.errs {
		g.errs[i] = errNotStored // unless put returns
	}
	defer close(g.done)
	copy(g.errs, b.put(ctx, g.files))
}
