package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalModule is a tiny local Go module: two packages whose files call each other.
var evalModule = map[string]string{
	"go.mod":       "module example.com/shop\n\ngo 1.22\n",
	"cart.go":      "package shop\n\n// Cart holds items.\ntype Cart struct {\n\tItems []Item\n}\n\n// Total sums the cart.\nfunc (c *Cart) Total() int {\n\tn := 0\n\tfor _, it := range c.Items {\n\t\tn += price(it)\n\t}\n\treturn n\n}\n",
	"item.go":      "package shop\n\n// Item is one product.\ntype Item struct {\n\tSKU   string\n\tCents int\n}\n\nfunc price(it Item) int {\n\treturn it.Cents\n}\n",
	"checkout.go":  "package shop\n\n// Checkout totals a cart.\nfunc Checkout(c *Cart) int {\n\ttotal := c.Total()\n\treturn total\n}\n",
	"tool/main.go": "package main\n\nfunc main() {\n\tprintln(run())\n}\n",
	"tool/run.go":  "package main\n\nfunc run() int {\n\treturn 1\n}\n",
}

func TestEvalCommandOnALocalModule(t *testing.T) {
	dir := t.TempDir()
	for p, c := range evalModule {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := func(string) string { return "" }
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"eval", "--dir", dir, "--tasks", "50", "--workdir", t.TempDir()}, &out, &errb, env); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"codectx", "tabby-like", "cce-bm25", "repocoder-jaccard", "macro average", "<=2048"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	if code := run(context.Background(), []string{"eval", "--dir", dir, "--json", "--seed", "3"}, &out, &errb, env); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep struct {
		Seed     uint64
		Projects []struct {
			Tasks   int
			Results []struct{ Retriever string }
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out.String())
	}
	if rep.Seed != 3 || len(rep.Projects) != 1 || rep.Projects[0].Tasks < 3 || len(rep.Projects[0].Results) != 4 {
		t.Errorf("report: %+v", rep)
	}

	errb.Reset()
	if code := run(context.Background(), []string{"eval", "--projects", "nonsense"}, &out, &errb, env); code != 2 {
		t.Errorf("bad --projects: exit %d, want 2 (%s)", code, errb.String())
	}
}

func TestEvalCommandOnALocalPythonProjectAndLanguageFlags(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"inv/__init__.py": "",
		"inv/stock.py":    "LIMIT = 10\n\n\ndef level(item):\n    return item.count\n",
		"inv/order.py":    "from .stock import level, LIMIT\n\n\ndef can_ship(item):\n    if level(item) > LIMIT:\n        return True\n    return False\n",
		"inv/report.py":   "from inv import stock\n\n\ndef report(items):\n    return [stock.level(it) for it in items]\n",
	}
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := func(string) string { return "" }
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"eval", "--dir", dir, "--json", "--workdir", t.TempDir()}, &out, &errb, env); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep struct {
		Projects []struct {
			Lang  string
			Tasks int
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out.String())
	}
	if len(rep.Projects) != 1 || rep.Projects[0].Lang != "python" || rep.Projects[0].Tasks != 2 {
		t.Errorf("report: %+v", rep)
	}
	for _, args := range [][]string{
		{"eval", "--langs", "cobol"},
		{"eval", "--langs", ","},
		{"eval", "--dir", dir, "--langs", "go,python"},
		{"eval", "--projects", "npm:ky"},
	} {
		errb.Reset()
		if code := run(context.Background(), args, &out, &errb, env); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
}
