package snapshots

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lineageledger/lineaged/app/store"
)

var bg = context.Background()

// testStore is a store with versions 1 to n, each writing a few keys and
// overwriting some of the previous version's.
func testStore(t *testing.T, n int) *store.Store {
	t.Helper()
	st := emptyStore(t)
	for h := 1; h <= n; h++ {
		c := store.NewCache(st.Committed())
		for i := range 8 {
			c.Set(fmt.Appendf(nil, "key-%d-%d", h, i), fmt.Appendf(nil, "value of %d at height %d", i, h))
		}
		c.Set([]byte("last"), fmt.Appendf(nil, "%d", h))
		if err := st.Apply(c); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Commit(testStoreTime(h)); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// testStoreTime is the block time of version h of a testStore.
func testStoreTime(h int) time.Time { return time.Date(2026, 1, 2, 3, 4, h, 0, time.UTC) }

func emptyStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(store.Config{Backend: "memdb"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func mustOpen(t *testing.T, cfg Config) *Manager {
	t.Helper()
	m, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// create snapshots version height of st with m.
func create(t *testing.T, m *Manager, st *store.Store, height int64) *abci.Snapshot {
	t.Helper()
	exp, err := st.Export(height)
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Close()
	s, err := m.Create(bg, exp)
	if err != nil {
		t.Fatalf("snapshot of height %d: %v", height, err)
	}
	return s
}

func heightsOf(snaps []*abci.Snapshot) []uint64 {
	var out []uint64
	for _, s := range snaps {
		out = append(out, s.Height)
	}
	return out
}

// loadChunks reads every chunk of s from m, each of which must be there.
func loadChunks(t *testing.T, m *Manager, s *abci.Snapshot) [][]byte {
	t.Helper()
	chunks := make([][]byte, s.Chunks)
	for i := range chunks {
		c, err := m.LoadChunk(s.Height, s.Format, uint32(i))
		if err != nil {
			t.Fatal(err)
		}
		if len(c) == 0 {
			t.Fatalf("chunk %d of snapshot %d empty", i, s.Height)
		}
		chunks[i] = c
	}
	return chunks
}

// TestManagerCreationIsCrashSafe: what an interrupted creation or
// deletion leaves is never listed and is cleaned up; an interrupted
// creation leaves nothing behind.
func TestManagerCreationIsCrashSafe(t *testing.T) {
	st := testStore(t, 4)
	dir := filepath.Join(t.TempDir(), "snapshots")
	m := mustOpen(t, Config{Dir: dir, ChunkSize: 128})
	good := create(t, m, st, 2)
	if good.Chunks < 2 {
		t.Fatalf("want a snapshot of several chunks, have %d", good.Chunks)
	}
	// Leftovers of a crash: a temp directory with some chunks, a deletion
	// renamed but not removed, and a snapshot directory without manifest
	// (a disk that lost it).
	partial := filepath.Join(dir, tempPrefix+"123456")
	unmanifested := filepath.Join(dir, dirName(3, Format))
	for _, d := range []string{partial, filepath.Join(dir, tempPrefix+"deleted-"+dirName(1, 1)), unmanifested} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(chunkFile(d, 0), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A node restarting over that directory.
	r := mustOpen(t, Config{Dir: dir})
	if got := heightsOf(r.List()); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("listed %v, want only the finished snapshot at 2", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			t.Fatalf("leftover %s not removed", e.Name())
		}
	}
	if c, err := r.LoadChunk(3, 1, 0); err == nil || len(c) != 0 {
		t.Fatal("served a chunk of an unlisted snapshot")
	}
	if got := loadChunks(t, r, good); len(got) != int(good.Chunks) {
		t.Fatal("finished snapshot not served after the restart")
	}
	// The unlisted directory does not stop a snapshot of its height.
	if err := os.RemoveAll(unmanifested); err != nil {
		t.Fatal(err)
	}
	create(t, r, st, 3)

	// A creation interrupted midway (node stopping) leaves nothing.
	exp, err := st.Export(4)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := r.Create(ctx, exp); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted creation = %v, want context.Canceled", err)
	}
	exp.Close()
	if got := heightsOf(r.List()); !slices.Equal(got, []uint64{3, 2}) {
		t.Fatalf("listed %v after an interrupted creation, want [3 2]", got)
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("%d entries in the snapshot directory after an interrupted creation, want 2", len(entries))
	}
	// A damaged chunk on disk is not served.
	if err := os.WriteFile(chunkFile(filepath.Join(dir, dirName(2, 1)), 0), []byte("rot"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := r.LoadChunk(2, 1, 0); err == nil || len(c) != 0 {
		t.Fatal("served a damaged chunk")
	}
}

// TestManagerClosed: a closed manager creates nothing, in the background
// or not, and leaves nothing behind; what it stored is still served.
func TestManagerClosed(t *testing.T) {
	st := testStore(t, 3)
	dir := t.TempDir()
	m := mustOpen(t, Config{Dir: dir, ChunkSize: 128})
	s := create(t, m, st, 1)
	m.Close()
	exp, err := st.Export(2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Create(bg, exp); !errors.Is(err, context.Canceled) {
		t.Fatalf("creation after Close = %v, want context.Canceled", err)
	}
	if m.CreateInBackground(exp, func(*abci.Snapshot, error) { t.Error("background creation ran after Close") }) {
		t.Fatal("background creation started after Close")
	}
	exp.Close()
	if got := heightsOf(m.List()); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("listed %v after Close, want [1]", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("%d entries in the snapshot directory, want 1", len(entries))
	}
	loadChunks(t, m, s)
}

// TestManagerInBackground: a background creation writes the snapshot,
// prunes beyond KeepRecent and reports the snapshot once it is listed.
func TestManagerInBackground(t *testing.T) {
	st := testStore(t, 4)
	dir := t.TempDir()
	m := mustOpen(t, Config{Dir: dir, KeepRecent: 2, ChunkSize: 128})
	for h := int64(1); h <= 4; h++ {
		exp, err := st.Export(h)
		if err != nil {
			t.Fatal(err)
		}
		var got *abci.Snapshot
		if !m.CreateInBackground(exp, func(s *abci.Snapshot, err error) {
			if err != nil {
				t.Errorf("height %d: %v", h, err)
			}
			got = s
		}) {
			t.Fatalf("background creation of height %d not started", h)
		}
		m.Wait()
		if got == nil || got.Height != uint64(h) {
			t.Fatalf("background creation of height %d reported %v", h, got)
		}
	}
	if got := heightsOf(m.List()); !slices.Equal(got, []uint64{4, 3}) {
		t.Fatalf("listed %v, want [4 3]", got)
	}
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"00000000000000000003-1", "00000000000000000004-1"}; !slices.Equal(names, want) {
		t.Fatalf("snapshot directory holds %v, want %v", names, want)
	}
}
