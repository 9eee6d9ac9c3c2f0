// Command codectx is the code-context engine: it indexes git repositories and folders, serves
// ranked cross-file context for a cursor position, and serves Tabby-compatible completions
// with that context in the prompt.
//
//	codectx serve   [--config F] [--data-dir DIR] [--addr HOST:PORT] [--source PATH_OR_URL]...
//	codectx index   [--config F] [--data-dir DIR] --source PATH_OR_URL [--branch B]
//	codectx search  [--config F] [--data-dir DIR] --file F --line N [--json]
//	codectx status  [--config F] [--data-dir DIR] [--json]
//	codectx token   create [--name N] | list [--json] | revoke NAME
//	codectx stats   [--config F] [--data-dir DIR] [--days N] [--json]
//	codectx config validate [--config F]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// CODECTX_CPUPROFILE=FILE writes a CPU profile of the whole run, for benchmarking.
	if path := os.Getenv("CODECTX_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	if code != 0 {
		pprof.StopCPUProfile()
		os.Exit(code)
	}
}

const usage = `codectx: a self-hosted code-context engine.

Usage:
  codectx serve   [--config F] [--data-dir DIR] [--addr HOST:PORT] [--source PATH_OR_URL]...
  codectx index   [--config F] [--data-dir DIR] --source PATH_OR_URL [--branch B]
  codectx search  [--config F] [--data-dir DIR] --file F --line N [--json]
  codectx status  [--config F] [--data-dir DIR] [--json]   sources, last runs, dead letters
  codectx token   create [--name N] | list [--json] | revoke NAME   API tokens of the server
  codectx stats   [--config F] [--data-dir DIR] [--days N] [--json]   completion acceptance rate
  codectx config validate [--config F]
  codectx eval    [--projects LIST] [--tasks N] [--seed S] [--json] [--workdir DIR]   context quality
  codectx version

Run "codectx COMMAND -h" for a command's flags.
`

// errUsage marks errors whose message is enough: no "error:" prefix and exit code 2.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr, env)
	case "index":
		err = cmdIndex(ctx, args[1:], stdout, stderr, env)
	case "search":
		err = cmdSearch(ctx, args[1:], stdout, stderr, env)
	case "status":
		err = cmdStatus(ctx, args[1:], stdout, stderr, env)
	case "token":
		err = cmdToken(ctx, args[1:], stdout, stderr, env)
	case "stats":
		err = cmdStats(ctx, args[1:], stdout, stderr, env)
	case "config":
		err = cmdConfig(args[1:], stdout, stderr, env)
	case "eval":
		err = cmdEval(ctx, args[1:], stdout, stderr, env)
	case "version", "--version":
		fmt.Fprintln(stdout, "codectx", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "codectx: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "codectx:", strings.TrimSuffix(err.Error(), ": "+errUsage.Error()))
		return 2
	default:
		fmt.Fprintln(stderr, "codectx: error:", err)
		return 1
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "v0.1.0-dev"

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// commonFlags are the flags every command that touches the index takes.
type commonFlags struct {
	config   string
	dataDir  string
	logLevel string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", "", "TOML configuration file (env CODECTX_CONFIG)")
	fs.StringVar(&c.dataDir, "data-dir", "", "where the index lives (default ~/.codectx; env CODECTX_DATA_DIR)")
	fs.StringVar(&c.logLevel, "log-level", "", "debug, info, warn or error (env CODECTX_LOG_LEVEL)")
}

// load reads the configuration: file, then environment, then these flags.
func (c *commonFlags) load(env func(string) string) (Config, error) {
	path := c.config
	if path == "" {
		path = env("CODECTX_CONFIG")
	}
	cfg, err := loadConfig(path, env)
	if err != nil {
		return cfg, err
	}
	if c.dataDir != "" {
		cfg.DataDir = c.dataDir
	}
	if c.logLevel != "" {
		cfg.LogLevel = c.logLevel
	}
	return cfg, nil
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%s: %w", fs.Name(), errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q: %w", fs.Name(), fs.Arg(0), errUsage)
	}
	return nil
}

func cmdConfig(args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 || args[0] != "validate" {
		return fmt.Errorf("config: want \"codectx config validate [--config F]\": %w", errUsage)
	}
	fs := flag.NewFlagSet("config validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	nameSources(cfg.Sources)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	fmt.Fprintf(stdout, "configuration is valid: %d sources, data dir %s, addr %s\n", len(cfg.Sources), cfg.DataDir, cfg.Addr)
	return nil
}
