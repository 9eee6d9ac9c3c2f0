package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/codectx/codectx/backends"
	"github.com/codectx/codectx/backends/standin"
	"github.com/codectx/codectx/sinks/embedded"
	"github.com/codectx/codectx/sources/git/gittest"
)

// Completions are recorded in the background: every one a real `codectx serve` answered is in
// the store once it has shut down, and `codectx stats` counts it.
func TestCompletionRecordsSurviveShutdown(t *testing.T) {
	repo := gittest.NewRepo(t)
	repo.Write("go.mod", shapesGoMod)
	repo.Write("mathx/geometry.go", shapesGeometry)
	repo.Write("main.go", shapesMain)
	repo.Commit("shapes")
	dataDir := t.TempDir()
	if out, err := codectxCmd("index", "--quiet", "--data-dir", dataDir, "--source", repo.Dir()).CombinedOutput(); err != nil {
		t.Fatalf("index: %v\n%s", err, out)
	}
	model := standin.Start(backends.LlamaCppCompletion, standin.Options{Reply: func(standin.Request) []string { return []string{"width)"} }})
	defer model.Close()
	config := filepath.Join(t.TempDir(), "codectx.toml")
	writeTextFile(t, config, fmt.Sprintf("[server]\nrate_limit_per_minute = 0\n\n[model.completion.http]\nkind = \"llama.cpp/completion\"\napi_endpoint = %q\nprompt_template = \"codellama\"\n", model.URL))
	base, stop := startServe(t, dataDir, repo.Dir(), "--config", config)

	// Another connection holds SQLite's write lock, so that the server's records queue up;
	// it lets go only once the server is shutting down, which must then store them all.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "index", embedded.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	// Clients complete until the server goes away; it is stopped while they are at it.
	const clients = 4
	body, _ := json.Marshal(map[string]any{"language": "go", "segments": map[string]any{"prefix": "func main() {\n\tx := mathx.", "suffix": "\n}\n", "filepath": "main.go"}})
	var answered atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				resp, err := http.Post(base+"/v1/completions", "application/json", bytes.NewReader(body))
				if err != nil {
					return // the server has gone
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode == http.StatusOK {
					answered.Add(1)
				}
			}
		}()
	}
	for answered.Load() < 100 {
		time.Sleep(5 * time.Millisecond)
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }() // SIGINT: the server finishes what it answers
	wg.Wait()
	time.Sleep(200 * time.Millisecond)
	if _, err := lock.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	<-stopped // and stores the queued records before it exits
	want := int(answered.Load())

	code, stdout, stderr := runCLI(t, "stats", "--json", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("stats --json: exit %d: %s", code, stderr)
	}
	var report statsReport
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("stats --json: %v\n%s", err, stdout)
	}
	n := 0
	for _, r := range report.Rows {
		n += r.Completions
	}
	if n != want {
		t.Fatalf("stats counts %d completions, the server answered %d:\n%s", n, want, stdout)
	}
}
