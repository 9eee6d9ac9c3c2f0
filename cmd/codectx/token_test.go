package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/sinks/embedded"
)

// runCLI runs one command in process and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, envMap(nil))
	return code, stdout.String(), stderr.String()
}

func TestHashToken(t *testing.T) {
	if got, want := hashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Fatalf("hashToken(abc) = %s, want %s", got, want)
	}
}

func TestTokenCreateListRevoke(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	// A store held open all along, as by a codectx serve on the same data dir.
	server, err := embedded.Open(ctx, filepath.Join(dataDir, "index"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	code, stdout, stderr := runCLI(t, "token", "create", "--name", "laptop", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("token create: exit %d: %s", code, stderr)
	}
	secret := strings.TrimSuffix(stdout, "\n")
	if !regexp.MustCompile(`^cx_[a-z2-7]{52}$`).MatchString(secret) {
		t.Fatalf("token create printed %q, want the secret alone on one line", stdout)
	}
	if !strings.Contains(stderr, `"laptop"`) || !strings.Contains(stderr, "only this once") {
		t.Errorf("stderr does not say the secret is shown once: %q", stderr)
	}
	tk, err := server.TokenByHash(ctx, hashToken(secret))
	if err != nil || tk.Name != "laptop" {
		t.Fatalf("the server does not find the new token by its hash: %+v, %v", tk, err)
	}

	// Default names, and secrets that differ.
	secrets := map[string]bool{secret: true}
	for i, want := range []string{"token-1", "token-2"} {
		code, stdout, stderr := runCLI(t, "token", "create", "--data-dir", dataDir)
		if code != 0 {
			t.Fatalf("token create #%d: exit %d: %s", i, code, stderr)
		}
		s := strings.TrimSpace(stdout)
		if secrets[s] {
			t.Fatalf("token create printed the same secret twice: %s", s)
		}
		secrets[s] = true
		if tk, err := server.TokenByHash(ctx, hashToken(s)); err != nil || tk.Name != want {
			t.Fatalf("default name = %+v, %v; want %s", tk, err, want)
		}
	}

	code, stdout, stderr = runCLI(t, "token", "create", "--name", "laptop", "--data-dir", dataDir)
	if code != 1 || stdout != "" || !strings.Contains(stderr, `a token named "laptop" already exists`) {
		t.Fatalf("duplicate name: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	code, stdout, stderr = runCLI(t, "token", "list", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("token list: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"NAME", "CREATED", "laptop", "token-1", "token-2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("token list lacks %q:\n%s", want, stdout)
		}
	}
	for s := range secrets {
		if strings.Contains(stdout, s) || strings.Contains(stdout, hashToken(s)) {
			t.Errorf("token list shows a secret or its hash:\n%s", stdout)
		}
	}

	code, stdout, stderr = runCLI(t, "token", "list", "--json", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("token list --json: exit %d: %s", code, stderr)
	}
	var listed []map[string]any
	if err := json.Unmarshal([]byte(stdout), &listed); err != nil {
		t.Fatalf("token list --json: %v\n%s", err, stdout)
	}
	if len(listed) != 3 || listed[0]["name"] != "laptop" || listed[0]["created_at"] == nil || len(listed[0]) != 2 {
		t.Fatalf("token list --json = %v", listed)
	}

	code, stdout, stderr = runCLI(t, "token", "revoke", "laptop", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(stdout, "revoked") {
		t.Fatalf("token revoke: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := server.TokenByHash(ctx, hashToken(secret)); !errors.Is(err, codectx.ErrNotFound) {
		t.Fatalf("a revoked token is still found: %v", err)
	}
	// Flags before the name work too.
	code, _, stderr = runCLI(t, "token", "revoke", "--data-dir", dataDir, "laptop")
	if code != 1 || !strings.Contains(stderr, `no token named "laptop"`) {
		t.Fatalf("revoking twice: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "token", "revoke", "--data-dir", dataDir, "token-1")
	if code != 0 {
		t.Fatalf("token revoke with the name after the flags: exit %d: %s", code, stderr)
	}
	code, stdout, _ = runCLI(t, "token", "list", "--data-dir", dataDir)
	if code != 0 || strings.Contains(stdout, "laptop") || strings.Contains(stdout, "token-1") || !strings.Contains(stdout, "token-2") {
		t.Fatalf("token list after revoking: exit %d:\n%s", code, stdout)
	}
}

func TestTokenCommandErrors(t *testing.T) {
	dataDir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"token"}, 2, "want create, list or revoke"},
		{[]string{"token", "mint"}, 2, `unknown command "mint"`},
		{[]string{"token", "create", "--name", "has space", "--data-dir", dataDir}, 2, "name"},
		{[]string{"token", "create", "--data-dir", dataDir, "extra"}, 2, "unexpected argument"},
		{[]string{"token", "revoke", "--data-dir", dataDir}, 2, "NAME"},
		{[]string{"token", "revoke", "a", "b", "--data-dir", dataDir}, 2, "unexpected argument"},
		{[]string{"token", "revoke", "nobody", "--data-dir", dataDir}, 1, `no token named "nobody"`},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("codectx %s: exit %d, stderr %q; want exit %d mentioning %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.want)
		}
	}
	// Listing or revoking in an empty data dir creates nothing there.
	code, stdout, stderr := runCLI(t, "token", "list", "--data-dir", dataDir)
	if code != 0 || !strings.Contains(stdout, "no tokens yet") {
		t.Fatalf("token list on an empty data dir: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "index")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("token list or revoke created the index: %v", err)
	}
	code, stdout, _ = runCLI(t, "token", "list", "--json", "--data-dir", dataDir)
	if code != 0 || strings.TrimSpace(stdout) != "[]" {
		t.Fatalf("token list --json on an empty data dir: exit %d, %q", code, stdout)
	}
}
