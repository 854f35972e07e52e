package store

import (
	"bytes"
	"fmt"
	"math/rand"
	"sort"
	"testing"
	"time"

	dbm "github.com/cosmos/cosmos-db"

	"github.com/lineageledger/lineaged/app/store/kv"
)

// model is the obviously-correct reference a Cache must agree with.
type model map[string][]byte

func (m model) iterate(start, end []byte, reverse bool) [][2]string {
	var keys []string
	for k := range m {
		if (start == nil || k >= string(start)) && (end == nil || k < string(end)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if reverse {
		for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
			keys[i], keys[j] = keys[j], keys[i]
		}
	}
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{k, string(m[k])}
	}
	return out
}

func collect(it kv.Iterator) [][2]string {
	defer it.Close()
	var out [][2]string
	for ; it.Valid(); it.Next() {
		out = append(out, [2]string{string(it.Key()), string(it.Value())})
	}
	return out
}

func randKey(r *rand.Rand) []byte {
	return []byte{byte('a' + r.Intn(6)), byte('a' + r.Intn(6))}
}

func memStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(Config{Backend: "memdb"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestCacheMatchesModel drives a committed tree, a block cache over it and a
// tx cache over that with random writes, and checks every read and every
// iteration against a map.
func TestCacheMatchesModel(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	s := memStore(t)
	want := model{}
	base := NewCache(s.Committed())
	for i := 0; i < 40; i++ {
		k := randKey(r)
		base.Set(k, []byte(fmt.Sprint("v", i)))
		want[string(k)] = []byte(fmt.Sprint("v", i))
	}
	if err := s.Apply(base); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Commit(time.Unix(int64(1_700_000_000), 0)); err != nil {
		t.Fatal(err)
	}
	block := NewCache(s.Committed())
	tx := NewCache(block)
	for round := 0; round < 300; round++ {
		k := randKey(r)
		switch r.Intn(3) {
		case 0:
			v := []byte(fmt.Sprint("w", round))
			tx.Set(k, v)
			want[string(k)] = v
		case 1:
			tx.Delete(k)
			delete(want, string(k))
		case 2:
			tx.Write(block) // promote, as after a successful tx
			tx = NewCache(block)
		}
		if got := tx.Get(k); !bytes.Equal(got, want[string(k)]) {
			t.Fatalf("round %d: Get(%s) = %q, want %q", round, k, got, want[string(k)])
		}
		var start, end []byte
		if r.Intn(2) == 0 {
			start = randKey(r)
		}
		if r.Intn(2) == 0 {
			end = randKey(r)
		}
		for _, rev := range []bool{false, true} {
			got, exp := collect(tx.Iterator(start, end, rev)), want.iterate(start, end, rev)
			if fmt.Sprint(got) != fmt.Sprint(exp) {
				t.Fatalf("round %d: Iterator(%q, %q, reverse=%v)\n got %v\nwant %v", round, start, end, rev, got, exp)
			}
		}
	}
}

func TestPrefixedIterator(t *testing.T) {
	c := NewCache(memStore(t).Committed())
	c.Set([]byte("a1"), []byte("x"))
	c.Set([]byte("b1"), []byte("y"))
	c.Set([]byte("b2"), []byte("z"))
	c.Set([]byte("c1"), []byte("w"))
	p := kv.Prefixed(c, []byte("b"))
	if got := collect(p.Iterator(nil, nil, false)); fmt.Sprint(got) != "[[1 y] [2 z]]" {
		t.Fatalf("prefixed ascending = %v", got)
	}
	if got := collect(p.Iterator(nil, nil, true)); fmt.Sprint(got) != "[[2 z] [1 y]]" {
		t.Fatalf("prefixed descending = %v", got)
	}
	if got := string(p.Get([]byte("2"))); got != "z" {
		t.Fatalf("prefixed Get = %q", got)
	}
}

func TestPrefixEnd(t *testing.T) {
	cases := []struct{ in, want []byte }{
		{[]byte{1}, []byte{2}},
		{[]byte{1, 0xff}, []byte{2}},
		{[]byte{0xff, 0xff}, nil},
		{[]byte{}, nil},
	}
	for _, c := range cases {
		if got := kv.PrefixEnd(c.in); !bytes.Equal(got, c.want) {
			t.Errorf("PrefixEnd(%x) = %x, want %x", c.in, got, c.want)
		}
	}
}

// TestHashIndependentOfWriteOrder: the app hash must depend only on what
// was written, not on the order handlers wrote it in.
func TestHashIndependentOfWriteOrder(t *testing.T) {
	hashOf := func(order []int) []byte {
		s := memStore(t)
		c := NewCache(s.Committed())
		for _, i := range order {
			c.Set([]byte(fmt.Sprintf("key%03d", i)), []byte{byte(i)})
		}
		if err := s.Apply(c); err != nil {
			t.Fatal(err)
		}
		_, h, err := s.Commit(time.Unix(int64(1_700_000_000), 0))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a := hashOf(rand.New(rand.NewSource(1)).Perm(200))
	b := hashOf(rand.New(rand.NewSource(2)).Perm(200))
	if !bytes.Equal(a, b) {
		t.Fatalf("hash depends on write order: %x vs %x", a, b)
	}
}

func TestCommitReopenAndHistory(t *testing.T) {
	dir := t.TempDir()
	for _, backend := range []string{"pebbledb", "goleveldb"} {
		t.Run(backend, func(t *testing.T) {
			cfg := Config{Backend: backend, Dir: dir + "/" + backend}
			s, err := Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if h, hash := s.LastCommit(); h != 0 || hash != nil {
				t.Fatalf("fresh store LastCommit = %d, %x", h, hash)
			}
			var hashes [][]byte
			for h := 1; h <= 3; h++ {
				c := NewCache(s.Committed())
				c.Set([]byte("k"), []byte(fmt.Sprint(h)))
				if err := s.Apply(c); err != nil {
					t.Fatal(err)
				}
				v, hash, err := s.Commit(time.Unix(int64(1_700_000_000+h), 0))
				if err != nil || v != int64(h) {
					t.Fatalf("Commit = %d, %v", v, err)
				}
				hashes = append(hashes, hash)
			}
			// Work applied but not committed is lost on reopen, as after a crash.
			c := NewCache(s.Committed())
			c.Set([]byte("k"), []byte("uncommitted"))
			if err := s.Apply(c); err != nil {
				t.Fatal(err)
			}
			s.Close()

			s, err = Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			h, hash := s.LastCommit()
			if h != 3 || !bytes.Equal(hash, hashes[2]) {
				t.Fatalf("reopened LastCommit = %d, %x; want 3, %x", h, hash, hashes[2])
			}
			if got := string(s.Committed().Get([]byte("k"))); got != "3" {
				t.Fatalf("committed value = %q", got)
			}
			old, err := s.At(1)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(old.Get([]byte("k"))); got != "1" || !bytes.Equal(old.Hash(), hashes[0]) {
				t.Fatalf("At(1) = %q, %x", got, old.Hash())
			}
			// Each version knows the time of the block that produced it.
			if got := old.Time(); !got.Equal(time.Unix(1_700_000_001, 0)) {
				t.Fatalf("At(1).Time() = %v", got)
			}
			if got := s.Committed().Time(); !got.Equal(time.Unix(1_700_000_003, 0)) {
				t.Fatalf("Committed().Time() = %v", got)
			}
			if _, err := s.At(4); err == nil {
				t.Fatal("At(4) succeeded before height 4 exists")
			}
		})
	}
}

func TestPruning(t *testing.T) {
	s, err := Open(Config{Backend: "memdb", KeepRecent: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for h := 1; h <= 5; h++ {
		c := NewCache(s.Committed())
		c.Set([]byte("k"), []byte(fmt.Sprint(h)))
		s.Apply(c)
		if _, _, err := s.Commit(time.Unix(int64(1_700_000_000), 0)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.At(2); err == nil {
		t.Fatal("version 2 survived KeepRecent=2 at height 5")
	}
	if _, err := s.At(4); err != nil {
		t.Fatalf("version 4 pruned: %v", err)
	}
}

func TestOpenRejectsUnknownBackend(t *testing.T) {
	if _, err := Open(Config{Backend: "sqlite"}); err == nil {
		t.Fatal("unknown backend accepted")
	}
}

// TestViewsDuringCommits: views are read while new versions are written
// and committed, as the query API does while blocks execute. Run with
// -race: views come from a tree of their own and share no nodes with the
// working tree.
func TestViewsDuringCommits(t *testing.T) {
	s := memStore(t)
	write := func(h int) {
		c := NewCache(s.Committed())
		for i := 0; i < 300; i++ {
			c.Set([]byte(fmt.Sprintf("k%04d", (h*37+i)%3000)), []byte(fmt.Sprint(h)))
		}
		if err := s.Apply(c); err != nil {
			t.Error(err)
		}
		if _, _, err := s.Commit(time.Unix(int64(h), 0)); err != nil {
			t.Error(err)
		}
	}
	write(1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			v := s.Committed()
			it := v.Iterator(nil, nil, false)
			n := 0
			for ; it.Valid(); it.Next() {
				n++
			}
			it.Close()
			if n == 0 {
				t.Error("a committed view read no keys")
				return
			}
			if old, err := s.At(1); err == nil {
				old.Get([]byte("k0000"))
			}
		}
	}()
	for h := 2; h <= 40; h++ {
		write(h)
	}
	<-done
}

// batchCounter counts the batches written to a database and, if hints is
// set, records the size each batch was made with and then had.
type batchCounter struct {
	dbm.DB
	writes *int
	hints  *[][2]int
}

func (c batchCounter) NewBatch() dbm.Batch { return c.NewBatchWithSize(0) }
func (c batchCounter) NewBatchWithSize(n int) dbm.Batch {
	return countedBatch{c.DB.NewBatchWithSize(n), c, n}
}

type countedBatch struct {
	dbm.Batch
	c    batchCounter
	hint int
}

func (b countedBatch) Write() error     { b.count(); return b.Batch.Write() }
func (b countedBatch) WriteSync() error { b.count(); return b.Batch.WriteSync() }

func (b countedBatch) count() {
	*b.c.writes++
	if b.c.hints != nil {
		n, _ := b.GetByteSize()
		*b.c.hints = append(*b.c.hints, [2]int{b.hint, n})
	}
}

// TestCommitBatchesAreSizedFromTheLast: a commit's batch is made as big as
// the commit before it wrote, not regrown from nothing every block, and the
// size decays when commits get smaller.
func TestCommitBatchesAreSizedFromTheLast(t *testing.T) {
	writes := 0
	var hints [][2]int
	s, err := openOn(Config{Backend: "memdb", CacheSize: 1000}, batchCounter{dbm.NewMemDB(), &writes, &hints})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Opening writes a small batch of its own (the index of live values
	// marks its format); count from the first commit.
	hints = hints[:0]
	keys := []int{3000, 3000, 100, 100}
	for v, n := range keys {
		c := NewCache(s.Committed())
		for i := range n {
			c.Set(fmt.Appendf(nil, "v%d-key-%05d", v, i), bytes.Repeat([]byte{byte(v)}, 100))
		}
		if err := s.Apply(c); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Commit(time.Unix(int64(v+1), 0)); err != nil {
			t.Fatal(err)
		}
	}
	if len(hints) != len(keys) {
		t.Fatalf("%d batches written for %d commits", len(hints), len(keys))
	}
	for i := 1; i < len(hints); i++ {
		prev, hint := hints[i-1][1], hints[i][0]
		// At least the previous batch's size less an eighth (the decay),
		// at most it plus an eighth (the headroom).
		if lo, hi := prev-prev/8, hints[i-1][0]+hints[i-1][0]/8+prev+prev/8; hint < lo || hint > hi {
			t.Errorf("batch %d made with size %d after one of %d bytes, want within [%d, %d]", i, hint, prev, lo, hi)
		}
	}
	if hints[3][0] >= hints[2][0] {
		t.Errorf("batch sizes do not decay after small commits: %v", hints)
	}
}

// TestCommitIsOneBatch: a commit reaches the database as a single batch, so
// a crash leaves either the whole version or none of it, however big the
// block (iavl would otherwise flush every 100 kB).
func TestCommitIsOneBatch(t *testing.T) {
	writes := 0
	s, err := openOn(Config{Backend: "memdb", CacheSize: 1000}, batchCounter{dbm.NewMemDB(), &writes, nil})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for v := 1; v <= 3; v++ {
		c := NewCache(s.Committed())
		for i := range 5000 {
			c.Set(fmt.Appendf(nil, "key-%05d", i), bytes.Repeat([]byte{byte(v)}, 200))
		}
		if err := s.Apply(c); err != nil {
			t.Fatal(err)
		}
		writes = 0
		if _, _, err := s.Commit(time.Unix(int64(v), 0)); err != nil {
			t.Fatal(err)
		}
		if writes != 1 {
			t.Fatalf("version %d (over 1 MB of changes) reached the database in %d batches", v, writes)
		}
	}
}
