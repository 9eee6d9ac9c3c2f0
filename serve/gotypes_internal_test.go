package serve

import (
	"testing"

	"github.com/codectx/codectx"
)

func TestGoReceiverType(t *testing.T) {
	for header, want := range map[string]string{
		"func (v *CounterVec) CurryWith(labels Labels) (*CounterVec, error) {": "CounterVec",
		"func (r Range[T]) IsNull() bool {":                                    "Range",
		"func (*CancelRequest) Frontend() {}":                                  "CancelRequest",
		"func (CircleCodec) FormatSupported(format int16) bool {":              "CircleCodec",
		"func NewDesc(fqName string) *Desc {":                                  "",
		"type Desc struct {":                                                   "",
	} {
		if got := goReceiverType(header); got != want {
			t.Errorf("goReceiverType(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestGoTypeDecl(t *testing.T) {
	src := "package p\n\n// CounterVec is a vector of counters.\ntype CounterVec struct {\n\t*MetricVec // the vector\n}\n\ntype Labels map[string]string\n\nfunc f() {\n\ttype CounterVec int\n}\n"
	if got, want := goTypeDecl(src, "CounterVec"), "type CounterVec struct {\n\t*MetricVec // the vector\n}"; got != want {
		t.Errorf("goTypeDecl(CounterVec) = %q, want %q", got, want)
	}
	if got, want := goTypeDecl(src, "Labels"), "type Labels map[string]string"; got != want {
		t.Errorf("goTypeDecl(Labels) = %q, want %q", got, want)
	}
	if got := goTypeDecl(src, "Counter"); got != "" {
		t.Errorf("goTypeDecl(Counter) = %q, want none", got)
	}
}

func TestWeighByTypes(t *testing.T) {
	chunk := codectx.Chunk{Path: "vec.go", StartLine: 1, EndLine: 3,
		Body: "func (m *MetricVec) CurryWith(labels Labels) (*MetricVec, error) {\n\treturn m, nil\n}"}
	wrapped := &candidate{kind: "method", chunk: chunk, startLine: 1, endLine: 3, score: 1} // a definition: no body of its own
	sibling := &candidate{kind: "method", startLine: 7, endLine: 7, score: 1, body: "func (v *GaugeVec) CurryWith(labels Labels) (*GaugeVec, error)"}
	fn := &candidate{kind: "function", startLine: 9, endLine: 9, score: 1, body: "func MetricVec() int"}
	weighByTypes([]*candidate{wrapped, sibling, fn}, map[string]bool{"MetricVec": true})
	if wrapped.score != weightFieldMethod || sibling.score != 1 || fn.score != 1 {
		t.Errorf("scores = %v, %v, %v; want only the field type's method scaled", wrapped.score, sibling.score, fn.score)
	}
}
