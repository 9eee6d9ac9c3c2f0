package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/codectx/codectx/backends"
	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sources/git/gittest"
)

// TestMain lets the test binary stand in for the codectx binary: with CODECTX_TEST_MAIN=1 it
// runs the command line in its arguments, so end-to-end tests start real codectx processes
// without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("CODECTX_TEST_MAIN") == "1" {
		main()
		return
	}
	if kind := os.Getenv("CODECTX_TEST_STANDIN"); kind != "" {
		runStandin(backends.Kind(kind))
		return
	}
	if repo := os.Getenv("CODECTX_TEST_PARSE_ONLY"); repo != "" {
		if err := runParseOnly(repo); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	cleanupBench()
	os.Exit(code)
}

// codectxCmd returns a command that runs codectx with args.
func codectxCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CODECTX_TEST_MAIN=1")
	return cmd
}

// copyTree copies the regular files under src to dst, skipping testdata folders' symlinks.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// goSourceRepo makes a git repository of a copy of Go's source tree (or of some of its
// folders), committed with the git command line.
func goSourceRepo(t testing.TB, dirs ...string) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "src")
	repo := gittest.NewRepo(t)
	if len(dirs) == 0 {
		copyTree(t, src, repo.Dir())
	}
	for _, d := range dirs {
		copyTree(t, filepath.Join(src, d), filepath.Join(repo.Dir(), d))
	}
	repo.Commit("go source")
	return repo.Dir()
}

// TestIndexSurvivesSIGKILL kills a real `codectx index` mid-run and checks that running it
// again gives the same index as an uninterrupted run.
func TestIndexSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes a few thousand files")
	}
	repo := goSourceRepo(t, "net", "encoding", "go", "strconv", "bufio", "bytes", "strings")

	whole := t.TempDir()
	start := time.Now()
	if out, err := codectxCmd("index", "--quiet", "--data-dir", whole, "--source", repo).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted index: %v\n%s", err, out)
	}
	took := time.Since(start)

	killed := t.TempDir()
	cmd := codectxCmd("index", "--quiet", "--data-dir", killed, "--source", repo)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(took / 2)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("the index finished before it could be killed (took %s uninterrupted): %v\n%s", took, err, out.String())
	}

	partial := openChunks(t, killed)
	if partial.state.Pending == "" {
		t.Fatalf("the killed run left no pending sync: state %+v", partial.state)
	}

	if out, err := codectxCmd("index", "--quiet", "--data-dir", killed, "--source", repo).CombinedOutput(); err != nil {
		t.Fatalf("index after the kill: %v\n%s", err, out)
	}
	a, b := openChunks(t, whole), openChunks(t, killed)
	if d := diffKeys(b.keys, a.keys); d != "" {
		t.Fatalf("index after kill+rerun differs from an uninterrupted one:\n%.3000s", d)
	}
	if b.state.Pending != "" || b.state.Cursor != a.state.Cursor {
		t.Fatalf("state after rerun %+v, uninterrupted %+v", b.state, a.state)
	}
	t.Logf("uninterrupted run %s; killed after %s with %d of %d chunks written", took.Round(time.Millisecond), (took / 2).Round(time.Millisecond), len(partial.keys), len(a.keys))
}

type indexSnapshot struct {
	keys  []string
	state struct{ Cursor, Pending string }
}

func openChunks(t *testing.T, dataDir string) indexSnapshot {
	t.Helper()
	ctx := context.Background()
	cfg := defaultConfig()
	cfg.DataDir = dataDir
	a, err := openApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	names, err := a.store.Sources(ctx)
	if err != nil || len(names) != 1 {
		t.Fatalf("sources in %s: %v %v", dataDir, names, err)
	}
	chunks, err := a.store.Chunks(ctx, names[0])
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.store.SourceState(ctx, names[0])
	if err != nil {
		t.Fatal(err)
	}
	var s indexSnapshot
	s.keys = chunkKeys(chunks)
	s.state.Cursor, s.state.Pending = st.Cursor, st.Pending
	return s
}

// callSite is a cursor just before a call to a function defined in another file of the same
// package.
type callSite struct {
	file, callee string
	offset       int
	defFiles     map[string]int // file → line of the definition
}

// crossFileCalls finds, in each package directory, the first call (in file and position order)
// to a package-level function defined in a different file of the same package.
func crossFileCalls(t *testing.T, root string, pkgs []string) []callSite {
	t.Helper()
	var sites []callSite
	for _, pkg := range pkgs {
		dir := filepath.Join(root, pkg)
		fset := token.NewFileSet()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]*ast.File{}
		var names []string
		for _, e := range entries {
			n := e.Name()
			if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
			if err != nil {
				continue
			}
			files[n] = f
			names = append(names, n)
		}
		sort.Strings(names)
		defs := map[string]map[string]int{} // func name → file → line
		for _, n := range names {
			for _, d := range files[n].Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name != "init" && fd.Name.Name != "main" {
					if defs[fd.Name.Name] == nil {
						defs[fd.Name.Name] = map[string]int{}
					}
					defs[fd.Name.Name][pkg+"/"+n] = fset.Position(fd.Pos()).Line
				}
			}
		}
	search:
		for _, n := range names {
			var found *callSite
			ast.Inspect(files[n], func(node ast.Node) bool {
				if found != nil {
					return false
				}
				call, ok := node.(*ast.CallExpr)
				if !ok {
					return true
				}
				id, ok := call.Fun.(*ast.Ident)
				if !ok || defs[id.Name] == nil {
					return true
				}
				if _, same := defs[id.Name][pkg+"/"+n]; same {
					return true
				}
				found = &callSite{file: pkg + "/" + n, callee: id.Name, offset: fset.Position(id.Pos()).Offset, defFiles: defs[id.Name]}
				return false
			})
			if found != nil {
				sites = append(sites, *found)
				break search
			}
		}
	}
	return sites
}

// TestContextOnGoSource serves a copy of Go's source tree and asks for context just before calls
// to functions defined in other files of the same package: the definition must come back.
func TestContextOnGoSource(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes Go's whole source tree")
	}
	repo := goSourceRepo(t)
	dataDir := t.TempDir()
	start := time.Now()
	out, err := codectxCmd("index", "--quiet", "--data-dir", dataDir, "--source", repo).CombinedOutput()
	if err != nil {
		t.Fatalf("index: %v\n%s", err, out)
	}
	t.Logf("indexed in %s: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(string(out)))

	base, stop := startServe(t, dataDir, repo)
	defer stop()

	pkgs := []string{"strconv", "bufio", "encoding/json", "net/url", "go/scanner", "text/template", "regexp/syntax",
		"compress/flate", "fmt", "net/http", "go/types", "time", "math/big", "archive/tar", "image/png", "crypto/tls"}
	sites := crossFileCalls(t, repo, pkgs)
	if len(sites) < 10 {
		t.Fatalf("found only %d cross-file call sites in %v", len(sites), pkgs)
	}
	for _, s := range sites {
		content, err := os.ReadFile(filepath.Join(repo, s.file))
		if err != nil {
			t.Fatal(err)
		}
		req := serve.ContextRequest{
			Filepath: s.file, Language: "go",
			Prefix: lastLines(string(content[:s.offset]), 20),
			Suffix: firstLinesN(string(content[s.offset:]), 20),
		}
		resp := postContext(t, base, req)
		hit := false
		for _, sn := range resp.Snippets {
			if line, ok := s.defFiles[sn.Filepath]; ok && sn.StartLine <= line && line <= sn.EndLine {
				hit = true
			}
			if sn.Filepath == s.file {
				t.Errorf("%s: the cursor's own file came back", s.file)
			}
		}
		if !hit {
			var got []string
			for _, sn := range resp.Snippets {
				got = append(got, fmt.Sprintf("%s:%d-%d %v", sn.Filepath, sn.StartLine, sn.EndLine, sn.Signals))
			}
			t.Errorf("%s: before the call to %s, the definition (%v) is not in the context:\n  %s", s.file, s.callee, s.defFiles, strings.Join(got, "\n  "))
		} else {
			t.Logf("%s → %s: found (%d snippets, %.2f ms)", s.file, s.callee, len(resp.Snippets), resp.TookMS)
		}
	}
}

// startServe runs `codectx serve` on a free loopback port over an indexed data dir, waits
// until it is ready and returns its base URL and a function that stops it. Extra arguments go
// to serve (for example --config FILE).
func startServe(t testing.TB, dataDir, repo string, extra ...string) (string, func()) {
	t.Helper()
	srv := codectxCmd(append([]string{"serve", "--data-dir", dataDir, "--addr", "127.0.0.1:0", "--source", repo, "--log-level", "warn"}, extra...)...)
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	srv.Stderr = &stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}
	base := ""
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), "serving on "); ok {
			base = strings.Fields(rest)[0]
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	if base == "" {
		stop()
		t.Fatalf("serve did not say where it listens:\n%s", stderr.String())
	}
	waitReady(t, base)
	return base, stop
}

func lastLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

func firstLinesN(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "")
}

func waitReady(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/readyz never turned 200", base)
}

func postContext(t testing.TB, base string, req serve.ContextRequest) serve.ContextResponse {
	t.Helper()
	body, _ := json.Marshal(req)
	resp, err := http.Post(base+"/v1/context", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/v1/context: %s: %s", resp.Status, b)
	}
	var out serve.ContextResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}
