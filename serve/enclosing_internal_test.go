package serve

import "testing"

func TestEnclosingFuncName(t *testing.T) {
	for _, c := range []struct{ fam, prefix, want string }{
		{"go", "package p\n\nfunc (v *GaugeVec) CurryWith(labels Labels) (*GaugeVec, error) {\n", "CurryWith"},
		{"go", "package p\n\nfunc NewDesc[T any](a int) *Desc {\n\tx := 1\n\tif x > 0 {\n\t\t", "NewDesc"},
		{"go", "package p\n\nfunc a() {\n}\n\n", ""},
		{"go", "package p\n\nfunc a() {\n}\n\ntype T struct {\n\t", ""},
		{"python", "class C:\n    def Pipe(self, duplex=True):\n        '''doc'''\n        from .connection import Pipe\n", "Pipe"},
		{"python", "class C:\n    def wait(self, timeout=None):\n        if timeout is not None:\n", "wait"},
		{"python", "async def run(main):\n    x = 1\n\n    y = 2\n", "run"},
		{"python", "def f():\n    pass\n\nx = 1\n", ""},
		{"python", "class C:\n    x = 1\n", ""},
		{"typescript", "function f() {\n", ""},
	} {
		if got := enclosingFuncName(c.fam, c.prefix); got != c.want {
			t.Errorf("enclosingFuncName(%s, %q) = %q, want %q", c.fam, c.prefix, got, c.want)
		}
	}
}
