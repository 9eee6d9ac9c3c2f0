package embedded

import "iter"

// refChains keeps lists of symRefs by a numeric key, each list a chain through one array of
// nodes, in the order the refs were added. Nothing in it is a pointer, so the garbage collector
// does not scan it: maps of []symRef by name and by name and folder, over the Go source tree's
// definitions, held 13 MB of pointers that every collection scanned while the server answered
// queries. A chain is walked node by node (removing a ref walks its key's chain): queries read
// the chains of names defined in few places only, and count the others.
type refChains struct {
	ends  map[uint64]chainEnds
	nodes []refNode
	free  uint32 // 1 + the first node of the free list; 0: none
}

type chainEnds struct{ head, tail, n uint32 } // head and tail: 1 + node index

type refNode struct {
	doc, sym uint32
	next     uint32 // 1 + the next node's index; 0 ends the chain
}

// freeDoc marks a node on the free list.
const freeDoc = ^uint32(0)

func newRefChains() refChains { return refChains{ends: make(map[uint64]chainEnds)} }

// add appends r to the chain of key.
func (c *refChains) add(key uint64, r symRef) {
	n := refNode{doc: r.doc, sym: uint32(r.sym)}
	var at uint32
	if c.free != 0 {
		at = c.free
		c.free = c.nodes[at-1].next
		c.nodes[at-1] = n
	} else {
		c.nodes = append(c.nodes, n)
		at = uint32(len(c.nodes))
	}
	e, ok := c.ends[key]
	if ok {
		c.nodes[e.tail-1].next = at
		e.tail = at
		e.n++
	} else {
		e = chainEnds{head: at, tail: at, n: 1}
	}
	c.ends[key] = e
}

// count returns how many refs key has.
func (c *refChains) count(key uint64) int { return int(c.ends[key].n) }

// all yields the refs of key in the order they were added.
func (c *refChains) all(key uint64) iter.Seq[symRef] {
	return func(yield func(symRef) bool) {
		e, ok := c.ends[key]
		if !ok {
			return
		}
		for at := e.head; at != 0; {
			n := &c.nodes[at-1]
			if !yield(symRef{doc: n.doc, sym: int(n.sym)}) {
				return
			}
			at = n.next
		}
	}
}

// removeDoc drops the refs of key into doc d.
func (c *refChains) removeDoc(key uint64, d uint32) {
	e, ok := c.ends[key]
	if !ok {
		return
	}
	var prev uint32
	for at := e.head; at != 0; {
		n := &c.nodes[at-1]
		next := n.next
		if n.doc != d {
			prev, at = at, next
			continue
		}
		if prev == 0 {
			e.head = next
		} else {
			c.nodes[prev-1].next = next
		}
		if e.tail == at {
			e.tail = prev
		}
		e.n--
		*n = refNode{doc: freeDoc, next: c.free}
		c.free = at
		at = next
	}
	if e.n == 0 {
		delete(c.ends, key)
	} else {
		c.ends[key] = e
	}
}

// remap renumbers the docs of every ref (see memIndex.maybeRenumber).
func (c *refChains) remap(remap []uint32) {
	for i := range c.nodes {
		if n := &c.nodes[i]; n.doc != freeDoc {
			n.doc = remap[n.doc]
		}
	}
}

// dirKey keys the refs of a name (its number in memIndex.symNames) in a directory (its number
// in memIndex.paths).
func dirKey(name, dir uint32) uint64 { return uint64(name)<<32 | uint64(dir) }
