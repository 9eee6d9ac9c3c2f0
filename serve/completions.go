package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/backends"
	"github.com/codectx/codectx/serve/prompt"
)

// CompletionOptions tunes /v1/completions.
type CompletionOptions struct {
	// ContextChars is the budget of the context block laid out before the prefix, counted in
	// commented characters. The client's own snippets come first, then retrieved ones. Zero
	// means the default; negative means no context at all.
	ContextChars int
	// RetrievalTimeout bounds retrieval; a slower or failing retrieval means no retrieved
	// context, never a failed completion.
	RetrievalTimeout time.Duration
	// MaxTokens is the most tokens a back end may generate for one completion.
	MaxTokens int
	// MaxChars caps the completion text on our side too, whatever the back end counts.
	MaxChars int
	// Timeout bounds a whole completion request.
	Timeout time.Duration
}

// Defaults of CompletionOptions. Tabby packs 768 characters of snippets; codectx's context is
// ranked by definitions near the cursor, so more of it is worth the prompt space.
const (
	DefaultContextChars     = 2048
	DefaultRetrievalTimeout = 50 * time.Millisecond
	DefaultMaxTokens        = 64
	DefaultCompletionChars  = 2048
	DefaultTimeout          = 30 * time.Second
)

func (o *CompletionOptions) fill() {
	if o.ContextChars == 0 {
		o.ContextChars = DefaultContextChars
	}
	if o.RetrievalTimeout <= 0 {
		o.RetrievalTimeout = DefaultRetrievalTimeout
	}
	if o.MaxTokens <= 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	if o.MaxChars <= 0 {
		o.MaxChars = DefaultCompletionChars
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
}

// CompletionRequest is the body of POST /v1/completions (Tabby's shape; unknown fields are
// ignored).
type CompletionRequest struct {
	Language     string        `json:"language"`
	Segments     *Segments     `json:"segments"`
	User         string        `json:"user,omitempty"`
	Temperature  *float64      `json:"temperature,omitempty"`
	Seed         *int64        `json:"seed,omitempty"`
	DebugOptions *DebugOptions `json:"debug_options,omitempty"`
}

// Segments is the text around the cursor and what the client gathered itself.
type Segments struct {
	Prefix       *string         `json:"prefix"`
	Suffix       string          `json:"suffix,omitempty"`
	Filepath     string          `json:"filepath,omitempty"`
	GitURL       string          `json:"git_url,omitempty"`
	Declarations []ClientSnippet `json:"declarations,omitempty"`
	Changed      []ClientSnippet `json:"relevant_snippets_from_changed_files,omitempty"`
	Recent       []ClientSnippet `json:"relevant_snippets_from_recently_opened_files,omitempty"`
	Clipboard    string          `json:"clipboard,omitempty"`
}

// ClientSnippet is a snippet the editor client sends along.
type ClientSnippet struct {
	Filepath string  `json:"filepath"`
	Body     string  `json:"body"`
	Score    float64 `json:"score,omitempty"`
}

// DebugOptions asks for what went into a completion.
type DebugOptions struct {
	RawPrompt        string `json:"raw_prompt,omitempty"`
	ReturnSnippets   bool   `json:"return_snippets,omitempty"`
	ReturnPrompt     bool   `json:"return_prompt,omitempty"`
	DisableRetrieval bool   `json:"disable_retrieval_augmented_code_completion,omitempty"`
}

// CompletionResponse is the answer of POST /v1/completions.
type CompletionResponse struct {
	ID        string     `json:"id"`
	Choices   []Choice   `json:"choices"`
	DebugData *DebugData `json:"debug_data,omitempty"`
}

// Choice is one completion; Tabby's clients read choices[0].text.
type Choice struct {
	Index int    `json:"index"`
	Text  string `json:"text"`
}

// DebugData shows what a completion used.
type DebugData struct {
	Snippets []prompt.Snippet `json:"snippets,omitempty"`
	Prompt   string           `json:"prompt,omitempty"`
}

var (
	errNoModel        = errors.New("no model configured")
	errBackendTimeout = errors.New("the model back end did not answer in time")
)

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) error {
	var req CompletionRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	dbg := req.DebugOptions
	if dbg == nil {
		dbg = &DebugOptions{}
	}
	if (req.Segments == nil || req.Segments.Prefix == nil) && dbg.RawPrompt == "" {
		return fmt.Errorf("%w: segments.prefix is required (or debug_options.raw_prompt)", errBadRequest)
	}
	if s.cfg.Completer == nil {
		return fmt.Errorf("%w: no completion model is configured ([model.completion.http] in the configuration file)", errNoModel)
	}
	seg := req.Segments
	if seg == nil {
		empty := ""
		seg = &Segments{Prefix: &empty}
	}
	opts := s.cfg.Completion
	ctx, cancel := context.WithTimeout(r.Context(), opts.Timeout)
	defer cancel()

	prefix, suffix, crlf := prompt.Normalize(*seg.Prefix, seg.Suffix)
	lang := codectx.NormalizeLanguage(req.Language)
	if (lang == "" || lang == "unknown") && seg.Filepath != "" {
		lang = codectx.LanguageForPath(seg.Filepath)
	}

	breq := backends.CompletionRequest{
		Suffix:    suffix,
		MaxTokens: opts.MaxTokens,
		Stop:      prompt.StopWords(lang),
		RawPrompt: dbg.RawPrompt,
	}
	if req.Temperature != nil {
		breq.Temperature = *req.Temperature
	}
	if req.Seed != nil {
		breq.Seed = *req.Seed
	}
	var used []prompt.Snippet
	if dbg.RawPrompt == "" && opts.ContextChars < 0 {
		breq.Prefix = prefix
	} else if dbg.RawPrompt == "" {
		snippets := clientSnippets(seg)
		if !dbg.DisableRetrieval && s.cfg.Retriever != nil {
			snippets = append(snippets, s.retrieveForCompletion(ctx, seg, lang, prefix, suffix)...)
		}
		breq.Prefix, used = prompt.Layout(lang, prefix, snippets, opts.ContextChars)
	}

	stop := prompt.NewStopper(lang, prefix, suffix, opts.MaxChars)
	err := s.cfg.Completer.Complete(ctx, breq, func(text string) error {
		if stop.Push(text) {
			return backends.ErrStop
		}
		return nil
	})
	if err != nil {
		switch {
		case r.Context().Err() != nil:
			// The editor went away (it aborts requests as the user types): nothing to answer.
			s.metrics.completions.WithLabelValues("cancelled").Inc()
			return r.Context().Err()
		case errors.Is(err, context.DeadlineExceeded):
			s.metrics.completions.WithLabelValues("timeout").Inc()
			return fmt.Errorf("%w: %w", errBackendTimeout, err)
		default:
			s.metrics.completions.WithLabelValues("backend_error").Inc()
			return err
		}
	}
	s.metrics.completions.WithLabelValues("ok").Inc()
	resp := CompletionResponse{
		ID:      "cmpl-" + completionID(),
		Choices: []Choice{{Index: 0, Text: prompt.Restore(stop.Text(), crlf)}},
	}
	if dbg.ReturnSnippets || dbg.ReturnPrompt {
		resp.DebugData = &DebugData{}
		if dbg.ReturnSnippets {
			resp.DebugData.Snippets = used
			if resp.DebugData.Snippets == nil {
				resp.DebugData.Snippets = []prompt.Snippet{}
			}
		}
		if dbg.ReturnPrompt {
			resp.DebugData.Prompt = s.cfg.Completer.Prompt(breq)
		}
	}
	writeJSON(w, http.StatusOK, resp)
	if s.usage != nil {
		// Written in the background: the answer and the connection's next request go on.
		rec := codectx.CompletionRecord{ID: resp.ID, At: time.Now().UTC(), Language: lang, User: userFrom(r.Context()), Snippets: len(used)}
		if rec.Language == "" {
			rec.Language = "unknown"
		}
		s.usage.record(rec)
	}
	return nil
}

// clientSnippets orders the editor's own snippets as Tabby does: declarations, then snippets
// from changed files, then from recently opened files.
func clientSnippets(seg *Segments) []prompt.Snippet {
	var out []prompt.Snippet
	add := func(list []ClientSnippet, origin string) {
		for _, c := range list {
			if strings.TrimSpace(c.Body) == "" {
				continue
			}
			out = append(out, prompt.Snippet{Filepath: c.Filepath, Body: c.Body, Score: c.Score, Origin: origin})
		}
	}
	add(seg.Declarations, "declaration")
	add(seg.Changed, "changed_file")
	add(seg.Recent, "recent_file")
	return out
}

// retrieveForCompletion asks the retriever for context within the retrieval budget. A slow or
// failing retrieval gives no snippets: the completion goes on without them.
func (s *Server) retrieveForCompletion(ctx context.Context, seg *Segments, lang, prefix, suffix string) []prompt.Snippet {
	start := time.Now()
	creq := ContextRequest{
		GitURL:   seg.GitURL,
		Filepath: seg.Filepath,
		Language: lang,
		Prefix:   prefix,
		Suffix:   suffix,
		MaxChars: s.cfg.Completion.ContextChars,
	}
	if err := creq.Validate(); err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Completion.RetrievalTimeout)
	defer cancel()
	type result struct {
		snippets []Snippet
		err      error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("retrieval panicked: %v", p)}
			}
		}()
		if err := s.admit(ctx); err != nil {
			done <- result{err: err}
			return
		}
		snippets, err := s.cfg.Retriever.Retrieve(ctx, creq)
		<-s.retrievals
		done <- result{snippets, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		res.err = ctx.Err()
	}
	s.metrics.retrievalSeconds.Observe(time.Since(start).Seconds())
	if res.err != nil {
		outcome := "error"
		if errors.Is(res.err, context.DeadlineExceeded) {
			outcome = "timeout"
		}
		s.metrics.retrievalFallbacks.WithLabelValues(outcome).Inc()
		s.log.Debug("completing without retrieved context", "err", res.err)
		return nil
	}
	out := make([]prompt.Snippet, 0, len(res.snippets))
	var cursorFile func(string) bool
	if seg.Filepath == "" {
		cursorFile = looksLikeCursorFile(prefix)
	}
	for _, sn := range res.snippets {
		if cursorFile != nil && cursorFile(sn.Body) {
			// Without a filepath (tabby-agent's LSP mode) the current file cannot be excluded
			// by name; its indexed copy shows itself by holding the lines above the cursor.
			continue
		}
		out = append(out, prompt.Snippet{Filepath: sn.Filepath, Body: sn.Body, Score: sn.Score, Origin: "retrieved", Signals: sn.Signals})
	}
	return out
}

// looksLikeCursorFile returns a test for snippet bodies that are the cursor's own file: they
// hold at least two of the distinctive lines just above the cursor (the cursor's line itself
// is being edited, so it is left out).
func looksLikeCursorFile(prefix string) func(body string) bool {
	lines := strings.Split(prefix, "\n")
	lines = lines[:len(lines)-1] // the cursor's line
	var probes []string
	for i := len(lines) - 1; i >= 0 && len(probes) < 8 && i >= len(lines)-20; i-- {
		l := strings.TrimSpace(lines[i])
		if len(l) >= 12 {
			probes = append(probes, l)
		}
	}
	if len(probes) < 2 {
		return nil
	}
	return func(body string) bool {
		n := 0
		for _, p := range probes {
			if strings.Contains(body, p) {
				if n++; n >= 2 {
					return true
				}
			}
		}
		return false
	}
}

// completionID is a new completion's id: a version 7 UUID, which starts with the time, so that
// new records land side by side in the completions table (keyed by id; at its end in a store
// made since). With random ids, every record stored landed on a page of its own in the
// table's tree.
func completionID() string {
	id, err := uuid.NewV7()
	if err != nil { // the system's random source failed
		return uuid.NewString()
	}
	return id.String()
}
