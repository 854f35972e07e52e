package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestRecentValues walks the cache through the cases that keep it exact.
func TestRecentValues(t *testing.T) {
	r := newRecentValues(4)
	r.reset(1)
	get := func(key string, v int64) (string, bool, bool) {
		b, ok := r.get([]byte(key), v)
		return string(b), b == nil, ok
	}
	if _, _, ok := get("a", 1); ok {
		t.Fatal("an empty cache answered")
	}
	r.remember([]byte("a"), []byte("A1"), 1)
	r.remember([]byte("gone"), nil, 1)
	if v, _, ok := get("a", 1); !ok || v != "A1" {
		t.Fatalf("a at 1 = %q, %v", v, ok)
	}
	if _, absent, ok := get("gone", 1); !ok || !absent {
		t.Fatal("a remembered absence is not answered")
	}
	// Version 2 changes a and deletes b.
	r.advance(2, []entry{{key: []byte("a"), value: []byte("A2")}, {key: []byte("b"), deleted: true}})
	for _, tc := range []struct {
		key     string
		version int64
		want    string
		absent  bool
		ok      bool
	}{
		{"a", 1, "", false, false}, // changed after 1: read the tree
		{"a", 2, "A2", false, true},
		{"b", 2, "", true, true},
		{"b", 1, "", false, false},
		{"gone", 1, "", true, true}, // unchanged since 1
		{"gone", 2, "", true, true},
	} {
		v, absent, ok := get(tc.key, tc.version)
		if ok != tc.ok || (ok && (v != tc.want || absent != tc.absent)) {
			t.Errorf("%s at %d = %q absent=%v ok=%v, want %q absent=%v ok=%v", tc.key, tc.version, v, absent, ok, tc.want, tc.absent, tc.ok)
		}
	}
	// A reader still at version 1 may not put back what it read there.
	r.remember([]byte("c"), []byte("C1"), 1)
	if _, _, ok := get("c", 2); ok {
		t.Fatal("a value read at an old version was remembered")
	}
	// Nor may a stale read replace a newer entry.
	r.remember([]byte("a"), []byte("A1"), 2)
	if v, _, _ := get("a", 2); v != "A2" {
		t.Fatalf("a at 2 = %q after a second remember", v)
	}
	// Values too big to keep are dropped, also when a commit writes them.
	r.advance(3, []entry{{key: []byte("a"), value: make([]byte, recentMaxValue+1)}})
	if _, _, ok := get("a", 3); ok {
		t.Fatal("an oversized value is remembered")
	}
	r.reset(3)
	if _, _, ok := get("gone", 3); ok {
		t.Fatal("reset left an entry")
	}
}

// TestRecentValuesEviction: a full cache evicts, keeps its bound, and never
// answers for a key it evicted.
func TestRecentValuesEviction(t *testing.T) {
	const capacity = 8
	r := newRecentValues(capacity)
	r.reset(1)
	for i := range 100 {
		k := []byte(fmt.Sprint("k", i))
		r.remember(k, k, 1)
		if len(r.index) > capacity {
			t.Fatalf("%d entries in a cache of %d", len(r.index), capacity)
		}
		// Keep k0 hot: the clock gives it second chances.
		if _, ok := r.get([]byte("k0"), 1); !ok && i < capacity {
			t.Fatalf("k0 evicted after %d inserts", i)
		}
	}
	hits := 0
	for i := range 100 {
		k := []byte(fmt.Sprint("k", i))
		if v, ok := r.get(k, 1); ok {
			hits++
			if !bytes.Equal(v, k) {
				t.Fatalf("%s = %q", k, v)
			}
		}
	}
	if hits != capacity {
		t.Fatalf("%d keys answered by a full cache of %d", hits, capacity)
	}
	for i, s := range r.slots {
		if s.live && r.index[s.key] != int32(i) {
			t.Fatalf("slot %d (%q) is not indexed", i, s.key)
		}
	}
}

// TestCommittedReadsStayExact: reads of the committed view, through the
// cache of recent values, always agree with the tree at that version, also
// from readers that still hold an older view while commits go on.
func TestCommittedReadsStayExact(t *testing.T) {
	s, err := Open(Config{Backend: "memdb"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(7, 11))
	key := func() []byte { return fmt.Appendf(nil, "k%02d", rng.IntN(40)) }

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var failure sync.Once
	var failed string
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			for {
				select {
				case <-stop:
					return
				default:
				}
				view := s.Committed()
				if view.Height() == 0 {
					continue
				}
				at, err := s.At(view.Height())
				if err != nil {
					failure.Do(func() { failed = err.Error() })
					return
				}
				for range 20 {
					k := fmt.Appendf(nil, "k%02d", rng.IntN(40))
					if got, want := view.Get(k), mustGet(at, k); !bytes.Equal(got, want) {
						failure.Do(func() {
							failed = fmt.Sprintf("%s at %d: cached view %q, tree %q", k, view.Height(), got, want)
						})
						return
					}
				}
			}
		}()
	}
	for h := 1; h <= 300; h++ {
		c := NewCache(s.Committed())
		for range 1 + rng.IntN(6) {
			if k := key(); rng.IntN(4) == 0 {
				c.Delete(k)
			} else {
				c.Set(k, fmt.Appendf(nil, "v%d-%d", h, rng.IntN(1000)))
			}
		}
		// Reads through the cache while the block is being written.
		for range 5 {
			s.Committed().Get(key())
		}
		if err := s.Apply(c); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Commit(time.Unix(int64(h), 0)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if failed != "" {
		t.Fatal(failed)
	}
}

// mustGet reads key from a view's tree, without the cache of recent values.
func mustGet(v *View, key []byte) []byte {
	b, err := v.tree.Get(key)
	if err != nil {
		panic(err)
	}
	return b
}
