package backends

import (
	"bufio"
	"bytes"
	"io"
)

// maxLine bounds one line of a stream. Chunks with log probabilities or a whole non-streamed
// answer can be long; anything beyond this is treated as a malformed stream.
const maxLine = 8 << 20

// firstLineBuf is the buffer a stream reader starts with; it doubles, up to maxLine, for a
// longer line. Streamed chunks are a few hundred bytes: a 64 KiB buffer per completion, zeroed
// and soon garbage, was 62 of the 134 kB that a /v1/completions request allocated.
const firstLineBuf = 4 << 10

// sseEvent is one server-sent event.
type sseEvent struct {
	name string // the event: field; "error" also for llama.cpp's bare "error:" lines
	data string // the data: lines joined with "\n"
}

// sseReader splits a text/event-stream body into events. It accepts \n, \r\n and \r line ends,
// skips comment lines, joins multi-line data, and ignores fields it does not know (id, retry).
type sseReader struct {
	sc      *bufio.Scanner
	name    string
	data    bytes.Buffer
	hasData bool
}

func newSSEReader(r io.Reader) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, firstLineBuf), maxLine)
	sc.Split(scanLines)
	return &sseReader{sc: sc}
}

// next returns the next event, or io.EOF after the last one. An event still open when the body
// ends is returned too: some servers close right after their last data line.
func (s *sseReader) next() (sseEvent, error) {
	for s.sc.Scan() {
		line := s.sc.Bytes()
		if len(line) == 0 {
			if ev, ok := s.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "data":
			s.appendData(value)
		case "event":
			s.name = string(value)
		case "error":
			// llama.cpp's server reports a failure mid-stream as "error: {json}".
			s.name = "error"
			s.appendData(value)
		}
	}
	if err := s.sc.Err(); err != nil {
		return sseEvent{}, err
	}
	if ev, ok := s.dispatch(); ok {
		return ev, nil
	}
	return sseEvent{}, io.EOF
}

func (s *sseReader) appendData(v []byte) {
	if s.hasData {
		s.data.WriteByte('\n')
	}
	s.data.Write(v)
	s.hasData = true
}

func (s *sseReader) dispatch() (sseEvent, bool) {
	ev, ok := sseEvent{name: s.name, data: s.data.String()}, s.hasData
	s.name, s.hasData = "", false
	s.data.Reset()
	return ev, ok
}

// scanLines is bufio.ScanLines extended to the three line ends of event streams: \n, \r\n and a
// bare \r. A \r at the end of the buffered data waits for one more byte to tell \r\n from \r.
func scanLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		switch {
		case data[i] == '\n':
			return i + 1, data[:i], nil
		case i+1 < len(data) && data[i+1] == '\n':
			return i + 2, data[:i], nil
		case i+1 < len(data) || atEOF:
			return i + 1, data[:i], nil
		}
		return 0, nil, nil
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// ndjsonReader splits a newline-delimited JSON body into lines, skipping blank ones.
type ndjsonReader struct{ sc *bufio.Scanner }

func newNDJSONReader(r io.Reader) *ndjsonReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, firstLineBuf), maxLine)
	sc.Split(scanLines)
	return &ndjsonReader{sc: sc}
}

// next returns the next non-blank line (valid until the following call), or io.EOF.
func (n *ndjsonReader) next() ([]byte, error) {
	for n.sc.Scan() {
		if line := bytes.TrimSpace(n.sc.Bytes()); len(line) > 0 {
			return line, nil
		}
	}
	if err := n.sc.Err(); err != nil {
		return nil, err
	}
	return nil, io.EOF
}
