package backends

import (
	"bytes"
	"context"
	"encoding/json"
)

// completer is the Completer of every completion kind; the kind decides the request body and
// how the stream is read.
type completer struct {
	*client
	model string // as sent; empty when the kind takes none
	tmpl  string // the resolved prompt template; empty for the fill-in-the-middle kinds
}

var _ Completer = (*completer)(nil)

// NewCompleter validates cfg as a [model.completion.http] table and returns its client.
func NewCompleter(cfg Config, opts Options) (Completer, error) {
	if err := cfg.Validate(UseCompletion); err != nil {
		return nil, err
	}
	c, err := newClient(cfg, UseCompletion, opts)
	if err != nil {
		return nil, err
	}
	cp := &completer{client: c, model: cfg.ModelName}
	switch c.kind {
	case OpenAICompletion, DeepSeekCompletion, MistralCompletion:
		if cfg.PromptTemplate != "" {
			c.log.Warn("prompt_template is ignored: this kind sends prefix and suffix and the back end builds the prompt",
				"key", "model.completion.http.prompt_template", "kind", c.kind)
		}
	default:
		if cfg.PromptTemplate != "" {
			cp.tmpl, _ = Template(cfg.PromptTemplate) // Validate checked it
		}
	}
	if c.kind == MistralCompletion && cp.model == "" {
		cp.model = defaultMistralModel
	}
	return cp, nil
}

func (c *completer) Kind() Kind { return c.kind }

func (c *completer) Model() string {
	if c.model == "" {
		return string(c.kind)
	}
	return c.model
}

// parts is what goes on the wire for req: the prompt, the suffix (empty when the kind sends
// none), and whether the prompt is final text that the back end must not template again.
func (c *completer) parts(req CompletionRequest) (prompt, suffix string, raw bool) {
	if req.RawPrompt != "" {
		return req.RawPrompt, "", true
	}
	switch c.kind {
	case OpenAICompletion, DeepSeekCompletion, MistralCompletion:
		return req.Prefix, req.Suffix, false
	case OllamaCompletion:
		if c.tmpl == "" {
			// Ollama fills the model's own template from prompt and suffix.
			return req.Prefix, req.Suffix, false
		}
	}
	return FillTemplate(c.tmpl, req.Prefix, req.Suffix), "", true
}

func (c *completer) Prompt(req CompletionRequest) string {
	prompt, _, _ := c.parts(req)
	return prompt
}

// Stop-sequence limits of the hosted APIs; more are rejected with a 400.
const (
	openAIMaxStop   = 4
	deepSeekMaxStop = 16
)

func firstN(stop []string, n int) []string {
	if len(stop) > n {
		return stop[:n]
	}
	return stop
}

func (c *completer) Complete(ctx context.Context, req CompletionRequest, emit func(text string) error) error {
	prompt, suffix, raw := c.parts(req)
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	switch c.kind {
	case LlamaCppCompletion:
		body := llamaRequest{Prompt: prompt, NPredict: maxTokens, Temperature: req.Temperature, Seed: req.Seed, Stream: true, Stop: req.Stop}
		return c.stream(ctx, body, framingSSE, decodeLlama, emit)
	case OllamaCompletion:
		temp, seed := req.Temperature, req.Seed
		body := ollamaGenerateRequest{
			Model: c.model, Prompt: prompt, Suffix: suffix, Raw: raw, Stream: true,
			Options: ollamaOptions{NumPredict: maxTokens, Temperature: &temp, Seed: &seed, Stop: req.Stop},
		}
		return c.stream(ctx, body, framingNDJSON, decodeOllamaGenerate, emit)
	case OpenAICompletion, DeepSeekCompletion, VLLMCompletion:
		stop := req.Stop
		switch c.kind {
		case OpenAICompletion:
			stop = firstN(stop, openAIMaxStop)
		case DeepSeekCompletion:
			stop = firstN(stop, deepSeekMaxStop)
		}
		body := openAICompletionRequest{
			Model: c.model, Prompt: prompt, Suffix: suffix, MaxTokens: maxTokens,
			Temperature: req.Temperature, Stream: true, Stop: stop, Seed: req.Seed,
		}
		return c.stream(ctx, body, framingSSE, decodeOpenAICompletion, emit)
	case MistralCompletion:
		body := mistralFIMRequest{
			Model: c.model, Prompt: prompt, Suffix: suffix, MaxTokens: maxTokens,
			Temperature: req.Temperature, Stream: true, Stop: req.Stop, RandomSeed: req.Seed,
		}
		return c.stream(ctx, body, framingSSE, decodeChatChunk, emit)
	}
	return c.unavailable("kind %q cannot complete", c.kind) // unreachable: Validate checked the kind
}

// llama.cpp server, POST /completion.
type llamaRequest struct {
	Prompt      string   `json:"prompt"`
	NPredict    int      `json:"n_predict"`
	Temperature float64  `json:"temperature"`
	Seed        int64    `json:"seed"`
	Stream      bool     `json:"stream"`
	Stop        []string `json:"stop,omitempty"`
}

type llamaChunk struct {
	Content string          `json:"content"`
	Stop    bool            `json:"stop"`
	Error   json.RawMessage `json:"error"`
}

func (m *llamaChunk) errorField() json.RawMessage { return m.Error }

func decodeLlama(msg []byte) (string, bool, error) {
	var m llamaChunk
	if err := parse(msg, &m); err != nil {
		return "", false, err
	}
	return m.Content, m.Stop, nil
}

// Ollama, POST /api/generate and /api/chat.
type ollamaGenerateRequest struct {
	Model   string        `json:"model"`
	Prompt  string        `json:"prompt"`
	Suffix  string        `json:"suffix,omitempty"`
	Raw     bool          `json:"raw,omitempty"`
	Stream  bool          `json:"stream"`
	Options ollamaOptions `json:"options"`
}

type ollamaOptions struct {
	NumPredict  int      `json:"num_predict,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	Seed        *int64   `json:"seed,omitempty"`
	Stop        []string `json:"stop,omitempty"`
}

type ollamaGenerateLine struct {
	Response string          `json:"response"`
	Done     bool            `json:"done"`
	Error    json.RawMessage `json:"error"`
}

func (m *ollamaGenerateLine) errorField() json.RawMessage { return m.Error }

func decodeOllamaGenerate(msg []byte) (string, bool, error) {
	var m ollamaGenerateLine
	if err := parse(msg, &m); err != nil {
		return "", false, err
	}
	return m.Response, m.Done, nil
}

// OpenAI-style legacy completions, POST …/v1/completions (OpenAI, DeepSeek, vLLM).
type openAICompletionRequest struct {
	Model       string   `json:"model,omitempty"`
	Prompt      string   `json:"prompt"`
	Suffix      string   `json:"suffix,omitempty"`
	MaxTokens   int      `json:"max_tokens"`
	Temperature float64  `json:"temperature"`
	Stream      bool     `json:"stream"`
	Stop        []string `json:"stop,omitempty"`
	Seed        int64    `json:"seed,omitempty"`
}

type openAICompletionChunk struct {
	Choices []struct {
		Text         string  `json:"text"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Error json.RawMessage `json:"error"`
}

func (m *openAICompletionChunk) errorField() json.RawMessage { return m.Error }

func decodeOpenAICompletion(msg []byte) (string, bool, error) {
	var m openAICompletionChunk
	if err := parse(msg, &m); err != nil {
		return "", false, err
	}
	if len(m.Choices) == 0 {
		return "", false, nil // e.g. a usage-only chunk
	}
	ch := m.Choices[0]
	return ch.Text, ch.FinishReason != nil && *ch.FinishReason != "", nil
}

// Mistral FIM, POST {endpoint}/v1/fim/completions.
type mistralFIMRequest struct {
	Model       string   `json:"model"`
	Prompt      string   `json:"prompt"`
	Suffix      string   `json:"suffix,omitempty"`
	MaxTokens   int      `json:"max_tokens"`
	Temperature float64  `json:"temperature"`
	Stream      bool     `json:"stream"`
	Stop        []string `json:"stop,omitempty"`
	RandomSeed  int64    `json:"random_seed,omitempty"`
}

// chatChunk is a chat completion chunk (streamed, with delta) or a whole chat completion (with
// message), as sent by OpenAI-style chat and by Mistral FIM.
type chatChunk struct {
	Choices []struct {
		Delta        struct{ Content json.RawMessage } `json:"delta"`
		Message      struct{ Content json.RawMessage } `json:"message"`
		FinishReason *string                           `json:"finish_reason"`
	} `json:"choices"`
	Error json.RawMessage `json:"error"`
}

func (m *chatChunk) errorField() json.RawMessage { return m.Error }

func decodeChatChunk(msg []byte) (string, bool, error) {
	var m chatChunk
	if err := parse(msg, &m); err != nil {
		return "", false, err
	}
	if len(m.Choices) == 0 {
		return "", false, nil
	}
	ch := m.Choices[0]
	text, err := contentText(ch.Delta.Content)
	if err == nil && text == "" {
		text, err = contentText(ch.Message.Content)
	}
	if err != nil {
		return "", false, &backendError{msg: "malformed stream: " + err.Error()}
	}
	return text, ch.FinishReason != nil && *ch.FinishReason != "", nil
}

// contentText reads a message content: a string, null, or (Mistral) a list of parts whose text
// parts are concatenated.
func contentText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	var s string
	if raw[0] == '"' {
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", err
	}
	var b bytes.Buffer
	for _, p := range parts {
		if p.Type == "" || p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}
