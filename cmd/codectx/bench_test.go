package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/codectx/codectx"
	"github.com/codectx/codectx/backends"
	"github.com/codectx/codectx/backends/standin"
	"github.com/codectx/codectx/chunkers/code"
	"github.com/codectx/codectx/embedders/lexical"
	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sinks/embedded"
	"github.com/codectx/codectx/sources/filter"
	gitsrc "github.com/codectx/codectx/sources/git"
)

// The benchmarks here work on a git repository made from a copy of Go's source tree. Run them
// with the command in BENCHMARKS.md; each reports its floors or baselines from the same run.

var (
	benchOnce sync.Once
	benchRepo string
	benchDir  string
)

// benchCorpus builds the Go-source repository once per test binary, in a folder that TestMain
// removes when the binary exits (cleanupBench).
func benchCorpus(b *testing.B) string {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "codectx-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			b.Fatal(err)
		}
		benchRepo = filepath.Join(dir, "gosrc")
		copyTree(b, filepath.Join(strings.TrimSpace(string(out)), "src"), benchRepo)
		// The commit's automatic gc packs the objects (as in a repository that has lived a
		// while); it runs before the commit returns, not in the background during the first
		// measurements.
		for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"-c", "gc.autoDetach=false", "commit", "-q", "-m", "go source"}} {
			cmd := exec.Command("git", args...)
			cmd.Dir = benchRepo
			cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=b", "GIT_AUTHOR_EMAIL=b@example.invalid", "GIT_COMMITTER_NAME=b", "GIT_COMMITTER_EMAIL=b@example.invalid", "GIT_CONFIG_GLOBAL=/dev/null")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
	})
	return benchRepo
}

func cleanupBench() {
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
}

var summaryRE = regexp.MustCompile(`(\d+) files indexed, \d+ deleted, (\d+) chunks, ([\d.]+) MB`)

// BenchmarkIndexGoSource indexes the whole Go source tree with a real `codectx index` process
// and, in the same run, measures two floors: `git archive HEAD > /dev/null` of the same
// repository, and a parse-only pass over the same files with the same parsers and workers
// (before and after the index, averaged).
func BenchmarkIndexGoSource(b *testing.B) {
	repo := benchCorpus(b)
	for i := 0; i < b.N; i++ {
		// Floor 1: git archive.
		start := time.Now()
		cmd := exec.Command("git", "archive", "HEAD")
		cmd.Dir = repo
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		archive := time.Since(start)

		// Floor 2: parse only, the same files (after the same filters), the same parsers, one
		// goroutine per CPU. It runs before and after the index, and the floor is the mean of
		// the two: this machine's speed drifts by tens of percent over a minute, and a floor
		// taken on one side only would carry that drift into the ratio.
		parse1, parseCPU1, parsedBytes := parseOnly(b, repo)

		// The real thing.
		dataDir := b.TempDir()
		start = time.Now()
		idx := codectxCmd("index", "--quiet", "--data-dir", dataDir, "--source", repo)
		var out bytes.Buffer
		idx.Stdout, idx.Stderr = &out, &out
		if err := idx.Run(); err != nil {
			b.Fatalf("index: %v\n%s", err, out.String())
		}
		wall := time.Since(start)
		cpu := idx.ProcessState.UserTime() + idx.ProcessState.SystemTime()
		parse2, parseCPU2, _ := parseOnly(b, repo)
		parse, parseCPU := (parse1+parse2)/2, (parseCPU1+parseCPU2)/2
		rss := idx.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
		m := summaryRE.FindStringSubmatch(out.String())
		if m == nil {
			b.Fatalf("no summary in:\n%s", out.String())
		}
		files, _ := strconv.Atoi(m[1])
		chunks, _ := strconv.Atoi(m[2])
		mb, _ := strconv.ParseFloat(m[3], 64)
		size := dirSize(b, dataDir)

		corpus := repoBytes(b, repo)
		b.ReportMetric(wall.Seconds(), "index_s")
		b.ReportMetric(float64(corpus)/1e6/wall.Seconds(), "corpus_MB/s")
		b.ReportMetric(mb/wall.Seconds(), "MB/s")
		b.ReportMetric(float64(files)/wall.Seconds(), "files/s")
		b.ReportMetric(float64(chunks)/wall.Seconds(), "chunks/s")
		b.ReportMetric(float64(rss)/1024, "peak_rss_MB")
		b.ReportMetric(float64(size)/1e6, "index_MB")
		b.ReportMetric(archive.Seconds(), "git_archive_s")
		b.ReportMetric(parse.Seconds(), "parse_only_s")
		b.ReportMetric(wall.Seconds()/parse.Seconds(), "x_parse_only")
		b.ReportMetric(wall.Seconds()/archive.Seconds(), "x_git_archive")
		// CPU time (user + system) holds up better than wall time on a shared machine: the
		// index process's whole run, and the parse-only pass's timed part.
		b.ReportMetric(cpu.Seconds(), "index_cpu_s")
		b.ReportMetric(parseCPU.Seconds(), "parse_only_cpu_s")
		b.ReportMetric(cpu.Seconds()/parseCPU.Seconds(), "x_parse_only_cpu")
		b.Logf("index: %s; CPU %s; parse-only: %s and %s (CPU %s and %s) over %.1f MB; git archive: %s", strings.TrimSpace(out.String()),
			cpu.Round(time.Millisecond), parse1.Round(time.Millisecond), parse2.Round(time.Millisecond),
			parseCPU1.Round(time.Millisecond), parseCPU2.Round(time.Millisecond), float64(parsedBytes)/1e6, archive.Round(time.Millisecond))
	}
}

// parseOnly reads every file the index would chunk with the code chunker (through the same git
// source and filters) and times parsing them, with as many goroutines as the index's workers.
// Reading is not timed: the floor is the parsers alone. It runs in a fresh process (see
// TestMain), as the index does, so that neither side starts warm. It returns the wall and the
// CPU time (user + system) of the parsing, and the bytes parsed.
func parseOnly(b *testing.B, repo string) (wall, cpu time.Duration, parsed int64) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "CODECTX_TEST_PARSE_ONLY="+repo)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("parse-only: %v\n%s", err, out)
	}
	var secs, cpuSecs float64
	if _, err := fmt.Sscanf(string(out), "PARSE %f %d %f", &secs, &parsed, &cpuSecs); err != nil {
		b.Fatalf("parse-only printed %q", out)
	}
	return time.Duration(secs * float64(time.Second)), time.Duration(cpuSecs * float64(time.Second)), parsed
}

// processCPU returns the user plus system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runParseOnly is the parse-only pass itself; it prints "PARSE seconds bytes cpu-seconds".
func runParseOnly(repo string) error {
	ctx := context.Background()
	src, err := gitsrc.New(gitsrc.Config{Name: "bench", URL: repo, Filter: filter.Options{MaxFileBytes: defaultMaxFile}}, nil)
	if err != nil {
		return err
	}
	defer src.Close()
	tip, err := src.Tip(ctx)
	if err != nil {
		return err
	}
	type file struct {
		lang string
		data []byte
	}
	var files []file
	var total int64
	err = src.Changes(ctx, "", tip, nil, func(c codectx.Change) error {
		data, err := src.Read(ctx, c)
		if err != nil {
			return nil // skipped files are not parsed by the index either
		}
		lang := codectx.LanguageForPath(c.Path)
		if code.Supports(lang) {
			files = append(files, file{lang, data})
			total += int64(len(data))
		}
		return nil
	})
	if err != nil {
		return err
	}
	ch := make(chan file)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), processCPU()
	for w := 0; w < max(1, runtimeWorkers()); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range ch {
				if err := code.ParseOnly(f.lang, f.data); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, f := range files {
		ch <- f
	}
	close(ch)
	wg.Wait()
	took, cpu := time.Since(start), processCPU()-cpu0
	select {
	case err := <-errs:
		return err
	default:
	}
	fmt.Printf("PARSE %.6f %d %.6f\n", took.Seconds(), total, cpu.Seconds())
	return nil
}

// repoBytes adds up the sizes of every file at HEAD: the corpus a full index reads.
func repoBytes(b *testing.B, repo string) int64 {
	cmd := exec.Command("git", "ls-tree", "-r", "-l", "HEAD")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 4 && f[1] == "blob" {
			size, _ := strconv.ParseInt(f[3], 10, 64)
			n += size
		}
	}
	return n
}

func dirSize(b *testing.B, dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// BenchmarkContextLatency serves the indexed Go source tree from a real `codectx serve` process
// and sends /v1/context requests over loopback from 1 and from 32 concurrent clients. Each
// request is a cursor at a random line of a random Go file, with 20 lines of prefix and suffix,
// as the editor client sends.
func BenchmarkContextLatency(b *testing.B) {
	repo := benchCorpus(b)
	dataDir := b.TempDir()
	if out, err := codectxCmd("index", "--quiet", "--data-dir", dataDir, "--source", repo).CombinedOutput(); err != nil {
		b.Fatalf("index: %v\n%s", err, out)
	}
	base, stop := startServe(b, dataDir, repo)
	defer stop()
	reqs := sampleRequests(b, repo, 512)
	// The bodies are encoded once, as wrk sends them: the client's work is the HTTP exchange.
	bodies := make([][]byte, len(reqs))
	for i, r := range reqs {
		bodies[i], _ = json.Marshal(r)
	}
	if wrk, err := exec.LookPath("wrk"); err == nil {
		// The same requests from wrk, a load generator in C: it takes less of the shared CPUs
		// than the Go client below, so the server's own latency shows better.
		for _, clients := range []int{1, 32} {
			b.Run(fmt.Sprintf("wrk/clients=%d", clients), func(b *testing.B) {
				p50, p99, rps := runWrk(b, wrk, base+"/v1/context", bodies, clients)
				b.ReportMetric(p50, "p50_ms")
				b.ReportMetric(p99, "p99_ms")
				b.ReportMetric(rps, "req/s")
			})
		}
	}
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			for i := 0; i < 50; i++ { // warm up connections and caches
				postBody(b, client, base+"/v1/context", bodies[i%len(bodies)])
			}
			// The floor: the same clients calling /healthz, which does no work, so that the
			// ratio shows what retrieval adds to HTTP over loopback on this machine.
			f50, f99, _ := closedLoop(clients, 400, func(*rand.Rand) {
				resp, err := client.Get(base + "/healthz")
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
			p50, p99, rps := closedLoop(clients, 400, func(rng *rand.Rand) {
				postBody(b, client, base+"/v1/context", bodies[rng.Intn(len(bodies))])
			})
			b.ReportMetric(p50, "p50_ms")
			b.ReportMetric(p99, "p99_ms")
			b.ReportMetric(rps, "req/s")
			b.ReportMetric(f50, "healthz_p50_ms")
			b.ReportMetric(f99, "healthz_p99_ms")
			b.ReportMetric(p99/f99, "x_healthz_p99")
		})
	}
}

// closedLoop runs clients goroutines, each calling do perClient times back to back, and
// returns the median and 99th percentile latency in milliseconds and the requests per second.
func closedLoop(clients, perClient int, do func(*rand.Rand)) (p50, p99, rps float64) {
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(c)))
			for i := 0; i < perClient; i++ {
				t0 := time.Now()
				do(rng)
				lat[c] = append(lat[c], time.Since(t0))
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	q := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000 }
	return q(0.5), q(0.99), float64(len(all)) / elapsed.Seconds()
}

func runtimeWorkers() int {
	if v := os.Getenv("CODECTX_WORKERS"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return runtime.GOMAXPROCS(0)
}

func sampleRequests(b *testing.B, repo string, n int) []serve.ContextRequest {
	var files []string
	filepath.Walk(repo, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.HasSuffix(p, ".go") && !strings.Contains(p, "testdata") && fi.Size() < 200_000 {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	rng := rand.New(rand.NewSource(1))
	var reqs []serve.ContextRequest
	for len(reqs) < n {
		p := files[rng.Intn(len(files))]
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		lines := strings.SplitAfter(string(data), "\n")
		if len(lines) < 30 {
			continue
		}
		at := 10 + rng.Intn(len(lines)-20)
		rel, _ := filepath.Rel(repo, p)
		reqs = append(reqs, serve.ContextRequest{
			Filepath: filepath.ToSlash(rel), Language: "go",
			Prefix: strings.Join(lines[max(0, at-20):at], ""),
			Suffix: strings.Join(lines[at:min(len(lines), at+20)], ""),
		})
	}
	return reqs
}

// postBody posts a JSON body, reads the whole answer and reports a status other than 200.
func postBody(b *testing.B, client *http.Client, url string, body []byte) {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Errorf("%s: status %d", url, resp.StatusCode)
	}
}

const wrkScript = `
local bodies = {}
local i = 0
local path = "/"
init = function(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  path = args[2]
  i = math.random(#bodies)
end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d\n", latency:percentile(50), latency:percentile(99),
    summary.requests, summary.duration, e.status + e.connect + e.read + e.write + e.timeout, latency.max))
end
`

// runWrk posts bodies (JSON, one per request, in turn from a random start) to url with wrk
// from clients connections for a few seconds, and returns its latency percentiles in
// milliseconds and the requests per second.
func runWrk(b *testing.B, wrk, url string, bodies [][]byte, clients int) (p50ms, p99ms, rps float64) {
	dir := b.TempDir()
	var lines bytes.Buffer
	for _, body := range bodies {
		lines.Write(body)
		lines.WriteByte('\n')
	}
	file, script := filepath.Join(dir, "bodies.jsonl"), filepath.Join(dir, "post.lua")
	if err := os.WriteFile(file, lines.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
		b.Fatal(err)
	}
	u, err := neturl.Parse(url)
	if err != nil {
		b.Fatal(err)
	}
	threads := min(clients, 2)
	out, err := exec.Command(wrk, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(clients), "-d", "6s",
		"-s", script, url, "--", file, u.Path).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	var p50, p99, n, us, errs, worst int64
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "WRK ") {
			fmt.Sscanf(line, "WRK %d %d %d %d %d %d", &p50, &p99, &n, &us, &errs, &worst)
		}
	}
	if n == 0 || errs > 0 {
		b.Fatalf("wrk: %d requests, %d errors\n%s", n, errs, out)
	}
	return float64(p50) / 1000, float64(p99) / 1000, float64(n) / (float64(us) / 1e6)
}

// BenchmarkCompletionOverhead measures what codectx adds to a completion: /v1/completions over
// a zero-latency model stand-in (a llama.cpp wire-protocol server in this process that answers
// at once), retrieval over the Go source index included. The baseline, from the same clients
// in the same run, is the stand-in called directly with the same prompt size, so the
// difference is codectx's overhead.
func BenchmarkCompletionOverhead(b *testing.B) {
	repo := benchCorpus(b)
	dataDir := b.TempDir()
	if out, err := codectxCmd("index", "--quiet", "--data-dir", dataDir, "--source", repo).CombinedOutput(); err != nil {
		b.Fatalf("index: %v\n%s", err, out)
	}
	model, stopModel := startStandinProcess(b, backends.LlamaCppCompletion)
	defer stopModel()
	conf := filepath.Join(b.TempDir(), "codectx.toml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("[server]\nrate_limit_per_minute = 0\n\n[model.completion.http]\nkind = \"llama.cpp/completion\"\napi_endpoint = %q\nprompt_template = \"codellama\"\n", model)), 0o644); err != nil {
		b.Fatal(err)
	}
	base, stop := startServe(b, dataDir, repo, "--config", conf)
	defer stop()
	ctxReqs := sampleRequests(b, repo, 512)
	bodies := make([][]byte, len(ctxReqs))
	direct := make([][]byte, len(ctxReqs))
	for i, r := range ctxReqs {
		bodies[i], _ = json.Marshal(map[string]any{"language": "go", "segments": map[string]any{
			"prefix": r.Prefix, "suffix": r.Suffix, "filepath": r.Filepath, "git_url": "https://go.googlesource.com/gosrc"}})
		// The direct call carries a prompt as long as codectx's: the prefix plus a full
		// context budget.
		direct[i], _ = json.Marshal(map[string]any{"prompt": strings.Repeat("x", serve.DefaultContextChars) + r.Prefix + r.Suffix, "n_predict": 64, "stream": true})
	}
	if wrk, err := exec.LookPath("wrk"); err == nil {
		// The same requests from wrk, which takes less of the shared CPUs than the Go client
		// below (as in BenchmarkContextLatency). Both sides run for the same few seconds.
		for _, clients := range []int{1, 32} {
			b.Run(fmt.Sprintf("wrk/clients=%d", clients), func(b *testing.B) {
				d50, d99, _ := runWrk(b, wrk, model+"/completion", direct, clients)
				p50, p99, rps := runWrk(b, wrk, base+"/v1/completions", bodies, clients)
				reportOverhead(b, p50, p99, rps, d50, d99)
			})
		}
	}
	post := func(client *http.Client, url string, body []byte) { postBody(b, client, url, body) }
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			for i := 0; i < 50; i++ {
				post(client, base+"/v1/completions", bodies[i%len(bodies)])
				post(client, model+"/completion", direct[i%len(direct)])
			}
			d50, d99, _ := closedLoop(clients, 300, func(rng *rand.Rand) {
				post(client, model+"/completion", direct[rng.Intn(len(direct))])
			})
			p50, p99, rps := closedLoop(clients, 300, func(rng *rand.Rand) {
				post(client, base+"/v1/completions", bodies[rng.Intn(len(bodies))])
			})
			reportOverhead(b, p50, p99, rps, d50, d99)
		})
	}
}

// reportOverhead reports the latency of /v1/completions (p50, p99 in ms, and requests per
// second), that of the direct calls to the stand-in (d50, d99), and the difference.
func reportOverhead(b *testing.B, p50, p99, rps, d50, d99 float64) {
	b.ReportMetric(p50, "p50_ms")
	b.ReportMetric(p99, "p99_ms")
	b.ReportMetric(rps, "req/s")
	b.ReportMetric(d50, "direct_p50_ms")
	b.ReportMetric(d99, "direct_p99_ms")
	b.ReportMetric(p50-d50, "overhead_p50_ms")
	b.ReportMetric(p99-d99, "overhead_p99_ms")
}

// runStandin is the test binary run as a zero-latency model stand-in (CODECTX_TEST_STANDIN=kind):
// it prints its URL and serves until stdin closes. In its own process, its work and garbage
// don't land on the benchmark's client or on codectx.
func runStandin(kind backends.Kind) {
	m := standin.Start(kind, standin.Options{Keep: 16, Reply: func(standin.Request) []string { return []string{"cfg, err := load(path)", "\n"} }})
	fmt.Println(m.URL)
	io.Copy(io.Discard, os.Stdin)
	m.Close()
}

// startStandinProcess starts runStandin in a child process and returns its URL.
func startStandinProcess(b *testing.B, kind backends.Kind) (string, func()) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "CODECTX_TEST_STANDIN="+string(kind))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("stand-in: %v", err)
	}
	return strings.TrimSpace(line), func() { stdin.Close(); cmd.Wait() }
}

// BenchmarkRetrieve is the CPU cost of one context retrieval, in process, over the Go source
// index: the same requests as BenchmarkContextLatency without HTTP, one at a time. The latency
// benchmarks above depend on it; this one is steady enough to compare changes.
//
// CODECTX_BENCH_INDEX=DIR keeps the index in DIR between runs (made on the first), so that
// two builds can be compared on the same index without indexing twice.
func BenchmarkRetrieve(b *testing.B) {
	repo := benchCorpus(b)
	dataDir := os.Getenv("CODECTX_BENCH_INDEX")
	if dataDir == "" {
		dataDir = b.TempDir()
	}
	if _, err := os.Stat(filepath.Join(dataDir, "index")); err != nil {
		if out, err := codectxCmd("index", "--quiet", "--data-dir", dataDir, "--source", repo).CombinedOutput(); err != nil {
			b.Fatalf("index: %v\n%s", err, out)
		}
	}
	ctx := context.Background()
	st, err := embedded.Open(ctx, filepath.Join(dataDir, "index"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	names, err := st.Sources(ctx)
	if err != nil {
		b.Fatal(err)
	}
	r := &serve.Retriever{Index: st, Sources: func() []string { return names }, Query: lexical.Query, Identifiers: lexical.Identifiers}
	reqs := sampleRequests(b, repo, 512)
	for i := range reqs {
		if err := reqs[i].Validate(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	took := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := r.Retrieve(ctx, reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
		took[i] = time.Since(t0)
	}
	b.StopTimer()
	// CODECTX_BENCH_DUMP=FILE writes the answers to the sample requests, one JSON line each, to
	// check that a change meant only to be faster answers the same.
	if dump := os.Getenv("CODECTX_BENCH_DUMP"); dump != "" {
		var out bytes.Buffer
		for _, req := range reqs {
			snippets, err := r.Retrieve(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			line, _ := json.Marshal(snippets)
			out.Write(line)
			out.WriteByte('\n')
		}
		if err := os.WriteFile(dump, out.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	// The spread of one request's cost: under load, a slow request holds a CPU that the
	// requests queued behind it wait for.
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50_us")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99_us")
	b.ReportMetric(float64(took[len(took)-1].Microseconds()), "max_us")
}
