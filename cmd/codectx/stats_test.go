package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/sinks/embedded"
)

// fillUsage records, relative to today (UTC):
//   - today, go: three completions; one viewed twice and selected, one viewed, one not shown;
//   - today, python: one completion selected without a view event;
//   - yesterday, python: one completion viewed and dismissed;
//   - 40 days ago, go: one completion viewed and selected.
func fillUsage(t *testing.T, u codectx.Usage) {
	t.Helper()
	ctx := context.Background()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	comp := func(id, lang string, at time.Time) {
		if err := u.RecordCompletion(ctx, codectx.CompletionRecord{ID: id, At: at, Language: lang, Snippets: 2}); err != nil {
			t.Fatal(err)
		}
	}
	event := func(typ, id string, at time.Time) {
		if err := u.RecordEvent(ctx, codectx.CompletionEvent{At: at, Type: typ, CompletionID: id}); err != nil {
			t.Fatal(err)
		}
	}
	comp("cmpl-g1", "go", today.Add(time.Minute))
	event(codectx.EventView, "cmpl-g1", today.Add(2*time.Minute))
	event(codectx.EventView, "cmpl-g1", today.Add(2*time.Minute))
	event(codectx.EventSelect, "cmpl-g1", today.Add(3*time.Minute))
	comp("cmpl-g2", "go", today.Add(time.Minute))
	event(codectx.EventView, "cmpl-g2", today.Add(2*time.Minute))
	comp("cmpl-g3", "go", today.Add(time.Minute))
	comp("cmpl-p1", "python", today.Add(time.Minute))
	event(codectx.EventSelect, "cmpl-p1", today.Add(2*time.Minute))
	yesterday := today.AddDate(0, 0, -1)
	comp("cmpl-p0", "python", yesterday.Add(time.Hour))
	event(codectx.EventView, "cmpl-p0", yesterday.Add(time.Hour+time.Second))
	event(codectx.EventDismiss, "cmpl-p0", yesterday.Add(time.Hour+2*time.Second))
	old := today.AddDate(0, 0, -40)
	comp("cmpl-old", "go", old.Add(time.Hour))
	event(codectx.EventView, "cmpl-old", old.Add(time.Hour+time.Second))
	event(codectx.EventSelect, "cmpl-old", old.Add(time.Hour+2*time.Second))
}

func openStoreForTest(t *testing.T, dataDir string) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(context.Background(), filepath.Join(dataDir, "index"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// line finds the table line starting with the given cells, separated by any spaces.
func line(out string, cells ...string) bool {
	re := regexp.MustCompile(`(?m)^` + strings.Join(cells, `\s+`) + `\s*$`)
	return re.MatchString(out)
}

func TestStats(t *testing.T) {
	dataDir := t.TempDir()
	fillUsage(t, openStoreForTest(t, dataDir)) // still open, as by a running server
	today := time.Now().UTC().Format(time.DateOnly)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)

	code, stdout, stderr := runCLI(t, "stats", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("stats: exit %d: %s", code, stderr)
	}
	for _, want := range [][]string{
		{"DAY", "LANGUAGE", "COMPLETIONS", "VIEWS", "SELECTS", "DISMISSES", "ACCEPTANCE"},
		{today, "go", "3", "2", "1", "0", `50\.0%`},
		{today, "python", "1", "0", "1", "0", "-"},
		{yesterday, "python", "1", "1", "0", "1", `0\.0%`},
		{"last 30 days", "go", "3", "2", "1", "0", `50\.0%`},
		{"last 30 days", "python", "2", "1", "1", "1", `100\.0%`},
		{"last 30 days", "all", "5", "3", "2", "1", `66\.7%`},
	} {
		if !line(stdout, want...) {
			t.Errorf("stats lacks the line %q:\n%s", strings.Join(want, " "), stdout)
		}
	}
	if strings.Index(stdout, today) > strings.Index(stdout, yesterday) {
		t.Errorf("stats does not list the newest day first:\n%s", stdout)
	}

	// A longer period takes in the old completion; --days 1 only today.
	_, stdout, _ = runCLI(t, "stats", "--days", "50", "--data-dir", dataDir)
	if !line(stdout, "last 50 days", "go", "4", "3", "2", "0", `66\.7%`) {
		t.Errorf("stats --days 50 lacks the old completion:\n%s", stdout)
	}
	_, stdout, _ = runCLI(t, "stats", "--days", "1", "--data-dir", dataDir)
	if strings.Contains(stdout, yesterday) || !line(stdout, "today", "python", "1", "0", "1", "0", "-") {
		t.Errorf("stats --days 1:\n%s", stdout)
	}

	code, stdout, stderr = runCLI(t, "stats", "--json", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("stats --json: exit %d: %s", code, stderr)
	}
	var report statsReport
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, stdout)
	}
	if report.Days != 30 || len(report.Rows) != 3 || len(report.Totals) != 3 {
		t.Fatalf("stats --json = %+v", report)
	}
	if r := report.Rows[0]; r.Day != today || r.Language != "go" || r.Completions != 3 || r.Views != 2 || r.Selects != 1 || r.AcceptanceRate != 0.5 {
		t.Errorf("first row = %+v", r)
	}
	if !strings.Contains(stdout, `"acceptance_rate": 0.5`) || !strings.Contains(stdout, `"completions": 3`) {
		t.Errorf("stats --json field names:\n%s", stdout)
	}
}

func TestStatsEmpty(t *testing.T) {
	dataDir := t.TempDir()
	code, stdout, stderr := runCLI(t, "stats", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(stdout, "no completions were recorded yet") {
		t.Fatalf("stats on an empty data dir: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "stats", "--json", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(stdout, `"rows": []`) {
		t.Fatalf("stats --json on an empty data dir: exit %d, %s", code, stdout)
	}

	// Only a completion older than the period: said so, rather than "yet".
	s := openStoreForTest(t, dataDir)
	if err := s.RecordCompletion(context.Background(), codectx.CompletionRecord{ID: "cmpl-1", At: time.Now().AddDate(0, 0, -60), Language: "go"}); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runCLI(t, "stats", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(stdout, "no completions were recorded in the last 30 days") {
		t.Fatalf("stats with only old completions: exit %d, %q", code, stdout)
	}

	if code, _, stderr := runCLI(t, "stats", "--days", "0", "--data-dir", dataDir); code != 2 || !strings.Contains(stderr, "--days") {
		t.Fatalf("stats --days 0: exit %d, %q", code, stderr)
	}
}
