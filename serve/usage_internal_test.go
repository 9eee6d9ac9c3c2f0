package serve

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/codectx/codectx"
)

// countingUsage records completions one by one (no batch method), slowly.
type countingUsage struct {
	mu  sync.Mutex
	ids []string
}

func (u *countingUsage) RecordCompletion(_ context.Context, c codectx.CompletionRecord) error {
	time.Sleep(100 * time.Microsecond)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.ids = append(u.ids, c.ID)
	return nil
}
func (u *countingUsage) RecordEvent(context.Context, codectx.CompletionEvent) error { return nil }
func (u *countingUsage) Acceptance(context.Context, time.Time) ([]codectx.AcceptanceRow, error) {
	return nil, nil
}

func (u *countingUsage) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.ids)
}

// Records are written in the background, in order; flush waits for them, close writes what is
// queued, and a record after close is written at once.
func TestUsageRecorder(t *testing.T) {
	u := &countingUsage{}
	r := newUsageRecorder(u, slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				r.record(codectx.CompletionRecord{ID: fmt.Sprintf("g%d-%d", g, i)})
			}
		}(g)
	}
	wg.Wait()
	r.flush()
	if n := u.count(); n != 200 {
		t.Fatalf("after flush, %d records stored, want 200", n)
	}
	for i := 0; i < 30; i++ {
		r.record(codectx.CompletionRecord{ID: fmt.Sprintf("late-%d", i)})
	}
	r.close()
	if n := u.count(); n != 230 {
		t.Fatalf("after close, %d records stored, want 230", n)
	}
	r.record(codectx.CompletionRecord{ID: "after-close"})
	if n := u.count(); n != 231 {
		t.Fatalf("a record after close was not written at once: %d stored", n)
	}
	r.close() // twice is harmless
}
