package embedded

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// refChains against a map of slices, through random adds, removals and renumberings.
func TestRefChainsMatchesSlices(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	c := newRefChains()
	want := map[uint64][]symRef{}
	live, maxLive := 0, 0
	for step := 0; step < 20000; step++ {
		key := dirKey(uint32(rng.Intn(20)), uint32(rng.Intn(5)))
		switch r := rng.Intn(10); {
		case r < 6:
			ref := symRef{doc: uint32(rng.Intn(50)), sym: rng.Intn(4)}
			c.add(key, ref)
			want[key] = append(want[key], ref)
			live++
			maxLive = max(maxLive, live)
		case r < 9:
			d := uint32(rng.Intn(50))
			c.removeDoc(key, d)
			live -= len(want[key])
			if refs := slices.DeleteFunc(want[key], func(r symRef) bool { return r.doc == d }); len(refs) == 0 {
				delete(want, key)
			} else {
				want[key] = refs
			}
			live += len(want[key])
		default:
			remap := make([]uint32, 50)
			for i := range remap {
				remap[i] = uint32(49 - i)
			}
			c.remap(remap)
			for _, refs := range want {
				for i := range refs {
					refs[i].doc = remap[refs[i].doc]
				}
			}
		}
		if step%97 == 0 || step == 19999 {
			if len(c.ends) != len(want) {
				t.Fatalf("step %d: %d keys, want %d", step, len(c.ends), len(want))
			}
			for k, refs := range want {
				got := slices.Collect(c.all(k))
				if fmt.Sprint(got) != fmt.Sprint(refs) {
					t.Fatalf("step %d: key %x: %v, want %v", step, k, got, refs)
				}
				if int(c.ends[k].n) != len(refs) {
					t.Fatalf("step %d: key %x counts %d, want %d", step, k, c.ends[k].n, len(refs))
				}
			}
		}
	}
	// Removed nodes are reused: the array holds as many nodes as were ever live at once.
	if len(c.nodes) != maxLive {
		t.Fatalf("%d nodes, but at most %d refs were live at once", len(c.nodes), maxLive)
	}
}
