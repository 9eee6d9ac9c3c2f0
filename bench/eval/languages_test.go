package eval

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// pythonProject is a small Python package whose modules import each other the ways the
// standard library does: relative names, a module then its attributes, absolute names and a
// re-export through __init__.
var pythonProject = map[string]string{
	"shop/__init__.py": `"""A shop."""
from .cart import Cart
`,
	"shop/pricing.py": `DISCOUNT = 0.1


def price(item):
    """Price of one item, discounted."""
    return item.cents * (1 - DISCOUNT)
`,
	"shop/tax.py": `RATE = 0.2


def rate(amount):
    return amount * RATE
`,
	"shop/cart.py": `from .pricing import price
from . import tax


class Cart:
    def __init__(self):
        self.items = []

    def total(self):
        n = sum(price(it) for it in self.items)
        return n + tax.rate(n)
`,
	"shop/checkout.py": `import shop.pricing as pr
from shop import Cart as Basket
from shop.tax import RATE


def checkout(items):
    cart = Basket()
    cart.items.extend(items)
    if pr.DISCOUNT > RATE:
        return 0
    return cart.total()
`,
}

// tsProject is a small TypeScript and JavaScript project: named, namespace and re-exported
// imports, overloads, and a JavaScript file importing with a .js specifier.
var tsProject = map[string]string{
	"src/types.ts": `export interface Item {
  sku: string;
  cents: number;
}

export type Cents = number;
`,
	"src/price.ts": `import { Item, Cents } from './types';

export function price(it: Item): Cents;
export function price(it: Item, discount: number): Cents;
export function price(it: Item, discount = 0): Cents {
  return it.cents * (1 - discount);
}
`,
	"src/cart.ts": `import { price } from './price';
import * as T from './types';

export class Cart {
  items: T.Item[] = [];

  total(): number {
    return this.items.reduce((n, it) => n + price(it), 0);
  }
}
`,
	"src/index.ts": `export * from './price';
export { Cart as Basket } from './cart';
`,
	"src/checkout.js": `import { Basket, price } from './index.js';

export default function checkout(items) {
  const cart = new Basket();
  cart.items.push(...items);
  return cart.total() + price(items[0], 0.5);
}
`,
}

func bytesOf(files map[string]string) map[string][]byte {
	out := map[string][]byte{}
	for p, c := range files {
		out[p] = []byte(c)
	}
	return out
}

type wantTask struct {
	id, kind, name string
	gold           Span
}

func checkTasks(t *testing.T, files map[string][]byte, tasks []Task, want []wantTask, noTask []string) {
	t.Helper()
	got := map[string]Task{}
	for _, tk := range tasks {
		got[tk.ID] = tk
		lines := strings.SplitAfter(string(files[tk.File]), "\n")
		if tk.Prefix != strings.Join(lines[:tk.Line-1], "") || tk.Suffix != strings.Join(lines[tk.Line:], "") {
			t.Errorf("%s: prefix and suffix are not the text around the line", tk.ID)
		}
		if tk.Gold.File == tk.File {
			t.Errorf("%s: gold in the task's own file", tk.ID)
		}
	}
	for _, w := range want {
		g, ok := got[w.id]
		if !ok {
			t.Errorf("no task %s (%s)", w.id, w.name)
			continue
		}
		if g.Kind != w.kind || g.Name != w.name || g.Gold != w.gold {
			t.Errorf("%s: got %s %s %+v, want %s %s %+v", w.id, g.Kind, g.Name, g.Gold, w.kind, w.name, w.gold)
		}
	}
	for _, id := range noTask {
		if g, ok := got[id]; ok {
			t.Errorf("unexpected task %s on %s", id, g.Name)
		}
	}
	if len(got) != len(want) {
		var ids []string
		for id, g := range got {
			ids = append(ids, id+" "+g.Name)
		}
		t.Errorf("got %d tasks, want %d: %v", len(got), len(want), ids)
	}
}

func TestPythonTasksFollowImports(t *testing.T) {
	files := bytesOf(pythonProject)
	tasks := GenerateTasksFor(LangPython, files, 0, 1)
	checkTasks(t, files, tasks, []wantTask{
		// from .pricing import price; then price(it).
		{"shop/cart.py:10", KindCall, "price", Span{"shop/pricing.py", 4, 6}},
		// from . import tax; then tax.rate(n): the attribute is the name.
		{"shop/cart.py:11", KindCall, "rate", Span{"shop/tax.py", 4, 5}},
		// from shop import Cart: __init__ re-exports it from shop.cart.
		{"shop/checkout.py:7", KindCall, "Cart", Span{"shop/cart.py", 5, 11}},
		// import shop.pricing as pr; then pr.DISCOUNT, and the absolute RATE on the same line:
		// one task per line, the first use wins.
		{"shop/checkout.py:9", KindUse, "DISCOUNT", Span{"shop/pricing.py", 1, 1}},
	}, []string{"shop/pricing.py:6", "shop/checkout.py:11"})
}

func TestJSTasksFollowImportsAndReexports(t *testing.T) {
	files := bytesOf(tsProject)
	tasks := GenerateTasksFor(LangJS, files, 0, 1)
	checkTasks(t, files, tasks, []wantTask{
		{"src/price.ts:3", KindUse, "Item", Span{"src/types.ts", 1, 4}},
		// The overloads and the implementation make one span.
		{"src/cart.ts:5", KindUse, "Item", Span{"src/types.ts", 1, 4}},
		{"src/cart.ts:8", KindCall, "price", Span{"src/price.ts", 3, 7}},
		// Through index.ts: export { Cart as Basket } and export *.
		{"src/checkout.js:4", KindCall, "Basket", Span{"src/cart.ts", 4, 10}},
		{"src/checkout.js:6", KindCall, "price", Span{"src/price.ts", 3, 7}},
	}, []string{"src/price.ts:5"})
}

// withPythonNoise adds modules that import nothing of the project, so that a draw has more
// tasks than it keeps and the retrievers have something to rank against.
func withPythonNoise(files map[string]string, n int) map[string]string {
	out := map[string]string{}
	for p, c := range files {
		out[p] = c
	}
	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "from .pricing import price\nfrom . import tax\n\n\ndef ledger%d(items):\n    total = 0\n", i)
		for j := range 6 {
			fmt.Fprintf(&b, "    total += len(items) * %d\n", j)
		}
		fmt.Fprintf(&b, "    return price(items[0]) + tax.rate(total)\n\n\nclass Book%d:\n    def entries(self):\n        return [%d]\n", i, i)
		out[fmt.Sprintf("shop/ledger%d.py", i)] = b.String()
	}
	return out
}

func withTSNoise(files map[string]string, n int) map[string]string {
	out := map[string]string{}
	for p, c := range files {
		out[p] = c
	}
	for i := range n {
		out[fmt.Sprintf("src/report%d.ts", i)] = fmt.Sprintf(`import { price } from './price';
import { Item } from './types';

export function report%[1]d(items: Item[]): string {
  let total = 0;
  for (const it of items) {
    total += it.cents * %[1]d;
  }
  return String(total + price(items[0]));
}
`, i)
	}
	return out
}

func TestTreeSitterTasksAreDeterministicUnderASeed(t *testing.T) {
	for _, c := range []struct {
		lang  string
		files map[string][]byte
	}{
		{LangPython, bytesOf(withPythonNoise(pythonProject, 8))},
		{LangJS, bytesOf(withTSNoise(tsProject, 8))},
	} {
		all := GenerateTasksFor(c.lang, c.files, 0, 1)
		if len(all) < 12 {
			t.Fatalf("%s: only %d tasks", c.lang, len(all))
		}
		a, b := GenerateTasksFor(c.lang, c.files, 6, 7), GenerateTasksFor(c.lang, c.files, 6, 7)
		if len(a) != 6 || !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: the same seed drew %d and %d different tasks", c.lang, len(a), len(b))
		}
		differs := false
		for s := uint64(8); s < 20 && !differs; s++ {
			differs = !reflect.DeepEqual(a, GenerateTasksFor(c.lang, c.files, 6, s))
		}
		if !differs {
			t.Fatalf("%s: every seed drew the same tasks", c.lang)
		}
	}
}

func TestMaskFileKeepsPythonAndTypeScriptParseable(t *testing.T) {
	cases := []struct {
		path  string
		src   string
		lines map[int]bool
		want  map[int]string
		names []string
	}{
		{"shop/cart.py", pythonProject["shop/cart.py"], map[int]bool{10: true, 11: true},
			map[int]string{10: "        x = xxx(xxxxx(xx) for xx in xxxx.xxxxx)", 11: "        return x + xxx.xxxx(x)"},
			[]string{"price(", "tax.rate"}},
		{"src/cart.ts", tsProject["src/cart.ts"], map[int]bool{5: true, 8: true},
			map[int]string{5: "  xxxxx: x.xxxx[] = [];", 8: "    return this.xxxxx.xxxxxx((x, xx) => x + xxxxx(xx), 0);"},
			[]string{"T.Item", "price(it)"}},
		{"src/checkout.js", tsProject["src/checkout.js"], map[int]bool{4: true},
			map[int]string{4: "  const xxxx = new xxxxxx();"}, []string{"Basket()"}},
	}
	for _, c := range cases {
		masked := MaskFile(c.path, []byte(c.src), c.lines)
		if len(masked) != len(c.src) {
			t.Fatalf("%s: length changed", c.path)
		}
		tree := parseFile(c.path, masked)
		if tree == nil || tree.RootNode().HasError() {
			t.Errorf("%s: masked file does not parse:\n%s", c.path, masked)
		}
		if tree != nil {
			tree.Close()
		}
		got, orig := strings.Split(string(masked), "\n"), strings.Split(c.src, "\n")
		for i := range got {
			if w, ok := c.want[i+1]; ok {
				if got[i] != w {
					t.Errorf("%s:%d: got %q, want %q", c.path, i+1, got[i], w)
				}
			} else if got[i] != orig[i] {
				t.Errorf("%s:%d changed: %q", c.path, i+1, got[i])
			}
		}
		for _, n := range c.names {
			if strings.Contains(string(masked), n) {
				t.Errorf("%s: %q is still in the masked file", c.path, n)
			}
		}
	}
}

// TestEvalOnSyntheticPythonAndTypeScript runs the whole eval offline on both projects: every
// task's gold is a file of the project other than the task's, every retriever answers every
// task, some retriever finds the gold, and the report shows each language.
func TestEvalOnSyntheticPythonAndTypeScript(t *testing.T) {
	var results []ProjectResult
	for _, c := range []struct {
		name, lang string
		files      map[string]string
	}{
		{"shop-py", LangPython, withPythonNoise(pythonProject, 10)},
		{"shop-ts", LangJS, withTSNoise(tsProject, 10)},
	} {
		dir := writeModule(t, c.files)
		if got := DetectLang(dir); got != c.lang {
			t.Errorf("%s: detected %s", c.name, got)
		}
		paths, err := SourceFiles(dir, c.lang)
		if err != nil {
			t.Fatal(err)
		}
		files, err := readFiles(dir, paths)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range GenerateTasksFor(c.lang, files, 200, 1) {
			if _, ok := files[tk.Gold.File]; !ok || tk.Gold.File == tk.File {
				t.Errorf("%s %s: gold file %s", c.name, tk.ID, tk.Gold.File)
			}
			if tk.Gold.StartLine < 1 || tk.Gold.EndLine < tk.Gold.StartLine {
				t.Errorf("%s %s: gold span %+v", c.name, tk.ID, tk.Gold)
			}
		}
		res, err := EvalDir(context.Background(), c.name, c.lang, dir, Config{MaxTasks: 200, Seed: 1, Workdir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if res.Tasks < 8 || res.Lang != c.lang {
			t.Fatalf("%s: %d tasks, lang %q", c.name, res.Tasks, res.Lang)
		}
		best := 0.0
		for _, r := range res.Results {
			t.Logf("%s %-18s file@10 %.3f span@10 %.3f <=2048 %.3f", c.name, r.Retriever, r.Summary.File10, r.Summary.Span10, r.Summary.Budget[1])
			if r.Summary.Tasks != res.Tasks {
				t.Errorf("%s %s answered %d of %d tasks", c.name, r.Retriever, r.Summary.Tasks, res.Tasks)
			}
			best = max(best, r.Summary.Span10)
		}
		if best == 0 {
			t.Errorf("%s: no retriever ever found the gold span", c.name)
		}
		if byRetriever(res)["codectx"].File10 == 0 {
			t.Errorf("%s: codectx never found the gold file", c.name)
		}
		results = append(results, res)
	}
	rep := NewReport(Config{MaxTasks: 200, Seed: 1}, results)
	if len(rep.Languages) != 2 || rep.Languages[0].Lang != LangPython || rep.Languages[1].Lang != LangJS {
		t.Fatalf("languages: %+v", rep.Languages)
	}
	var b strings.Builder
	WriteTable(&b, rep)
	for _, want := range []string{"macro python", "macro js", "macro average"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	// Header, 2 projects, 2 languages and the overall average, 4 retrievers each.
	if n := strings.Count(b.String(), "\n"); n != 1+4*5 {
		t.Errorf("table has %d lines:\n%s", n, b.String())
	}
}

func TestParseProject(t *testing.T) {
	cases := []struct {
		in   string
		want Project
		name string
	}{
		{"github.com/jackc/pgx/v5@v5.7.6", Project{Lang: LangGo, Module: "github.com/jackc/pgx/v5", Version: "v5.7.6"}, "pgx@v5.7.6"},
		{"py:email", Project{Lang: LangPython, Module: "email"}, "email@stdlib"},
		{"python:json@3.11", Project{Lang: LangPython, Module: "json", Version: "3.11"}, "json@3.11"},
		{"npm:@tanstack/query-core@5.59.0#src", Project{Lang: LangJS, Module: "@tanstack/query-core", Version: "5.59.0", Root: "src"}, "tanstack-query-core@5.59.0"},
		{"ts:ky@1.7.2", Project{Lang: LangJS, Module: "ky", Version: "1.7.2"}, "ky@1.7.2"},
	}
	for _, c := range cases {
		got, err := ParseProject(c.in)
		if err != nil || got != c.want || got.Name() != c.name {
			t.Errorf("%q: got %+v %q %v, want %+v %q", c.in, got, got.Name(), err, c.want, c.name)
		}
	}
	for _, bad := range []string{"nonsense", "npm:ky", "npm:ky@", "go:@v1"} {
		if _, err := ParseProject(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestUntarFolderKeepsOnlyTheSourceFolder(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range map[string]string{
		"package/package.json":    "{}",
		"package/src/a.ts":        "export const a = 1;\n",
		"package/src/lib/b.ts":    "export const b = 2;\n",
		"package/dist/a.js":       "exports.a = 1;\n",
		"package/srcx/ignored.ts": "",
	} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	dir := t.TempDir()
	tgz := filepath.Join(dir, "p.tgz")
	if err := os.WriteFile(tgz, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "out")
	n, err := untarFolder(tgz, "src", dst)
	if err != nil || n != 2 {
		t.Fatalf("wrote %d files: %v", n, err)
	}
	got, _ := SourceFiles(dst, LangJS)
	if want := []string{"a.ts", "lib/b.ts"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
