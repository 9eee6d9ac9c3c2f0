package sinktest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/codectx/codectx"
)

// UsageStore is what RunUsage tests: a store of API tokens and completion usage.
type UsageStore interface {
	codectx.Tokens
	codectx.Usage
	Close() error
}

// RunUsage runs the contract suite of codectx.Tokens and codectx.Usage. open must return a new,
// empty store, and a function that opens that same store again after the suite has closed it
// (to check that what was written survives). RunUsage closes every store it gets.
func RunUsage(t *testing.T, open func(t *testing.T) (s UsageStore, reopen func(t *testing.T) UsageStore)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s UsageStore, reopen func(t *testing.T) UsageStore)
	}{
		{"Tokens", testTokens},
		{"TokenNameReusedAfterRevoke", testTokenNameReuse},
		{"AcceptanceCounting", testAcceptanceCounting},
		{"AcceptanceSince", testAcceptanceSince},
		{"AcceptanceEmpty", testAcceptanceEmpty},
		{"CompletionReplaced", testCompletionReplaced},
		{"BadEvents", testBadEvents},
		{"SurvivesReopen", testUsageReopen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, reopen := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s, reopen)
		})
	}
}

// day0 is a fixed UTC midnight the usage tests count from.
var day0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

func at(days int, hm string) time.Time {
	d, err := time.ParseDuration(hm)
	if err != nil {
		panic(err)
	}
	return day0.AddDate(0, 0, days).Add(d)
}

func createToken(t *testing.T, s codectx.Tokens, name, hash string, created time.Time) {
	t.Helper()
	if err := s.CreateToken(context.Background(), codectx.Token{Name: name, Hash: hash, CreatedAt: created}); err != nil {
		t.Fatalf("CreateToken(%s): %v", name, err)
	}
}

func tokenNames(t *testing.T, s codectx.Tokens) []string {
	t.Helper()
	ts, err := s.ListTokens(context.Background())
	if err != nil {
		t.Fatalf("ListTokens: %v", err)
	}
	names := []string{}
	for _, tk := range ts {
		names = append(names, tk.Name)
	}
	return names
}

func testTokens(t *testing.T, s UsageStore, _ func(*testing.T) UsageStore) {
	ctx := context.Background()
	if names := tokenNames(t, s); len(names) != 0 {
		t.Fatalf("new store lists tokens %v", names)
	}
	created := at(0, "9h30m")
	createToken(t, s, "laptop", "hash-laptop", created)
	createToken(t, s, "ci", "hash-ci", created.Add(time.Hour))
	createToken(t, s, "alice", "hash-alice", created.Add(2*time.Hour))

	err := s.CreateToken(ctx, codectx.Token{Name: "laptop", Hash: "hash-other", CreatedAt: created})
	if !errors.Is(err, codectx.ErrExists) {
		t.Fatalf("CreateToken with a name in use: %v, want ErrExists", err)
	}
	err = s.CreateToken(ctx, codectx.Token{Name: "other", Hash: "hash-ci", CreatedAt: created})
	if !errors.Is(err, codectx.ErrExists) {
		t.Fatalf("CreateToken with a hash in use: %v, want ErrExists", err)
	}
	if got, want := tokenNames(t, s), []string{"laptop", "ci", "alice"}; !slices.Equal(got, want) {
		t.Fatalf("ListTokens = %v, want %v (oldest first, refused ones absent)", got, want)
	}

	tk, err := s.TokenByHash(ctx, "hash-ci")
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	if tk.Name != "ci" || tk.Hash != "hash-ci" || !tk.CreatedAt.Equal(created.Add(time.Hour)) {
		t.Fatalf("TokenByHash = %+v", tk)
	}
	if _, err := s.TokenByHash(ctx, "hash-nobody"); !errors.Is(err, codectx.ErrNotFound) {
		t.Fatalf("TokenByHash of an unknown hash: %v, want ErrNotFound", err)
	}

	if err := s.RevokeToken(ctx, "ci"); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if _, err := s.TokenByHash(ctx, "hash-ci"); !errors.Is(err, codectx.ErrNotFound) {
		t.Fatalf("TokenByHash of a revoked token: %v, want ErrNotFound", err)
	}
	if err := s.RevokeToken(ctx, "ci"); !errors.Is(err, codectx.ErrNotFound) {
		t.Fatalf("revoking twice: %v, want ErrNotFound", err)
	}
	if err := s.RevokeToken(ctx, "nobody"); !errors.Is(err, codectx.ErrNotFound) {
		t.Fatalf("revoking an unknown name: %v, want ErrNotFound", err)
	}
	if got, want := tokenNames(t, s), []string{"laptop", "alice"}; !slices.Equal(got, want) {
		t.Fatalf("ListTokens after revoking = %v, want %v", got, want)
	}
	if _, err := s.TokenByHash(ctx, "hash-alice"); err != nil {
		t.Fatalf("revoking one token lost another: %v", err)
	}
}

func testTokenNameReuse(t *testing.T, s UsageStore, _ func(*testing.T) UsageStore) {
	ctx := context.Background()
	createToken(t, s, "laptop", "hash-1", at(0, "1h"))
	if err := s.RevokeToken(ctx, "laptop"); err != nil {
		t.Fatal(err)
	}
	createToken(t, s, "laptop", "hash-2", at(0, "2h"))
	if tk, err := s.TokenByHash(ctx, "hash-2"); err != nil || tk.Name != "laptop" {
		t.Fatalf("TokenByHash of the new token = %+v, %v", tk, err)
	}
	if _, err := s.TokenByHash(ctx, "hash-1"); !errors.Is(err, codectx.ErrNotFound) {
		t.Fatalf("the revoked secret still works: %v", err)
	}
}

func recordCompletion(t *testing.T, s codectx.Usage, id, lang string, when time.Time) {
	t.Helper()
	if err := s.RecordCompletion(context.Background(), codectx.CompletionRecord{ID: id, At: when, Language: lang, User: "alice", Snippets: 3}); err != nil {
		t.Fatalf("RecordCompletion(%s): %v", id, err)
	}
}

func recordEvent(t *testing.T, s codectx.Usage, typ, id string, when time.Time) {
	t.Helper()
	e := codectx.CompletionEvent{At: when, Type: typ, CompletionID: id, ViewID: "view-" + id, Elapsed: 120, User: "alice"}
	if typ == codectx.EventSelect {
		e.SelectKind = "line"
	}
	if err := s.RecordEvent(context.Background(), e); err != nil {
		t.Fatalf("RecordEvent(%s %s): %v", typ, id, err)
	}
}

func acceptance(t *testing.T, s codectx.Usage, since time.Time) []codectx.AcceptanceRow {
	t.Helper()
	rows, err := s.Acceptance(context.Background(), since)
	if err != nil {
		t.Fatalf("Acceptance(%s): %v", since, err)
	}
	return rows
}

func checkRows(t *testing.T, what string, got, want []codectx.AcceptanceRow) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// usageHistory records completions and events over three days (day0-1 .. day0+1):
//   - day0-1: cmpl-old (go), viewed on day0 (it counts on day0-1, before any since used here);
//   - day0: cmpl-a (go) viewed three times and selected, cmpl-b (go) viewed on day0 and
//     dismissed after midnight (both count on day0), cmpl-c (go) never shown, cmpl-p (python)
//     selected without a view event, cmpl-z (go) recorded in another time zone at a local time
//     on day0+1 that is still day0 in UTC;
//   - day0+1: cmpl-d (go) viewed twice; and events about cmpl-ghost, which was never recorded:
//     viewed and selected.
func usageHistory(t *testing.T, s codectx.Usage) {
	east := time.FixedZone("UTC+2", 2*3600)
	recordCompletion(t, s, "cmpl-old", "go", at(-1, "23h"))
	recordEvent(t, s, codectx.EventView, "cmpl-old", at(0, "10m"))

	recordCompletion(t, s, "cmpl-a", "go", at(0, "9h"))
	for range 3 {
		recordEvent(t, s, codectx.EventView, "cmpl-a", at(0, "9h1m"))
	}
	recordEvent(t, s, codectx.EventSelect, "cmpl-a", at(0, "9h2m"))
	recordCompletion(t, s, "cmpl-b", "go", at(0, "23h59m"))
	recordEvent(t, s, codectx.EventView, "cmpl-b", at(0, "23h59m30s"))
	recordEvent(t, s, codectx.EventDismiss, "cmpl-b", at(1, "1m"))
	recordCompletion(t, s, "cmpl-c", "go", at(0, "12h"))
	recordCompletion(t, s, "cmpl-p", "python", at(0, "14h"))
	recordEvent(t, s, codectx.EventSelect, "cmpl-p", at(0, "14h1m"))
	recordCompletion(t, s, "cmpl-z", "go", at(0, "23h").In(east)) // 01:00 on day0+1 in UTC+2

	recordCompletion(t, s, "cmpl-d", "go", at(1, "8h"))
	recordEvent(t, s, codectx.EventView, "cmpl-d", at(1, "8h1m"))
	recordEvent(t, s, codectx.EventView, "cmpl-d", at(1, "8h2m"))
	recordEvent(t, s, codectx.EventView, "cmpl-ghost", at(1, "9h"))
	recordEvent(t, s, codectx.EventSelect, "cmpl-ghost", at(1, "9h1m"))
}

func testAcceptanceCounting(t *testing.T, s UsageStore, _ func(*testing.T) UsageStore) {
	usageHistory(t, s)
	d0, d1 := day0.Format(time.DateOnly), day0.AddDate(0, 0, 1).Format(time.DateOnly)
	checkRows(t, "Acceptance since day0", acceptance(t, s, day0), []codectx.AcceptanceRow{
		{Day: d1, Language: "go", Completions: 1, Views: 1},
		{Day: d1, Language: "unknown", Views: 1, Selects: 1},
		{Day: d0, Language: "go", Completions: 4, Views: 2, Selects: 1, Dismisses: 1},
		{Day: d0, Language: "python", Completions: 1, Selects: 1},
	})
}

func testAcceptanceSince(t *testing.T, s UsageStore, _ func(*testing.T) UsageStore) {
	usageHistory(t, s)
	dm1, d0, d1 := day0.AddDate(0, 0, -1).Format(time.DateOnly), day0.Format(time.DateOnly), day0.AddDate(0, 0, 1).Format(time.DateOnly)
	// cmpl-b's dismiss event falls on day0+1 but its completion on day0: it is not counted.
	checkRows(t, "Acceptance since day0+1", acceptance(t, s, day0.AddDate(0, 0, 1)), []codectx.AcceptanceRow{
		{Day: d1, Language: "go", Completions: 1, Views: 1},
		{Day: d1, Language: "unknown", Views: 1, Selects: 1},
	})
	checkRows(t, "Acceptance since the beginning", acceptance(t, s, time.Time{}), []codectx.AcceptanceRow{
		{Day: d1, Language: "go", Completions: 1, Views: 1},
		{Day: d1, Language: "unknown", Views: 1, Selects: 1},
		{Day: d0, Language: "go", Completions: 4, Views: 2, Selects: 1, Dismisses: 1},
		{Day: d0, Language: "python", Completions: 1, Selects: 1},
		{Day: dm1, Language: "go", Completions: 1, Views: 1},
	})
	checkRows(t, "Acceptance since after everything", acceptance(t, s, day0.AddDate(0, 0, 2)), nil)
}

func testAcceptanceEmpty(t *testing.T, s UsageStore, _ func(*testing.T) UsageStore) {
	checkRows(t, "Acceptance of an empty store", acceptance(t, s, time.Time{}), nil)
}

func testCompletionReplaced(t *testing.T, s UsageStore, _ func(*testing.T) UsageStore) {
	// The same completion recorded again (a retried write) is one completion, with the data of
	// the last write.
	recordCompletion(t, s, "cmpl-1", "rust", at(0, "9h"))
	recordCompletion(t, s, "cmpl-1", "go", at(0, "9h"))
	recordCompletion(t, s, "cmpl-1", "go", at(0, "9h"))
	recordEvent(t, s, codectx.EventView, "cmpl-1", at(0, "9h1m"))
	checkRows(t, "Acceptance", acceptance(t, s, day0), []codectx.AcceptanceRow{
		{Day: day0.Format(time.DateOnly), Language: "go", Completions: 1, Views: 1},
	})
}

func testBadEvents(t *testing.T, s UsageStore, _ func(*testing.T) UsageStore) {
	ctx := context.Background()
	if err := s.RecordEvent(ctx, codectx.CompletionEvent{At: at(0, "1h"), Type: "applaud", CompletionID: "cmpl-1"}); err == nil {
		t.Fatal("RecordEvent accepted an unknown type")
	}
	checkRows(t, "Acceptance after refused events", acceptance(t, s, time.Time{}), nil)
}

func testUsageReopen(t *testing.T, s UsageStore, reopen func(*testing.T) UsageStore) {
	createToken(t, s, "laptop", "hash-laptop", at(0, "1h"))
	createToken(t, s, "ci", "hash-ci", at(0, "2h"))
	if err := s.RevokeToken(context.Background(), "ci"); err != nil {
		t.Fatal(err)
	}
	usageHistory(t, s)
	want := acceptance(t, s, time.Time{})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2 := reopen(t)
	t.Cleanup(func() { s2.Close() })
	if got := tokenNames(t, s2); !slices.Equal(got, []string{"laptop"}) {
		t.Fatalf("tokens after reopening = %v, want [laptop]", got)
	}
	if tk, err := s2.TokenByHash(context.Background(), "hash-laptop"); err != nil || !tk.CreatedAt.Equal(at(0, "1h")) {
		t.Fatalf("TokenByHash after reopening = %+v, %v", tk, err)
	}
	checkRows(t, "Acceptance after reopening", acceptance(t, s2, time.Time{}), want)
	// Recording goes on after reopening, onto the same completions.
	recordEvent(t, s2, codectx.EventSelect, "cmpl-d", at(1, "8h3m"))
	rows := acceptance(t, s2, day0.AddDate(0, 0, 1))
	if len(rows) == 0 || rows[0].Language != "go" || rows[0].Selects != 1 {
		t.Fatalf("a select recorded after reopening is not counted: %+v", rows)
	}
}
