package backends

import (
	"context"
	"encoding/json"
	"errors"
)

// chatter is the Chatter of every chat kind.
type chatter struct {
	*client
	model string
}

var _ Chatter = (*chatter)(nil)

// NewChatter validates cfg as a [model.chat.http] table and returns its client.
func NewChatter(cfg Config, opts Options) (Chatter, error) {
	if err := cfg.Validate(UseChat); err != nil {
		return nil, err
	}
	c, err := newClient(cfg, UseChat, opts)
	if err != nil {
		return nil, err
	}
	return &chatter{client: c, model: cfg.ModelName}, nil
}

func (c *chatter) Kind() Kind { return c.kind }

func (c *chatter) Model() string {
	if c.model == "" {
		return string(c.kind)
	}
	return c.model
}

// errNoMessages is the caller's mistake, so it is not ErrUnavailable and is not counted.
var errNoMessages = errors.New("backends: chat request without messages")

func (c *chatter) Chat(ctx context.Context, req ChatRequest, emit func(delta string) error) error {
	if len(req.Messages) == 0 {
		return errNoMessages
	}
	switch c.kind {
	case OpenAIChat, MistralChat:
		body := openAIChatRequest{
			Model: c.model, Messages: req.Messages, Stream: true,
			MaxTokens: req.MaxTokens, Temperature: req.Temperature,
		}
		// Mistral's API names the seed random_seed and rejects unknown fields.
		if c.kind == MistralChat {
			body.RandomSeed = req.Seed
		} else {
			body.Seed = req.Seed
		}
		return c.stream(ctx, body, framingSSE, decodeChatChunk, emit)
	case OllamaChat:
		body := ollamaChatRequest{Model: c.model, Messages: req.Messages, Stream: true,
			Options: ollamaOptions{NumPredict: req.MaxTokens}}
		if req.Temperature != 0 {
			body.Options.Temperature = &req.Temperature
		}
		if req.Seed != 0 {
			body.Options.Seed = &req.Seed
		}
		return c.stream(ctx, body, framingNDJSON, decodeOllamaChat, emit)
	}
	return c.unavailable("kind %q cannot chat", c.kind) // unreachable: Validate checked the kind
}

// OpenAI-style chat, POST …/v1/chat/completions.
type openAIChatRequest struct {
	Model       string        `json:"model"`
	Messages    []ChatMessage `json:"messages"`
	Stream      bool          `json:"stream"`
	MaxTokens   int           `json:"max_tokens,omitempty"`
	Temperature float64       `json:"temperature,omitempty"`
	Seed        int64         `json:"seed,omitempty"`
	RandomSeed  int64         `json:"random_seed,omitempty"`
}

// Ollama, POST /api/chat.
type ollamaChatRequest struct {
	Model    string        `json:"model"`
	Messages []ChatMessage `json:"messages"`
	Stream   bool          `json:"stream"`
	Options  ollamaOptions `json:"options"`
}

type ollamaChatLine struct {
	Message struct {
		Content string `json:"content"`
	} `json:"message"`
	Done  bool            `json:"done"`
	Error json.RawMessage `json:"error"`
}

func (m *ollamaChatLine) errorField() json.RawMessage { return m.Error }

func decodeOllamaChat(msg []byte) (string, bool, error) {
	var m ollamaChatLine
	if err := parse(msg, &m); err != nil {
		return "", false, err
	}
	return m.Message.Content, m.Done, nil
}
