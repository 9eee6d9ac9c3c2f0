package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// lspClient is the editor's side of the Language Server Protocol, enough to drive a language
// server in a test: JSON-RPC 2.0 messages framed by a Content-Length header over the server's
// standard input and output. It answers every request from the server with an empty result and
// keeps every notification, in order, for the test to look at.
type lspClient struct {
	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser

	writeMu sync.Mutex // one message at a time on stdin

	mu      sync.Mutex
	nextID  int
	pending map[int]chan lspMessage // nil once the server's output has closed
	notes   []lspMessage
	changed chan struct{} // closed and replaced whenever a notification arrives

	readerDone chan struct{}
	stderr     lockedBuffer
	exited     chan struct{}
}

// lspMessage is any JSON-RPC message: a request has Method and ID, a notification Method only,
// a response ID and Result or Error.
type lspMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *lspError       `json:"error,omitempty"`
}

type lspError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *lspError) Error() string { return fmt.Sprintf("LSP error %d: %s", e.Code, e.Message) }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startLSP starts cmd as a language server speaking over its standard input and output. The
// process is stopped when the test ends (politely with shutdown and exit, then killed), and its
// standard error is logged if the test failed.
func startLSP(t testing.TB, cmd *exec.Cmd) *lspClient {
	t.Helper()
	c := &lspClient{
		t: t, cmd: cmd,
		pending:    map[int]chan lspMessage{},
		changed:    make(chan struct{}),
		readerDone: make(chan struct{}),
		exited:     make(chan struct{}),
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	c.stdin = stdin
	go c.read(stdout)
	go func() {
		<-c.readerDone
		cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.Close()
		if out := c.stderr.String(); t.Failed() && out != "" {
			t.Logf("%s standard error:\n%s", cmd.Path, out)
		}
	})
	return c
}

// read takes messages off the server's standard output until it closes.
func (c *lspClient) read(stdout io.Reader) {
	defer close(c.readerDone)
	defer func() {
		// Whoever still waits for a response learns that none will come.
		c.mu.Lock()
		for _, ch := range c.pending {
			close(ch)
		}
		c.pending = nil
		c.mu.Unlock()
	}()
	r := bufio.NewReader(stdout)
	for {
		msg, err := readLSPMessage(r)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.t.Logf("reading from the language server: %v", err)
			}
			return
		}
		switch {
		case msg.Method != "" && msg.ID != nil:
			c.answer(msg)
		case msg.Method != "":
			c.mu.Lock()
			c.notes = append(c.notes, msg)
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
		default:
			id, err := strconv.Atoi(string(msg.ID))
			if err != nil {
				c.t.Logf("response with an unexpected id %s", msg.ID)
				continue
			}
			c.mu.Lock()
			ch := c.pending[id]
			delete(c.pending, id)
			c.mu.Unlock()
			if ch != nil {
				ch <- msg
			}
		}
	}
}

// readLSPMessage reads one framed message: headers, an empty line, then Content-Length bytes of
// JSON.
func readLSPMessage(r *bufio.Reader) (lspMessage, error) {
	header, err := textproto.NewReader(r).ReadMIMEHeader()
	if err != nil {
		if len(header) == 0 && errors.Is(err, io.EOF) {
			return lspMessage{}, io.EOF
		}
		return lspMessage{}, fmt.Errorf("reading headers: %w", err)
	}
	n, err := strconv.Atoi(header.Get("Content-Length"))
	if err != nil || n < 0 {
		return lspMessage{}, fmt.Errorf("bad Content-Length %q", header.Get("Content-Length"))
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return lspMessage{}, fmt.Errorf("reading a %d-byte body: %w", n, err)
	}
	var msg lspMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		return lspMessage{}, fmt.Errorf("decoding %q: %w", body, err)
	}
	return msg, nil
}

// answer replies to a request from the server the way a minimal editor would: a list of nulls
// for workspace/configuration (one per item asked for), null for everything else.
func (c *lspClient) answer(req lspMessage) {
	var result any
	if req.Method == "workspace/configuration" {
		var p struct{ Items []json.RawMessage }
		json.Unmarshal(req.Params, &p)
		result = make([]any, len(p.Items))
	}
	resp := struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Result  any             `json:"result"`
	}{"2.0", req.ID, result}
	if err := c.send(resp); err != nil {
		c.t.Logf("answering %s: %v", req.Method, err)
	}
}

func (c *lspClient) send(msg any) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err = fmt.Fprintf(c.stdin, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return err
}

// Call sends a request and decodes its result into result (unless result is nil).
func (c *lspClient) Call(ctx context.Context, method string, params, result any) error {
	ch := make(chan lspMessage, 1)
	c.mu.Lock()
	if c.pending == nil {
		c.mu.Unlock()
		return fmt.Errorf("%s: the language server has closed its output", method)
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()
	req := struct {
		JSONRPC string `json:"jsonrpc"`
		ID      int    `json:"id"`
		Method  string `json:"method"`
		Params  any    `json:"params"`
	}{"2.0", id, method, params}
	if err := c.send(req); err != nil {
		return fmt.Errorf("sending %s: %w", method, err)
	}
	select {
	case resp, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: the language server closed its output before answering", method)
		}
		if resp.Error != nil {
			return fmt.Errorf("%s: %w", method, resp.Error)
		}
		if result == nil {
			return nil
		}
		if err := json.Unmarshal(resp.Result, result); err != nil {
			return fmt.Errorf("%s: decoding result %s: %w", method, resp.Result, err)
		}
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Notify sends a notification.
func (c *lspClient) Notify(method string, params any) error {
	msg := struct {
		JSONRPC string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  any    `json:"params"`
	}{"2.0", method, params}
	if err := c.send(msg); err != nil {
		return fmt.Errorf("sending %s: %w", method, err)
	}
	return nil
}

// Notifications returns the notifications received so far.
func (c *lspClient) Notifications() []lspMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]lspMessage(nil), c.notes...)
}

// WaitNotification waits until a notification satisfying match has arrived and returns it.
func (c *lspClient) WaitNotification(ctx context.Context, match func(lspMessage) bool) (lspMessage, error) {
	seen := 0
	for {
		c.mu.Lock()
		notes, changed := c.notes[seen:], c.changed
		seen = len(c.notes)
		c.mu.Unlock()
		for _, n := range notes {
			if match(n) {
				return n, nil
			}
		}
		select {
		case <-changed:
		case <-c.readerDone:
			return lspMessage{}, errors.New("the language server closed its output")
		case <-ctx.Done():
			return lspMessage{}, ctx.Err()
		}
	}
}

// Close asks the server to shut down and exit, and kills it if it has not within a few
// seconds. It may be called more than once.
func (c *lspClient) Close() {
	select {
	case <-c.exited:
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if c.Call(ctx, "shutdown", nil, nil) == nil {
		c.Notify("exit", nil)
	}
	c.stdin.Close()
	select {
	case <-c.exited:
	case <-ctx.Done():
		c.cmd.Process.Kill()
		<-c.exited
	}
}

// describeNotifications lists the notifications received so far, for failure messages.
func (c *lspClient) describeNotifications() string {
	var b strings.Builder
	for _, n := range c.Notifications() {
		fmt.Fprintf(&b, "\n  %s %s", n.Method, n.Params)
	}
	if b.Len() == 0 {
		return " none"
	}
	return b.String()
}
