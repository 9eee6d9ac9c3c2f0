package serve

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSelectTop(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := rng.IntN(120)
		list := make([]named, n)
		for i := range list {
			list[i] = named{fmt.Sprintf("n%d", i), float64(rng.IntN(20))} // many ties
		}
		want := slices.Clone(list)
		slices.SortFunc(want, better)
		k := rng.IntN(60)
		got := selectTop(list, k)
		if k < len(want) {
			want = want[:k]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: selectTop(%d of %d) = %v, want %v", round, k, n, got, want)
		}
	}
}

func TestAlignedAnalogs(t *testing.T) {
	var ids [maxAnchorIDs]string
	if n := anchorIDs("\tdst, sp := beginMessage(dst, 'R')", ids[:]); n != 3 || ids[0] != "dst" || ids[1] != "sp" || ids[2] != "beginMessage" {
		t.Errorf("anchorIDs = %v", ids[:n])
	}
	if got := lastNonBlank("a\n\tb := 1\n\n  \n"); got != "\tb := 1" {
		t.Errorf("lastNonBlank = %q", got)
	}
	if got := firstNonBlank("\n \n\treturn x\ny\n"); got != "\treturn x" {
		t.Errorf("firstNonBlank = %q", got)
	}
}
