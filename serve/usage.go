package serve

import (
	"context"
	"log/slog"
	"sync"

	"github.com/codectx/codectx"
)

// usageRecorder writes completion records in the background: neither a completion's answer
// nor the next request on its connection waits for the store. Records queue in order and are
// written in batches; when the queue is full, recording waits (nothing is dropped).
type usageRecorder struct {
	usage codectx.Usage
	log   *slog.Logger
	queue chan codectx.CompletionRecord
	done  chan struct{}

	mu      sync.Mutex
	idle    sync.Cond
	pending int
	closed  bool
}

// batchUsage is a codectx.Usage that stores several completion records in one write.
type batchUsage interface {
	RecordCompletions(ctx context.Context, cs []codectx.CompletionRecord) error
}

const (
	usageQueue = 4096
	usageBatch = 64
)

func newUsageRecorder(u codectx.Usage, log *slog.Logger) *usageRecorder {
	r := &usageRecorder{usage: u, log: log, queue: make(chan codectx.CompletionRecord, usageQueue), done: make(chan struct{})}
	r.idle.L = &r.mu
	go r.run()
	return r
}

// record queues a completion record. After close it writes the record itself.
func (r *usageRecorder) record(rec codectx.CompletionRecord) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.write([]codectx.CompletionRecord{rec})
		return
	}
	r.pending++
	r.mu.Unlock()
	r.queue <- rec
}

func (r *usageRecorder) run() {
	defer close(r.done)
	batch := make([]codectx.CompletionRecord, 0, usageBatch)
	for rec := range r.queue {
		batch = append(batch[:0], rec)
	more:
		for len(batch) < usageBatch {
			select {
			case rec, ok := <-r.queue:
				if !ok {
					break more
				}
				batch = append(batch, rec)
			default:
				break more
			}
		}
		r.write(batch)
		r.mu.Lock()
		r.pending -= len(batch)
		if r.pending == 0 {
			r.idle.Broadcast()
		}
		r.mu.Unlock()
	}
}

func (r *usageRecorder) write(batch []codectx.CompletionRecord) {
	ctx := context.Background()
	if b, ok := r.usage.(batchUsage); ok {
		if err := b.RecordCompletions(ctx, batch); err != nil {
			r.log.Warn("recording completions", "n", len(batch), "err", err)
		}
		return
	}
	for _, rec := range batch {
		if err := r.usage.RecordCompletion(ctx, rec); err != nil {
			r.log.Warn("recording a completion", "id", rec.ID, "err", err)
		}
	}
}

// flush waits until every record queued so far is written.
func (r *usageRecorder) flush() {
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
	close(r.queue)
	<-r.done
}
