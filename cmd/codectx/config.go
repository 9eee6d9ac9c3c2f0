package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/bmatcuk/doublestar/v4"

	"github.com/codectx/codectx/backends"
	"github.com/codectx/codectx/serve"
)

// Config is codectx's whole configuration. The TOML file sets it, CODECTX_* environment
// variables override the file, and flags override both.
type Config struct {
	DataDir  string         `toml:"data_dir"`
	Addr     string         `toml:"addr"`
	LogLevel string         `toml:"log_level"`
	Workers  int            `toml:"workers"`
	Index    IndexConfig    `toml:"index"`
	Sources  []SourceConfig `toml:"sources"`
	Server   ServerConfig   `toml:"server"`
	// Model configures the model back ends, in the shape of Tabby's config.toml.
	Model      ModelConfig      `toml:"model"`
	Completion CompletionConfig `toml:"completion"`
}

// ServerConfig is the [server] table.
type ServerConfig struct {
	// Auth is "auto" (tokens are required when listening beyond loopback, or once any token
	// exists), "on" or "off".
	Auth string `toml:"auth"`
	// RateLimitPerMinute limits requests per token on /v1* routes except health (0: none).
	RateLimitPerMinute         int  `toml:"rate_limit_per_minute"`
	DisableClientSideTelemetry bool `toml:"disable_client_side_telemetry"`
}

// ModelConfig is the [model] table: [model.completion.http] and [model.chat.http].
type ModelConfig struct {
	Completion *ModelUse `toml:"completion"`
	Chat       *ModelUse `toml:"chat"`
	Embedding  *ModelUse `toml:"embedding"`
}

// ModelUse holds the HTTP back end of one use.
type ModelUse struct {
	HTTP backends.Config `toml:"http"`
}

// CompletionConfig is the [completion] table.
type CompletionConfig struct {
	// ContextChars is the budget of context laid before the prefix (client snippets first).
	ContextChars       int `toml:"context_chars"`
	RetrievalTimeoutMS int `toml:"retrieval_timeout_ms"`
	MaxTokens          int `toml:"max_tokens"`
	TimeoutMS          int `toml:"timeout_ms"`
}

// IndexConfig holds the indexing knobs that apply to every source.
type IndexConfig struct {
	MaxFileBytes     int64 `toml:"max_file_bytes"`
	ChunkTargetChars int   `toml:"chunk_target_chars"`
}

// SourceConfig is one [[sources]] entry.
type SourceConfig struct {
	Name string `toml:"name"`
	// URL is a local path (a git repository or a plain folder) or a remote git URL.
	URL        string   `toml:"url"`
	Branch     string   `toml:"branch"`
	Token      string   `toml:"token"`
	TokenEnv   string   `toml:"token_env"`
	SSHKeyFile string   `toml:"ssh_key_file"`
	Include    []string `toml:"include"`
	Exclude    []string `toml:"exclude"`
}

// Defaults.
const (
	defaultAddr       = "127.0.0.1:8765"
	defaultMaxFile    = 1 << 20
	defaultChunkChars = 1500
	// An editor asks for a completion every few keystrokes; 1,200 a minute is far above what
	// a person types and still stops a runaway script.
	defaultRatePerMinute = 1200
)

func defaultConfig() Config {
	home, err := os.UserHomeDir()
	dir := ".codectx"
	if err == nil {
		dir = filepath.Join(home, ".codectx")
	}
	return Config{
		DataDir:  dir,
		Addr:     defaultAddr,
		LogLevel: "info",
		Index:    IndexConfig{MaxFileBytes: defaultMaxFile, ChunkTargetChars: defaultChunkChars},
		Server:   ServerConfig{Auth: "auto", RateLimitPerMinute: defaultRatePerMinute},
		Completion: CompletionConfig{
			ContextChars:       serve.DefaultContextChars,
			RetrievalTimeoutMS: int(serve.DefaultRetrievalTimeout / time.Millisecond),
			MaxTokens:          serve.DefaultMaxTokens,
			TimeoutMS:          int(serve.DefaultTimeout / time.Millisecond),
		},
	}
}

// loadConfig reads the file (if path is not empty), then applies the environment. Unknown keys
// are errors.
func loadConfig(path string, env func(string) string) (Config, error) {
	cfg := defaultConfig()
	if path != "" {
		md, err := toml.DecodeFile(path, &cfg)
		if err != nil {
			return cfg, fmt.Errorf("reading config %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return cfg, fmt.Errorf("config %s: unknown keys: %s", path, strings.Join(keys, ", "))
		}
	}
	if err := applyEnv(&cfg, env); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// applyEnv applies CODECTX_DATA_DIR, CODECTX_ADDR, CODECTX_LOG_LEVEL, CODECTX_WORKERS,
// CODECTX_MAX_FILE_BYTES and CODECTX_CHUNK_TARGET_CHARS.
func applyEnv(cfg *Config, env func(string) string) error {
	if v := env("CODECTX_DATA_DIR"); v != "" {
		cfg.DataDir = v
	}
	if v := env("CODECTX_ADDR"); v != "" {
		cfg.Addr = v
	}
	if v := env("CODECTX_LOG_LEVEL"); v != "" {
		cfg.LogLevel = v
	}
	ints := []struct {
		name string
		set  func(int64)
	}{
		{"CODECTX_WORKERS", func(n int64) { cfg.Workers = int(n) }},
		{"CODECTX_MAX_FILE_BYTES", func(n int64) { cfg.Index.MaxFileBytes = n }},
		{"CODECTX_CHUNK_TARGET_CHARS", func(n int64) { cfg.Index.ChunkTargetChars = int(n) }},
	}
	for _, e := range ints {
		if v := env(e.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%s=%q: not a whole number", e.name, v)
			}
			e.set(n)
		}
	}
	return nil
}

var sourceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]*$`)

// Validate reports every bad value at once.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir must not be empty"))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want HOST:PORT", c.Addr))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.Workers < 0 || c.Workers > 256 {
		errs = append(errs, fmt.Errorf("workers %d: want 0 (one per CPU) to 256", c.Workers))
	}
	if c.Index.MaxFileBytes < 1024 {
		errs = append(errs, fmt.Errorf("index.max_file_bytes %d: want at least 1024", c.Index.MaxFileBytes))
	}
	if c.Index.ChunkTargetChars < 200 || c.Index.ChunkTargetChars > 20000 {
		errs = append(errs, fmt.Errorf("index.chunk_target_chars %d: want 200 to 20000", c.Index.ChunkTargetChars))
	}
	switch c.Server.Auth {
	case "auto", "on", "off":
	default:
		errs = append(errs, fmt.Errorf("server.auth %q: want auto, on or off", c.Server.Auth))
	}
	if c.Server.RateLimitPerMinute < 0 {
		errs = append(errs, fmt.Errorf("server.rate_limit_per_minute %d: want 0 (no limit) or more", c.Server.RateLimitPerMinute))
	}
	if m := c.Model.Completion; m != nil {
		if err := m.HTTP.Validate("completion"); err != nil {
			errs = append(errs, err)
		}
	}
	if m := c.Model.Chat; m != nil {
		if err := m.HTTP.Validate("chat"); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Model.Embedding != nil {
		errs = append(errs, errors.New("model.embedding: dense embeddings are not supported yet; remove the table"))
	}
	cc := c.Completion
	if cc.ContextChars < 0 || cc.ContextChars > 1<<16 {
		errs = append(errs, fmt.Errorf("completion.context_chars %d: want 0 (no context) to 65536", cc.ContextChars))
	}
	if cc.RetrievalTimeoutMS < 1 || cc.RetrievalTimeoutMS > 10000 {
		errs = append(errs, fmt.Errorf("completion.retrieval_timeout_ms %d: want 1 to 10000", cc.RetrievalTimeoutMS))
	}
	if cc.MaxTokens < 1 || cc.MaxTokens > 4096 {
		errs = append(errs, fmt.Errorf("completion.max_tokens %d: want 1 to 4096", cc.MaxTokens))
	}
	if cc.TimeoutMS < 100 || cc.TimeoutMS > 600000 {
		errs = append(errs, fmt.Errorf("completion.timeout_ms %d: want 100 to 600000", cc.TimeoutMS))
	}
	seen := map[string]bool{}
	for i, s := range c.Sources {
		where := fmt.Sprintf("sources[%d]", i)
		if s.Name != "" {
			where = fmt.Sprintf("source %q", s.Name)
		}
		if s.URL == "" {
			errs = append(errs, fmt.Errorf("%s: url is required", where))
		}
		if s.Name != "" && !sourceName.MatchString(s.Name) {
			errs = append(errs, fmt.Errorf("%s: name may hold letters, digits, '.', '_', '-' and '@'", where))
		}
		if s.Name != "" {
			if seen[s.Name] {
				errs = append(errs, fmt.Errorf("%s: name used twice", where))
			}
			seen[s.Name] = true
		}
		if s.Token != "" && s.TokenEnv != "" {
			errs = append(errs, fmt.Errorf("%s: set token or token_env, not both", where))
		}
		for _, g := range append(append([]string{}, s.Include...), s.Exclude...) {
			if !doublestar.ValidatePattern(g) {
				errs = append(errs, fmt.Errorf("%s: bad glob %q", where, g))
			}
		}
	}
	return errors.Join(errs...)
}

// nameSources gives every source a unique name: its own, or one derived from its URL.
func nameSources(srcs []SourceConfig) {
	used := map[string]bool{}
	for _, s := range srcs {
		if s.Name != "" {
			used[s.Name] = true
		}
	}
	for i := range srcs {
		if srcs[i].Name != "" {
			continue
		}
		base := deriveName(srcs[i].URL)
		if srcs[i].Branch != "" {
			base += "@" + srcs[i].Branch
		}
		name := base
		for n := 2; used[name]; n++ {
			name = base + "-" + strconv.Itoa(n)
		}
		used[name] = true
		srcs[i].Name = name
	}
}

// deriveName turns a path or URL into a source name: the repository's or folder's base name.
func deriveName(u string) string {
	s := strings.TrimRight(strings.TrimSpace(u), "/")
	if abs, err := filepath.Abs(s); err == nil && !strings.Contains(s, "://") && !strings.Contains(s, "@") {
		s = abs
	}
	s = strings.TrimSuffix(s, ".git")
	if i := strings.LastIndexAny(s, "/:\\"); i >= 0 {
		s = s[i+1:]
	}
	s = regexp.MustCompile(`[^A-Za-z0-9._-]+`).ReplaceAllString(s, "-")
	s = strings.Trim(s, "-.")
	if s == "" {
		return "source"
	}
	return s
}
