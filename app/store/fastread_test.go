package store

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
)

// requireFastAgrees checks that the committed view answers every key of
// keys from the index of live values, exactly as its tree does, and that
// it stops answering once a commit starts.
func requireFastAgrees(t *testing.T, s *Store, keys [][]byte) {
	t.Helper()
	view := s.Committed()
	if view.fast == nil {
		t.Fatalf("the committed view of version %d has no index of live values", view.Height())
	}
	for _, k := range keys {
		got, ok := view.fast.get(k)
		if !ok {
			t.Fatalf("the index cannot answer for %q", k)
		}
		if want := mustGet(view, k); !bytes.Equal(got, want) {
			t.Fatalf("%q: index %q, tree %q", k, got, want)
		}
	}
	s.diskWrites.Add(1) // as Commit does before it writes
	defer s.diskWrites.Add(1)
	if _, ok := view.fast.get(keys[0]); ok {
		t.Fatal("the index answered while a commit was writing")
	}
}

func TestFastIndexReads(t *testing.T) {
	keys := make([][]byte, 0, 310)
	for i := range 300 {
		keys = append(keys, fmt.Appendf(nil, "k%03d", i))
	}
	keys = append(keys, []byte("never-written"), []byte("k"), []byte("k9999"))
	for _, backend := range []string{"memdb", "pebbledb"} {
		t.Run(backend, func(t *testing.T) {
			s, err := Open(Config{Backend: backend, Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Committed().fast != nil {
				t.Fatal("an empty store's view has an index")
			}
			// Sets, overwrites and deletes over several versions.
			buildHistory(t, s, rand.New(rand.NewSource(3)), 10, 2)
			requireFastAgrees(t, s, keys)

			// An older view never answers from the index, which describes
			// only the newest version.
			old, err := s.At(5)
			if err != nil {
				t.Fatal(err)
			}
			if old.fast != nil {
				t.Fatal("a view of an old version reads the index")
			}
		})
	}
}

// TestFastIndexAfterRestore: a store restored from a snapshot has a
// complete index of live values at once.
func TestFastIndexAfterRestore(t *testing.T) {
	src := openMem(t)
	buildHistory(t, src, rand.New(rand.NewSource(9)), 8, 0)
	nodes, e := exportAll(t, src, 8)
	dst := openMem(t)
	if err := importAll(dst, 8, e.Time(), nodes, e.Hash()); err != nil {
		t.Fatal(err)
	}
	var keys [][]byte
	for i := range 300 {
		keys = append(keys, fmt.Appendf(nil, "k%03d", i))
	}
	requireFastAgrees(t, dst, keys)
	for _, k := range keys {
		if got, want := dst.Committed().Get(k), src.Committed().Get(k); !bytes.Equal(got, want) {
			t.Fatalf("%q: restored %q, source %q", k, got, want)
		}
	}
}
