package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/codectx/codectx/backends"
)

// ChatRequest is the body of POST /v1/chat/completions (OpenAI's shape; unknown fields are
// ignored).
type ChatRequest struct {
	Model       string        `json:"model,omitempty"`
	Messages    []ChatMessage `json:"messages"`
	Stream      bool          `json:"stream,omitempty"`
	Temperature *float64      `json:"temperature,omitempty"`
	MaxTokens   int           `json:"max_tokens,omitempty"`
	Seed        *int64        `json:"seed,omitempty"`
}

// ChatMessage is one message; content may be a string or OpenAI's list of parts, of which the
// text parts are kept.
type ChatMessage struct {
	Role    string
	Content string
}

func (m *ChatMessage) UnmarshalJSON(b []byte) error {
	var raw struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	m.Role = raw.Role
	if len(raw.Content) == 0 || string(raw.Content) == "null" {
		return nil
	}
	if raw.Content[0] == '"' {
		return json.Unmarshal(raw.Content, &m.Content)
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw.Content, &parts); err != nil {
		return fmt.Errorf("content: want a string or a list of parts: %w", err)
	}
	var sb strings.Builder
	for _, p := range parts {
		if p.Type == "text" || p.Type == "" {
			sb.WriteString(p.Text)
		}
	}
	m.Content = sb.String()
	return nil
}

func (m ChatMessage) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}{m.Role, m.Content})
}

// chatChunk is one SSE event of a streamed answer, in OpenAI's shape.
type chatChunk struct {
	ID      string            `json:"id"`
	Object  string            `json:"object"`
	Created int64             `json:"created"`
	Model   string            `json:"model"`
	Choices []chatChunkChoice `json:"choices"`
}

type chatChunkChoice struct {
	Index        int               `json:"index"`
	Delta        map[string]string `json:"delta"`
	FinishReason *string           `json:"finish_reason"`
}

// chatContextChars is the budget of retrieved context added to a chat.
const chatContextChars = 6000

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) error {
	var req ChatRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Messages) == 0 {
		return fmt.Errorf("%w: messages must not be empty", errBadRequest)
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "user", "assistant", "tool":
		default:
			return fmt.Errorf("%w: messages[%d].role %q: want system, user or assistant", errBadRequest, i, m.Role)
		}
	}
	if s.cfg.Chatter == nil {
		return fmt.Errorf("%w: no chat model is configured ([model.chat.http] in the configuration file)", errNoModel)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ChatTimeout)
	defer cancel()

	msgs := make([]backends.ChatMessage, 0, len(req.Messages)+1)
	if sys := s.chatContext(ctx, req.Messages); sys != "" {
		msgs = append(msgs, backends.ChatMessage{Role: "system", Content: sys})
	}
	for _, m := range req.Messages {
		msgs = append(msgs, backends.ChatMessage{Role: m.Role, Content: m.Content})
	}
	breq := backends.ChatRequest{Messages: msgs, MaxTokens: req.MaxTokens}
	if req.Temperature != nil {
		breq.Temperature = *req.Temperature
	}
	if req.Seed != nil {
		breq.Seed = *req.Seed
	}
	id := "chatcmpl-" + uuid.NewString()
	created := time.Now().Unix()
	model := s.cfg.Chatter.Model()

	if !req.Stream {
		var sb strings.Builder
		err := s.cfg.Chatter.Chat(ctx, breq, func(d string) error { sb.WriteString(d); return nil })
		if err != nil {
			return s.chatError(r, err)
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": model,
			"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
				"message": map[string]string{"role": "assistant", "content": sb.String()}}},
		})
		return nil
	}

	// Streaming: the status line goes out with the first delta, so a back end that fails
	// before answering still gets a proper error status.
	flusher, _ := w.(http.Flusher)
	started := false
	send := func(delta map[string]string, finish *string) error {
		if !started {
			started = true
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("X-Accel-Buffering", "no")
			w.WriteHeader(http.StatusOK)
		}
		b, err := json.Marshal(chatChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: model,
			Choices: []chatChunkChoice{{Index: 0, Delta: delta, FinishReason: finish}}})
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	}
	first := true
	err := s.cfg.Chatter.Chat(ctx, breq, func(d string) error {
		delta := map[string]string{"content": d}
		if first {
			delta["role"] = "assistant"
			first = false
		}
		return send(delta, nil)
	})
	if err != nil && !started {
		return s.chatError(r, err)
	}
	if err != nil {
		// Mid-stream: the status is sent; say what happened in the stream and end it.
		s.log.Warn("chat stream ended by an error", "err", err)
		if r.Context().Err() == nil {
			b, _ := json.Marshal(map[string]string{"error": "the model back end failed mid-answer"})
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		return nil
	}
	stop := "stop"
	if err := send(map[string]string{}, &stop); err != nil {
		return nil
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if flusher != nil {
		flusher.Flush()
	}
	return nil
}

func (s *Server) chatError(r *http.Request, err error) error {
	switch {
	case r.Context().Err() != nil:
		return r.Context().Err()
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", errBackendTimeout, err)
	default:
		return err
	}
}

// chatContext retrieves context for the last user message, across every source, and lays it
// out as a system message. It returns "" when nothing relevant is found or retrieval fails.
func (s *Server) chatContext(ctx context.Context, msgs []ChatMessage) string {
	if s.cfg.Retriever == nil {
		return ""
	}
	var last string
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			last = msgs[i].Content
			break
		}
	}
	if strings.TrimSpace(last) == "" {
		return ""
	}
	creq := ContextRequest{Prefix: last, MaxChars: chatContextChars}
	if err := creq.Validate(); err != nil {
		return ""
	}
	rctx, cancel := context.WithTimeout(ctx, 10*s.cfg.Completion.RetrievalTimeout)
	defer cancel()
	if s.admit(rctx) != nil {
		return ""
	}
	snippets, err := s.cfg.Retriever.Retrieve(rctx, creq)
	<-s.retrievals
	if err != nil || len(snippets) == 0 {
		if err != nil {
			s.log.Debug("chat without retrieved context", "err", err)
		}
		return ""
	}
	var sb strings.Builder
	sb.WriteString("You are a coding assistant. These excerpts from the user's indexed repositories may be relevant to the question; cite their paths when you use them.\n")
	for _, sn := range snippets {
		fmt.Fprintf(&sb, "\n%s (lines %d-%d):\n```%s\n%s\n```\n", sn.Filepath, sn.StartLine, sn.EndLine, sn.Language, strings.TrimRight(sn.Body, "\n"))
	}
	return sb.String()
}
