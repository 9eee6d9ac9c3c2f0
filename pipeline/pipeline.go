package pipeline

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/codectx/codectx"
)

// Config wires a pipeline. Store, Chunker and Encode are required.
type Config struct {
	Store   codectx.Store
	Chunker codectx.Chunker
	Encode  LexicalEncoder
	// Workers is the number of changes read, chunked and encoded at once, and the number of
	// change topics on the in-process bus (default: GOMAXPROCS). Handlers waiting for the store
	// do not count: the files of several are committed together.
	Workers int
	// MaxInFlight caps the change events of one sync published but not yet handled (default
	// 256). The sync blocks on it, so memory stays bounded however large the change set.
	MaxInFlight int
	// MaxRetries is how often a transient failure is retried before the event is dead-lettered
	// (default 3, with exponential backoff from RetryInterval, default 100ms).
	MaxRetries    int
	RetryInterval time.Duration
	Logger        *slog.Logger
	// Registerer receives the pipeline's metrics (nil: not registered).
	Registerer prometheus.Registerer
	// Publisher and Subscriber are the bus. Both nil: an in-process Watermill GoChannel.
	Publisher  message.Publisher
	Subscriber message.Subscriber
}

func (c *Config) setDefaults() error {
	if c.Store == nil || c.Chunker == nil || c.Encode == nil {
		return errors.New("pipeline: Store, Chunker and Encode are required")
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 256
	}
	if c.MaxRetries < 0 {
		return errors.New("pipeline: MaxRetries must not be negative")
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = 100 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Progress reports how far a running sync is.
type Progress struct {
	Source   string
	Done     int   // changes handled
	Total    int   // changes this sync handles, known once the walk is done (0 until then)
	Emitted  int   // changes published so far
	WalkDone bool  // true once every change has been published
	Chunks   int   // chunks written
	Bytes    int64 // bytes of content indexed
	Skipped  int
	Failed   int
}

// Pipeline routes sync requests and change events through a Watermill router.
type Pipeline struct {
	cfg     Config
	log     *slog.Logger
	pub     message.Publisher
	sub     message.Subscriber
	router  *message.Router
	indexer *Indexer
	metrics *metrics

	mu      sync.Mutex
	sources map[string]codectx.Source
	locks   map[string]*sync.Mutex
	ready   map[string]bool
	runs    map[string]*tracker

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// New builds a pipeline. Call Start before Sync.
func New(cfg Config) (*Pipeline, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	wlog := watermill.NewSlogLoggerWithLevelMapping(cfg.Logger, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	p := &Pipeline{
		cfg:     cfg,
		log:     cfg.Logger,
		pub:     cfg.Publisher,
		sub:     cfg.Subscriber,
		sources: map[string]codectx.Source{},
		locks:   map[string]*sync.Mutex{},
		ready:   map[string]bool{},
		runs:    map[string]*tracker{},
		done:    make(chan struct{}),
	}
	if (p.pub == nil) != (p.sub == nil) {
		return nil, errors.New("pipeline: set both Publisher and Subscriber, or neither")
	}
	if p.pub == nil {
		gc := gochannel.NewGoChannel(gochannel.Config{}, wlog)
		p.pub, p.sub = gc, gc
	}
	p.metrics = newMetrics(cfg.Registerer)
	p.indexer = &Indexer{Sources: p.source, Chunker: cfg.Chunker, Encode: cfg.Encode, Store: cfg.Store,
		Slots: make(chan struct{}, cfg.Workers), Batch: writeBatch}

	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: 30 * time.Second}, wlog)
	if err != nil {
		return nil, fmt.Errorf("creating router: %w", err)
	}
	poison, err := middleware.PoisonQueueWithFilter(p.pub, TopicDeadChanges, func(error) bool { return true })
	if err != nil {
		return nil, err
	}
	retry := middleware.Retry{
		MaxRetries:      cfg.MaxRetries,
		InitialInterval: cfg.RetryInterval,
		MaxInterval:     10 * cfg.RetryInterval,
		Multiplier:      2,
		ShouldRetry: func(rp middleware.RetryParams) bool {
			return !isPermanent(rp.Err)
		},
		OnRetryHook: func(int, time.Duration) { p.metrics.retries.Inc() },
		Logger:      wlog,
	}
	for i := 0; i < cfg.Workers; i++ {
		h := r.AddConsumerHandler("index-changes-"+strconv.Itoa(i), changeTopic(i), p.sub, p.handleChange)
		// Outermost first: dead-letter what is left after retries, retry transient errors,
		// and turn panics into errors (counted) right around the handler.
		h.AddMiddleware(poison, retry.Middleware, p.recoverer)
	}
	r.AddConsumerHandler("record-dead-changes", TopicDeadChanges, p.sub, p.handleDead)
	syncPoison, err := middleware.PoisonQueueWithFilter(p.pub, TopicDeadSyncRequests, func(error) bool { return true })
	if err != nil {
		return nil, err
	}
	h := r.AddConsumerHandler("sync-sources", TopicSyncRequests, p.sub, p.handleSyncRequest)
	h.AddMiddleware(syncPoison, p.recoverer)
	p.router = r
	return p, nil
}

// writeBatch is how many files the indexer stores at once, at most (see Indexer.Batch). A file
// ready for the store waits for the next ones to be parsed until there are that many, or none
// is left to parse.
const writeBatch = 32

func changeTopic(partition int) string { return TopicChanges + "." + strconv.Itoa(partition) }

func (p *Pipeline) partition(path string) int {
	h := fnv.New32a()
	h.Write([]byte(path))
	return int(h.Sum32() % uint32(p.cfg.Workers))
}

// AddSource registers a source. Adding a source with a name already in use replaces it.
func (p *Pipeline) AddSource(src codectx.Source) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sources[src.Name()] = src
}

// SourceNames lists the registered sources, sorted.
func (p *Pipeline) SourceNames() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.sources))
	for n := range p.sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (p *Pipeline) source(name string) (codectx.Source, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sources[name]
	return s, ok
}

// Ready reports whether every registered source has finished its first sync.
func (p *Pipeline) Ready() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for n := range p.sources {
		if !p.ready[n] {
			return false
		}
	}
	return true
}

// Start runs the router in the background and returns once its handlers are subscribed.
func (p *Pipeline) Start(ctx context.Context) error {
	ctx, p.cancel = context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		defer close(p.done)
		errc <- p.router.Run(ctx)
	}()
	select {
	case <-p.router.Running():
		return nil
	case err := <-errc:
		return fmt.Errorf("starting router: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the router, waiting for running handlers, and closes the bus. It is idempotent.
// It does not close the store or the sources: whoever opened them does.
func (p *Pipeline) Close() error {
	p.closeOnce.Do(func() {
		if p.cancel != nil {
			p.cancel()
		}
		err := p.router.Close()
		if p.cancel != nil {
			<-p.done
		}
		p.closeErr = errors.Join(err, p.pub.Close())
		if same, ok := p.sub.(message.Publisher); !ok || same != p.pub {
			p.closeErr = errors.Join(p.closeErr, p.sub.Close())
		}
	})
	return p.closeErr
}

// RequestSync publishes a sync request. The sync runs in the background; duplicate requests
// are cheap, since a source that is already at its tip does nothing.
func (p *Pipeline) RequestSync(req SyncRequest) error {
	if _, ok := p.source(req.Source); !ok {
		return fmt.Errorf("source %q: %w", req.Source, codectx.ErrNotFound)
	}
	payload, err := encode(TypeSyncRequest, req)
	if err != nil {
		return err
	}
	return p.pub.Publish(TopicSyncRequests, message.NewMessage(watermill.NewUUID(), payload))
}

func (p *Pipeline) handleSyncRequest(msg *message.Message) error {
	var req SyncRequest
	if err := decode(msg.Payload, TypeSyncRequest, &req); err != nil {
		return err
	}
	if _, err := p.Sync(msg.Context(), req.Source, req.Reason, nil); err != nil {
		// The failure is recorded in the run; a later request or schedule tries again.
		p.log.Warn("sync failed", "source", req.Source, "reason", req.Reason, "err", err)
	}
	return nil
}

// recoverer turns a panic in a handler into a permanent error, counted and logged, so that the
// message is dead-lettered instead of crashing the process or being retried forever.
func (p *Pipeline) recoverer(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) (out []*message.Message, err error) {
		defer func() {
			if r := recover(); r != nil {
				p.metrics.panics.Inc()
				p.log.Error("handler panicked", "topic", message.SubscribeTopicFromCtx(msg.Context()), "panic", r)
				err = codectx.Permanent(fmt.Errorf("handler panicked: %v", r))
				msg.Metadata.Set(metaPermanent, "true")
			}
		}()
		return h(msg)
	}
}

const metaPermanent = "codectx_permanent"

func isPermanent(err error) bool { return errors.Is(err, codectx.ErrPermanent) }

func (p *Pipeline) handleChange(msg *message.Message) error {
	var ev ChangeEvent
	if err := decode(msg.Payload, TypeChange, &ev); err != nil {
		msg.Metadata.Set(metaPermanent, "true")
		return err
	}
	start := time.Now()
	res, err := p.indexer.Apply(msg.Context(), ev.Change)
	if err != nil {
		if isPermanent(err) {
			msg.Metadata.Set(metaPermanent, "true")
		}
		p.metrics.changes.WithLabelValues(string(ev.Op), "error").Inc()
		return err
	}
	p.metrics.changes.WithLabelValues(string(ev.Op), "ok").Inc()
	p.metrics.handleSeconds.Observe(time.Since(start).Seconds())
	if res.Skip != "" {
		p.metrics.skips.WithLabelValues(res.Skip).Inc()
	}
	p.complete(ev.RunID, res, nil)
	return nil
}

// handleDead records a dead-lettered change durably, then counts it against its run. A file
// whose change failed permanently is recorded as skipped ("failed") so that its stale chunks
// leave the index and a later reconcile does not retry it until its content changes.
func (p *Pipeline) handleDead(msg *message.Message) error {
	ctx := msg.Context()
	reason := msg.Metadata.Get(middleware.ReasonForPoisonedKey)
	permanent := msg.Metadata.Get(metaPermanent) == "true"
	d := codectx.DeadLetter{
		ID:      msg.UUID,
		Topic:   msg.Metadata.Get(middleware.PoisonedTopicKey),
		Payload: string(msg.Payload),
		Error:   reason,
		At:      time.Now().UnixMilli(),
	}
	if err := p.cfg.Store.PutDeadLetter(ctx, d); err != nil {
		return fmt.Errorf("recording dead letter: %w", err)
	}
	p.metrics.deadLetters.Inc()
	p.log.Error("change dead-lettered", "id", d.ID, "err", reason, "permanent", permanent)
	var ev ChangeEvent
	if err := decode(msg.Payload, TypeChange, &ev); err != nil {
		return nil // recorded; nothing to count it against
	}
	if permanent && ev.Op != codectx.OpDelete {
		f := codectx.File{Source: ev.Source, Path: ev.Path, BlobHash: ev.BlobHash, Language: ev.Language, Skip: "failed"}
		if err := p.cfg.Store.PutFile(ctx, f); err != nil {
			return fmt.Errorf("recording failed file %s: %w", ev.Path, err)
		}
	}
	p.complete(ev.RunID, Result{Op: ev.Op}, &failure{permanent: permanent})
	return nil
}

type failure struct{ permanent bool }

// tracker counts the changes of one run until every one of them has been handled.
type tracker struct {
	mu        sync.Mutex
	prog      Progress
	upserts   int
	deletes   int
	transient int
	permanent int
	skipped   map[string]int
	onProg    func(Progress)
	sem       chan struct{} // one slot per change in flight
	finished  chan struct{}
	closed    bool
}

func (t *tracker) maybeFinish() {
	if t.prog.WalkDone && t.prog.Done == t.prog.Emitted && !t.closed {
		t.closed = true
		close(t.finished)
	}
}

func (p *Pipeline) complete(runID string, res Result, fail *failure) {
	p.mu.Lock()
	t := p.runs[runID]
	p.mu.Unlock()
	if t == nil {
		return // replayed from an earlier process, or not from a tracked sync
	}
	select {
	case <-t.sem:
	default:
	}
	t.mu.Lock()
	t.prog.Done++
	switch {
	case fail != nil && fail.permanent:
		t.permanent++
		t.prog.Failed++
	case fail != nil:
		t.transient++
		t.prog.Failed++
	case res.Skip != "":
		t.skipped[res.Skip]++
		t.prog.Skipped++
	case res.Op == codectx.OpDelete:
		t.deletes++
	default:
		t.upserts++
		t.prog.Chunks += res.Chunks
		t.prog.Bytes += res.Bytes
	}
	prog := t.prog
	t.mu.Unlock()
	// Report before the run can finish, so that no progress arrives after Sync returned.
	if t.onProg != nil {
		t.onProg(prog)
	}
	t.mu.Lock()
	t.maybeFinish()
	t.mu.Unlock()
}

// Sync brings the store up to date with a source's tip and returns the run's record. Syncs of
// one source are serialised. The cursor moves only after every change derived from it has been
// handled: applied, or dead-lettered for a permanent reason. progress, when not nil, is called
// after each handled change (from handler goroutines), and once when the walk has found every
// change (Total is known from then on).
func (p *Pipeline) Sync(ctx context.Context, name, reason string, progress func(Progress)) (codectx.Run, error) {
	src, ok := p.source(name)
	if !ok {
		return codectx.Run{}, fmt.Errorf("source %q: %w", name, codectx.ErrNotFound)
	}
	p.mu.Lock()
	lock := p.locks[name]
	if lock == nil {
		lock = &sync.Mutex{}
		p.locks[name] = lock
	}
	p.mu.Unlock()
	lock.Lock()
	defer lock.Unlock()

	start := time.Now()
	run := codectx.Run{ID: watermill.NewUUID(), Source: name, Reason: reason, StartedAt: start.UnixMilli()}
	fail := func(err error) (codectx.Run, error) {
		run.Error = err.Error()
		run.FinishedAt = time.Now().UnixMilli()
		p.metrics.syncs.WithLabelValues("error").Inc()
		if perr := p.cfg.Store.PutRun(context.WithoutCancel(ctx), run); perr != nil {
			p.log.Error("recording run", "source", name, "err", perr)
		}
		return run, fmt.Errorf("syncing %s: %w", name, err)
	}
	st, err := p.cfg.Store.SourceState(ctx, name)
	if err != nil {
		return fail(fmt.Errorf("reading source state: %w", err))
	}
	tip, err := src.Tip(ctx)
	if err != nil {
		return fail(err)
	}
	run.From, run.To = st.Cursor, tip
	if st.Pending == "" && st.Cursor == tip && tip != "" {
		p.setReady(name)
		run.FinishedAt = time.Now().UnixMilli()
		p.metrics.syncs.WithLabelValues("unchanged").Inc()
		return run, nil
	}
	from := st.Cursor
	if st.Pending != "" {
		// The previous sync was interrupted: its changes may be partly applied, so the cursor
		// no longer describes the store. Reconcile against the store's file list instead.
		from = ""
		p.log.Info("previous sync was interrupted; reconciling", "source", name, "pending", st.Pending)
	}
	known, err := p.cfg.Store.Files(ctx, name)
	if err != nil {
		return fail(fmt.Errorf("listing indexed files: %w", err))
	}
	if err := p.cfg.Store.SetSourceState(ctx, name, codectx.SourceState{Cursor: st.Cursor, Pending: tip, Ref: st.Ref}); err != nil {
		return fail(fmt.Errorf("marking sync pending: %w", err))
	}

	t := &tracker{skipped: map[string]int{}, onProg: progress, finished: make(chan struct{}),
		sem: make(chan struct{}, p.cfg.MaxInFlight)}
	t.prog.Source = name
	p.mu.Lock()
	p.runs[run.ID] = t
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.runs, run.ID)
		p.mu.Unlock()
	}()

	// Each change is published as the walk finds it, with at most MaxInFlight unhandled (the
	// walk waits for a slot), so that files are parsed while the rest of the tree is still
	// being compared: walking Go's source tree alone takes about 130 ms of one CPU. Progress
	// learns the total when the walk ends.
	total := 0
	walkErr := src.Changes(ctx, from, tip, known, func(c codectx.Change) error {
		c.Source = name
		if c.Version == "" {
			c.Version = tip
		}
		if err := p.publish(ctx, t, run.ID, c); err != nil {
			return err
		}
		total++
		return nil
	})
	t.mu.Lock()
	t.prog.Total = total
	t.prog.WalkDone = true
	prog := t.prog
	t.mu.Unlock()
	// Report the total once it is known, before the run can finish.
	if progress != nil && walkErr == nil {
		progress(prog)
	}
	t.mu.Lock()
	t.maybeFinish()
	t.mu.Unlock()
	// Wait for what was published, even when the walk failed, so that no handler still writes
	// for this run once Sync returns.
	select {
	case <-t.finished:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	t.mu.Lock()
	run.Upserts, run.Deletes, run.Chunks, run.Bytes = t.upserts, t.deletes, t.prog.Chunks, t.prog.Bytes
	run.Failed = t.transient + t.permanent
	run.Skipped = t.skipped
	transient := t.transient
	t.mu.Unlock()
	if sk, ok := src.(interface{ Skipped() map[string]int }); ok {
		for r, n := range sk.Skipped() {
			run.Skipped[r] += n
			p.metrics.skips.WithLabelValues(r).Add(float64(n))
		}
	}
	if walkErr != nil {
		return fail(walkErr)
	}
	if transient > 0 {
		return fail(fmt.Errorf("%d changes failed after retries; the next sync retries them", transient))
	}
	if err := p.cfg.Store.SetSourceState(ctx, name, codectx.SourceState{Cursor: tip, Ref: st.Ref}); err != nil {
		return fail(fmt.Errorf("moving cursor: %w", err))
	}
	run.FinishedAt = time.Now().UnixMilli()
	if err := p.cfg.Store.PutRun(ctx, run); err != nil {
		p.log.Error("recording run", "source", name, "err", err)
	}
	p.setReady(name)
	p.metrics.syncs.WithLabelValues("ok").Inc()
	p.metrics.syncSeconds.Observe(time.Since(start).Seconds())
	p.log.Info("sync finished", "source", name, "reason", reason, "upserts", run.Upserts, "deletes", run.Deletes,
		"chunks", run.Chunks, "failed", run.Failed, "skipped", run.Skipped, "took", time.Since(start).Round(time.Millisecond))
	return run, nil
}

// publish sends one change of a tracked run, waiting for a free in-flight slot.
func (p *Pipeline) publish(ctx context.Context, t *tracker, runID string, c codectx.Change) error {
	payload, err := encode(TypeChange, ChangeEvent{Change: c, RunID: runID})
	if err != nil {
		return err
	}
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	t.mu.Lock()
	t.prog.Emitted++
	t.mu.Unlock()
	if err := p.pub.Publish(changeTopic(p.partition(c.Path)), message.NewMessage(watermill.NewUUID(), payload)); err != nil {
		<-t.sem
		t.mu.Lock()
		t.prog.Emitted--
		t.mu.Unlock()
		return fmt.Errorf("publishing change: %w", err)
	}
	return nil
}

func (p *Pipeline) setReady(name string) {
	p.mu.Lock()
	p.ready[name] = true
	p.mu.Unlock()
}
