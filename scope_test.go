package codectx

import (
	"math"
	"slices"
	"testing"
)

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"parseHTTPConfig":                     {"parse", "http", "config"},
		"func (c *Command) Root() *Command {": {"func", "command", "root"},
		"snake_case_name2x":                   {"snake", "case", "name"},
		"x := a + 42":                         nil,
		"utf8Decode":                          {"utf", "decode"},
		"__init__":                            {"init"},
	} {
		if got := Words(in); !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScopeScore(t *testing.T) {
	none := ScopeScore(ScopeFeatures{})
	for _, f := range []ScopeFeatures{{InSuffix: true}, {NameShare: 0.5}, {HeaderShare: 0.3}, {NamesType: true}, {Files: 3}} {
		if ScopeScore(f) <= none {
			t.Errorf("%+v does not raise the score", f)
		}
	}
	if ScopeScore(ScopeFeatures{Files: 100000}) >= ScopeScore(ScopeFeatures{InSuffix: true}) {
		t.Error("popularity must count less than a clue")
	}
}

func TestIsTestPath(t *testing.T) {
	for p, want := range map[string]bool{
		"pkg/a_test.go": true, "pkg/a.go": false, "tests/test_a.py": true, "a/b_test.py": true, "a/testing.py": false,
		"src/a.test.ts": true, "src/a.spec.js": true, "src/__tests__/a.ts": true, "__tests__/a.ts": true, "src/latest.ts": false,
	} {
		if got := IsTestPath(p); got != want {
			t.Errorf("IsTestPath(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestScopeScoreUsedBefore(t *testing.T) {
	f := ScopeFeatures{NameShare: 0.5, InSuffix: true, Files: 3}
	fresh := ScopeScore(f)
	f.UsedBefore = true
	if used := ScopeScore(f); !(used < fresh) {
		t.Errorf("a name used before the cursor scores %v, not under %v", used, fresh)
	}
}

func TestPopularityTable(t *testing.T) {
	for files := -1; files <= 3*PopularFiles; files++ {
		want := min(1, math.Log1p(float64(max(files, 0)))/math.Log1p(PopularFiles))
		if got := popularity(files); got != want {
			t.Errorf("popularity(%d) = %v, want %v", files, got, want)
		}
	}
}
