// Package config loads service configuration from TOML files and the environment.
package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// DefaultPort is used when no port is configured.
const DefaultPort = 8080

const (
	envPrefix  = "APP_"
	maxRetries = 3
)

var (
	// ErrMissing is returned when a required key is absent.
	ErrMissing = errors.New("missing key")
	verbose    bool
)

// Config is the service configuration.
type Config struct {
	Name    string
	Port    int
	Debug   bool
	Tags    []string
	Timeout int
}

// Loader reads configuration from somewhere.
type Loader interface {
	Load(path string) (*Config, error)
}

type envLoader struct{ prefix string }

// ParseConfig parses key=value lines into a Config.
func ParseConfig(text string) (*Config, error) {
	c := &Config{Port: DefaultPort}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: expected key=value", i+1)
		}
		if err := c.set(strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	return c, nil
}

// set assigns one key.
func (c *Config) set(k, v string) error {
	switch k {
	case "name":
		c.Name = v
	case "port":
		var p int
		if _, err := fmt.Sscanf(v, "%d", &p); err != nil {
			return fmt.Errorf("port: %w", err)
		}
		c.Port = p
	case "debug":
		c.Debug = v == "true"
	case "tags":
		c.Tags = strings.Split(v, ",")
	default:
		return fmt.Errorf("unknown key %q", k)
	}
	return nil
}

// Load implements Loader by reading the environment.
func (l envLoader) Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	c, err := ParseConfig(string(b))
	if err != nil {
		return nil, err
	}
	if name := os.Getenv(l.prefix + "NAME"); name != "" {
		c.Name = name
	}
	return c, nil
}

// Validate reports the first problem with c.
func (c *Config) Validate() error {
	if c.Name == "" {
		return ErrMissing
	}
	if c.Port <= 0 || c.Port > 65535 {
		return fmt.Errorf("port %d out of range", c.Port)
	}
	return nil
}
