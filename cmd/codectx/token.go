package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sinks/embedded"
)

// tokenPrefix starts every secret, so that a leaked one is easy to recognise in logs and by
// secret scanners.
const tokenPrefix = "cx_"

// newTokenSecret returns a new secret: the prefix and 32 random bytes in lower-case base32.
func newTokenSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a token: %w", err)
	}
	return tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// hashToken is what the store keeps of a secret, and what the server looks a bearer token up
// by (serve.HashToken, the hex SHA-256 of the secret).
func hashToken(secret string) string { return serve.HashToken(secret) }

// tokenName is what a token's name may hold; it shows in logs and usage as the user.
var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

const tokenUsage = `codectx token: manage the completion server's API tokens.

  codectx token create [--name N] [--config F] [--data-dir DIR]   prints the new secret, once
  codectx token list   [--json] [--config F] [--data-dir DIR]
  codectx token revoke NAME [--config F] [--data-dir DIR]
`

func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return fmt.Errorf("token: want create, list or revoke: %w", errUsage)
	}
	switch args[0] {
	case "create":
		return cmdTokenCreate(ctx, args[1:], stdout, stderr, env)
	case "list":
		return cmdTokenList(ctx, args[1:], stdout, stderr, env)
	case "revoke":
		return cmdTokenRevoke(ctx, args[1:], stdout, stderr, env)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, tokenUsage)
		return nil
	default:
		return fmt.Errorf("token: unknown command %q, want create, list or revoke: %w", args[0], errUsage)
	}
}

// errNoCatalog is returned by openCatalog, when asked not to create one, for a data dir that
// has none yet.
var errNoCatalog = errors.New("no index yet")

// openCatalog loads the configuration and opens the store in its data dir without loading the
// index, which the token and stats commands do not need: they open quickly even on a big
// index, and beside a running server. With create false, a data dir without a catalog gives
// errNoCatalog rather than a new empty one.
func openCatalog(ctx context.Context, cf commonFlags, env func(string) string, stderr io.Writer, create bool) (*embedded.Store, string, error) {
	cfg, err := cf.load(env)
	if err != nil {
		return nil, "", err
	}
	nameSources(cfg.Sources)
	if err := cfg.Validate(); err != nil {
		return nil, "", fmt.Errorf("invalid configuration:\n%w", err)
	}
	dataDir := expandHome(cfg.DataDir)
	dir := filepath.Join(dataDir, "index")
	if !create {
		if _, err := os.Stat(filepath.Join(dir, embedded.DBFile)); errors.Is(err, os.ErrNotExist) {
			return nil, dataDir, errNoCatalog
		}
	}
	s, err := embedded.OpenWith(ctx, dir, cliLogger(stderr, cfg.LogLevel), embedded.OpenOptions{SkipIndex: true})
	if err != nil {
		return nil, dataDir, fmt.Errorf("opening the index in %s: %w", dataDir, err)
	}
	return s, dataDir, nil
}

func cmdTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	name := fs.String("name", "", "the token's name, shown in logs and usage (default token-N)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name != "" && !tokenName.MatchString(*name) {
		return fmt.Errorf("token create: name %q: use up to 64 letters, digits, '.', '_', '-' and '@', starting with a letter or digit: %w", *name, errUsage)
	}
	s, _, err := openCatalog(ctx, cf, env, stderr, true)
	if err != nil {
		return err
	}
	defer s.Close()

	secret, err := newTokenSecret()
	if err != nil {
		return err
	}
	t := codectx.Token{Name: *name, Hash: hashToken(secret), CreatedAt: time.Now().UTC()}
	// A default name may be taken by a token created at the same moment: pick the next one.
	for attempt := 1; ; attempt++ {
		if *name == "" {
			if t.Name, err = defaultTokenName(ctx, s); err != nil {
				return err
			}
		}
		err = s.CreateToken(ctx, t)
		if *name == "" && errors.Is(err, codectx.ErrExists) && attempt < 5 {
			continue
		}
		break
	}
	switch {
	case errors.Is(err, codectx.ErrExists) && *name != "":
		return fmt.Errorf("a token named %q already exists: revoke it first or choose another --name", *name)
	case err != nil:
		return err
	}
	fmt.Fprintln(stdout, secret)
	fmt.Fprintf(stderr, "created token %q. The secret above is shown only this once (codectx keeps only its hash): store it now.\n", t.Name)
	return nil
}

// defaultTokenName returns "token-N" for the smallest N not in use.
func defaultTokenName(ctx context.Context, s codectx.Tokens) (string, error) {
	ts, err := s.ListTokens(ctx)
	if err != nil {
		return "", err
	}
	used := make(map[string]bool, len(ts))
	for _, t := range ts {
		used[t.Name] = true
	}
	for n := 1; ; n++ {
		if name := "token-" + strconv.Itoa(n); !used[name] {
			return name, nil
		}
	}
}

func cmdTokenList(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := flag.NewFlagSet("token list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// Only names and dates are shown: secrets are not kept, and hashes are nobody's business.
	type listed struct {
		Name      string    `json:"name"`
		CreatedAt time.Time `json:"created_at"`
	}
	out := []listed{}
	s, _, err := openCatalog(ctx, cf, env, stderr, false)
	switch {
	case errors.Is(err, errNoCatalog):
	case err != nil:
		return err
	default:
		defer s.Close()
		ts, err := s.ListTokens(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			out = append(out, listed{t.Name, t.CreatedAt})
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(out) == 0 {
		fmt.Fprintln(stdout, "no tokens yet; create one with: codectx token create --name NAME")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCREATED")
	for _, t := range out {
		fmt.Fprintf(tw, "%s\t%s\n", t.Name, t.CreatedAt.Local().Format(time.DateTime))
	}
	return tw.Flush()
}

func cmdTokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := flag.NewFlagSet("token revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf commonFlags
	cf.register(fs)
	// NAME may come before the flags or after them.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
		if err := parseFlags(fs, args); err != nil {
			return err
		}
	} else {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return fmt.Errorf("token revoke: %w", errUsage)
		}
		if fs.NArg() > 1 {
			return fmt.Errorf("token revoke: unexpected argument %q: %w", fs.Arg(1), errUsage)
		}
		name = fs.Arg(0)
	}
	if name == "" {
		return fmt.Errorf("token revoke: want the token's NAME (see codectx token list): %w", errUsage)
	}
	s, _, err := openCatalog(ctx, cf, env, stderr, false)
	if errors.Is(err, errNoCatalog) {
		return fmt.Errorf("no token named %q (there are no tokens yet)", name)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.RevokeToken(ctx, name); errors.Is(err, codectx.ErrNotFound) {
		return fmt.Errorf("no token named %q (see codectx token list)", name)
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked token %q\n", name)
	return nil
}
