package backends

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestEndpointURL(t *testing.T) {
	cases := []struct {
		kind     Kind
		endpoint string
		want     string
	}{
		{OpenAICompletion, "https://api.openai.com/v1", "https://api.openai.com/v1/completions"},
		{OpenAICompletion, "https://api.openai.com/v1/", "https://api.openai.com/v1/completions"},
		{OpenAICompletion, "http://localhost:8000", "http://localhost:8000/v1/completions"},
		{OpenAICompletion, "http://localhost:8000/", "http://localhost:8000/v1/completions"},
		{OpenAICompletion, "http://proxy/openai", "http://proxy/openai/v1/completions"},
		{OpenAICompletion, "http://v1:8000", "http://v1:8000/v1/completions"}, // a host named v1 is not a version
		{DeepSeekCompletion, "https://api.deepseek.com/beta", "https://api.deepseek.com/beta/completions"},
		{VLLMCompletion, "http://localhost:8000/v1", "http://localhost:8000/v1/completions"},
		{OpenAIChat, "https://api.openai.com/v1", "https://api.openai.com/v1/chat/completions"},
		{OpenAIChat, "http://localhost:8888", "http://localhost:8888/v1/chat/completions"},
		{OpenAIChat, "https://generativelanguage.example/v1beta", "https://generativelanguage.example/v1beta/chat/completions"},
		{MistralChat, "https://api.mistral.ai/v1", "https://api.mistral.ai/v1/chat/completions"},
		{MistralChat, "", "https://api.mistral.ai/v1/chat/completions"},
		{MistralCompletion, "https://api.mistral.ai", "https://api.mistral.ai/v1/fim/completions"},
		{MistralCompletion, "https://api.mistral.ai/v1", "https://api.mistral.ai/v1/fim/completions"},
		{MistralCompletion, "", "https://api.mistral.ai/v1/fim/completions"},
		{LlamaCppCompletion, "http://localhost:8888/", "http://localhost:8888/completion"},
		{OllamaCompletion, "http://localhost:11434", "http://localhost:11434/api/generate"},
		{OllamaChat, "http://localhost:11434", "http://localhost:11434/api/chat"},
	}
	for _, c := range cases {
		if got := endpointURL(c.kind, c.endpoint); got != c.want {
			t.Errorf("endpointURL(%s, %q) = %q, want %q", c.kind, c.endpoint, got, c.want)
		}
	}
	if got := displayURL("https://user:secret@host/v1/completions?key=abc#x"); got != "https://host/v1/completions" {
		t.Errorf("displayURL kept secrets: %q", got)
	}
}

func readEvents(t *testing.T, r io.Reader) []sseEvent {
	t.Helper()
	sr := newSSEReader(r)
	var out []sseEvent
	for {
		ev, err := sr.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		out = append(out, ev)
	}
}

func TestSSEReader(t *testing.T) {
	stream := ": a comment\r\n" +
		"retry: 100\r\n" +
		"data: {\"a\":1}\r\n\r\n" +
		"\n" + // a stray blank line dispatches nothing
		"event: message\n" +
		"data:{\"b\":2}\n" + // no space after the colon
		"\n" +
		"data: line one\n" +
		"data: line two\n" +
		"\n" +
		"data: bare cr\r\r" +
		"error: {\"message\":\"boom\"}\n\n" +
		"data: [DONE]" // no final blank line
	want := []sseEvent{
		{data: `{"a":1}`},
		{name: "message", data: `{"b":2}`},
		{data: "line one\nline two"},
		{data: "bare cr"},
		{name: "error", data: `{"message":"boom"}`},
		{data: "[DONE]"},
	}
	for name, r := range map[string]io.Reader{
		"whole":       strings.NewReader(stream),
		"one byte":    iotest.OneByteReader(strings.NewReader(stream)),
		"half reads":  iotest.HalfReader(strings.NewReader(stream)),
		"data errors": iotest.DataErrReader(strings.NewReader(stream)),
	} {
		got := readEvents(t, r)
		if len(got) != len(want) {
			t.Fatalf("%s: got %d events %q, want %d", name, len(got), got, len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: event %d = %+v, want %+v", name, i, got[i], want[i])
			}
		}
	}
}

func TestSSEReaderLongLine(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	got := readEvents(t, strings.NewReader("data: "+long+"\n\n"))
	if len(got) != 1 || got[0].data != long {
		t.Fatalf("long line not read whole")
	}
}

func TestNDJSONReader(t *testing.T) {
	r := newNDJSONReader(iotest.OneByteReader(strings.NewReader("{\"a\":1}\r\n\n  \n{\"b\":2}")))
	var got []string
	for {
		line, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(line))
	}
	if strings.Join(got, "|") != `{"a":1}|{"b":2}` {
		t.Fatalf("got %q", got)
	}
}

func TestDecoders(t *testing.T) {
	cases := []struct {
		name    string
		decode  decodeFunc
		msg     string
		text    string
		done    bool
		wantErr string
	}{
		{"llama chunk", decodeLlama, `{"content":"ab","stop":false}`, "ab", false, ""},
		{"llama stop", decodeLlama, `{"content":"","stop":true}`, "", true, ""},
		{"llama error", decodeLlama, `{"error":{"code":500,"message":"slot busy"}}`, "", false, "slot busy"},
		{"openai text", decodeOpenAICompletion, `{"choices":[{"text":"x","finish_reason":null}]}`, "x", false, ""},
		{"openai finish", decodeOpenAICompletion, `{"choices":[{"text":"y","finish_reason":"length"}]}`, "y", true, ""},
		{"openai usage", decodeOpenAICompletion, `{"choices":[],"usage":{}}`, "", false, ""},
		{"openai error", decodeOpenAICompletion, `{"error":{"message":"overloaded"}}`, "", false, "overloaded"},
		{"chat delta", decodeChatChunk, `{"choices":[{"delta":{"content":"hi"},"finish_reason":null}]}`, "hi", false, ""},
		{"chat null", decodeChatChunk, `{"choices":[{"delta":{"content":null},"finish_reason":"stop"}]}`, "", true, ""},
		{"chat parts", decodeChatChunk, `{"choices":[{"delta":{"content":[{"type":"text","text":"a"},{"type":"thinking","text":"no"},{"type":"text","text":"b"}]}}]}`, "ab", false, ""},
		{"chat whole", decodeChatChunk, `{"choices":[{"message":{"content":"all"},"finish_reason":"stop"}]}`, "all", true, ""},
		{"ollama line", decodeOllamaGenerate, `{"response":"r","done":false}`, "r", false, ""},
		{"ollama done", decodeOllamaGenerate, `{"response":"","done":true}`, "", true, ""},
		{"ollama error", decodeOllamaGenerate, `{"error":"model not found"}`, "", false, "model not found"},
		{"ollama chat", decodeOllamaChat, `{"message":{"role":"assistant","content":"c"},"done":false}`, "c", false, ""},
		{"malformed", decodeLlama, `{"content":`, "", false, "malformed"},
		{"not an object", decodeOpenAICompletion, `"text"`, "", false, "malformed"},
	}
	for _, c := range cases {
		text, done, err := c.decode([]byte(c.msg))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil || text != c.text || done != c.done {
			t.Errorf("%s: got (%q, %v, %v), want (%q, %v, nil)", c.name, text, done, err, c.text, c.done)
		}
	}
}
