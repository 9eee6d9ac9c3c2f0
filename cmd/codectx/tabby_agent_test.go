package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codectx/codectx/backends"
	"github.com/codectx/codectx/backends/standin"
	"github.com/codectx/codectx/sources/git/gittest"
)

// tabbyAgentVersion is the tabby-agent release this test drives, the one scripts/test.sh
// installs. What the test relies on (the LSP server's status message, the config file's keys)
// was read from that release.
const tabbyAgentVersion = "1.5.0"

// tabbyAgentCLI returns the path of tabby-agent's dist/cli.js: $CODECTX_TABBY_AGENT, else the
// copy scripts/test.sh installs under the repository's .cache folder. Without it (or without
// node) the test fails under CI and is skipped elsewhere.
func tabbyAgentCLI(t *testing.T) (node, cli string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg + "; run `bash scripts/test.sh`, which installs it")
	}
	cli = os.Getenv("CODECTX_TABBY_AGENT")
	if cli == "" {
		// go test runs in the package's folder, two levels below the repository's root.
		abs, err := filepath.Abs(filepath.Join("..", "..", ".cache", "tabby-agent", "node_modules", "tabby-agent", "dist", "cli.js"))
		if err != nil {
			t.Fatal(err)
		}
		cli = abs
	}
	if _, err := os.Stat(cli); err != nil {
		missing("tabby-agent not found (CODECTX_TABBY_AGENT=%q): %v", os.Getenv("CODECTX_TABBY_AGENT"), err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("tabby-agent needs Node.js: %v", err)
	}
	var pkg struct{ Version string }
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(cli), "..", "package.json")); err == nil && json.Unmarshal(b, &pkg) == nil && pkg.Version != tabbyAgentVersion {
		t.Fatalf("%s is tabby-agent %s; this test is written against %s", cli, pkg.Version, tabbyAgentVersion)
	}
	return node, cli
}

// The repository the editor works in: a function defined in one file and called from another.
const (
	shapesGoMod = "module example.com/shapes\n\ngo 1.22\n"

	shapesGeometry = `// Package mathx has the formulas the shapes program needs.
package mathx

import "math"

// AreaOfTriangle returns the area of a triangle from its base and its height.
func AreaOfTriangle(base, height float64) float64 {
	return base * height / 2
}

// AreaOfCircle returns the area of a circle of radius r.
func AreaOfCircle(r float64) float64 {
	return math.Pi * r * r
}
`
	shapesVolume = `package mathx

// VolumeOfCylinder returns the volume of a cylinder of radius r and height h.
func VolumeOfCylinder(r, h float64) float64 {
	return AreaOfCircle(r) * h
}
`
	shapesMain = `package main

import (
	"fmt"

	"example.com/shapes/mathx"
)

func main() {
	fmt.Println(mathx.AreaOfTriangle(3, 4))
}
`
	// What the editor has open: main.go, with a new function half typed. The cursor is at
	// the end of cursorLine.
	editedMain = `package main

import (
	"fmt"

	"example.com/shapes/mathx"
)

// gableArea is the area of the triangular end wall of a roof.
func gableArea(width, rise float64) float64 {
	return mathx.AreaOfTriangle(
}

func main() {
	fmt.Println(mathx.AreaOfTriangle(3, 4))
}
`
	cursorLine = "\treturn mathx.AreaOfTriangle("

	// What the model stand-in answers, and so what the editor must be offered.
	modelCompletion = "width, rise)"
	// What of AreaOfTriangle's definition must reach the model's prompt.
	definitionSignature = "func AreaOfTriangle(base, height float64) float64 {"
	definitionBody      = "return base * height / 2"
)

// TestTabbyAgent runs Tabby's real editor client, tabby-agent from npm, in its LSP mode against
// a real codectx serve with a model stand-in behind it: the editor asks for a completion inside
// a call to a function defined in another file. The completion the model gave must reach the
// editor, and the function's definition, found by codectx from the prefix alone, must have
// reached the model. With a wrong token, the agent must report itself unauthorized and the
// model must see nothing.
func TestTabbyAgent(t *testing.T) {
	node, cli := tabbyAgentCLI(t)
	start := time.Now()

	repo := gittest.NewRepo(t)
	repo.Write("go.mod", shapesGoMod)
	repo.Write("mathx/geometry.go", shapesGeometry)
	repo.Write("mathx/volume.go", shapesVolume)
	repo.Write("main.go", shapesMain)
	repo.Commit("shapes")

	dataDir := t.TempDir()
	if out, err := codectxCmd("index", "--quiet", "--data-dir", dataDir, "--source", repo.Dir()).CombinedOutput(); err != nil {
		t.Fatalf("index: %v\n%s", err, out)
	}

	model := standin.Start(backends.LlamaCppCompletion, standin.Options{
		Reply: func(standin.Request) []string { return []string{"width, ", "rise)"} },
	})
	defer model.Close()

	config := filepath.Join(t.TempDir(), "codectx.toml")
	writeTextFile(t, config, fmt.Sprintf(`[server]
auth = "on"

[model.completion.http]
kind = "llama.cpp/completion"
api_endpoint = %q
prompt_template = "codellama"
`, model.URL))

	out, err := codectxCmd("token", "create", "--name", "e2e", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, exitStderr(err))
	}
	token := strings.TrimSpace(string(out))
	if token == "" {
		t.Fatal("token create printed no token")
	}

	base, stop := startServe(t, dataDir, repo.Dir(), "--config", config)
	defer stop()
	t.Logf("codectx ready at %s after %s", base, time.Since(start).Round(time.Millisecond))

	uri := "file://" + filepath.ToSlash(filepath.Join(repo.Dir(), "main.go"))
	line := strings.Index(editedMain, cursorLine+"\n")
	if line < 0 {
		t.Fatal("the cursor line is not in the edited file")
	}
	cursor := lspPosition{Line: strings.Count(editedMain[:line], "\n"), Character: len(cursorLine)}

	t.Run("completion", func(t *testing.T) {
		before := len(model.Requests())
		agent := startTabbyAgent(t, node, cli, base, token)
		items := agentComplete(t, agent, uri, editedMain, cursor)

		var offered []string
		found := false
		for _, it := range items {
			offered = append(offered, it.TextEdit.NewText)
			if it.TextEdit.NewText == modelCompletion {
				found = true
			}
		}
		if !found {
			t.Errorf("the editor was offered %q, not the model's %q", offered, modelCompletion)
		}

		reqs := model.Requests()[before:]
		if len(reqs) != 1 {
			t.Fatalf("the model got %d requests, want 1", len(reqs))
		}
		prompt := reqs[0].Prompt
		for _, want := range []string{definitionSignature, definitionBody, cursorLine} {
			if !strings.Contains(prompt, want) {
				t.Errorf("the model's prompt lacks %q:\n%s", want, prompt)
			}
		}
		for _, n := range agent.Notifications() {
			if n.Method == "window/showMessage" && strings.Contains(string(n.Params), "Tabby agent status") {
				t.Errorf("the agent complained: %s", n.Params)
			}
		}
	})

	t.Run("wrong token", func(t *testing.T) {
		before := len(model.Requests())
		agent := startTabbyAgent(t, node, cli, base, "not-"+token)
		// The agent checks /v1/health while it initializes; on a 401 its LSP server shows
		// the editor a warning with the new status.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := agent.WaitNotification(ctx, func(n lspMessage) bool {
			return n.Method == "window/showMessage" && strings.Contains(string(n.Params), "Tabby agent status: unauthorized")
		}); err != nil {
			t.Fatalf("the agent did not report itself unauthorized (%v); notifications:%s", err, agent.describeNotifications())
		}
		// The agent still asks for completions; codectx must refuse them before the model.
		if items := agentComplete(t, agent, uri, editedMain, cursor); len(items) != 0 {
			t.Errorf("with a wrong token the editor was offered %d completions", len(items))
		}
		if n := len(model.Requests()) - before; n != 0 {
			t.Errorf("with a wrong token the model got %d requests", n)
		}
	})
	t.Logf("took %s", time.Since(start).Round(time.Millisecond))
}

type lspPosition struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

// lspCompletionItem is what the test reads of a CompletionItem.
type lspCompletionItem struct {
	Label    string `json:"label"`
	TextEdit struct {
		NewText string `json:"newText"`
	} `json:"textEdit"`
}

// startTabbyAgent runs tabby-agent as a language server, configured (through the config file
// in a HOME of its own) to talk to the codectx at base with token, and initializes it.
func startTabbyAgent(t *testing.T, node, cli, base, token string) *lspClient {
	t.Helper()
	home := t.TempDir()
	// The agent's own log, for when the test fails. Registered before the agent starts, so it
	// runs after the agent has stopped.
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(home, ".tabby-client", "agent", "logs", "*.log"))
			for _, l := range logs {
				if b, err := os.ReadFile(l); err == nil && filepath.Base(l) != "current.log" {
					t.Logf("tabby-agent log %s:\n%s", filepath.Base(l), b)
				}
			}
		}
	})
	// Debounce: the agent waits 100 ms to 1 s before each request ("adaptive"), unless told a
	// fixed interval. Anonymous usage reports would go to app.tabbyml.com: off.
	writeTextFile(t, filepath.Join(home, ".tabby-client", "agent", "config.toml"), fmt.Sprintf(`[server]
endpoint = %q
token = %q

[completion.debounce]
mode = "fixed"
interval = 0

[logs]
level = "debug"

[anonymousUsageTracking]
disable = true
`, base, token))

	cmd := exec.Command(node, cli, "--lsp", "--stdio")
	cmd.Env = append(os.Environ(), "HOME="+home)
	// The agent writes its log rotation state (audit.json) into its working directory.
	cmd.Dir = home
	agent := startLSP(t, cmd)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var init struct {
		Capabilities struct {
			CompletionProvider json.RawMessage `json:"completionProvider"`
		} `json:"capabilities"`
		ServerInfo struct{ Name, Version string } `json:"serverInfo"`
	}
	err := agent.Call(ctx, "initialize", map[string]any{
		"processId":    os.Getpid(),
		"clientInfo":   map[string]string{"name": "codectx-e2e", "version": version},
		"rootUri":      nil,
		"capabilities": map[string]any{},
	}, &init)
	if err != nil {
		t.Fatal(err)
	}
	if init.Capabilities.CompletionProvider == nil || init.ServerInfo.Version != tabbyAgentVersion {
		t.Fatalf("initialize: %+v", init)
	}
	if err := agent.Notify("initialized", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	return agent
}

// agentComplete opens the document in the agent and asks for completions at cursor.
func agentComplete(t *testing.T, agent *lspClient, uri, text string, cursor lspPosition) []lspCompletionItem {
	t.Helper()
	err := agent.Notify("textDocument/didOpen", map[string]any{
		"textDocument": map[string]any{"uri": uri, "languageId": "go", "version": 1, "text": text},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var list struct {
		Items []lspCompletionItem `json:"items"`
	}
	err = agent.Call(ctx, "textDocument/completion", map[string]any{
		"textDocument": map[string]string{"uri": uri},
		"position":     cursor,
	}, &list)
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func writeTextFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// exitStderr returns what a command run with Output wrote to its standard error.
func exitStderr(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}
