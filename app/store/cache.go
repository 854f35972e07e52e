package store

import (
	"bytes"

	"github.com/google/btree"

	"github.com/lineageledger/lineaged/app/store/kv"
)

type entry struct {
	key     []byte
	value   []byte
	deleted bool
}

func lessEntry(a, b entry) bool { return bytes.Compare(a.key, b.key) < 0 }

// Cache stages writes over a parent reader. Reads see the staged writes
// first. Nothing reaches the parent until [Cache.Write] (for a parent that
// is itself a cache) or [Store.Apply] (for the tree).
type Cache struct {
	parent kv.Reader
	writes *btree.BTreeG[entry]
}

var _ kv.Store = (*Cache)(nil)

// cacheNodes recycles the nodes of caches' trees: a block makes one cache
// per transaction, and each would otherwise allocate a free list of its own.
var cacheNodes = btree.NewFreeListG[entry](btree.DefaultFreeListSize)

// NewCache stacks an empty cache over parent.
func NewCache(parent kv.Reader) *Cache {
	return &Cache{parent: parent, writes: btree.NewWithFreeListG(16, lessEntry, cacheNodes)}
}

// Get implements kv.Reader.
func (c *Cache) Get(key []byte) []byte {
	if e, ok := c.writes.Get(entry{key: key}); ok {
		if e.deleted {
			return nil
		}
		return e.value
	}
	return c.parent.Get(key)
}

// Has implements kv.Reader.
func (c *Cache) Has(key []byte) bool { return c.Get(key) != nil }

// Set implements kv.Store. Values must be non-nil; the cache keeps its own
// copies of key and value.
func (c *Cache) Set(key, value []byte) {
	if key == nil || value == nil {
		panic("store: nil key or value")
	}
	c.writes.ReplaceOrInsert(entry{key: bytes.Clone(key), value: bytes.Clone(value)})
}

// Delete implements kv.Store.
func (c *Cache) Delete(key []byte) {
	c.writes.ReplaceOrInsert(entry{key: bytes.Clone(key), deleted: true})
}

// Len is the number of staged writes.
func (c *Cache) Len() int { return c.writes.Len() }

// Write passes the staged writes to dst in key order and empties the cache.
func (c *Cache) Write(dst kv.Store) {
	if parent, ok := dst.(*Cache); ok {
		// The entries are this cache's own copies, and it forgets them:
		// hand them over instead of copying them again.
		c.each(func(e entry) bool {
			parent.writes.ReplaceOrInsert(e)
			return true
		})
		c.writes.Clear(true)
		return
	}
	c.each(func(e entry) bool {
		if e.deleted {
			dst.Delete(e.key)
		} else {
			dst.Set(e.key, e.value)
		}
		return true
	})
	c.writes.Clear(false)
}

func (c *Cache) each(fn func(entry) bool) { c.writes.Ascend(fn) }

// Iterator implements kv.Reader by merging the staged writes in the range
// with the parent's keys.
func (c *Cache) Iterator(start, end []byte, reverse bool) kv.Iterator {
	var staged []entry
	visit := func(e entry) bool {
		if end != nil && bytes.Compare(e.key, end) >= 0 {
			return reverse // ascending: past the end, stop; descending: skip it
		}
		if start != nil && bytes.Compare(e.key, start) < 0 {
			return !reverse // descending: before the start, stop
		}
		staged = append(staged, e)
		return true
	}
	switch {
	case reverse && end != nil:
		c.writes.DescendLessOrEqual(entry{key: end}, visit)
	case reverse:
		c.writes.Descend(visit)
	case start != nil:
		c.writes.AscendGreaterOrEqual(entry{key: start}, visit)
	default:
		c.writes.Ascend(visit)
	}
	it := &mergeIterator{parent: c.parent.Iterator(start, end, reverse), staged: staged, reverse: reverse}
	it.settle()
	return it
}

// mergeIterator yields the union of a parent iterator and sorted staged
// entries; a staged entry hides the parent's value for the same key, and a
// staged deletion hides the key altogether.
type mergeIterator struct {
	parent  kv.Iterator
	staged  []entry
	reverse bool
	// fromStaged says whether the current position is staged[0].
	fromStaged bool
	valid      bool
}

// cmp orders keys in iteration direction.
func (m *mergeIterator) cmp(a, b []byte) int {
	if m.reverse {
		return bytes.Compare(b, a)
	}
	return bytes.Compare(a, b)
}

// settle moves to the next visible key at or after the current positions.
func (m *mergeIterator) settle() {
	for {
		pv := m.parent.Valid()
		if len(m.staged) == 0 {
			m.fromStaged, m.valid = false, pv
			return
		}
		s := m.staged[0]
		if pv {
			c := m.cmp(m.parent.Key(), s.key)
			if c < 0 {
				m.fromStaged, m.valid = false, true
				return
			}
			if c == 0 {
				m.parent.Next() // shadowed by the staged entry
			}
		}
		if s.deleted {
			m.staged = m.staged[1:]
			continue
		}
		m.fromStaged, m.valid = true, true
		return
	}
}

func (m *mergeIterator) Valid() bool { return m.valid }

func (m *mergeIterator) Next() {
	if m.fromStaged {
		m.staged = m.staged[1:]
	} else {
		m.parent.Next()
	}
	m.settle()
}

func (m *mergeIterator) Key() []byte {
	if m.fromStaged {
		return m.staged[0].key
	}
	return m.parent.Key()
}

func (m *mergeIterator) Value() []byte {
	if m.fromStaged {
		return m.staged[0].value
	}
	return m.parent.Value()
}

func (m *mergeIterator) Close() { m.parent.Close() }
