// Package codectx holds the domain types of the codectx code-context engine and the small
// interfaces its parts meet through: sources emit Changes, chunkers turn file content into
// Chunks, stores keep them, and the retrieval service queries them.
//
// This package imports only the standard library. Implementations live in sources/, chunkers/,
// embedders/, sinks/ and serve/, and are wired together in cmd/codectx.
package codectx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// Op is what happened to a file.
type Op string

const (
	OpUpsert Op = "upsert"
	OpDelete Op = "delete"
	// OpRename moves OldPath to Path. The content at Path may differ from the old content.
	OpRename Op = "rename"
)

// Change is one changed file or page of a source, as emitted by a sync.
type Change struct {
	Source   string `json:"source"`
	Version  string `json:"version,omitempty"` // commit id, or "" for sources without versions
	Path     string `json:"path"`
	OldPath  string `json:"old_path,omitempty"` // set on OpRename
	BlobHash string `json:"blob_hash,omitempty"`
	Language string `json:"language,omitempty"`
	Op       Op     `json:"op"`
}

// Symbol is a definition found in a chunk.
type Symbol struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"` // function, method, type, class, interface, struct, enum, const, var, module, heading
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
}

// Chunk is a contiguous span of a file, the unit of indexing and retrieval.
// Lines are 1-based and inclusive.
type Chunk struct {
	ID          string   `json:"id"`
	Source      string   `json:"source"`
	Path        string   `json:"path"`
	Language    string   `json:"language"`
	StartLine   int      `json:"start_line"`
	EndLine     int      `json:"end_line"`
	Body        string   `json:"body"`
	ContentHash string   `json:"content_hash"`
	Symbols     []Symbol `json:"symbols,omitempty"`
}

// ContentHash returns the hex SHA-256 of b, the content hash used for chunks.
func ContentHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:16])
}

// ChunkID derives a chunk's id from what identifies it: the same chunk of the same file always
// gets the same id, so writing it twice is harmless.
func ChunkID(source, path string, startLine, endLine int, contentHash string) string {
	h := sha256.New()
	for _, p := range []string{source, path, strconv.Itoa(startLine), strconv.Itoa(endLine), contentHash} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Chunker splits one file into chunks. Implementations are pure functions of their input: the
// same (path, language, content) always gives the same chunks. They fill every Chunk field but
// ID and Source, which the caller sets. An error means the content cannot be chunked at all.
type Chunker interface {
	Chunk(path, language string, content []byte) ([]Chunk, error)
}

// Term is one entry of a lexical (sparse) vector: a token and how often it occurs.
type Term struct {
	Token string `json:"t"`
	Freq  uint32 `json:"f"`
}

// IndexedChunk is a chunk with its lexical vector, ready for a store.
type IndexedChunk struct {
	Chunk
	Terms  []Term // sorted by Token, each Token once
	Length int    // number of tokens, for BM25 length normalisation
}

// File is everything a store keeps for one file of a source.
type File struct {
	Source   string
	Path     string
	BlobHash string
	Language string
	Size     int64
	// Skip is the reason the file was not indexed ("" when it was). A skipped file is still
	// recorded, so that an unchanged skipped file is not looked at again.
	Skip   string
	Chunks []IndexedChunk
}

// FileState is what a store knows of an indexed file.
type FileState struct {
	BlobHash string
	Skip     string
}

// SourceState is the durable sync state of a source.
type SourceState struct {
	// Cursor is the version whose every change has been handled durably ("" before the first
	// completed sync).
	Cursor string
	// Pending is the version a sync started towards but did not finish. When it is set at the
	// start of a sync, the previous one was interrupted and the source must reconcile against
	// the store's file list instead of trusting Cursor.
	Pending string
	// Ref is the branch or ref the cursor belongs to.
	Ref string
}

// Run is the record of one sync.
type Run struct {
	ID         string         `json:"id"`
	Source     string         `json:"source"`
	Reason     string         `json:"reason"`
	From       string         `json:"from"`
	To         string         `json:"to"`
	StartedAt  int64          `json:"started_at"` // unix milliseconds
	FinishedAt int64          `json:"finished_at"`
	Upserts    int            `json:"upserts"`
	Deletes    int            `json:"deletes"`
	Chunks     int            `json:"chunks"`
	Bytes      int64          `json:"bytes"`
	Failed     int            `json:"failed"`
	Skipped    map[string]int `json:"skipped,omitempty"` // by reason
	Error      string         `json:"error,omitempty"`
}

// DeadLetter is an event that could not be handled and was set aside.
type DeadLetter struct {
	ID      string `json:"id"`
	Topic   string `json:"topic"`
	Payload string `json:"payload"`
	Error   string `json:"error"`
	At      int64  `json:"at"` // unix milliseconds
}

// Store is the durable side of the index: the catalog plus what the retrieval service reads.
// Every write is idempotent and atomic per call, so that at-least-once delivery is safe and a
// crash leaves either the old or the new state of a file, never a mix.
type Store interface {
	// PutFile replaces everything stored for (f.Source, f.Path) with f.
	PutFile(ctx context.Context, f File) error
	// DeleteFile removes a file and its chunks. Deleting an unknown file is not an error.
	DeleteFile(ctx context.Context, source, path string) error
	// RenameFile removes oldPath and stores f, in one transaction.
	RenameFile(ctx context.Context, oldPath string, f File) error
	// Files lists what is stored for a source, by path.
	Files(ctx context.Context, source string) (map[string]FileState, error)
	// SourceState returns the sync state of a source (zero value for an unknown source).
	SourceState(ctx context.Context, source string) (SourceState, error)
	SetSourceState(ctx context.Context, source string, st SourceState) error
	// DropSource removes every file and chunk of a source and its state.
	DropSource(ctx context.Context, source string) error
	// Sources lists the sources that have state or files in the store.
	Sources(ctx context.Context) ([]string, error)
	PutRun(ctx context.Context, r Run) error
	Runs(ctx context.Context, source string, limit int) ([]Run, error)
	PutDeadLetter(ctx context.Context, d DeadLetter) error
	DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error)
	Close() error
}

// SearchFilter restricts a search.
type SearchFilter struct {
	Sources []string // empty: every source
	// Families restricts results to these language families (see LanguageFamily). Empty: all.
	// Documents (markdown, text) always pass.
	Families []string
	// Exclude drops one file from the results.
	ExcludeSource, ExcludePath string
	// Near is a path whose directory is preferred where a limit cuts results (usually the
	// cursor's file).
	Near string
	// Path, when set, keeps only this file (of each source searched).
	Path string
	// Dir, when set, keeps only the files directly inside this directory ("." is the top
	// level), of each source searched.
	Dir string
	// NoTests leaves out test files (IsTestPath): code outside tests cannot use what they
	// define.
	NoTests bool
}

// QueryTerm is a token of a lexical query with its weight in the query.
type QueryTerm struct {
	Token  string
	Weight float64
}

// Hit is a chunk found by a search, with its score under that search. A hit may share memory
// with the index that returned it (Chunk.Symbols, Symbol): callers read it and do not modify
// it.
type Hit struct {
	Chunk
	Score float64
	// Symbol is set for definition hits: the definition that matched.
	Symbol *Symbol
}

// Index answers the retrieval service's queries. Methods are safe for concurrent use and see
// every write that returned before the call.
type Index interface {
	// Definitions returns the chunks defining each of names: for every name at most limit
	// definitions, those in the directory of f.Near first. A name defined in very many places
	// (an implementation's threshold, such as 64) may return only the definitions in f.Near's
	// directory. Hits carry the matching Symbol; their Chunk.Symbols may be left empty.
	Definitions(ctx context.Context, names []string, f SearchFilter, limit int) ([]Hit, error)
	// Lexical returns the k best chunks under BM25 for the query terms.
	Lexical(ctx context.Context, terms []QueryTerm, f SearchFilter, k int) ([]Hit, error)
	// Scope returns the limit best definitions in the files directly inside dir (a package or
	// module folder: what code there can use without importing), leaving out clues.Skip,
	// ranked by ScopeScore (ties by source, path and line). An implementation may bound its
	// work per query and then consider only the definitions that share the rarest clues. Hits
	// carry the matching Symbol and the score, and span only the definition's first line (its
	// header).
	Scope(ctx context.Context, dir string, clues ScopeClues, f SearchFilter, limit int) ([]Hit, error)
	// File returns the chunks of one indexed file in line order, or none when the index does
	// not hold it.
	File(ctx context.Context, source, path string) ([]Chunk, error)
	// Stats reports the index's size.
	Stats(ctx context.Context) (IndexStats, error)
}

// IndexStats reports the size of an index.
type IndexStats struct {
	Sources int   `json:"sources"`
	Files   int   `json:"files"`
	Chunks  int   `json:"chunks"`
	Symbols int   `json:"symbols"`
	Bytes   int64 `json:"bytes"`
}

// SkipError reports that a file was deliberately not indexed, and why. It is not a failure.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip reasons, as counted in sync summaries.
const (
	SkipBinary     = "binary"
	SkipTooLarge   = "too_large"
	SkipMinified   = "minified"
	SkipVendored   = "vendored"
	SkipLockFile   = "lock_file"
	SkipSubmodule  = "submodule"
	SkipSecret     = "secret"
	SkipExcluded   = "excluded"
	SkipSymlink    = "symlink"
	SkipUnreadable = "unreadable"
	SkipEmpty      = "empty"
)

// ErrPermanent marks errors that retrying cannot fix: the event goes to the dead-letter topic.
var ErrPermanent = errors.New("permanent")

// Permanent wraps err so that errors.Is(err, ErrPermanent) holds.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// ErrNotFound is returned for unknown sources and similar look-ups.
var ErrNotFound = errors.New("not found")

// Source is a place codectx indexes: a git repository or a folder of documents.
type Source interface {
	// Name identifies the source in the store and the API.
	Name() string
	// Tip resolves the version to index now, fetching from a remote first where there is one.
	// Sources without versions return a stable token of their current state or "".
	Tip(ctx context.Context) (string, error)
	// Changes emits, in any order, the changes that turn the indexed state into the state at
	// version to. from is the cursor (a version an earlier Tip returned) or "" when there is
	// none. When from is "" or cannot be used (a rewritten history, an interrupted sync), the
	// source reconciles: it compares the full state at to with known and emits the difference.
	// An error from emit stops the walk and is returned. emit may wait until earlier changes
	// have been handled, and Read is called for them meanwhile: Changes must not hold anything
	// Read needs while it calls emit.
	Changes(ctx context.Context, from, to string, known map[string]FileState, emit func(Change) error) error
	// Read returns a changed file's content. It returns a *SkipError when the file is filtered
	// out (binary, too large, minified, ...), and an error wrapping ErrPermanent when the content
	// cannot be read and retrying will not help.
	Read(ctx context.Context, c Change) ([]byte, error)
	Close() error
}
