package backends

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Config is one [model.<use>.http] table of the configuration file, in the shape Tabby uses.
type Config struct {
	Kind        string `toml:"kind"`
	APIEndpoint string `toml:"api_endpoint"`
	APIKey      string `toml:"api_key"`
	ModelName   string `toml:"model_name"`
	// PromptTemplate is a built-in template name (see TemplateNames) or a literal containing
	// {prefix} and usually {suffix}.
	PromptTemplate string `toml:"prompt_template"`

	// codectx additions; zero means the default.

	// TimeoutMS bounds a whole request, from sending it to the end of the stream. The default is
	// 30000 for completion and 120000 for chat.
	TimeoutMS int `toml:"timeout_ms"`
}

// Default whole-request limits.
const (
	DefaultCompletionTimeout = 30 * time.Second
	DefaultChatTimeout       = 120 * time.Second
)

// defaultMistralEndpoint is used by mistral kinds when api_endpoint is empty, as Tabby does.
const defaultMistralEndpoint = "https://api.mistral.ai"

// defaultMistralModel is used by mistral/completion when model_name is empty, as Tabby does.
const defaultMistralModel = "codestral-latest"

// Validate reports every problem of the table [model.<use>.http], where use is "completion" or
// "chat". Each message names the key it is about.
func (c Config) Validate(use string) error {
	p := "model." + use + ".http"
	if use != UseCompletion && use != UseChat {
		return fmt.Errorf("%s: unsupported use %q; want completion or chat", p, use)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(p+"."+format, args...)) }

	kind := Kind(c.Kind)
	if !slices.Contains(Kinds(use), kind) {
		names := make([]string, 0, len(Kinds(use)))
		for _, k := range Kinds(use) {
			names = append(names, string(k))
		}
		want := strings.Join(names, ", ")
		switch {
		case c.Kind == "":
			bad("kind: missing; want one of %s", want)
		default:
			bad("kind %q: want one of %s", c.Kind, want)
		}
		kind = ""
	}

	switch {
	case c.APIEndpoint == "" && (kind == MistralCompletion || kind == MistralChat):
		// Tabby defaults mistral kinds to the Mistral API.
	case c.APIEndpoint == "":
		bad("api_endpoint: missing; want an http(s) URL such as http://localhost:8080")
	default:
		if err := checkEndpoint(c.APIEndpoint); err != nil {
			bad("api_endpoint %q: %v", c.APIEndpoint, err)
		}
	}

	if strings.ContainsFunc(c.APIKey, unicode.IsControl) {
		bad("api_key: contains control characters")
	}

	switch kind {
	case OpenAICompletion, DeepSeekCompletion, VLLMCompletion, OllamaCompletion, OpenAIChat, MistralChat, OllamaChat:
		if strings.TrimSpace(c.ModelName) == "" {
			bad("model_name: missing; %s needs the name the back end serves the model under", kind)
		}
	}
	if kind == MistralCompletion && c.APIKey == "" {
		bad("api_key: missing; mistral/completion needs one")
	}

	switch kind {
	case LlamaCppCompletion, VLLMCompletion:
		if c.PromptTemplate == "" {
			bad("prompt_template: missing; %s needs one: a name (%s) or a literal with {prefix} and {suffix}",
				kind, strings.Join(TemplateNames(), ", "))
		} else if _, err := Template(c.PromptTemplate); err != nil {
			bad("prompt_template: %v", err)
		}
	case OllamaCompletion:
		if c.PromptTemplate != "" {
			if _, err := Template(c.PromptTemplate); err != nil {
				bad("prompt_template: %v", err)
			}
		}
	}
	if use == UseChat && c.PromptTemplate != "" {
		bad("prompt_template: not used by chat models; remove it")
	}
	// The fill-in-the-middle kinds (openai, deepseek, mistral completion) ignore prompt_template,
	// as Tabby does; the constructor logs a warning rather than rejecting configurations that
	// carry one.

	if c.TimeoutMS < 0 {
		bad("timeout_ms %d: must not be negative (0 means the default)", c.TimeoutMS)
	}
	return errors.Join(errs...)
}

func checkEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("want an http:// or https:// URL")
	case u.Host == "":
		return errors.New("no host")
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return errors.New("must not carry a query or fragment")
	}
	return nil
}

func (c Config) timeout(use string) time.Duration {
	if c.TimeoutMS > 0 {
		return time.Duration(c.TimeoutMS) * time.Millisecond
	}
	if use == UseChat {
		return DefaultChatTimeout
	}
	return DefaultCompletionTimeout
}

// versionSegment matches a last path segment that is already an API version: v1, v2, v1beta,
// v1beta1, or DeepSeek's beta.
var versionSegment = regexp.MustCompile(`^(v[0-9]+[a-z0-9]*|beta)$`)

// joinVersioned builds the URL of an OpenAI-style route. Tabby appends the route ("/completions",
// "/chat/completions") straight to api_endpoint, so its users write the version into the endpoint
// ("https://api.openai.com/v1", "https://api.deepseek.com/beta"); others write the bare server
// ("http://host:8000"). Both work here: when the endpoint's last path segment is already a version,
// the route is appended; otherwise "/v1" comes first.
func joinVersioned(endpoint, route string) string {
	base := strings.TrimRight(endpoint, "/")
	last := base[strings.LastIndex(base, "/")+1:]
	if u, err := url.Parse(base); err == nil && u.Path != "" && versionSegment.MatchString(last) {
		return base + route
	}
	return base + "/v1" + route
}

// endpointURL returns the full URL a kind posts to.
func endpointURL(kind Kind, endpoint string) string {
	switch kind {
	case LlamaCppCompletion:
		return strings.TrimRight(endpoint, "/") + "/completion"
	case OllamaCompletion:
		return strings.TrimRight(endpoint, "/") + "/api/generate"
	case OllamaChat:
		return strings.TrimRight(endpoint, "/") + "/api/chat"
	case OpenAICompletion, DeepSeekCompletion, VLLMCompletion:
		return joinVersioned(endpoint, "/completions")
	case MistralCompletion:
		if endpoint == "" {
			endpoint = defaultMistralEndpoint
		}
		return joinVersioned(endpoint, "/fim/completions")
	case OpenAIChat, MistralChat:
		if endpoint == "" && kind == MistralChat {
			endpoint = defaultMistralEndpoint
		}
		return joinVersioned(endpoint, "/chat/completions")
	}
	return endpoint
}

// displayURL is the URL as shown in errors and logs: no user info, query or fragment.
func displayURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = nil, "", "", "", false
	return u.String()
}
