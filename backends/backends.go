// Package backends holds the HTTP clients that codectx uses to reach model back ends: the code
// completion servers (llama.cpp, Ollama, OpenAI-style, vLLM, DeepSeek, Mistral FIM) and the chat
// servers (OpenAI-style, Ollama). Each client streams the generation, ends it the moment the caller
// stops listening, and counts every request in Prometheus.
//
// The configuration is one [model.<use>.http] table in the shape Tabby users already write; see
// Config. The wire protocol of each kind is described next to its Kind constant.
package backends

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

// Kind names a back-end wire protocol, as written in the configuration's kind key.
type Kind string

const (
	// LlamaCppCompletion: POST {endpoint}/completion with {prompt, n_predict, temperature, seed,
	// stream, stop}; SSE events "data: {content, stop}", ending at stop:true.
	LlamaCppCompletion Kind = "llama.cpp/completion"
	// OllamaCompletion: POST {endpoint}/api/generate; NDJSON lines {response, done}, ending at
	// done:true. With a prompt template the filled prompt goes out with raw:true; without one the
	// prefix and suffix are sent and Ollama applies the model's own template.
	OllamaCompletion Kind = "ollama/completion"
	// OpenAICompletion: POST …/v1/completions with prompt and suffix (fill in the middle); SSE
	// events carrying choices[0].text, ending at "data: [DONE]".
	OpenAICompletion Kind = "openai/completion"
	// DeepSeekCompletion speaks the same wire as OpenAICompletion.
	DeepSeekCompletion Kind = "deepseek/completion"
	// VLLMCompletion: POST …/v1/completions with the templated prompt and no suffix.
	VLLMCompletion Kind = "vllm/completion"
	// MistralCompletion: POST {endpoint}/v1/fim/completions with {model, prompt, suffix,
	// max_tokens, stream}; SSE chunks shaped like chat chunks (choices[0].delta.content).
	MistralCompletion Kind = "mistral/completion"
	// OpenAIChat: POST …/v1/chat/completions; SSE events carrying choices[0].delta.content.
	OpenAIChat Kind = "openai/chat"
	// MistralChat speaks the same wire as OpenAIChat (Mistral's chat API is OpenAI-shaped).
	MistralChat Kind = "mistral/chat"
	// OllamaChat: POST {endpoint}/api/chat; NDJSON lines {message: {content}, done}.
	OllamaChat Kind = "ollama/chat"
)

// Uses of a model, as in the configuration's [model.<use>.http] tables.
const (
	UseCompletion = "completion"
	UseChat       = "chat"
)

var completionKinds = []Kind{LlamaCppCompletion, OllamaCompletion, OpenAICompletion, DeepSeekCompletion, VLLMCompletion, MistralCompletion}
var chatKinds = []Kind{OpenAIChat, MistralChat, OllamaChat}

// Kinds lists the kinds that serve use ("completion" or "chat"), in a stable order.
func Kinds(use string) []Kind {
	switch use {
	case UseCompletion:
		return append([]Kind(nil), completionKinds...)
	case UseChat:
		return append([]Kind(nil), chatKinds...)
	}
	return nil
}

// ErrStop is returned by an emit function to end generation early. Complete and Chat then cancel
// the back-end request at once and return nil.
var ErrStop = errors.New("backends: stop generating")

// ErrUnavailable is wrapped by every error that means the back end could not serve the request:
// connection refused, DNS failure, a non-2xx status, or a body that is not the expected stream.
// The wrapping error names the kind and the endpoint (never the api key), and carries the status
// and a short excerpt of the body when there is one.
//
// Timeouts are not ErrUnavailable: they wrap context.DeadlineExceeded. A cancelled ctx gives an
// error wrapping context.Canceled.
var ErrUnavailable = errors.New("model back end unavailable")

// CompletionRequest is one code completion to generate.
type CompletionRequest struct {
	// Prefix and Suffix are the text before and after the cursor. Prefix already carries any
	// context comments.
	Prefix, Suffix string
	// RawPrompt, when set, is sent as the prompt as-is: no template and no suffix.
	RawPrompt string
	// MaxTokens limits the generation; 0 means 64.
	MaxTokens   int
	Temperature float64
	Seed        int64
	// Stop is forwarded to the back end where its API takes stop sequences. Callers still trim
	// their output themselves: openai/completion forwards at most 4 (the OpenAI limit), and
	// deepseek/completion at most 16.
	Stop []string
}

// DefaultMaxTokens is the generation limit of a CompletionRequest whose MaxTokens is 0.
const DefaultMaxTokens = 64

// Completer generates code completions from one configured back end. It is safe for concurrent use.
type Completer interface {
	// Complete streams the generated text to emit as it arrives, in order, one call per piece the
	// back end sent (empty pieces are skipped). emit is called on the caller's goroutine.
	//
	// If emit returns ErrStop, generation ends, the back-end request is cancelled at once, and
	// Complete returns nil. Any other emit error also cancels the request and is returned as is.
	// Cancelling ctx cancels the back-end request at once (the editor went away) and Complete
	// returns an error wrapping context.Canceled. The configured timeout bounds the whole
	// request; exceeding it gives an error wrapping context.DeadlineExceeded. Every failure of
	// the back end itself wraps ErrUnavailable. Text already emitted stays emitted whatever the
	// outcome.
	Complete(ctx context.Context, req CompletionRequest, emit func(text string) error) error
	// Prompt returns the prompt text that Complete would send for req, for debugging output: the
	// filled template, or the prompt field for the fill-in-the-middle kinds, or RawPrompt when set.
	Prompt(req CompletionRequest) string
	// Model returns the configured model_name, or the kind when there is none.
	Model() string
	Kind() Kind
}

// ChatMessage is one turn of a chat.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is one chat answer to generate. Zero MaxTokens, Temperature and Seed leave the back
// end's defaults.
type ChatRequest struct {
	Messages    []ChatMessage
	MaxTokens   int
	Temperature float64
	Seed        int64
}

// Chatter generates chat answers from one configured back end. It is safe for concurrent use.
type Chatter interface {
	// Chat streams the answer to emit as it arrives. Streaming, stopping, cancellation, timeouts
	// and errors follow the same rules as Completer.Complete.
	Chat(ctx context.Context, req ChatRequest, emit func(delta string) error) error
	// Model returns the configured model_name, or the kind when there is none.
	Model() string
	Kind() Kind
}

// Options are the dependencies of a client. All are optional.
type Options struct {
	// HTTPClient sends the requests; nil means a shared client tuned for many concurrent
	// streams to the same host. Its own Timeout, if any, applies on top of the configured one.
	HTTPClient *http.Client
	// Registerer receives the metrics; nil means no metrics. Clients sharing a Registerer share
	// one set of collectors.
	Registerer prometheus.Registerer
	// Log receives warnings about the configuration and failed requests; nil discards them.
	Log *slog.Logger
}
