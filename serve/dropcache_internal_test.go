package serve

import "testing"

func TestDropCacheKeepsWithinItsLimits(t *testing.T) {
	var c dropCache[string, int]
	if _, ok := c.get("a"); ok {
		t.Fatal("an empty cache answered")
	}
	c.put("a", 1, 10, 2, 100)
	c.put("b", 2, 10, 2, 100)
	if v, ok := c.get("a"); !ok || v != 1 {
		t.Fatalf("get(a) = %d, %v; want 1, true", v, ok)
	}
	// A third value passes maxLen: the cache starts again with it alone.
	c.put("c", 3, 10, 2, 100)
	if _, ok := c.get("a"); ok {
		t.Error("a outlived a cache that went over its length")
	}
	if v, ok := c.get("c"); !ok || v != 3 {
		t.Errorf("get(c) = %d, %v; want 3, true", v, ok)
	}
	// One that passes maxBytes does the same.
	c.put("d", 4, 95, 10, 100)
	if _, ok := c.get("c"); ok {
		t.Error("c outlived a cache that went over its bytes")
	}
	if v, ok := c.get("d"); !ok || v != 4 {
		t.Errorf("get(d) = %d, %v; want 4, true", v, ok)
	}
}
