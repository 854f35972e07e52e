package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	dbm "github.com/cosmos/cosmos-db"
)

func nodeKey(version int64, nonce uint32) []byte {
	k := []byte{nodeKeyPrefix}
	k = binary.BigEndian.AppendUint64(k, uint64(version))
	return binary.BigEndian.AppendUint32(k, nonce)
}

func TestParseNodeKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  []byte
		want nodeID
		ok   bool
	}{
		{"node", nodeKey(7, 3), nodeID{7, 3}, true},
		{"largest", nodeKey(1<<62, 1<<31), nodeID{1 << 62, 1 << 31}, true},
		{"fast node", append([]byte{'f'}, nodeKey(7, 3)[1:]...), nodeID{}, false},
		{"short", nodeKey(7, 3)[:12], nodeID{}, false},
		{"long", append(nodeKey(7, 3), 0), nodeID{}, false},
		{"metadata", []byte("m/storage_version"), nodeID{}, false},
		{"empty", nil, nodeID{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseNodeKey(tc.key)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("parseNodeKey(%x) = %v, %v; want %v, %v", tc.key, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// ringOf is a cache of exactly size bytes (newNodeBytes refuses tiny ones).
func ringOf(size int) *nodeBytes {
	return &nodeBytes{index: map[nodeID]uint64{}, ring: make([]byte, size), largest: uint64(size)}
}

func value(n int, fill byte) []byte { return bytes.Repeat([]byte{fill}, n) }

func TestNodeBytesRing(t *testing.T) {
	entry := func(n int) int { return entryHeader + n }
	for _, tc := range []struct {
		name string
		size int
		// largest, if set, is the largest entry the ring takes.
		largest uint64
		// puts are node ids (nonces, version 1) with the length of their
		// value; gets are read between puts when marked by a negative
		// nonce.
		ops  []int
		lens []int
		held []uint32
		gone []uint32
	}{
		{
			name: "everything fits",
			size: 1024, ops: []int{1, 2, 3}, lens: []int{10, 20, 30},
			held: []uint32{1, 2, 3},
		},
		{
			name: "the oldest go first",
			size: 4 * entry(100), ops: []int{1, 2, 3, 4, 5}, lens: []int{100, 100, 100, 100, 100},
			held: []uint32{2, 3, 4, 5}, gone: []uint32{1},
		},
		{
			name: "an entry does not wrap around the end",
			// 3 entries of 100 leave 88 bytes: the fourth starts over at 0
			// and evicts the first two it overlaps... only the first.
			size: 3*entry(100) + 88, ops: []int{1, 2, 3, 4}, lens: []int{100, 100, 100, 100},
			held: []uint32{2, 3, 4}, gone: []uint32{1},
		},
		{
			name: "a tail too short for a header is skipped",
			size: 3*entry(100) + 7, ops: []int{1, 2, 3, 4, 5}, lens: []int{100, 100, 100, 100, 100},
			held: []uint32{3, 4, 5}, gone: []uint32{1, 2},
		},
		{
			name: "an entry read in the older half moves to the front",
			size: 4 * entry(100), ops: []int{1, 2, 3, -1, 4, 5, 6}, lens: []int{100, 100, 100, 0, 100, 100, 100},
			held: []uint32{1, 4, 5, 6}, gone: []uint32{2, 3},
		},
		{
			name: "an entry larger than an eighth of the ring is not kept",
			size: 1024, largest: 1024 / 8, ops: []int{1, 2}, lens: []int{1024/8 - entryHeader + 1, 10},
			held: []uint32{2}, gone: []uint32{1},
		},
		{
			name: "a node put again is read at its new place",
			size: 1024, ops: []int{1, 1}, lens: []int{10, 20},
			held: []uint32{1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ringOf(tc.size)
			if tc.largest > 0 {
				c.largest = tc.largest
			}
			want := map[uint32][]byte{}
			for i, op := range tc.ops {
				if op < 0 {
					if c.get(nodeID{1, uint32(-op)}) == nil {
						t.Fatalf("node %d not held when read", -op)
					}
					continue
				}
				v := value(tc.lens[i], byte(i+1))
				c.put(nodeID{1, uint32(op)}, v)
				want[uint32(op)] = v
			}
			for _, n := range tc.held {
				if got := c.get(nodeID{1, n}); !bytes.Equal(got, want[n]) {
					t.Errorf("node %d = %x, want %x", n, got, want[n])
				}
			}
			for _, n := range tc.gone {
				if got := c.get(nodeID{1, n}); got != nil {
					t.Errorf("node %d still held", n)
				}
			}
			if c.head-c.tail > uint64(tc.size) {
				t.Errorf("ring holds %d bytes, more than its %d", c.head-c.tail, tc.size)
			}
		})
	}
}

// TestNodeBytesAgainstMap churns a small ring and checks every read
// against what was last put: an entry is either absent or exact.
func TestNodeBytesAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := ringOf(4096)
	model := map[nodeID][]byte{}
	held := 0
	for i := range 20_000 {
		id := nodeID{int64(rng.IntN(4)), uint32(rng.IntN(64))}
		switch rng.IntN(3) {
		case 0:
			v := value(4+rng.IntN(200), byte(i))
			binary.BigEndian.PutUint32(v, uint32(i))
			c.put(id, v)
			model[id] = v
		default:
			got := c.get(id)
			if got == nil {
				continue
			}
			held++
			if !bytes.Equal(got, model[id]) {
				t.Fatalf("step %d: node %v = %x, want %x", i, id, got, model[id])
			}
		}
		if len(c.index) > 4096/entryHeader {
			t.Fatalf("step %d: %d entries indexed in a ring of 4096 bytes", i, len(c.index))
		}
	}
	if held == 0 {
		t.Fatal("no read was served from the ring")
	}
}

func TestNodeBytesResetAndClose(t *testing.T) {
	c := newNodeBytes(1 << 20)
	c.put(nodeID{1, 1}, []byte("a"))
	if got := c.held(); got != entryHeader+1 {
		t.Fatalf("one entry of one byte holds %d bytes", got)
	}
	c.reset()
	if c.get(nodeID{1, 1}) != nil || c.held() != 0 {
		t.Fatalf("after reset: held %d bytes", c.held())
	}
	c.put(nodeID{1, 2}, []byte("b"))
	if got := c.get(nodeID{1, 2}); string(got) != "b" {
		t.Fatalf("after reset, put then get = %q", got)
	}
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	c.put(nodeID{1, 3}, []byte("c"))
	if c.get(nodeID{1, 2}) != nil || c.get(nodeID{1, 3}) != nil {
		t.Fatal("a closed cache serves reads")
	}
	if err := c.close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	var none *nodeBytes
	none.reset()
	if err := none.close(); err != nil {
		t.Fatal(err)
	}
	if newNodeBytes(1<<20-1) != nil {
		t.Fatal("a cache under a MiB was made")
	}
}

// failingBatches fails every batch write, as a full disk would.
type failingBatches struct{ dbm.DB }

func (f failingBatches) NewBatch() dbm.Batch { return f.NewBatchWithSize(0) }
func (f failingBatches) NewBatchWithSize(n int) dbm.Batch {
	return failingBatch{f.DB.NewBatchWithSize(n)}
}

type failingBatch struct{ dbm.Batch }

var errDiskFull = errors.New("disk full")

func (failingBatch) Write() error     { return errDiskFull }
func (failingBatch) WriteSync() error { return errDiskFull }

func TestNodeBytesDB(t *testing.T) {
	mem := dbm.NewMemDB()
	c := newNodeBytes(1 << 20)
	defer c.close()
	db := withNodeBytes(mem, c)

	// A node read from the database is kept; other keys are not.
	if err := mem.Set(nodeKey(1, 1), []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := mem.Set([]byte("f/key"), []byte("fast")); err != nil {
		t.Fatal(err)
	}
	for _, k := range [][]byte{nodeKey(1, 1), []byte("f/key")} {
		if _, err := db.Get(k); err != nil {
			t.Fatal(err)
		}
	}
	if string(c.get(nodeID{1, 1})) != "one" || len(c.index) != 1 {
		t.Fatalf("after reads the cache holds %d entries", len(c.index))
	}
	// A missing node is neither an error nor kept.
	if v, err := db.Get(nodeKey(9, 9)); v != nil || err != nil {
		t.Fatalf("missing node: %q, %v", v, err)
	}

	// Written nodes are held once the batch is written, not before.
	b := db.NewBatch()
	for _, op := range []struct {
		key []byte
		val string
	}{{nodeKey(2, 1), "two-one"}, {nodeKey(2, 2), "two-two"}, {[]byte("m/meta"), "x"}} {
		if err := b.Set(op.key, []byte(op.val)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Delete(nodeKey(1, 1)); err != nil {
		t.Fatal(err)
	}
	if c.get(nodeID{2, 1}) != nil {
		t.Fatal("a node is held before its batch is written")
	}
	if err := b.WriteSync(); err != nil {
		t.Fatal(err)
	}
	b.Close()
	for id, want := range map[nodeID]string{{2, 1}: "two-one", {2, 2}: "two-two"} {
		if got := c.get(id); string(got) != want {
			t.Errorf("node %v = %q, want %q", id, got, want)
		}
	}
	if c.get(nodeID{1, 1}) != nil {
		t.Error("a deleted node is still held")
	}
	if has, err := db.Has(nodeKey(1, 1)); has || err != nil {
		t.Errorf("Has(deleted node) = %v, %v", has, err)
	}
	if has, err := db.Has(nodeKey(2, 2)); !has || err != nil {
		t.Errorf("Has(written node) = %v, %v", has, err)
	}

	// A batch that fails leaves nothing it touched in the cache: the
	// database, not the cache, says what is there.
	failing := withNodeBytes(failingBatches{mem}, c)
	fb := failing.NewBatch()
	if err := fb.Set(nodeKey(2, 1), []byte("rewritten")); err != nil {
		t.Fatal(err)
	}
	if err := fb.Set(nodeKey(3, 1), []byte("three")); err != nil {
		t.Fatal(err)
	}
	if err := fb.Write(); !errors.Is(err, errDiskFull) {
		t.Fatalf("failed write returned %v", err)
	}
	fb.Close()
	if c.get(nodeID{2, 1}) != nil || c.get(nodeID{3, 1}) != nil {
		t.Fatal("nodes of a failed batch are held")
	}
	if v, _ := db.Get(nodeKey(2, 1)); string(v) != "two-one" {
		t.Fatalf("after the failed batch the node reads %q", v)
	}
}

// TestNodeBytesSameState runs the same blocks on two stores, one with a
// node cache small enough to wrap many times over and one without, with
// old versions read and pruned as blocks go, and wants the same hashes
// and values everywhere.
func TestNodeBytesSameState(t *testing.T) {
	open := func(mib int) *Store {
		s, err := openOn(Config{Backend: "memdb", CacheSize: 64, KeepRecent: 5, NodeBytesMiB: mib}, dbm.NewMemDB())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	cached, plain := open(1), open(-1)
	if cached.nodes == nil || plain.nodes != nil {
		t.Fatal("the stores are not configured as the test wants")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	key := func() []byte { return []byte(fmt.Sprintf("k%05d", rng.IntN(6000))) }
	for h := 1; h <= 60; h++ {
		ops := make([][2][]byte, 0, 400)
		for range 400 {
			if rng.IntN(6) == 0 {
				ops = append(ops, [2][]byte{key(), nil})
			} else {
				ops = append(ops, [2][]byte{key(), value(50+rng.IntN(300), byte(h))})
			}
		}
		var hashes [2][]byte
		for i, s := range []*Store{cached, plain} {
			c := NewCache(s.Committed())
			for _, op := range ops {
				if op[1] == nil {
					c.Delete(op[0])
				} else {
					c.Set(op[0], op[1])
				}
			}
			if err := s.Apply(c); err != nil {
				t.Fatal(err)
			}
			if h%7 == 0 {
				// A block that is dropped before it commits.
				s.Rollback()
				c = NewCache(s.Committed())
				c.Set([]byte("after-rollback"), value(8, byte(h)))
				if err := s.Apply(c); err != nil {
					t.Fatal(err)
				}
			}
			_, hash, err := s.Commit(time.Unix(int64(h), 0))
			if err != nil {
				t.Fatal(err)
			}
			hashes[i] = hash
		}
		if !bytes.Equal(hashes[0], hashes[1]) {
			t.Fatalf("height %d: hash %X with the node cache, %X without", h, hashes[0], hashes[1])
		}
		// Read an older version through both stores' readers.
		old := max(int64(h)-3, 1)
		va, err := cached.At(old)
		if err != nil {
			t.Fatal(err)
		}
		vb, err := plain.At(old)
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			k := key()
			if a, b := va.Get(k), vb.Get(k); !bytes.Equal(a, b) {
				t.Fatalf("height %d, version %d, key %s: %x with the cache, %x without", h, old, k, a, b)
			}
		}
	}
	if cached.nodes.hits.Load() == 0 || cached.nodes.head < 4<<20 {
		t.Fatalf("the cache was not exercised: %d hits, %d bytes through a 1 MiB ring", cached.nodes.hits.Load(), cached.nodes.head)
	}
}

func TestNodeBytesConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantMiB int // 0: no cache
	}{
		{"pebbledb by default", Config{Backend: "pebbledb"}, DefaultNodeBytesMiB},
		{"pebbledb sized", Config{Backend: "pebbledb", NodeBytesMiB: 3}, 3},
		{"pebbledb turned off", Config{Backend: "pebbledb", NodeBytesMiB: -1}, 0},
		{"memdb is memory already", Config{Backend: "memdb"}, 0},
		{"memdb asked for one", Config{Backend: "memdb", NodeBytesMiB: 2}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg.Backend != "memdb" {
				tc.cfg.Dir = t.TempDir()
			}
			s, err := Open(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := 0
			if s.nodes != nil {
				got = len(s.nodes.ring) >> 20
			}
			if got != tc.wantMiB {
				t.Fatalf("node cache of %d MiB, want %d", got, tc.wantMiB)
			}
		})
	}
}

// TestNodeBytesConcurrentReads reads old versions from several goroutines
// while blocks commit, all through one small node cache (run with -race).
func TestNodeBytesConcurrentReads(t *testing.T) {
	s, err := openOn(Config{Backend: "memdb", CacheSize: 64, NodeBytesMiB: 1}, dbm.NewMemDB())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Key i holds, from height h on, the value "h:i" for the last h that
	// wrote it; block h writes the keys i with i%h == 0.
	const keys = 3000
	valueAt := func(i, h int) []byte {
		for w := h; w >= 1; w-- {
			if i%w == 0 {
				return []byte(fmt.Sprintf("%d:%d", w, i))
			}
		}
		return nil
	}
	commit := func(h int) {
		c := NewCache(s.Committed())
		for i := 0; i < keys; i += h {
			c.Set([]byte(fmt.Sprintf("k%05d", i)), valueAt(i, h))
		}
		if err := s.Apply(c); err != nil {
			t.Error(err)
			return
		}
		if _, _, err := s.Commit(time.Unix(int64(h), 0)); err != nil {
			t.Error(err)
		}
	}
	for h := 1; h <= 10; h++ {
		commit(h)
	}
	done := make(chan struct{})
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				h := 1 + rng.IntN(10)
				v, err := s.At(int64(h))
				if err != nil {
					errs <- err
					return
				}
				i := rng.IntN(keys)
				if got, want := v.Get([]byte(fmt.Sprintf("k%05d", i))), valueAt(i, h); !bytes.Equal(got, want) {
					errs <- fmt.Errorf("version %d, key %d: %q, want %q", h, i, got, want)
					return
				}
			}
		}()
	}
	for h := 11; h <= 40; h++ {
		commit(h)
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if s.nodes.hits.Load() == 0 {
		t.Fatal("no read went through the node cache")
	}
}
