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

// countingUsage records completions and events one by one (no batch method), slowly.
type countingUsage struct {
	mu     sync.Mutex
	ids    []string
	events []string
}

func (u *countingUsage) RecordCompletion(_ context.Context, c codectx.CompletionRecord) error {
	time.Sleep(100 * time.Microsecond)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.ids = append(u.ids, c.ID)
	return nil
}
func (u *countingUsage) RecordEvent(_ context.Context, e codectx.CompletionEvent) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.events = append(u.events, e.Type+":"+e.CompletionID)
	return nil
}
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

// batchCounting stores in batches, as the embedded store does, and counts the writes.
type batchCounting struct {
	countingUsage
	batches int
}

func (u *batchCounting) RecordCompletions(ctx context.Context, cs []codectx.CompletionRecord) error {
	u.mu.Lock()
	u.batches++
	u.mu.Unlock()
	for _, c := range cs {
		u.RecordCompletion(ctx, c)
	}
	return nil
}

func (u *batchCounting) RecordEvents(ctx context.Context, es []codectx.CompletionEvent) error {
	u.mu.Lock()
	u.batches++
	u.mu.Unlock()
	for _, e := range es {
		u.RecordEvent(ctx, e)
	}
	return nil
}

// Events go through the recorder with the completions: every one is stored once, in the order
// it came, by a store with batch writes or without, and close drains them.
func TestUsageRecorderEvents(t *testing.T) {
	for _, batched := range []bool{false, true} {
		bu := &batchCounting{}
		var u codectx.Usage = &bu.countingUsage
		if batched {
			u = bu
		}
		r := newUsageRecorder(u, slog.New(slog.DiscardHandler))
		for i := 0; i < 100; i++ {
			id := fmt.Sprintf("c%d", i)
			r.record(codectx.CompletionRecord{ID: id})
			r.recordEvent(codectx.CompletionEvent{Type: codectx.EventView, CompletionID: id})
			if i%3 == 0 {
				r.recordEvent(codectx.CompletionEvent{Type: codectx.EventSelect, CompletionID: id})
			}
		}
		r.close()
		bu.mu.Lock()
		events, ids, batches := bu.events, bu.ids, bu.batches
		bu.mu.Unlock()
		if len(ids) != 100 || len(events) != 134 {
			t.Fatalf("batched=%v: %d completions and %d events stored, want 100 and 134", batched, len(ids), len(events))
		}
		if events[0] != "view:c0" || events[1] != "select:c0" || events[2] != "view:c1" || events[133] != "select:c99" {
			t.Errorf("batched=%v: events out of order: %v ... %v", batched, events[:3], events[133])
		}
		if batched && (batches == 0 || batches >= 200) {
			t.Errorf("%d batch writes for 234 items", batches)
		}
		if !batched && batches != 0 {
			t.Errorf("a store without batch writes got %d", batches)
		}
	}
}

// Records that come one at a time, as completions do under load, are stored together: the
// writer waits a moment for more instead of writing each on its own. Flush does not wait for
// that moment to pass.
func TestUsageRecorderGathers(t *testing.T) {
	bu := &batchCounting{}
	r := newUsageRecorder(bu, slog.New(slog.DiscardHandler))
	defer r.close()
	for i := 0; i < 100; i++ {
		r.record(codectx.CompletionRecord{ID: fmt.Sprintf("c%d", i)})
		time.Sleep(100 * time.Microsecond) // the writer is idle between two records
	}
	r.flush()
	bu.mu.Lock()
	ids, batches := len(bu.ids), bu.batches
	bu.mu.Unlock()
	if ids != 100 {
		t.Fatalf("%d records stored after flush, want 100", ids)
	}
	// 100 records over 10–30 ms: one or two lingers of 50 ms hold them all.
	if batches > 10 {
		t.Errorf("100 records one at a time took %d writes", batches)
	}
	// A lone record is stored as soon as flush asks, not a linger later.
	start := time.Now()
	r.record(codectx.CompletionRecord{ID: "lone"})
	r.flush()
	if took := time.Since(start); took >= usageLinger {
		t.Errorf("flush of a lone record took %v, the whole linger (%v)", took, usageLinger)
	}
}
