package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/codectx/codectx"
)

// TestFileBlobRoundTrip encodes files' chunks and decodes them back: ids and hashes in both
// the packed (hex) and the plain form, a chunk in another language, symbols, lines before the
// chunk's start, and no terms.
func TestFileBlobRoundTrip(t *testing.T) {
	hexID := codectx.ChunkID("s", "a.go", 1, 3, codectx.ContentHash([]byte("x")))
	tests := []struct {
		name   string
		lang   string
		chunks []codectx.Chunk
		terms  [][]codectx.Term
	}{
		{name: "empty", lang: codectx.LangGo},
		{
			name: "mixed",
			lang: codectx.LangMarkdown,
			chunks: []codectx.Chunk{
				{ID: hexID, ContentHash: codectx.ContentHash([]byte("x")), Language: codectx.LangMarkdown, StartLine: 1, EndLine: 3, Body: "# x\n\nhello"},
				{ID: "custom-id", ContentHash: "NOT-HEX", Language: codectx.LangGo, StartLine: 10, EndLine: 12, Body: "func F() {}\n",
					Symbols: []codectx.Symbol{{Name: "F", Kind: "function", StartLine: 10, EndLine: 12}, {Name: "G", Kind: "method", StartLine: 4, EndLine: 4}}},
				{ID: strings.ToUpper(hexID), ContentHash: "", Language: codectx.LangMarkdown, StartLine: 0, EndLine: 0, Body: ""},
			},
			terms: [][]codectx.Term{{{Token: "hello", Freq: 1}, {Token: "x", Freq: 2}}, {{Token: "f", Freq: 1}, {Token: "func", Freq: 1}}, nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pcs []preparedChunk
			var bodies strings.Builder
			for i := range tt.chunks {
				pcs = append(pcs, preparedChunk{chunk: &tt.chunks[i], terms: tt.terms[i], length: 7 * i})
				bodies.WriteString(tt.chunks[i].Body)
			}
			blob := appendFileChunks(nil, tt.lang, pcs)
			r, err := newChunkReader(blob, bodies.String(), tt.lang, newInterner().get)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; ; i++ {
				var c codectx.Chunk
				var terms []codectx.Term
				length, ok := r.next(&c, func(tok []byte, f uint32) { terms = append(terms, codectx.Term{Token: string(tok), Freq: f}) })
				if !ok {
					if r.err != nil {
						t.Fatal(r.err)
					}
					if i != len(tt.chunks) {
						t.Fatalf("decoded %d chunks, want %d", i, len(tt.chunks))
					}
					break
				}
				want := tt.chunks[i]
				if c.ID != want.ID || c.ContentHash != want.ContentHash || c.Language != want.Language || c.StartLine != want.StartLine ||
					c.EndLine != want.EndLine || c.Body != want.Body || !slices.Equal(c.Symbols, want.Symbols) {
					t.Errorf("chunk %d = %+v, want %+v", i, c, want)
				}
				if length != 7*i || !slices.Equal(terms, tt.terms[i]) {
					t.Errorf("chunk %d: length %d terms %v, want %d %v", i, length, terms, 7*i, tt.terms[i])
				}
			}
			// Every truncation is an error, never a panic or a silent short read.
			for n := 1; n < len(blob); n++ {
				r, err := newChunkReader(blob[:n], bodies.String(), tt.lang, newInterner().get)
				if err != nil {
					continue
				}
				var c codectx.Chunk
				for {
					if _, ok := r.next(&c, nil); !ok {
						break
					}
				}
				if r.err == nil {
					t.Fatalf("blob truncated to %d of %d bytes decoded without an error", n, len(blob))
				}
			}
		})
	}
}

// TestRefusesOlderSchema opens a catalog in the version 1 layout (one row per chunk) and
// expects an error that tells the user to delete the data directory.
func TestRefusesOlderSchema(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`,
		`INSERT INTO meta VALUES ('schema_version', '1')`,
		`CREATE TABLE chunks (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, body TEXT NOT NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	_, err = Open(context.Background(), dir, nil)
	if !errors.Is(err, ErrSchemaTooOld) || !strings.Contains(err.Error(), "delete the data dir "+dir) {
		t.Fatalf("Open of a version 1 catalog = %v, want ErrSchemaTooOld naming %s", err, dir)
	}
}

// TestFailingWriteInBatch makes one call of a group commit fail and checks that the others
// commit: the batch is retried with a savepoint per call.
func TestFailingWriteInBatch(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	files := corpusFilesN(3)
	var reqs []*writeReq
	for i, f := range files {
		pf, err := s.prepare(&f)
		if err != nil {
			t.Fatal(err)
		}
		fn := func(tx wtx) error { return s.putFileTx(pf) }
		if i == 1 {
			fn = func(tx wtx) error {
				if err := s.putFileTx(pf); err != nil {
					return err
				}
				_, err := tx.Exec(`INSERT INTO no_such_table VALUES (1)`)
				return err
			}
		}
		key := fileKey{f.Source, f.Path}
		reqs = append(reqs, &writeReq{what: fmt.Sprint("file ", i), fn: fn, apply: func(x *memIndex) { x.replaceFile(key, pf.docs()) }})
	}
	s.wmu.Lock()
	s.commit(reqs)
	s.wmu.Unlock()
	for i, r := range reqs {
		if (r.err != nil) != (i == 1) {
			t.Errorf("request %d: err %v", i, r.err)
		}
	}
	for i, f := range files {
		stored, err := s.Files(ctx, f.Source)
		if err != nil {
			t.Fatal(err)
		}
		_, ok := stored[f.Path]
		hits, _ := s.Definitions(ctx, []string{f.Chunks[0].Symbols[0].Name}, codectx.SearchFilter{}, 10)
		if ok != (i != 1) || (len(hits) > 0) != (i != 1) {
			t.Errorf("file %d: stored %v, %d definitions", i, ok, len(hits))
		}
	}
}

func corpusFilesN(n int) []codectx.File {
	var out []codectx.File
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("Batch%d", i)
		c := codectx.Chunk{StartLine: 1, EndLine: 1, Body: "func " + name + "() {}", Symbols: []codectx.Symbol{{Name: name, Kind: "function", StartLine: 1, EndLine: 1}}}
		out = append(out, codectx.File{Source: "s", Path: fmt.Sprintf("f%d.go", i), Language: codectx.LangGo, BlobHash: name,
			Chunks: []codectx.IndexedChunk{{Chunk: c, Terms: []codectx.Term{{Token: strings.ToLower(name), Freq: 1}}, Length: 1}}})
	}
	return out
}
