package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/codectx/codectx"
)

// statsRow is one line of the report: an acceptance row with its rate.
type statsRow struct {
	codectx.AcceptanceRow
	// AcceptanceRate is selects over views, from 0 to 1 (0 without views).
	AcceptanceRate float64 `json:"acceptance_rate"`
}

func newStatsRow(r codectx.AcceptanceRow) statsRow { return statsRow{r, r.Rate()} }

// statsReport is what "codectx stats --json" prints.
type statsReport struct {
	Days  int        `json:"days"`
	Since string     `json:"since"` // the first UTC day counted
	Rows  []statsRow `json:"rows"`  // by day (newest first) and language
	// Totals sums the rows by language over the period; Day is empty.
	Totals []statsRow `json:"totals"`
}

// cmdStats prints the completions served and how many editors showed, accepted and dismissed,
// by UTC day and language.
func cmdStats(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := flag.NewFlagSet("stats", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	days := fs.Int("days", 30, "how many days to report, today (UTC) included")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *days < 1 {
		return fmt.Errorf("stats: --days %d: want 1 or more: %w", *days, errUsage)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, -(*days - 1))
	report := statsReport{Days: *days, Since: since.Format(time.DateOnly), Rows: []statsRow{}, Totals: []statsRow{}}

	s, _, err := openCatalog(ctx, cf, env, stderr, false)
	everRecorded := false
	switch {
	case errors.Is(err, errNoCatalog):
	case err != nil:
		return err
	default:
		defer s.Close()
		rows, err := s.Acceptance(ctx, since)
		if err != nil {
			return err
		}
		for _, r := range rows {
			report.Rows = append(report.Rows, newStatsRow(r))
		}
		report.Totals = totalsByLanguage(rows)
		if len(rows) == 0 && !*asJSON {
			// Only to word the message: has the store recorded anything at all?
			all, err := s.Acceptance(ctx, time.Time{})
			if err != nil {
				return err
			}
			everRecorded = len(all) > 0
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	if len(report.Rows) == 0 {
		if everRecorded {
			fmt.Fprintf(stdout, "no completions were recorded in the last %d days (since %s UTC)\n", *days, report.Since)
		} else {
			fmt.Fprintln(stdout, "no completions were recorded yet: they are counted once codectx serve answers /v1/completions")
		}
		return nil
	}
	fmt.Fprintf(stdout, "completions and editor events by UTC day and language, since %s:\n\n", report.Since)
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DAY\tLANGUAGE\tCOMPLETIONS\tVIEWS\tSELECTS\tDISMISSES\tACCEPTANCE")
	line := func(day string, r statsRow) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\n", day, r.Language, r.Completions, r.Views, r.Selects, r.Dismisses, percent(r.AcceptanceRow))
	}
	for _, r := range report.Rows {
		line(r.Day, r)
	}
	fmt.Fprintln(tw, "\t\t\t\t\t\t") // a blank line inside the table keeps the totals' columns aligned
	period := fmt.Sprintf("last %d days", *days)
	if *days == 1 {
		period = "today"
	}
	for _, r := range report.Totals {
		line(period, r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for l := range strings.Lines(table.String()) {
		fmt.Fprintln(stdout, strings.TrimRight(l, " \n"))
	}
	fmt.Fprintln(stdout, "\nacceptance is selects over views: of the completions an editor showed, the share accepted.")
	return nil
}

// totalsByLanguage sums rows by language, sorted by language, with a line "all" when there is
// more than one.
func totalsByLanguage(rows []codectx.AcceptanceRow) []statsRow {
	byLang := map[string]*codectx.AcceptanceRow{}
	var all codectx.AcceptanceRow
	all.Language = "all"
	for _, r := range rows {
		t := byLang[r.Language]
		if t == nil {
			t = &codectx.AcceptanceRow{Language: r.Language}
			byLang[r.Language] = t
		}
		for _, sum := range []*codectx.AcceptanceRow{t, &all} {
			sum.Completions += r.Completions
			sum.Views += r.Views
			sum.Selects += r.Selects
			sum.Dismisses += r.Dismisses
		}
	}
	out := []statsRow{}
	for _, t := range byLang {
		out = append(out, newStatsRow(*t))
	}
	slices.SortFunc(out, func(a, b statsRow) int { return cmp.Compare(a.Language, b.Language) })
	if len(out) > 1 {
		out = append(out, newStatsRow(all))
	}
	return out
}

// percent formats the acceptance rate, or "-" when nothing was viewed.
func percent(r codectx.AcceptanceRow) string {
	if r.Views == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*r.Rate())
}
