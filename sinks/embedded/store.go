// Package embedded is the default codectx store: a catalog in SQLite under a data directory,
// with the lexical index and the symbol table held in memory for queries.
//
// Every write is one SQLite transaction through a single writer connection. Only after it
// commits is the in-memory index updated, so a query never sees a half-written file, and sees
// every write that returned before it started. The database runs in WAL mode with
// synchronous=NORMAL: a power loss may drop the latest commits (never part of one), which the
// next sync redoes, since the cursor moves only after them. On Open the in-memory index is
// rebuilt from the catalog.
//
// Other processes may open the same catalog while a server runs on it (the token and stats
// commands do, without loading the index): SQLite's WAL lets them read alongside it, and a
// writer waits up to the busy timeout for the other's write transaction, which the group commit
// keeps short.
package embedded

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/codectx/codectx"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DBFile is the catalog's file name inside the data directory.
const DBFile = "index.db"

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("embedded store is closed")

// ErrSchemaTooNew is returned by Open for a catalog written by a newer codectx.
var ErrSchemaTooNew = errors.New("index schema is newer than this codectx supports")

// ErrSchemaTooOld is returned by Open for a catalog written by an older codectx, in a layout
// this one no longer reads: delete the data directory and index again.
var ErrSchemaTooOld = errors.New("index schema is older than this codectx supports")

// ErrIndexNotLoaded is returned by the queries of a store opened with OpenOptions.SkipIndex.
var ErrIndexNotLoaded = errors.New("embedded store was opened without its index")

// Store is the embedded store. It implements codectx.Store, codectx.Index, codectx.Tokens and
// codectx.Usage.
type Store struct {
	dir  string
	path string
	log  *slog.Logger
	wdb  *sql.DB   // one connection: SQLite has one writer
	wc   *sql.Conn // that connection, held from Open to Close: write transactions run on it
	rdb  *sql.DB   // read pool
	idx  *memIndex
	// noIndex is set when the store was opened without loading the index: idx stays empty,
	// writes go to the catalog only, and the queries that need the index fail.
	noIndex bool

	wmu   sync.Mutex // held by the caller committing a batch: the index follows commit order
	stmts writeStmts
	qmu   sync.Mutex // guards queue
	queue []*writeReq

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var (
	_ codectx.Store  = (*Store)(nil)
	_ codectx.Index  = (*Store)(nil)
	_ codectx.Tokens = (*Store)(nil)
	_ codectx.Usage  = (*Store)(nil)
)

// writeStmts are prepared on the writer connection. Transactions are begun and ended with
// statements rather than database/sql's Tx, which costs a goroutine per transaction.
type writeStmts struct {
	begin, commit, rollback        *sql.Stmt
	delFile, putFile               *sql.Stmt
	savepoint, rollbackTo, release *sql.Stmt
	putCompletion, putEvent        *sql.Stmt // the server records every completion and event
}

func (w *writeStmts) all() []*sql.Stmt {
	return []*sql.Stmt{w.begin, w.commit, w.rollback, w.delFile, w.putFile, w.savepoint, w.rollbackTo, w.release,
		w.putCompletion, w.putEvent}
}

// wtx is the write transaction a write call runs in.
type wtx struct{ c *sql.Conn }

// Exec runs one statement in the transaction.
func (t wtx) Exec(query string, args ...any) (sql.Result, error) {
	return t.c.ExecContext(context.Background(), query, args...)
}

// run executes a statement prepared on the writer connection.
func run(st *sql.Stmt, args ...any) error {
	_, err := st.ExecContext(context.Background(), args...)
	return err
}

// OpenOptions tune OpenWith.
type OpenOptions struct {
	// SkipIndex opens the catalog without loading the lexical index and the symbol table,
	// which takes long on a big index. It suits commands that only need the catalog (tokens,
	// usage, sources, runs): Lexical, Definitions, ChunkByID and Stats then return
	// ErrIndexNotLoaded. Writes still go to the catalog.
	SkipIndex bool
}

// Open opens (creating if needed) the store under dir and loads its index into memory.
func Open(ctx context.Context, dir string, log *slog.Logger) (*Store, error) {
	return OpenWith(ctx, dir, log, OpenOptions{})
}

// OpenWith opens (creating if needed) the store under dir with options.
func OpenWith(ctx context.Context, dir string, log *slog.Logger, opts OpenOptions) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating data dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, DBFile)
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("data dir %q: '?' and '#' are not supported in the path", dir)
	}
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	// The write-ahead log is copied into the database every 1,000 pages (SQLite's default), by
	// the commit that fills it: during a sync that is while files are still being parsed, so
	// closing the store has little left to copy. With 16,384 pages, closing after a full index
	// of Go's source tree spent 0.3 s alone on one CPU, 3.5% of the whole index (BENCHMARKS.md).
	wdb, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(1000)&_pragma=cache_size(-16384)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	s := &Store{dir: dir, path: path, log: log, wdb: wdb, idx: newMemIndex(), noIndex: opts.SkipIndex}
	if err := s.migrate(ctx); err != nil {
		wdb.Close()
		return nil, err
	}
	rdb, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("opening %s for reading: %w", path, err)
	}
	rdb.SetMaxOpenConns(4)
	rdb.SetMaxIdleConns(4)
	s.rdb = rdb
	if s.wc, err = wdb.Conn(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if err := s.prepareStmts(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if opts.SkipIndex {
		log.Debug("embedded store opened without its index", "path", path)
		return s, nil
	}
	start := time.Now()
	if err := s.load(ctx); err != nil {
		s.Close()
		return nil, err
	}
	st := s.memStats()
	log.Info("embedded store opened", "path", path, "chunks", st.Chunks, "symbols", st.Symbols,
		"load", time.Since(start).Round(time.Millisecond))
	return s, nil
}

// migrate creates the schema in a new catalog and checks the version of an existing one.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("opening %s: %w", s.path, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'`).Scan(&n); err != nil {
		return fmt.Errorf("reading schema of %s: %w", s.path, err)
	}
	if n == 0 {
		if _, err := tx.ExecContext(ctx, schemaV2); err != nil {
			return fmt.Errorf("creating schema in %s: %w", s.path, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('schema_version', ?)`, strconv.Itoa(schemaVersion)); err != nil {
			return fmt.Errorf("recording schema version: %w", err)
		}
		if _, err := tx.ExecContext(ctx, usageSchema); err != nil {
			return fmt.Errorf("creating usage tables in %s: %w", s.path, err)
		}
		return tx.Commit()
	}
	var v string
	if err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key='schema_version'`).Scan(&v); err != nil {
		return fmt.Errorf("reading schema version of %s: %w", s.path, err)
	}
	got, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("schema version %q of %s: %w", v, s.path, err)
	}
	if got > schemaVersion {
		return fmt.Errorf("%s has schema version %d, this codectx reads up to %d (upgrade codectx or use another --data-dir): %w",
			s.path, got, schemaVersion, ErrSchemaTooNew)
	}
	if got < schemaVersion {
		return fmt.Errorf("%s has schema version %d, this codectx reads only version %d: delete the data dir %s and index again: %w",
			s.path, got, schemaVersion, s.dir, ErrSchemaTooOld)
	}
	// A version-2 catalog written before the usage tables existed gets them now.
	if _, err := tx.ExecContext(ctx, usageSchema); err != nil {
		return fmt.Errorf("creating usage tables in %s: %w", s.path, err)
	}
	return tx.Commit()
}

func (s *Store) prepareStmts(ctx context.Context) error {
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&s.stmts.begin, `BEGIN IMMEDIATE`},
		{&s.stmts.commit, `COMMIT`},
		{&s.stmts.rollback, `ROLLBACK`},
		{&s.stmts.delFile, `DELETE FROM files WHERE source = ? AND path = ?`},
		{&s.stmts.putFile, `INSERT INTO files (source, path, blob_hash, language, size, skip, chunks, bodies) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source, path) DO UPDATE SET blob_hash = excluded.blob_hash, language = excluded.language,
			size = excluded.size, skip = excluded.skip, chunks = excluded.chunks, bodies = excluded.bodies`},
		{&s.stmts.savepoint, `SAVEPOINT write_call`},
		{&s.stmts.rollbackTo, `ROLLBACK TO write_call`},
		{&s.stmts.release, `RELEASE write_call`},
		{&s.stmts.putCompletion, putCompletionSQL},
		{&s.stmts.putEvent, putEventSQL},
	} {
		st, err := s.wc.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("preparing %q: %w", p.sql, err)
		}
		*p.dst = st
	}
	return nil
}

// load rebuilds the in-memory index from the catalog: one row per file, whose chunks are
// decoded straight into the index.
func (s *Store) load(ctx context.Context) error {
	x := s.idx
	x.mu.Lock()
	defer x.mu.Unlock()
	rows, err := s.rdb.QueryContext(ctx, `SELECT source, path, language, chunks, bodies FROM files ORDER BY id`)
	if err != nil {
		return fmt.Errorf("loading files: %w", err)
	}
	defer rows.Close()
	in := newInterner()
	var (
		source, path, lang []byte
		blob               sql.RawBytes
		bodies             string
		terms              []codectx.Term
	)
	for rows.Next() {
		if err := rows.Scan(&source, &path, &lang, &blob, &bodies); err != nil {
			return fmt.Errorf("loading files: %w", err)
		}
		src, p, fl := in.get(source), string(path), in.get(lang)
		r, err := newChunkReader(blob, bodies, fl, in.get)
		if err != nil {
			return fmt.Errorf("loading %s/%s: %w", src, p, err)
		}
		// Term ids are resolved while decoding, so that no token string is allocated for a
		// term the index already knows.
		var tids []uint32
		r.count = func(n int) { tids = make([]uint32, 0, n) }
		addTerm := func(tok []byte, f uint32) {
			terms = append(terms, codectx.Term{Freq: f})
			tids = append(tids, x.termID(unsafe.String(unsafe.SliceData(tok), len(tok)))) // not kept
		}
		for {
			c := &codectx.Chunk{Source: src, Path: p}
			terms, tids = terms[:0], nil
			length, ok := r.next(c, addTerm)
			if !ok {
				break
			}
			x.add(newDoc{chunk: c, terms: terms, tids: tids, length: length})
		}
		if r.err != nil {
			return fmt.Errorf("loading %s/%s: %w", src, p, r.err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("loading files: %w", err)
	}
	return nil
}

// interner shares the strings that repeat across files: sources, languages, symbol kinds.
type interner map[string]string

func newInterner() interner { return make(interner) }

func (in interner) get(b []byte) string {
	if v, ok := in[string(b)]; ok {
		return v
	}
	v := string(b)
	in[v] = v
	return v
}

// Close closes the catalog. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		s.closed.Store(true)
		var errs []error
		for _, st := range s.stmts.all() {
			if st != nil {
				errs = append(errs, st.Close())
			}
		}
		if s.wc != nil {
			errs = append(errs, s.wc.Close())
		}
		if s.rdb != nil {
			errs = append(errs, s.rdb.Close())
		}
		errs = append(errs, s.wdb.Close())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("closing %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// preparedChunk is a chunk ready for the index, built before taking the write lock.
type preparedChunk struct {
	chunk  *codectx.Chunk
	terms  []codectx.Term
	tids   []uint32
	length int
}

// preparedFile is a file's row and the chunks for the index, built before taking the write
// lock.
type preparedFile struct {
	f      *codectx.File
	chunks []preparedChunk
	blob   []byte // chunk metadata, symbols and terms (see appendFileChunks)
	bodies string // chunk bodies, concatenated
}

// prepareFile checks f and builds its row. Chunk ids and content hashes left empty are
// derived; chunks repeating an id are dropped.
func prepareFile(f *codectx.File) (*preparedFile, error) {
	if f.Source == "" || f.Path == "" {
		return nil, codectx.Permanent(fmt.Errorf("file needs a source and a path (source %q, path %q)", f.Source, f.Path))
	}
	out := make([]preparedChunk, 0, len(f.Chunks))
	var seen map[string]bool
	if len(f.Chunks) > 1 {
		seen = make(map[string]bool, len(f.Chunks))
	}
	size, nterms := 0, 0
	for i := range f.Chunks {
		ic := &f.Chunks[i]
		c := ic.Chunk
		c.Source, c.Path = f.Source, f.Path
		if c.Language == "" {
			c.Language = f.Language
		}
		if c.ContentHash == "" {
			c.ContentHash = codectx.ContentHash([]byte(c.Body))
		}
		if c.ID == "" {
			c.ID = codectx.ChunkID(c.Source, c.Path, c.StartLine, c.EndLine, c.ContentHash)
		}
		if seen != nil {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
		}
		c.Symbols = slices.Clone(c.Symbols)
		terms := ic.Terms
		if !slices.IsSortedFunc(terms, compareTerms) {
			terms = slices.Clone(terms)
			slices.SortFunc(terms, compareTerms)
		}
		size += len(c.Body)
		nterms += len(terms)
		out = append(out, preparedChunk{chunk: &c, terms: terms, length: ic.Length})
	}
	var b strings.Builder
	b.Grow(size)
	for _, pc := range out {
		b.WriteString(pc.chunk.Body)
	}
	bodies := b.String()
	// The index keeps the bodies as slices of the row's text, as load does: one allocation
	// per file, and none of the caller's buffers kept alive.
	off := 0
	for _, pc := range out {
		n := len(pc.chunk.Body)
		pc.chunk.Body = bodies[off : off+n]
		off += n
	}
	blob := appendFileChunks(make([]byte, 0, 16+len(out)*64+nterms*8), f.Language, out)
	return &preparedFile{f: f, chunks: out, blob: blob, bodies: bodies}, nil
}

func compareTerms(a, b codectx.Term) int { return strings.Compare(a.Token, b.Token) }

// writeReq is one write call waiting for its transaction.
type writeReq struct {
	what  string
	fn    func(tx wtx) error
	apply func(x *memIndex)
	err   error
	done  bool
}

// maxBatch caps how many concurrent write calls share one transaction.
const maxBatch = 256

// write runs fn inside a write transaction and, once it has committed, apply on the in-memory
// index; it returns after both. Concurrent calls are committed together (group commit): the
// caller that gets the writer lock commits every call queued so far. fn may run more than once
// (see commit), so it must not keep state from an earlier run.
func (s *Store) write(ctx context.Context, what string, fn func(tx wtx) error, apply func(x *memIndex)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	req := &writeReq{what: what, fn: fn, apply: apply}
	s.commitQueued(req)
	return req.err
}

// commitQueued queues reqs together, then commits until every one of them is done.
func (s *Store) commitQueued(reqs ...*writeReq) {
	s.qmu.Lock()
	s.queue = append(s.queue, reqs...)
	s.qmu.Unlock()

	s.wmu.Lock()
	defer s.wmu.Unlock()
	for _, req := range reqs {
		for !req.done {
			s.qmu.Lock()
			n := min(len(s.queue), maxBatch)
			batch := s.queue[:n:n]
			s.queue = s.queue[n:]
			s.qmu.Unlock()
			s.commit(batch)
		}
	}
}

// commit writes a batch of requests in one transaction, then applies them to the in-memory
// index. The caller holds wmu.
//
// The batch is first tried as it is. Only if a request fails is it rolled back and run again
// with each request in its own savepoint, so that one failing call does not undo the others:
// the savepoints cost three statements per call, which is most of the work of a small write.
func (s *Store) commit(batch []*writeReq) {
	defer func() {
		for _, r := range batch {
			r.done = true
		}
	}()
	fail := func(err error) {
		for _, r := range batch {
			if r.err == nil {
				r.err = fmt.Errorf("%s: %w", r.what, err)
			}
		}
	}
	if s.closed.Load() {
		fail(ErrClosed)
		return
	}
	// Statements run without the callers' contexts: modernc watches a cancellable context
	// with a goroutine per statement, and a transaction here takes milliseconds.
	tx := wtx{s.wc}
	if err := run(s.stmts.begin); err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	clean := true
	for _, r := range batch {
		if r.err = r.fn(tx); r.err != nil {
			clean = false
			break
		}
	}
	if !clean && len(batch) > 1 {
		if err := run(s.stmts.rollback); err != nil {
			fail(fmt.Errorf("rollback: %w", err))
			return
		}
		if err := run(s.stmts.begin); err != nil {
			fail(fmt.Errorf("begin: %w", err))
			return
		}
		if !s.runIsolated(tx, batch) {
			return
		}
	}
	ok := 0
	for _, r := range batch {
		if r.err != nil {
			r.err = fmt.Errorf("%s: %w", r.what, r.err)
		} else {
			ok++
		}
	}
	if ok == 0 {
		s.rollback()
		return
	}
	if err := run(s.stmts.commit); err != nil {
		s.rollback() // the transaction may still be open
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	if s.noIndex {
		return
	}
	s.idx.mu.Lock()
	for _, r := range batch {
		if r.err == nil && r.apply != nil {
			r.apply(s.idx)
		}
	}
	s.idx.mu.Unlock()
}

// rollback ends the writer's transaction. A failure is logged: SQLite answers one when no
// transaction is open (harmless), and otherwise the next BEGIN will fail and say so.
func (s *Store) rollback() {
	if err := run(s.stmts.rollback); err != nil && !strings.Contains(err.Error(), "no transaction is active") {
		s.log.Error("rolling back a write transaction", "path", s.path, "err", err)
	}
}

// runIsolated runs each request of batch in its own savepoint of tx, rolling back those that
// fail. It returns false, with tx rolled back and every request failed, if a savepoint could
// not be handled.
func (s *Store) runIsolated(tx wtx, batch []*writeReq) bool {
	abort := func(what string, err error) bool {
		s.rollback()
		for _, r := range batch {
			r.err = fmt.Errorf("%s: %s: %w", r.what, what, err)
		}
		return false
	}
	for _, r := range batch {
		if err := run(s.stmts.savepoint); err != nil {
			return abort("savepoint", err)
		}
		r.err = r.fn(tx)
		if r.err != nil {
			if err := run(s.stmts.rollbackTo); err != nil {
				return abort("rolling back to savepoint", err)
			}
		}
		if err := run(s.stmts.release); err != nil {
			return abort("releasing savepoint", err)
		}
	}
	return true
}

func (s *Store) deleteFileTx(source, path string) error {
	if err := run(s.stmts.delFile, source, path); err != nil {
		return fmt.Errorf("deleting %s/%s: %w", source, path, err)
	}
	return nil
}

// putFileTx writes the row of a prepared file, replacing the one stored for its path.
func (s *Store) putFileTx(pf *preparedFile) error {
	f := pf.f
	if err := run(s.stmts.putFile, f.Source, f.Path, f.BlobHash, f.Language, f.Size, f.Skip, pf.blob, pf.bodies); err != nil {
		return fmt.Errorf("writing file %s: %w", f.Path, err)
	}
	return nil
}

// docs returns the prepared chunks as docs for the in-memory index.
func (pf *preparedFile) docs() []newDoc {
	docs := make([]newDoc, len(pf.chunks))
	for i, pc := range pf.chunks {
		docs[i] = newDoc{chunk: pc.chunk, terms: pc.terms, tids: pc.tids, length: pc.length}
	}
	return docs
}

// prepare builds the row of f and resolves its term ids, before taking the writer lock.
func (s *Store) prepare(f *codectx.File) (*preparedFile, error) {
	pf, err := prepareFile(f)
	if err != nil {
		return nil, err
	}
	if !s.noIndex {
		s.idx.resolveTerms(pf.chunks)
	}
	return pf, nil
}

// PutFile replaces everything stored for (f.Source, f.Path) with f, in one transaction.
func (s *Store) PutFile(ctx context.Context, f codectx.File) error {
	pf, err := s.prepare(&f)
	if err != nil {
		return err
	}
	return s.write(ctx, "putting "+f.Source+"/"+f.Path, func(tx wtx) error {
		return s.putFileTx(pf)
	}, func(x *memIndex) {
		x.replaceFile(fileKey{f.Source, f.Path}, pf.docs())
	})
}

// PutFiles stores each file as PutFile does, queueing them at once so that they share a
// transaction rather than take one each; a file that fails does not keep the others from
// being stored. It returns each file's error, nil for the files stored.
func (s *Store) PutFiles(ctx context.Context, files []codectx.File) []error {
	errs := make([]error, len(files))
	reqs := make([]*writeReq, 0, len(files))
	at := make([]int, 0, len(files))
	for i := range files {
		f := &files[i]
		what := "putting " + f.Source + "/" + f.Path
		if err := ctx.Err(); err != nil {
			errs[i] = fmt.Errorf("%s: %w", what, err)
			continue
		}
		pf, err := s.prepare(f)
		if err != nil {
			errs[i] = err
			continue
		}
		key := fileKey{f.Source, f.Path}
		reqs = append(reqs, &writeReq{what: what, fn: func(wtx) error {
			return s.putFileTx(pf)
		}, apply: func(x *memIndex) {
			x.replaceFile(key, pf.docs())
		}})
		at = append(at, i)
	}
	if len(reqs) > 0 {
		s.commitQueued(reqs...)
	}
	for k, r := range reqs {
		errs[at[k]] = r.err
	}
	return errs
}

// DeleteFile removes a file, its chunks and symbols. An unknown file is not an error.
func (s *Store) DeleteFile(ctx context.Context, source, path string) error {
	return s.write(ctx, "deleting "+source+"/"+path, func(tx wtx) error {
		return s.deleteFileTx(source, path)
	}, func(x *memIndex) {
		x.replaceFile(fileKey{source, path}, nil)
	})
}

// RenameFile removes oldPath and stores f, in one transaction.
func (s *Store) RenameFile(ctx context.Context, oldPath string, f codectx.File) error {
	pf, err := s.prepare(&f)
	if err != nil {
		return err
	}
	return s.write(ctx, "renaming "+f.Source+"/"+oldPath+" to "+f.Path, func(tx wtx) error {
		if oldPath != f.Path {
			if err := s.deleteFileTx(f.Source, oldPath); err != nil {
				return err
			}
		}
		return s.putFileTx(pf)
	}, func(x *memIndex) {
		x.removeFile(fileKey{f.Source, oldPath})
		x.replaceFile(fileKey{f.Source, f.Path}, pf.docs())
	})
}

// Files lists what is stored for a source, by path.
func (s *Store) Files(ctx context.Context, source string) (map[string]codectx.FileState, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT path, blob_hash, skip FROM files WHERE source = ?`, source)
	if err != nil {
		return nil, fmt.Errorf("listing files of %s: %w", source, err)
	}
	defer rows.Close()
	out := make(map[string]codectx.FileState)
	for rows.Next() {
		var p string
		var st codectx.FileState
		if err := rows.Scan(&p, &st.BlobHash, &st.Skip); err != nil {
			return nil, fmt.Errorf("listing files of %s: %w", source, err)
		}
		out[p] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing files of %s: %w", source, err)
	}
	return out, nil
}

// SourceState returns the sync state of a source (the zero value for an unknown source).
func (s *Store) SourceState(ctx context.Context, source string) (codectx.SourceState, error) {
	if s.closed.Load() {
		return codectx.SourceState{}, ErrClosed
	}
	var st codectx.SourceState
	err := s.rdb.QueryRowContext(ctx, `SELECT cursor, pending, ref FROM sources WHERE name = ?`, source).Scan(&st.Cursor, &st.Pending, &st.Ref)
	if errors.Is(err, sql.ErrNoRows) {
		return codectx.SourceState{}, nil
	}
	if err != nil {
		return codectx.SourceState{}, fmt.Errorf("reading state of %s: %w", source, err)
	}
	return st, nil
}

// SetSourceState records the sync state of a source.
func (s *Store) SetSourceState(ctx context.Context, source string, st codectx.SourceState) error {
	return s.write(ctx, "setting state of "+source, func(tx wtx) error {
		_, err := tx.Exec(`INSERT INTO sources (name, cursor, pending, ref) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET cursor = excluded.cursor, pending = excluded.pending, ref = excluded.ref`,
			source, st.Cursor, st.Pending, st.Ref)
		return err
	}, nil)
}

// DropSource removes every file, chunk and symbol of a source and its state. Its runs stay.
func (s *Store) DropSource(ctx context.Context, source string) error {
	return s.write(ctx, "dropping source "+source, func(tx wtx) error {
		for _, q := range []string{
			`DELETE FROM files WHERE source = ?`,
			`DELETE FROM sources WHERE name = ?`,
		} {
			if _, err := tx.Exec(q, source); err != nil {
				return err
			}
		}
		return nil
	}, func(x *memIndex) { x.removeSource(source) })
}

// Sources lists the sources that have state or files, sorted.
func (s *Store) Sources(ctx context.Context) ([]string, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT name FROM sources UNION SELECT DISTINCT source FROM files ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("listing sources: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("listing sources: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// PutRun records a sync run. Writing a run with the same ID again replaces it.
func (s *Store) PutRun(ctx context.Context, r codectx.Run) error {
	if r.ID == "" {
		return codectx.Permanent(errors.New("putting run: empty id"))
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding run %s: %w", r.ID, err)
	}
	return s.write(ctx, "putting run "+r.ID, func(tx wtx) error {
		_, err := tx.Exec(`INSERT INTO runs (id, source, started_at, json) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET source = excluded.source, started_at = excluded.started_at, json = excluded.json`,
			r.ID, r.Source, r.StartedAt, string(b))
		return err
	}, nil)
}

// Runs returns the latest runs of a source (of every source when source is ""), newest first.
// limit <= 0 means no limit.
func (s *Store) Runs(ctx context.Context, source string, limit int) ([]codectx.Run, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if limit <= 0 {
		limit = -1
	}
	q := `SELECT json FROM runs WHERE source = ? ORDER BY started_at DESC, id DESC LIMIT ?`
	args := []any{source, limit}
	if source == "" {
		q = `SELECT json FROM runs ORDER BY started_at DESC, id DESC LIMIT ?`
		args = args[1:]
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", err)
	}
	defer rows.Close()
	var out []codectx.Run
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("listing runs: %w", err)
		}
		var r codectx.Run
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("decoding run: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// PutDeadLetter records an event set aside. Writing one with the same ID again replaces it.
func (s *Store) PutDeadLetter(ctx context.Context, d codectx.DeadLetter) error {
	if d.ID == "" {
		return codectx.Permanent(errors.New("putting dead letter: empty id"))
	}
	return s.write(ctx, "putting dead letter "+d.ID, func(tx wtx) error {
		_, err := tx.Exec(`INSERT INTO dead_letters (id, topic, payload, error, at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET topic = excluded.topic, payload = excluded.payload, error = excluded.error, at = excluded.at`,
			d.ID, d.Topic, d.Payload, d.Error, d.At)
		return err
	}, nil)
}

// DeadLetters returns the latest dead letters, newest first. limit <= 0 means no limit.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]codectx.DeadLetter, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, topic, payload, error, at FROM dead_letters ORDER BY at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("listing dead letters: %w", err)
	}
	defer rows.Close()
	var out []codectx.DeadLetter
	for rows.Next() {
		var d codectx.DeadLetter
		if err := rows.Scan(&d.ID, &d.Topic, &d.Payload, &d.Error, &d.At); err != nil {
			return nil, fmt.Errorf("listing dead letters: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Lexical returns the k best chunks under BM25 (k1 1.2, b 0.75) for the query terms.
func (s *Store) Lexical(ctx context.Context, terms []codectx.QueryTerm, f codectx.SearchFilter, k int) ([]codectx.Hit, error) {
	if err := s.queryable(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.idx.lexical(terms, f, k), nil
}

// Definitions returns chunks defining any of names, at most limit of them: in the order of
// names, then by source, path and line.
func (s *Store) Definitions(ctx context.Context, names []string, f codectx.SearchFilter, limit int) ([]codectx.Hit, error) {
	if err := s.queryable(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.idx.definitions(names, f, limit), nil
}

// Scope ranks the definitions in the files directly inside dir (see codectx.Index.Scope).
func (s *Store) Scope(ctx context.Context, dir string, clues codectx.ScopeClues, f codectx.SearchFilter, limit int) ([]codectx.Hit, error) {
	if err := s.queryable(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.idx.scope(dir, clues, f, limit), nil
}

// queryable reports whether the in-memory index can answer queries.
func (s *Store) queryable() error {
	if s.closed.Load() {
		return ErrClosed
	}
	if s.noIndex {
		return ErrIndexNotLoaded
	}
	return nil
}

func (s *Store) memStats() codectx.IndexStats {
	x := s.idx
	x.mu.RLock()
	defer x.mu.RUnlock()
	return codectx.IndexStats{Chunks: x.live, Symbols: x.nsyms, Bytes: x.bytes}
}

// Stats reports the index's size. Bytes is the total size of the chunk bodies.
func (s *Store) Stats(ctx context.Context) (codectx.IndexStats, error) {
	if err := s.queryable(); err != nil {
		return codectx.IndexStats{}, err
	}
	st := s.memStats()
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM files`).Scan(&st.Files); err != nil {
		return st, fmt.Errorf("counting files: %w", err)
	}
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT name FROM sources UNION SELECT DISTINCT source FROM files)`).Scan(&st.Sources); err != nil {
		return st, fmt.Errorf("counting sources: %w", err)
	}
	return st, nil
}

// Chunks returns every chunk of a source from the catalog, bodies and symbols included,
// sorted by path and start line.
func (s *Store) Chunks(ctx context.Context, source string) ([]codectx.Chunk, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT path, language, chunks, bodies FROM files WHERE source = ?`, source)
	if err != nil {
		return nil, fmt.Errorf("listing chunks of %s: %w", source, err)
	}
	defer rows.Close()
	in := newInterner()
	var out []codectx.Chunk
	for rows.Next() {
		var path, bodies string
		var lang []byte
		var blob sql.RawBytes
		if err := rows.Scan(&path, &lang, &blob, &bodies); err != nil {
			return nil, fmt.Errorf("listing chunks of %s: %w", source, err)
		}
		r, err := newChunkReader(blob, bodies, in.get(lang), in.get)
		if err != nil {
			return nil, fmt.Errorf("listing chunks of %s/%s: %w", source, path, err)
		}
		for {
			c := codectx.Chunk{Source: source, Path: path}
			if _, ok := r.next(&c, nil); !ok {
				break
			}
			out = append(out, c)
		}
		if r.err != nil {
			return nil, fmt.Errorf("listing chunks of %s/%s: %w", source, path, r.err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing chunks of %s: %w", source, err)
	}
	slices.SortFunc(out, func(a, b codectx.Chunk) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		if a.StartLine != b.StartLine {
			return cmp.Compare(a.StartLine, b.StartLine)
		}
		if a.EndLine != b.EndLine {
			return cmp.Compare(a.EndLine, b.EndLine)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// ChunkByID returns one chunk; the error wraps codectx.ErrNotFound for an unknown id.
func (s *Store) ChunkByID(ctx context.Context, id string) (codectx.Chunk, error) {
	if err := s.queryable(); err != nil {
		return codectx.Chunk{}, err
	}
	c, ok := s.idx.chunkByID(id)
	if !ok {
		return codectx.Chunk{}, fmt.Errorf("chunk %s: %w", id, codectx.ErrNotFound)
	}
	return c, nil
}

// SizeOnDisk returns the bytes used by the catalog files (database, WAL and shared memory).
func (s *Store) SizeOnDisk() (int64, error) {
	var total int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		fi, err := os.Stat(s.path + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("size of %s: %w", s.path+suffix, err)
		}
		total += fi.Size()
	}
	return total, nil
}
