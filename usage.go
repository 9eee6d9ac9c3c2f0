package codectx

import (
	"context"
	"errors"
	"time"
)

// ErrExists is returned when creating something under a name already in use.
var ErrExists = errors.New("already exists")

// Token is an API token of the completion server. Only a hash of the secret is ever stored.
type Token struct {
	Name      string    `json:"name"`
	Hash      string    `json:"hash"` // hex SHA-256 of the secret
	CreatedAt time.Time `json:"created_at"`
}

// Tokens keeps the API tokens.
type Tokens interface {
	// CreateToken stores a new token. A name or hash already in use is an error wrapping
	// ErrExists.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash finds a token by the hash of its secret; ErrNotFound when there is none.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// ListTokens lists every token, oldest first.
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken deletes a token by name; ErrNotFound when there is none.
	RevokeToken(ctx context.Context, name string) error
}

// CompletionRecord is what the server remembers of one completion it served, so that later
// events (views, selects) can be attributed to a language and a day.
type CompletionRecord struct {
	ID       string    `json:"id"` // "cmpl-..."
	At       time.Time `json:"at"`
	Language string    `json:"language"`
	User     string    `json:"user,omitempty"` // token name, or "" without auth
	// Snippets counts the context snippets that went into the prompt.
	Snippets int `json:"snippets"`
}

// Event types sent by editor clients to /v1/events.
const (
	EventView    = "view"
	EventSelect  = "select"
	EventDismiss = "dismiss"
)

// CompletionEvent is one event about a completion that an editor reported.
type CompletionEvent struct {
	At           time.Time `json:"at"`
	Type         string    `json:"type"` // EventView, EventSelect or EventDismiss
	CompletionID string    `json:"completion_id"`
	ChoiceIndex  int       `json:"choice_index"`
	ViewID       string    `json:"view_id,omitempty"`
	Elapsed      int       `json:"elapsed,omitempty"` // milliseconds, as the client reports it
	SelectKind   string    `json:"select_kind,omitempty"`
	User         string    `json:"user,omitempty"`
}

// AcceptanceRow is one line of the acceptance report: one day (UTC, "2006-01-02") and
// language. A completion counts as viewed (selected, dismissed) when at least one such event
// names it.
type AcceptanceRow struct {
	Day         string `json:"day"`
	Language    string `json:"language"`
	Completions int    `json:"completions"`
	Views       int    `json:"views"`
	Selects     int    `json:"selects"`
	Dismisses   int    `json:"dismisses"`
}

// Rate is the acceptance rate: selected completions over viewed ones (0 with no views).
func (r AcceptanceRow) Rate() float64 {
	if r.Views == 0 {
		return 0
	}
	return float64(r.Selects) / float64(r.Views)
}

// Usage records served completions and the events editors report about them.
type Usage interface {
	RecordCompletion(ctx context.Context, c CompletionRecord) error
	// RecordEvent stores an event. Events naming an unknown completion are kept too (the
	// server may have restarted on another data dir); they count under language "unknown".
	// A Type other than EventView, EventSelect or EventDismiss is an error.
	RecordEvent(ctx context.Context, e CompletionEvent) error
	// Acceptance reports completions and events since a time, by day and language, newest day
	// first, then by language. An event counts on the day and under the language of its
	// completion, and only when that completion is since the time; an event about an unknown
	// completion counts on its own day, when it is since the time.
	Acceptance(ctx context.Context, since time.Time) ([]AcceptanceRow, error)
}
