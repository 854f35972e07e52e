package snapshots

import (
	"bytes"
	"errors"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lineageledger/lineaged/app/store"
)

// snapshotOf snapshots the last version of a store of three versions, in
// chunks of 100 bytes, and returns it with its chunks and app hash.
func snapshotOf(t *testing.T) (*abci.Snapshot, [][]byte, []byte) {
	t.Helper()
	src := testStore(t, 3)
	m := mustOpen(t, Config{Dir: t.TempDir(), ChunkSize: 100})
	s := create(t, m, src, 3)
	if s.Chunks < 3 {
		t.Fatalf("want at least 3 chunks, have %d", s.Chunks)
	}
	_, hash := src.LastCommit()
	return s, loadChunks(t, m, s), hash
}

// TestRestoration: chunks out of order or not matching their hash are
// refused and change nothing; the right ones, in order, restore the state
// with its app hash and block time.
func TestRestoration(t *testing.T) {
	s, chunks, hash := snapshotOf(t)
	dst := emptyStore(t)
	r, err := NewRestoration(dst, s, hash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Apply(1, chunks[1]); !errors.Is(err, ErrChunkOrder) {
		t.Fatalf("chunk 1 first: %v, want ErrChunkOrder", err)
	}
	bad := bytes.Clone(chunks[0])
	bad[0] ^= 1
	if _, err := r.Apply(0, bad); !errors.Is(err, ErrChunkHash) {
		t.Fatalf("tampered chunk: %v, want ErrChunkHash", err)
	}
	if r.Next() != 0 {
		t.Fatalf("refused chunks moved the restoration to chunk %d", r.Next())
	}
	for i, c := range chunks {
		done, err := r.Apply(uint32(i), c)
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if last := i == len(chunks)-1; done != last {
			t.Fatalf("chunk %d: done %v", i, done)
		}
	}
	if h, got := dst.LastCommit(); h != int64(s.Height) || !bytes.Equal(got, hash) {
		t.Fatalf("restored %d %X, want %d %X", h, got, s.Height, hash)
	}
	if want := testStoreTime(3); !dst.Committed().Time().Equal(want) {
		t.Fatalf("restored block time %v, want %v", dst.Committed().Time(), want)
	}
	// Over: nothing more is applied, and aborting keeps the state.
	if _, err := r.Apply(s.Chunks, chunks[0]); !errors.Is(err, ErrChunkOrder) {
		t.Fatalf("chunk after the last: %v, want ErrChunkOrder", err)
	}
	if err := r.Abort(); err != nil {
		t.Fatal(err)
	}
	if h, _ := dst.LastCommit(); h != int64(s.Height) {
		t.Fatalf("Abort after the restore left height %d", h)
	}
}

// TestRestorationRefusesSnapshots: an offer that cannot be a snapshot of
// this format is refused before anything is imported; a snapshot whose
// content gives another app hash is bad, and aborting empties the store.
func TestRestorationRefusesSnapshots(t *testing.T) {
	s, chunks, hash := snapshotOf(t)
	edit := func(f func(s *abci.Snapshot)) *abci.Snapshot {
		cp := *s
		cp.Metadata = bytes.Clone(s.Metadata)
		cp.Hash = bytes.Clone(s.Hash)
		f(&cp)
		return &cp
	}
	for name, bad := range map[string]*abci.Snapshot{
		"format 2":        edit(func(s *abci.Snapshot) { s.Format = 2 }),
		"height 0":        edit(func(s *abci.Snapshot) { s.Height = 0 }),
		"height too high": edit(func(s *abci.Snapshot) { s.Height = 1<<62 + 1 }),
		"chunk count":     edit(func(s *abci.Snapshot) { s.Chunks++ }),
		"metadata":        edit(func(s *abci.Snapshot) { s.Metadata[0] ^= 1 }),
		"hash":            edit(func(s *abci.Snapshot) { s.Hash[0] ^= 1 }),
		"too many chunks": edit(func(s *abci.Snapshot) {
			s.Chunks = MaxChunks + 1
			s.Metadata = make([]byte, 32*s.Chunks)
			s.Hash = Hash(s.Metadata)
		}),
	} {
		if _, err := NewRestoration(emptyStore(t), bad, hash); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	dst := emptyStore(t)
	wrong := bytes.Clone(hash)
	wrong[0] ^= 1
	r, err := NewRestoration(dst, s, wrong)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range chunks {
		_, err = r.Apply(uint32(i), c)
		if err != nil {
			break
		}
	}
	if !IsBad(err) || !errors.Is(err, store.ErrImportHash) {
		t.Fatalf("restore under a wrong app hash: %v, want a bad snapshot", err)
	}
	if err := r.Abort(); err != nil {
		t.Fatal(err)
	}
	if h, _ := dst.LastCommit(); h != 0 {
		t.Fatalf("store at height %d after a rejected snapshot, want empty", h)
	}
	for _, err := range []error{ErrChunkOrder, ErrChunkHash, errors.New("disk full")} {
		if IsBad(err) {
			t.Errorf("IsBad(%v) = true", err)
		}
	}
}
