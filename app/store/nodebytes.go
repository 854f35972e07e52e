package store

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	dbm "github.com/cosmos/cosmos-db"
)

// DefaultNodeBytesMiB is the memory given to encoded tree nodes
// ([nodeBytes]) unless configured.
const DefaultNodeBytesMiB = 512

// nodeBytes keeps the encoded form of tree nodes in one block of memory
// outside the Go heap, below iavl's own cache of decoded nodes.
//
// Why: a write to the tree clones the path to its key and loads both
// children of every node on it. In a tree of a few hundred thousand keys
// the lower levels of that path fall out of iavl's cache (which also holds
// every node the recent blocks replaced), and each of those loads is a
// pebble lookup through memtables, levels and blocks: near a million keys
// they took three quarters of the time of a block's writes to the tree.
// Here a load is a map lookup and a copy, and the memory is neither
// scanned by the collector nor counted in its target.
//
// Nodes come in as the tree's batches write them, and as they are read
// from the database after the ring has let them go. A node key (a version
// and a nonce) names contents that never change while the node exists:
// batches tell the cache what they deleted or wrote again only once they
// are written, and whatever writes the tree's keys around the cache (the
// wipe before a restore) must reset it.
//
// Entries live in a ring in the order they came, and the oldest go when
// room is needed: most nodes a block writes are replaced within a few
// blocks and are never read again. An entry read while in the older half
// of the ring is copied to the front, so that what the tree keeps using
// stays.
type nodeBytes struct {
	mu    sync.Mutex
	index map[nodeID]uint64 // entry's absolute offset in the ring
	ring  []byte
	// head is where the next entry goes and tail where the oldest starts,
	// both counted from the first byte ever written: an entry at offset o
	// lives at ring[o%len(ring)].
	head, tail uint64
	free       func() error
	// largest is the largest entry taken: one bigger would push out too
	// much at once.
	largest uint64

	hits, misses atomic.Uint64
}

// nodeID is a node key of iavl v1: the version that made the node and its
// place in that version's writes.
type nodeID struct {
	version int64
	nonce   uint32
}

const (
	// nodeKeyLen is a node's database key: 's', the version and the nonce.
	nodeKeyLen    = 1 + 8 + 4
	nodeKeyPrefix = 's'
	// entryHeader is an entry's id and length before its bytes.
	entryHeader = 8 + 4 + 4
	// padding, as an entry's length, says the ring's end was skipped.
	padding = ^uint32(0)
)

// parseNodeKey returns the id a database key names, if it is a node key.
func parseNodeKey(key []byte) (nodeID, bool) {
	if len(key) != nodeKeyLen || key[0] != nodeKeyPrefix {
		return nodeID{}, false
	}
	return nodeID{version: int64(binary.BigEndian.Uint64(key[1:9])), nonce: binary.BigEndian.Uint32(key[9:13])}, true
}

// newNodeBytes returns a cache of size bytes, or nil if size is too small
// to hold anything worth having.
func newNodeBytes(size int) *nodeBytes {
	if size < 1<<20 {
		return nil
	}
	ring, free := allocRing(size)
	return &nodeBytes{index: map[nodeID]uint64{}, ring: ring, free: free, largest: uint64(size) / 8}
}

// get returns a copy of the node's bytes, or nil if they are not held.
func (c *nodeBytes) get(id nodeID) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	off, ok := c.index[id]
	if !ok || c.ring == nil {
		c.misses.Add(1)
		return nil
	}
	c.hits.Add(1)
	pos := off % uint64(len(c.ring))
	n := binary.BigEndian.Uint32(c.ring[pos+12:])
	v := make([]byte, n)
	copy(v, c.ring[pos+entryHeader:])
	if c.head-off > uint64(len(c.ring))/2 {
		c.putLocked(id, v)
	}
	return v
}

// put remembers the bytes of a node.
func (c *nodeBytes) put(id nodeID, v []byte) {
	c.mu.Lock()
	c.putLocked(id, v)
	c.mu.Unlock()
}

func (c *nodeBytes) putLocked(id nodeID, v []byte) {
	if off, ok := c.stageLocked(id, v); ok {
		c.index[id] = off
	} else {
		delete(c.index, id)
	}
}

// stage copies a node's bytes into the ring without indexing them, and
// says where; false if the node is too large to hold.
func (c *nodeBytes) stage(id nodeID, v []byte) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stageLocked(id, v)
}

func (c *nodeBytes) stageLocked(id nodeID, v []byte) (uint64, bool) {
	size := uint64(len(c.ring))
	need := uint64(entryHeader + len(v))
	if need > c.largest || need > size { // the latter when closed
		return 0, false
	}
	if pos := c.head % size; pos+need > size {
		// Entries do not wrap: mark the rest of the ring skipped (when a
		// header fits there) and start again at its beginning.
		c.evictUntil(c.head + (size - pos))
		if size-pos >= entryHeader {
			binary.BigEndian.PutUint32(c.ring[pos+12:], padding)
		}
		c.head += size - pos
	}
	c.evictUntil(c.head + need)
	pos := c.head % size
	binary.BigEndian.PutUint64(c.ring[pos:], uint64(id.version))
	binary.BigEndian.PutUint32(c.ring[pos+8:], id.nonce)
	binary.BigEndian.PutUint32(c.ring[pos+12:], uint32(len(v)))
	copy(c.ring[pos+entryHeader:], v)
	off := c.head
	c.head += need
	return off, true
}

// evictUntil drops the oldest entries until the ring has room up to end.
func (c *nodeBytes) evictUntil(end uint64) {
	size := uint64(len(c.ring))
	for c.tail+size < end {
		pos := c.tail % size
		if size-pos < entryHeader {
			c.tail += size - pos
			continue
		}
		n := binary.BigEndian.Uint32(c.ring[pos+12:])
		if n == padding {
			c.tail += size - pos
			continue
		}
		id := nodeID{version: int64(binary.BigEndian.Uint64(c.ring[pos:])), nonce: binary.BigEndian.Uint32(c.ring[pos+8:])}
		if c.index[id] == c.tail {
			delete(c.index, id)
		}
		c.tail += entryHeader + uint64(n)
	}
}

// has says whether a node is held.
func (c *nodeBytes) has(id nodeID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.index[id]
	return ok
}

// held is how much of the ring is in use.
func (c *nodeBytes) held() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.head - c.tail
}

// reset forgets everything.
func (c *nodeBytes) reset() {
	if c == nil {
		return
	}
	c.mu.Lock()
	clear(c.index)
	c.tail = c.head
	c.mu.Unlock()
}

// close returns the ring's memory; the cache is empty from then on.
func (c *nodeBytes) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.index)
	c.ring = nil
	free := c.free
	c.free = nil
	if free == nil {
		return nil
	}
	return free()
}

// nodeBytesDB reads the tree's nodes through a [nodeBytes] and tells it
// what the tree's batches wrote.
type nodeBytesDB struct {
	dbm.DB
	cache *nodeBytes
}

// withNodeBytes wraps db, the tree's part of the database, with c, or
// returns db as it is if c is nil.
func withNodeBytes(db dbm.DB, c *nodeBytes) dbm.DB {
	if c == nil {
		return db
	}
	return nodeBytesDB{DB: db, cache: c}
}

func (d nodeBytesDB) Get(key []byte) ([]byte, error) {
	id, ok := parseNodeKey(key)
	if !ok {
		return d.DB.Get(key)
	}
	if v := d.cache.get(id); v != nil {
		return v, nil
	}
	v, err := d.DB.Get(key)
	if err == nil && v != nil {
		d.cache.put(id, v)
	}
	return v, err
}

func (d nodeBytesDB) Has(key []byte) (bool, error) {
	if id, ok := parseNodeKey(key); ok && d.cache.has(id) {
		return true, nil
	}
	return d.DB.Has(key)
}

func (d nodeBytesDB) NewBatch() dbm.Batch { return d.NewBatchWithSize(0) }

func (d nodeBytesDB) NewBatchWithSize(size int) dbm.Batch {
	return &nodeBytesBatch{Batch: d.DB.NewBatchWithSize(size), cache: d.cache}
}

// nodeBytesBatch copies the nodes a batch writes into the ring as they
// come, unindexed, and indexes them once the batch is written: one copy,
// and nothing allocated per node.
type nodeBytesBatch struct {
	dbm.Batch
	cache   *nodeBytes
	deleted []nodeID
	written []writtenNode
}

// writtenNode is a node a batch set, and where its bytes went.
type writtenNode struct {
	id     nodeID
	offset uint64
}

func (b *nodeBytesBatch) Set(key, value []byte) error {
	if id, ok := parseNodeKey(key); ok {
		if off, staged := b.cache.stage(id, value); staged {
			b.written = append(b.written, writtenNode{id: id, offset: off})
		} else {
			// Too large to hold: no older copy may stay either.
			b.deleted = append(b.deleted, id)
		}
	}
	return b.Batch.Set(key, value)
}

func (b *nodeBytesBatch) Delete(key []byte) error {
	if id, ok := parseNodeKey(key); ok {
		b.deleted = append(b.deleted, id)
	}
	return b.Batch.Delete(key)
}

func (b *nodeBytesBatch) Write() error     { return b.done(b.Batch.Write()) }
func (b *nodeBytesBatch) WriteSync() error { return b.done(b.Batch.WriteSync()) }

func (b *nodeBytesBatch) Close() error {
	b.deleted, b.written = nil, nil
	return b.Batch.Close()
}

// done indexes the batch's nodes once it is written. A failed write may
// have reached the disk or not, so then the cache only forgets them, and
// later reads ask the database; so it does for a node whose staged bytes
// the ring has already overwritten.
func (b *nodeBytesBatch) done(err error) error {
	c := b.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range b.deleted {
		delete(c.index, id)
	}
	for _, w := range b.written {
		if err != nil || w.offset < c.tail {
			delete(c.index, w.id)
			continue
		}
		c.index[w.id] = w.offset
	}
	b.deleted, b.written = b.deleted[:0], b.written[:0]
	return err
}
