package embedded

// schemaVersion is the catalog schema this code reads and writes. Open refuses a database with
// another version: a newer one needs a newer codectx, an older one must be deleted and indexed
// again (version 1 kept one row per chunk and per symbol).
const schemaVersion = 2

// schemaV2 creates the catalog. Each file is one row: its chunks' metadata, terms and symbols
// are one compact blob (see blob.go), and their bodies one text, so that writing a file is one
// statement and loading the index reads one row per file. The lexical index and the symbol
// table are rebuilt in memory from these rows on Open.
//
// The big columns come last so that listing files reads no overflow pages.
const schemaV2 = `
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sources (
	name    TEXT PRIMARY KEY,
	cursor  TEXT NOT NULL DEFAULT '',
	pending TEXT NOT NULL DEFAULT '',
	ref     TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE files (
	id        INTEGER PRIMARY KEY,
	source    TEXT NOT NULL,
	path      TEXT NOT NULL,
	blob_hash TEXT NOT NULL,
	language  TEXT NOT NULL,
	size      INTEGER NOT NULL,
	skip      TEXT NOT NULL,
	chunks    BLOB NOT NULL,
	bodies    TEXT NOT NULL
);
CREATE UNIQUE INDEX files_key ON files (source, path);

CREATE TABLE runs (
	id         TEXT PRIMARY KEY,
	source     TEXT NOT NULL,
	started_at INTEGER NOT NULL,
	json       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX runs_source ON runs (source, started_at);
CREATE INDEX runs_started ON runs (started_at);

CREATE TABLE dead_letters (
	id      TEXT PRIMARY KEY,
	topic   TEXT NOT NULL,
	payload TEXT NOT NULL,
	error   TEXT NOT NULL,
	at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX dead_letters_at ON dead_letters (at);
`

// usageSchema holds the API tokens and the completion usage the server records. Its tables are
// additive, so they are created if missing in a new catalog and in any version-2 catalog alike,
// without a version bump: an older codectx opening the catalog ignores tables it does not know.
//
// Times are unix milliseconds; day is the UTC day ("2006-01-02") the acceptance report groups
// by. The indexes on at cover the report's queries, which select a period of completions and of
// events and join events to completions by id.
const usageSchema = `
CREATE TABLE IF NOT EXISTS tokens (
	name       TEXT PRIMARY KEY,
	hash       TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS completions (
	id       TEXT PRIMARY KEY,
	at       INTEGER NOT NULL,
	day      TEXT NOT NULL,
	language TEXT NOT NULL,
	user     TEXT NOT NULL,
	snippets INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS completions_at ON completions (at, day, language);

CREATE TABLE IF NOT EXISTS events (
	at            INTEGER NOT NULL,
	day           TEXT NOT NULL,
	type          TEXT NOT NULL,
	completion_id TEXT NOT NULL,
	choice_index  INTEGER NOT NULL,
	view_id       TEXT NOT NULL,
	elapsed       INTEGER NOT NULL,
	select_kind   TEXT NOT NULL,
	user          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_at ON events (at, completion_id, type, day);
`
