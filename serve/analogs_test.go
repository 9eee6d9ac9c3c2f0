package serve_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/codectx/codectx/serve"
	"github.com/codectx/codectx/sinks/embedded"
)

// codecPackage is a Go package where every codec's PlanScan does the same thing: code like
// the cursor's tells what the next line calls.
func codecPackage() map[string]string {
	files := map[string]string{
		"codec/pgtype.go": "package codec\n\n// Map holds the codecs.\ntype Map struct {\n\tcodecs []Codec\n}\n\n" +
			"// ScanPlan scans a value.\ntype ScanPlan interface {\n\tScan(src []byte, dst any) error\n}\n\n" +
			"// Codec encodes and decodes a type.\ntype Codec interface {\n\tPlanScan(m *Map, oid uint32, format int16, target any) ScanPlan\n}\n\n" +
			"func codecScan(codec Codec, m *Map, oid uint32, format int16, src []byte, dst any) error {\n\treturn nil\n}\n\n" +
			"func codecDecodeToTextFormat(codec Codec, m *Map, oid uint32, src []byte) (any, error) {\n\treturn nil, nil\n}\n",
		"codec/close.go": "package codec\n\nfunc closeAll(closers ...any) error {\n\treturn nil\n}\n",
	}
	for _, name := range []string{"Bool", "Int", "Float", "Date"} {
		files["codec/"+strings.ToLower(name)+".go"] = fmt.Sprintf("package codec\n\ntype %[1]sCodec struct{}\n\n"+
			"func (%[1]sCodec) PlanScan(m *Map, oid uint32, format int16, target any) ScanPlan {\n"+
			"\treturn scanPlan%[1]s{}\n}\n\n"+
			"func (c %[1]sCodec) DecodeValue(m *Map, oid uint32, format int16, src []byte) (any, error) {\n"+
			"\tvar v %[1]s\n\terr := codecScan(c, m, oid, format, src, &v)\n\treturn v, err\n}\n\n"+
			"type scanPlan%[1]s struct{}\n\nfunc (scanPlan%[1]s) Scan(src []byte, dst any) error { return nil }\n\n"+
			"type %[1]s struct{ Valid bool }\n", name)
	}
	for i := range 12 { // other definitions of the package, that nothing near the cursor names
		files[fmt.Sprintf("codec/extra%d.go", i)] = fmt.Sprintf("package codec\n\nfunc helper%d(n int) int {\n\treturn n + %d\n}\n\ntype Option%d struct{ Enabled bool }\n", i, i, i)
	}
	return files
}

// TestAnalogsProposeWhatLikeCodeUses: in the body of a new codec's DecodeValue, the line the
// other codecs have after the same signature calls codecScan, which the file has not used yet:
// its definition comes first.
func TestAnalogsProposeWhatLikeCodeUses(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, r := indexFiles(t, st, map[string]map[string]string{"repo": codecPackage()})
	got, err := r.Retrieve(ctx, serve.ContextRequest{
		Filepath: "codec/text.go",
		Prefix: "package codec\n\ntype TextCodec struct{}\n\ntype Text struct{ Valid bool }\n\n" +
			"func (c TextCodec) DecodeValue(m *Map, oid uint32, format int16, src []byte) (any, error) {\n\tvar v Text\n",
		Suffix:   "\treturn v, err\n}\n",
		MaxChars: 4096, MaxSnippets: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || !slices.Contains(got[0].Signals, "analog:codecScan") {
		t.Fatalf("first snippet %+v, want codecScan's header found by the analogs signal (all:\n%s)", got[:min(len(got), 1)], signalsOf(got))
	}
	if !strings.HasPrefix(got[0].Body, "func codecScan(") {
		t.Errorf("first snippet's body = %q, want codecScan's header", got[0].Body)
	}
}

// TestTypesFirstInAStruct: among a struct's fields the next line names a type: the package's
// types rank over its functions, even one the code after the cursor calls.
func TestTypesFirstInAStruct(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, r := indexFiles(t, st, map[string]map[string]string{"repo": codecPackage()})
	got, err := r.Retrieve(ctx, serve.ContextRequest{
		Filepath: "codec/conn.go",
		Prefix:   "package codec\n\n// Conn is a connection.\ntype Conn struct {\n\tname string\n",
		Suffix:   "}\n\nfunc (c *Conn) Close() error {\n\treturn closeAll(c)\n}\n",
		MaxChars: 4096, MaxSnippets: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Fatal("no snippet")
	}
	for _, s := range got[:min(len(got), 3)] {
		if strings.HasPrefix(s.Body, "func ") {
			t.Errorf("a function among the first snippets in a struct's fields: %q (all:\n%s)", s.Body, signalsOf(got))
		}
	}
}
