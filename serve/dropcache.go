package serve

import "sync"

// dropCache keeps recent values for a retriever, within limits that put is given. When one
// would be passed, it drops everything and starts again: that costs less than tracking use, and
// what an editor asks about next is soon read again. The zero value is empty and ready.
type dropCache[K comparable, V any] struct {
	mu    sync.Mutex
	m     map[K]V
	bytes int
}

func (c *dropCache[K, V]) get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

// put keeps v under key; size is roughly what it holds in memory. The cache holds at most
// maxLen values and about maxBytes.
func (c *dropCache[K, V]) put(key K, v V, size, maxLen, maxBytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxLen || c.bytes+size > maxBytes {
		c.m, c.bytes = make(map[K]V), 0
	}
	c.m[key] = v
	c.bytes += size
}
