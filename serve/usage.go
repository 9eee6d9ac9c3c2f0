package serve

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/codectx/codectx"
)

// usageRecorder writes completion records and the editors' events about them in the
// background: neither an answer nor the next request on its connection waits for the store.
// They queue in order and are written in batches; when the queue is full, recording waits
// (nothing is dropped).
type usageRecorder struct {
	usage codectx.Usage
	log   *slog.Logger
	queue chan usageItem
	hurry chan struct{} // ends the writer's wait for more (flush, close)
	done  chan struct{}

	mu      sync.Mutex
	idle    sync.Cond
	pending int
	closed  bool
}

// usageItem is a completion record or an event.
type usageItem struct {
	rec   codectx.CompletionRecord
	event *codectx.CompletionEvent
}

// batchUsage is a codectx.Usage that stores several completion records, or events, in one
// write.
type batchUsage interface {
	RecordCompletions(ctx context.Context, cs []codectx.CompletionRecord) error
	RecordEvents(ctx context.Context, es []codectx.CompletionEvent) error
}

const (
	usageQueue = 4096
	usageBatch = 256
	// usageLinger is how long the writer waits, after a record comes, for more to store with
	// it. Without the wait, records under load came one at a time and each was a transaction
	// of its own (five writes and two reads of the database file per completion).
	usageLinger = 50 * time.Millisecond
)

func newUsageRecorder(u codectx.Usage, log *slog.Logger) *usageRecorder {
	r := &usageRecorder{usage: u, log: log, queue: make(chan usageItem, usageQueue), hurry: make(chan struct{}, 1), done: make(chan struct{})}
	r.idle.L = &r.mu
	go r.run()
	return r
}

// record queues a completion record. After close it writes the record itself.
func (r *usageRecorder) record(rec codectx.CompletionRecord) { r.add(usageItem{rec: rec}) }

// recordEvent queues an event, as record does.
func (r *usageRecorder) recordEvent(e codectx.CompletionEvent) { r.add(usageItem{event: &e}) }

func (r *usageRecorder) add(it usageItem) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.write([]usageItem{it})
		return
	}
	r.pending++
	r.mu.Unlock()
	r.queue <- it
}

func (r *usageRecorder) run() {
	defer close(r.done)
	batch := make([]usageItem, 0, usageBatch)
	linger := time.NewTimer(usageLinger)
	linger.Stop()
	for it := range r.queue {
		batch = append(batch[:0], it)
		linger.Reset(usageLinger)
		select {
		case <-linger.C:
		case <-r.hurry:
			linger.Stop()
		}
		// Write what came meanwhile, a batch at a time, until the queue is empty.
		for full := true; full; {
		more:
			for len(batch) < usageBatch {
				select {
				case it, ok := <-r.queue:
					if !ok {
						break more
					}
					batch = append(batch, it)
				default:
					break more
				}
			}
			full = len(batch) == usageBatch
			r.write(batch)
			clear(batch)
			r.mu.Lock()
			r.pending -= len(batch)
			if r.pending == 0 {
				r.idle.Broadcast()
			}
			r.mu.Unlock()
			batch = batch[:0]
		}
	}
}

// hasten ends the writer's wait for more records, if it is waiting.
func (r *usageRecorder) hasten() {
	select {
	case r.hurry <- struct{}{}:
	default:
	}
}

// write stores a batch: its completion records, then its events (an event finds its
// completion when the statistics are read, in whatever order they were stored).
func (r *usageRecorder) write(batch []usageItem) {
	var recs []codectx.CompletionRecord
	var events []codectx.CompletionEvent
	for _, it := range batch {
		if it.event != nil {
			events = append(events, *it.event)
		} else {
			recs = append(recs, it.rec)
		}
	}
	ctx := context.Background()
	if b, ok := r.usage.(batchUsage); ok {
		if len(recs) > 0 {
			if err := b.RecordCompletions(ctx, recs); err != nil {
				r.log.Warn("recording completions", "n", len(recs), "err", err)
			}
		}
		if len(events) > 0 {
			if err := b.RecordEvents(ctx, events); err != nil {
				r.log.Warn("recording completion events", "n", len(events), "err", err)
			}
		}
		return
	}
	for _, rec := range recs {
		if err := r.usage.RecordCompletion(ctx, rec); err != nil {
			r.log.Warn("recording a completion", "id", rec.ID, "err", err)
		}
	}
	for _, e := range events {
		if err := r.usage.RecordEvent(ctx, e); err != nil {
			r.log.Warn("recording a completion event", "type", e.Type, "id", e.CompletionID, "err", err)
		}
	}
}

// flush waits until every record queued so far is written.
func (r *usageRecorder) flush() {
	r.hasten()
	r.mu.Lock()
	for r.pending > 0 {
		r.idle.Wait()
	}
	r.mu.Unlock()
}

// close writes what is queued and stops the recorder; later records are written at once.
func (r *usageRecorder) close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.mu.Unlock()
	r.hasten()
	close(r.queue)
	<-r.done
}
