// Package standin is a stand-in for a real model server, for tests. Real model back ends
// (llama.cpp, Ollama, vLLM, the OpenAI, DeepSeek and Mistral APIs) cannot run where codectx's
// tests run, so a Server speaks the wire protocol of one back-end kind over real HTTP on loopback
// — the same paths, request fields, status codes and streaming formats (server-sent events or
// newline-delimited JSON) — and answers with canned replies. It generates nothing.
//
// It records every request it receives and how each ended, so tests can check what a client sent
// and that cancellation reached the back end.
package standin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/codectx/codectx/backends"
)

// Options shape the stand-in's answers.
type Options struct {
	// Reply returns the chunks to stream back for a request; nil answers the single chunk
	// "standin completion". Each chunk becomes one message of the stream.
	Reply func(req Request) []string
	// ChunkDelay is slept between chunks. The sleep ends early when the client disconnects.
	ChunkDelay time.Duration
	// Status, when non-zero, is answered instead of a stream, with the kind's JSON error body.
	Status int
	// Keep bounds how many of the latest requests are remembered for Requests (0: all). Load
	// tests set it so that memory stays flat.
	Keep int
}

// Request is one request the stand-in received, as seen so far.
type Request struct {
	Path   string
	Header http.Header
	Body   []byte // the raw JSON body
	// Prompt is the prompt field for completion kinds; for chat kinds the message contents
	// joined with "\n".
	Prompt string
	// Suffix is the suffix field, for the kinds that take one.
	Suffix   string
	Messages []backends.ChatMessage // chat kinds
	Stream   bool                   // after the kind's default for a missing field

	// Started and Ended are when the handler began and returned; Ended is zero while it runs.
	Started, Ended time.Time
	// ClientGone reports that the client disconnected before the reply was complete.
	ClientGone bool
}

// Server is a running stand-in.
type Server struct {
	// URL is the endpoint to put in api_endpoint, written the way Tabby's documentation writes
	// it for the kind: with "/v1" for the OpenAI-style kinds, the bare server otherwise.
	URL string

	kind   backends.Kind
	opts   Options
	ts     *httptest.Server
	closed chan struct{}
	once   sync.Once

	mu     sync.Mutex
	reqs   []*Request
	active int
}

// Start serves kind on a loopback port until Close.
func Start(kind backends.Kind, opts Options) *Server {
	s := &Server{kind: kind, opts: opts, closed: make(chan struct{})}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.ts.URL
	switch kind {
	case backends.OpenAICompletion, backends.DeepSeekCompletion, backends.VLLMCompletion,
		backends.OpenAIChat, backends.MistralChat:
		s.URL += "/v1"
	}
	return s
}

// Requests returns a copy of every request received so far (the latest Options.Keep of them,
// when set), in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	reqs := s.reqs
	if s.opts.Keep > 0 && len(reqs) > s.opts.Keep {
		reqs = reqs[len(reqs)-s.opts.Keep:]
	}
	out := make([]Request, len(reqs))
	for i, r := range reqs {
		out[i] = *r
	}
	return out
}

// Active returns how many requests are being served right now.
func (s *Server) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// WaitIdle waits until no request is being served, and reports whether that happened within
// timeout.
func (s *Server) WaitIdle(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if s.Active() == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

// Close ends the requests still streaming and stops the server. It may be called more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		s.ts.Close()
	})
}

// paths are the routes each kind serves.
func paths(kind backends.Kind) []string {
	switch kind {
	case backends.LlamaCppCompletion:
		return []string{"/completion"}
	case backends.OllamaCompletion:
		return []string{"/api/generate"}
	case backends.OllamaChat:
		return []string{"/api/chat"}
	case backends.OpenAICompletion, backends.VLLMCompletion:
		return []string{"/v1/completions"}
	case backends.DeepSeekCompletion:
		return []string{"/v1/completions", "/beta/completions"} // the beta path serves FIM
	case backends.MistralCompletion:
		return []string{"/v1/fim/completions"}
	case backends.OpenAIChat, backends.MistralChat:
		return []string{"/v1/chat/completions"}
	}
	return nil
}

func isChat(kind backends.Kind) bool {
	return kind == backends.OpenAIChat || kind == backends.MistralChat || kind == backends.OllamaChat
}

func isOllama(kind backends.Kind) bool {
	return kind == backends.OllamaCompletion || kind == backends.OllamaChat
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if !slices.Contains(paths(s.kind), r.URL.Path) {
		s.fail(w, http.StatusNotFound, "not found: "+r.URL.Path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.fail(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var fields struct {
		Prompt   string                 `json:"prompt"`
		Suffix   string                 `json:"suffix"`
		Messages []backends.ChatMessage `json:"messages"`
		Stream   *bool                  `json:"stream"`
		Model    string                 `json:"model"`
	}
	if err := json.Unmarshal(body, &fields); err != nil {
		s.fail(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	req := &Request{
		Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		Prompt: fields.Prompt, Suffix: fields.Suffix, Messages: fields.Messages,
		Stream:  isOllama(s.kind), // Ollama streams unless told not to; the others the reverse
		Started: time.Now(),
	}
	if fields.Stream != nil {
		req.Stream = *fields.Stream
	}
	if isChat(s.kind) {
		contents := make([]string, len(fields.Messages))
		for i, m := range fields.Messages {
			contents[i] = m.Content
		}
		req.Prompt = strings.Join(contents, "\n")
	}

	s.mu.Lock()
	if s.opts.Keep > 0 && len(s.reqs) >= 2*s.opts.Keep {
		s.reqs = append(s.reqs[:0], s.reqs[len(s.reqs)-s.opts.Keep+1:]...)
	}
	s.reqs = append(s.reqs, req)
	s.active++
	snapshot := *req
	s.mu.Unlock()
	gone := false
	defer func() {
		s.mu.Lock()
		req.Ended, req.ClientGone = time.Now(), gone
		s.active--
		s.mu.Unlock()
	}()

	if s.opts.Status != 0 {
		s.fail(w, s.opts.Status, "standin error")
		return
	}
	chunks := []string{"standin completion"}
	if s.opts.Reply != nil {
		chunks = s.opts.Reply(snapshot)
	}
	model := fields.Model
	if model == "" {
		model = "standin"
	}
	f := format{kind: s.kind, model: model}

	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(f.whole(strings.Join(chunks, "")))
		return
	}
	if isOllama(s.kind) {
		w.Header().Set("Content-Type", "application/x-ndjson")
	} else {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	send := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	for _, b := range f.opening() {
		if !send(b) {
			gone = true
			return
		}
	}
	for i, c := range chunks {
		if i > 0 && s.opts.ChunkDelay > 0 {
			t := time.NewTimer(s.opts.ChunkDelay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				gone = true
				return
			case <-s.closed:
				t.Stop()
				return
			}
		}
		if r.Context().Err() != nil || !send(f.chunk(c)) {
			gone = true
			return
		}
	}
	for _, b := range f.closing() {
		if !send(b) {
			gone = true
			return
		}
	}
}

// fail answers status with the error body the kind's real server uses.
func (s *Server) fail(w http.ResponseWriter, status int, msg string) {
	var body any
	switch {
	case isOllama(s.kind):
		body = map[string]any{"error": msg}
	case s.kind == backends.LlamaCppCompletion:
		body = map[string]any{"error": map[string]any{"code": status, "message": msg, "type": "server_error"}}
	case s.kind == backends.MistralCompletion || s.kind == backends.MistralChat:
		body = map[string]any{"object": "error", "message": msg, "type": "invalid_request_error", "code": fmt.Sprint(status)}
	default:
		body = map[string]any{"error": map[string]any{"message": msg, "type": "server_error", "param": nil, "code": nil}}
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// format writes the messages of one kind's stream.
type format struct {
	kind  backends.Kind
	model string
}

const created = 1700000000

func (f format) sse(v any) []byte {
	b, _ := json.Marshal(v)
	return []byte("data: " + string(b) + "\n\n")
}

func ndjson(v any) []byte {
	b, _ := json.Marshal(v)
	return append(b, '\n')
}

// chatStyle reports whether the kind streams chat completion chunks (Mistral FIM does too).
func (f format) chatStyle() bool {
	return f.kind == backends.OpenAIChat || f.kind == backends.MistralChat || f.kind == backends.MistralCompletion
}

func (f format) chatChunk(delta map[string]any, finish any) []byte {
	return f.sse(map[string]any{
		"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": created, "model": f.model,
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
	})
}

func (f format) textChunk(text string, finish any) []byte {
	return f.sse(map[string]any{
		"id": "cmpl-standin", "object": "text_completion", "created": created, "model": f.model,
		"choices": []any{map[string]any{"index": 0, "text": text, "logprobs": nil, "finish_reason": finish}},
	})
}

// opening is what a stream starts with before the first chunk.
func (f format) opening() [][]byte {
	if f.chatStyle() {
		return [][]byte{f.chatChunk(map[string]any{"role": "assistant", "content": ""}, nil)}
	}
	return nil
}

func (f format) chunk(text string) []byte {
	switch {
	case f.kind == backends.LlamaCppCompletion:
		return f.sse(map[string]any{"content": text, "stop": false, "id_slot": 0})
	case f.kind == backends.OllamaCompletion:
		return ndjson(map[string]any{"model": f.model, "created_at": time.Now().UTC(), "response": text, "done": false})
	case f.kind == backends.OllamaChat:
		return ndjson(map[string]any{"model": f.model, "created_at": time.Now().UTC(),
			"message": map[string]any{"role": "assistant", "content": text}, "done": false})
	case f.chatStyle():
		return f.chatChunk(map[string]any{"content": text}, nil)
	default:
		return f.textChunk(text, nil)
	}
}

// closing is what a stream ends with after the last chunk.
func (f format) closing() [][]byte {
	switch {
	case f.kind == backends.LlamaCppCompletion:
		return [][]byte{f.sse(map[string]any{"content": "", "stop": true, "stop_type": "eos", "id_slot": 0})}
	case f.kind == backends.OllamaCompletion:
		return [][]byte{ndjson(map[string]any{"model": f.model, "created_at": time.Now().UTC(), "response": "",
			"done": true, "done_reason": "stop"})}
	case f.kind == backends.OllamaChat:
		return [][]byte{ndjson(map[string]any{"model": f.model, "created_at": time.Now().UTC(),
			"message": map[string]any{"role": "assistant", "content": ""}, "done": true, "done_reason": "stop"})}
	case f.chatStyle():
		return [][]byte{f.chatChunk(map[string]any{}, "stop"), []byte("data: [DONE]\n\n")}
	default:
		return [][]byte{f.textChunk("", "stop"), []byte("data: [DONE]\n\n")}
	}
}

// whole is the single JSON answer to a request with stream:false.
func (f format) whole(text string) []byte {
	var v any
	switch {
	case f.kind == backends.LlamaCppCompletion:
		v = map[string]any{"content": text, "stop": true, "stop_type": "eos", "id_slot": 0}
	case f.kind == backends.OllamaCompletion:
		v = map[string]any{"model": f.model, "created_at": time.Now().UTC(), "response": text, "done": true, "done_reason": "stop"}
	case f.kind == backends.OllamaChat:
		v = map[string]any{"model": f.model, "created_at": time.Now().UTC(),
			"message": map[string]any{"role": "assistant", "content": text}, "done": true, "done_reason": "stop"}
	case f.chatStyle():
		v = map[string]any{"id": "chatcmpl-standin", "object": "chat.completion", "created": created, "model": f.model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text},
				"finish_reason": "stop"}}}
	default:
		v = map[string]any{"id": "cmpl-standin", "object": "text_completion", "created": created, "model": f.model,
			"choices": []any{map[string]any{"index": 0, "text": text, "logprobs": nil, "finish_reason": "stop"}}}
	}
	b, _ := json.Marshal(v)
	return b
}
