package serve_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sinks/embedded"
)

// TestWrapperCallsTheWrappedMethod: in CounterVec.CurryWith, which wraps a *MetricVec, the
// method of the same name of the wrapped type ranks over a sibling wrapper's (GaugeVec's), and
// in a type switch whose next line calls traceCancelRequest, the type CancelRequest ranks over
// the other messages.
func TestWrapperCallsTheWrappedMethod(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, r := indexFiles(t, st, map[string]map[string]string{"repo": {
		"metrics/vec.go": "package metrics\n\n// MetricVec is a vector of metrics.\ntype MetricVec struct {\n\tcurry []string\n}\n\n" +
			"// CurryWith returns a vector curried with the labels.\nfunc (m *MetricVec) CurryWith(labels Labels) (*MetricVec, error) {\n\treturn m, nil\n}\n",
		"metrics/gauge.go": "package metrics\n\n// GaugeVec is a vector of gauges.\ntype GaugeVec struct {\n\t*MetricVec\n}\n\n" +
			"// CurryWith returns a vector curried with the labels.\nfunc (v *GaugeVec) CurryWith(labels Labels) (*GaugeVec, error) {\n\tvec, err := v.MetricVec.CurryWith(labels)\n\treturn &GaugeVec{vec}, err\n}\n",
		"metrics/labels.go": "package metrics\n\n// Labels are label pairs.\ntype Labels map[string]string\n",
		"proto/cancel.go":   "package proto\n\n// CancelRequest asks to cancel a query.\ntype CancelRequest struct{ ProcessID uint32 }\n",
		"proto/close.go":    "package proto\n\n// Close closes a portal.\ntype Close struct{ Name string }\n\n// Describe describes a portal.\ntype Describe struct{ Name string }\n",
		"proto/trace.go": "package proto\n\ntype tracer struct{}\n\nfunc (t *tracer) traceMessage(msg any) {\n\tswitch msg := msg.(type) {\n\tcase *Close:\n\t\tt.traceClose(msg)\n\t}\n}\n\n" +
			"func (t *tracer) traceCancelRequest(msg *CancelRequest) {}\n\nfunc (t *tracer) traceClose(msg *Close) {}\n\nfunc (t *tracer) traceDescribe(msg *Describe) {}\n",
	}})
	first := func(req serve.ContextRequest) []string {
		t.Helper()
		got, err := r.Retrieve(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range got {
			out = append(out, s.Filepath+": "+strings.SplitN(s.Body, "\n", 2)[0])
		}
		return out
	}

	got := first(serve.ContextRequest{
		Filepath: "metrics/counter.go",
		Prefix: "package metrics\n\n// CounterVec is a vector of counters.\ntype CounterVec struct {\n\t*MetricVec\n}\n\n" +
			"// CurryWith returns a vector curried with the labels.\nfunc (v *CounterVec) CurryWith(labels Labels) (*CounterVec, error) {\n",
		Suffix:   "\tif vec != nil {\n\t\treturn &CounterVec{vec}, err\n\t}\n\treturn nil, err\n}\n",
		MaxChars: 4096, MaxSnippets: 10,
	})
	wrapped := slices.IndexFunc(got, func(s string) bool { return strings.Contains(s, "func (m *MetricVec) CurryWith") })
	sibling := slices.IndexFunc(got, func(s string) bool { return strings.Contains(s, "func (v *GaugeVec) CurryWith") })
	if wrapped < 0 || sibling >= 0 && sibling < wrapped {
		t.Errorf("the wrapped type's CurryWith is at %d, a sibling wrapper's at %d:\n%s", wrapped, sibling, strings.Join(got, "\n"))
	}

	got = first(serve.ContextRequest{
		Filepath: "proto/trace2.go",
		Prefix:   "package proto\n\nfunc (t *tracer) trace2(msg any) {\n\tswitch msg := msg.(type) {\n\tcase *Close:\n\t\tt.traceClose(msg)\n",
		Suffix:   "\t\tt.traceCancelRequest(msg)\n\tcase *Describe:\n\t\tt.traceDescribe(msg)\n\t}\n}\n",
		MaxChars: 4096, MaxSnippets: 10,
	})
	cancel := slices.IndexFunc(got, func(s string) bool { return strings.Contains(s, "type CancelRequest struct") })
	describe := slices.IndexFunc(got, func(s string) bool { return strings.Contains(s, "type Describe struct") })
	if cancel < 0 || describe >= 0 && describe < cancel {
		t.Errorf("the type the next line's traceCancelRequest is named after is at %d, another message's at %d:\n%s", cancel, describe, strings.Join(got, "\n"))
	}
}
