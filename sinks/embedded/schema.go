package embedded

// schemaVersion is the catalog schema this code reads and writes. Open refuses a database with a
// newer version, and upgrades an older one through migrations.
const schemaVersion = 1

// schemaV1 creates the catalog. Chunk bodies and encoded terms live in chunks; the lexical
// index and the symbol table are rebuilt in memory from chunks and symbols on Open.
const schemaV1 = `
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
	source    TEXT NOT NULL,
	path      TEXT NOT NULL,
	blob_hash TEXT NOT NULL,
	language  TEXT NOT NULL,
	size      INTEGER NOT NULL,
	skip      TEXT NOT NULL,
	PRIMARY KEY (source, path)
) WITHOUT ROWID;

CREATE TABLE chunks (
	rowid        INTEGER PRIMARY KEY,
	id           TEXT NOT NULL,
	source       TEXT NOT NULL,
	path         TEXT NOT NULL,
	language     TEXT NOT NULL,
	start_line   INTEGER NOT NULL,
	end_line     INTEGER NOT NULL,
	content_hash TEXT NOT NULL,
	body         TEXT NOT NULL,
	terms        BLOB NOT NULL,
	length       INTEGER NOT NULL,
	FOREIGN KEY (source, path) REFERENCES files (source, path)
);
CREATE INDEX chunks_file ON chunks (source, path);

CREATE TABLE symbols (
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	source     TEXT NOT NULL,
	path       TEXT NOT NULL,
	chunk_id   TEXT NOT NULL,
	start_line INTEGER NOT NULL,
	end_line   INTEGER NOT NULL,
	FOREIGN KEY (source, path) REFERENCES files (source, path)
);
CREATE INDEX symbols_file ON symbols (source, path);

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
