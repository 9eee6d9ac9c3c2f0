package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/codectx/codectx"
)

// Statements prepared on the writer connection, since the server runs them on every
// completion and event.
const (
	putCompletionSQL = `INSERT INTO completions (id, at, day, language, user, snippets) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET at = excluded.at, day = excluded.day, language = excluded.language,
		user = excluded.user, snippets = excluded.snippets`
	putEventSQL = `INSERT INTO events (at, day, type, completion_id, choice_index, view_id, elapsed, select_kind, user)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// unknownLanguage is the language of events whose completion is not recorded, and of
// completions recorded without one.
const unknownLanguage = "unknown"

// QueryRow runs a query in the write transaction.
func (t wtx) QueryRow(query string, args ...any) *sql.Row {
	return t.c.QueryRowContext(context.Background(), query, args...)
}

// day is the UTC day of t, as the acceptance report groups it.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// CreateToken stores a new token. A name or hash already in use is an error wrapping
// codectx.ErrExists.
func (s *Store) CreateToken(ctx context.Context, t codectx.Token) error {
	if t.Name == "" || t.Hash == "" {
		return fmt.Errorf("creating token: name and hash are required (name %q)", t.Name)
	}
	return s.write(ctx, "creating token", func(tx wtx) error {
		var name string
		err := tx.QueryRow(`SELECT name FROM tokens WHERE name = ? OR hash = ?`, t.Name, t.Hash).Scan(&name)
		switch {
		case err == nil && name == t.Name:
			return fmt.Errorf("a token named %q %w", t.Name, codectx.ErrExists)
		case err == nil:
			return fmt.Errorf("token %q has the same secret: %w", name, codectx.ErrExists)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.Exec(`INSERT INTO tokens (name, hash, created_at) VALUES (?, ?, ?)`, t.Name, t.Hash, t.CreatedAt.UnixMilli())
		return err
	}, nil)
}

// TokenByHash finds a token by the hash of its secret; the error wraps codectx.ErrNotFound
// when there is none.
func (s *Store) TokenByHash(ctx context.Context, hash string) (codectx.Token, error) {
	if s.closed.Load() {
		return codectx.Token{}, ErrClosed
	}
	t := codectx.Token{Hash: hash}
	var ms int64
	err := s.rdb.QueryRowContext(ctx, `SELECT name, created_at FROM tokens WHERE hash = ?`, hash).Scan(&t.Name, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return codectx.Token{}, fmt.Errorf("token: %w", codectx.ErrNotFound)
	}
	if err != nil {
		return codectx.Token{}, fmt.Errorf("looking up token: %w", err)
	}
	t.CreatedAt = time.UnixMilli(ms).UTC()
	return t, nil
}

// ListTokens lists every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]codectx.Token, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT name, hash, created_at FROM tokens ORDER BY created_at, name`)
	if err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	defer rows.Close()
	var out []codectx.Token
	for rows.Next() {
		var t codectx.Token
		var ms int64
		if err := rows.Scan(&t.Name, &t.Hash, &ms); err != nil {
			return nil, fmt.Errorf("listing tokens: %w", err)
		}
		t.CreatedAt = time.UnixMilli(ms).UTC()
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing tokens: %w", err)
	}
	return out, nil
}

// RevokeToken deletes a token by name; the error wraps codectx.ErrNotFound when there is
// none.
func (s *Store) RevokeToken(ctx context.Context, name string) error {
	return s.write(ctx, "revoking token", func(tx wtx) error {
		res, err := tx.Exec(`DELETE FROM tokens WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("no token named %q: %w", name, codectx.ErrNotFound)
		}
		return nil
	}, nil)
}

// RecordCompletion records a completion the server served. Recording one with the same id
// again replaces it. A completion without a language is recorded under "unknown".
func (s *Store) RecordCompletion(ctx context.Context, c codectx.CompletionRecord) error {
	if c.ID == "" {
		return codectx.Permanent(errors.New("recording completion: empty id"))
	}
	lang := c.Language
	if lang == "" {
		lang = unknownLanguage
	}
	at := c.At.UnixMilli()
	d := day(c.At)
	return s.write(ctx, "recording completion "+c.ID, func(wtx) error {
		return run(s.stmts.putCompletion, c.ID, at, d, lang, c.User, c.Snippets)
	}, nil)
}

// RecordCompletions records several completions as RecordCompletion does, in one transaction
// when it can; a record that fails does not keep the others from being stored. It returns the
// failures, joined.
func (s *Store) RecordCompletions(ctx context.Context, cs []codectx.CompletionRecord) error {
	reqs := make([]*writeReq, 0, len(cs))
	var errs []error
	for _, c := range cs {
		if c.ID == "" {
			errs = append(errs, codectx.Permanent(errors.New("recording completion: empty id")))
			continue
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("recording completion %s: %w", c.ID, err))
			continue
		}
		lang := c.Language
		if lang == "" {
			lang = unknownLanguage
		}
		at, d, id, user, n := c.At.UnixMilli(), day(c.At), c.ID, c.User, c.Snippets
		reqs = append(reqs, &writeReq{what: "recording completion " + id, fn: func(wtx) error {
			return run(s.stmts.putCompletion, id, at, d, lang, user, n)
		}})
	}
	return s.commitBatch(reqs, errs)
}

// RecordEvent stores an event about a completion, known or not.
func (s *Store) RecordEvent(ctx context.Context, e codectx.CompletionEvent) error {
	if err := checkEvent(e); err != nil {
		return err
	}
	return s.write(ctx, "recording "+e.Type+" event of "+e.CompletionID, s.putEvent(e), nil)
}

// RecordEvents records several events as RecordEvent does, in one transaction when it can; an
// event that fails does not keep the others from being stored. It returns the failures, joined.
func (s *Store) RecordEvents(ctx context.Context, es []codectx.CompletionEvent) error {
	reqs := make([]*writeReq, 0, len(es))
	var errs []error
	for _, e := range es {
		if err := checkEvent(e); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("recording %s event of %s: %w", e.Type, e.CompletionID, err))
			continue
		}
		reqs = append(reqs, &writeReq{what: "recording " + e.Type + " event of " + e.CompletionID, fn: s.putEvent(e)})
	}
	return s.commitBatch(reqs, errs)
}

// commitBatch commits reqs in one transaction when it can and returns errs (the records
// refused before) with the writes that failed, joined.
func (s *Store) commitBatch(reqs []*writeReq, errs []error) error {
	if len(reqs) > 0 {
		s.commitQueued(reqs...)
	}
	for _, r := range reqs {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	return errors.Join(errs...)
}

func checkEvent(e codectx.CompletionEvent) error {
	switch e.Type {
	case codectx.EventView, codectx.EventSelect, codectx.EventDismiss:
	default:
		return codectx.Permanent(fmt.Errorf("recording event: unknown type %q", e.Type))
	}
	if e.CompletionID == "" {
		return codectx.Permanent(errors.New("recording event: empty completion id"))
	}
	return nil
}

// putEvent is the write that stores e.
func (s *Store) putEvent(e codectx.CompletionEvent) func(wtx) error {
	at, d := e.At.UnixMilli(), day(e.At)
	return func(wtx) error {
		return run(s.stmts.putEvent, at, d, e.Type, e.CompletionID, e.ChoiceIndex, e.ViewID, e.Elapsed, e.SelectKind, e.User)
	}
}

// acceptanceSQL counts completions and, per kind of event, the distinct completions it names,
// by day and language. An event takes its completion's day and language ("unknown" and its own
// day without one). Both the event and its completion must be since ?1: an event follows its
// completion, so the condition on the event only lets the index on events.at skip older ones.
const acceptanceSQL = `
WITH ev AS (
	SELECT coalesce(c.day, e.day) AS day, coalesce(c.language, 'unknown') AS language,
		e.type AS type, e.completion_id AS id
	FROM events e LEFT JOIN completions c ON c.id = e.completion_id
	WHERE e.at >= ?1 AND coalesce(c.at, e.at) >= ?1
), by_events AS (
	SELECT day, language,
		count(DISTINCT CASE WHEN type = 'view' THEN id END) AS views,
		count(DISTINCT CASE WHEN type = 'select' THEN id END) AS selects,
		count(DISTINCT CASE WHEN type = 'dismiss' THEN id END) AS dismisses
	FROM ev GROUP BY day, language
), by_completions AS (
	SELECT day, language, count(*) AS n FROM completions WHERE at >= ?1 GROUP BY day, language
)
SELECT day, language, sum(n), sum(views), sum(selects), sum(dismisses) FROM (
	SELECT day, language, n, 0 AS views, 0 AS selects, 0 AS dismisses FROM by_completions
	UNION ALL
	SELECT day, language, 0, views, selects, dismisses FROM by_events
) GROUP BY day, language
ORDER BY day DESC, language`

// Acceptance reports completions and events since a time, by UTC day and language, newest day
// first, then by language.
func (s *Store) Acceptance(ctx context.Context, since time.Time) ([]codectx.AcceptanceRow, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	rows, err := s.rdb.QueryContext(ctx, acceptanceSQL, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("reporting acceptance: %w", err)
	}
	defer rows.Close()
	var out []codectx.AcceptanceRow
	for rows.Next() {
		var r codectx.AcceptanceRow
		if err := rows.Scan(&r.Day, &r.Language, &r.Completions, &r.Views, &r.Selects, &r.Dismisses); err != nil {
			return nil, fmt.Errorf("reporting acceptance: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reporting acceptance: %w", err)
	}
	return out, nil
}
