package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"testing"
	"time"

	"github.com/lineageledger/lineaged/app/store/kv"
)

var exportTime = time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)

// buildHistory commits versions of random writes and deletes to s, each at
// exportTime plus its height in seconds, and then idle versions that change
// nothing, so that the latest root is older than the latest version.
func buildHistory(t *testing.T, s *Store, rng *rand.Rand, versions, idle int) {
	t.Helper()
	for v := 1; v <= versions+idle; v++ {
		c := NewCache(s.Committed())
		for i := 0; v <= versions && i < 40; i++ {
			k := []byte(fmt.Sprintf("k%03d", rng.Intn(300)))
			if rng.Intn(4) == 0 {
				c.Delete(k)
			} else {
				c.Set(k, []byte(fmt.Sprintf("v%d-%d", v, rng.Int())))
			}
		}
		if err := s.Apply(c); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Commit(exportTime.Add(time.Duration(v) * time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

// exportAll exports the version at height, copying every node.
func exportAll(t *testing.T, s *Store, height int64) ([]ExportNode, *Exporter) {
	t.Helper()
	e, err := s.Export(height)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var nodes []ExportNode
	for {
		n, err := e.Next()
		if errors.Is(err, io.EOF) {
			return nodes, e
		}
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, ExportNode{Key: bytes.Clone(n.Key), Value: bytes.Clone(n.Value), Version: n.Version, Height: n.Height})
	}
}

// importAll imports nodes as version height into s, expecting appHash.
func importAll(s *Store, height int64, blockTime time.Time, nodes []ExportNode, appHash []byte) error {
	im, err := s.Import(height, blockTime)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if err := im.Add(n); err != nil {
			return errors.Join(err, im.Abort())
		}
	}
	return im.Commit(appHash)
}

// contents is every key and value of r, in order.
func contents(r kv.Reader) [][2]string { return collect(r.Iterator(nil, nil, false)) }

// rawKeys counts the database's keys under prefix.
func rawKeys(t *testing.T, s *Store, prefix string) int {
	t.Helper()
	it, err := s.db.Iterator([]byte(prefix), kv.PrefixEnd([]byte(prefix)))
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for ; it.Valid(); it.Next() {
		n++
	}
	return n
}

// requireEmpty fails unless s is back to a store nothing was ever written
// to.
func requireEmpty(t *testing.T, s *Store) {
	t.Helper()
	if h, hash := s.LastCommit(); h != 0 || hash != nil {
		t.Fatalf("LastCommit = %d %X, want an empty store", h, hash)
	}
	if got := contents(s.Committed()); len(got) != 0 {
		t.Fatalf("empty store reads %d keys", len(got))
	}
	for _, p := range []string{prefixTimes, prefixRestore} {
		if n := rawKeys(t, s, p); n != 0 {
			t.Fatalf("%d keys left under %q", n, p)
		}
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	src := openMem(t)
	buildHistory(t, src, rand.New(rand.NewSource(7)), 12, 3)
	for _, height := range []int64{1, 6, 15} {
		t.Run(fmt.Sprint("height ", height), func(t *testing.T) {
			nodes, e := exportAll(t, src, height)
			want, err := src.At(height)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(e.Hash(), want.Hash()) || e.Height() != height || !e.Time().Equal(want.Time()) {
				t.Fatalf("exporter reports %d %X %v, want %d %X %v", e.Height(), e.Hash(), e.Time(), height, want.Hash(), want.Time())
			}
			dst := openMem(t)
			if err := importAll(dst, height, e.Time(), nodes, e.Hash()); err != nil {
				t.Fatalf("import: %v", err)
			}
			if h, hash := dst.LastCommit(); h != height || !bytes.Equal(hash, want.Hash()) {
				t.Fatalf("restored LastCommit = %d %X, want %d %X", h, hash, height, want.Hash())
			}
			got := dst.Committed()
			if !got.Time().Equal(want.Time()) {
				t.Fatalf("restored block time %v, want %v", got.Time(), want.Time())
			}
			if a, b := contents(got), contents(want); fmt.Sprint(a) != fmt.Sprint(b) {
				t.Fatalf("restored contents differ:\n got %v\nwant %v", a, b)
			}
			if _, err := dst.At(height); err != nil {
				t.Fatalf("At(%d) on the restored store: %v", height, err)
			}
			for h := int64(1); h < height; h++ {
				if _, err := dst.At(h); !errors.Is(err, ErrVersionUnavailable) {
					t.Fatalf("At(%d) below the restored height: %v, want unavailable", h, err)
				}
			}
			// The restored tree exports exactly what it was imported from.
			again, _ := exportAll(t, dst, height)
			if fmt.Sprint(again) != fmt.Sprint(nodes) {
				t.Fatal("re-exporting the restored version gives other nodes")
			}
			// Both stores take the same next block to the same hash.
			if height == 15 {
				next := func(s *Store) []byte {
					c := NewCache(s.Committed())
					c.Set([]byte("k000"), []byte("next"))
					c.Delete([]byte("k150"))
					c.Set([]byte("zz"), []byte("new"))
					if err := s.Apply(c); err != nil {
						t.Fatal(err)
					}
					return bytes.Clone(s.WorkingHash())
				}
				if a, b := next(src), next(dst); !bytes.Equal(a, b) {
					t.Fatalf("next block: original %X, restored %X", a, b)
				}
				src.Rollback()
			}
		})
	}
}

func TestExportImportEmptyTree(t *testing.T) {
	src := openMem(t)
	commitWrites(t, src, values("a"))
	commitWrites(t, src, nil, "a")
	nodes, e := exportAll(t, src, 2)
	if len(nodes) != 0 {
		t.Fatalf("empty tree exported %d nodes", len(nodes))
	}
	dst := openMem(t)
	if err := importAll(dst, 2, e.Time(), nodes, e.Hash()); err != nil {
		t.Fatalf("import of an empty tree: %v", err)
	}
	if h, hash := dst.LastCommit(); h != 2 || !bytes.Equal(hash, e.Hash()) {
		t.Fatalf("restored LastCommit = %d %X, want 2 %X", h, hash, e.Hash())
	}
}

func TestImportRejectsMalformedStreams(t *testing.T) {
	src := openMem(t)
	buildHistory(t, src, rand.New(rand.NewSource(3)), 5, 0)
	nodes, e := exportAll(t, src, 5)
	firstInner := -1
	for i, n := range nodes {
		if n.Height > 0 {
			firstInner = i
			break
		}
	}
	if firstInner < 2 {
		t.Fatalf("unexpected export shape: first inner node at %d", firstInner)
	}
	edit := func(f func(ns []ExportNode) []ExportNode) []ExportNode {
		ns := make([]ExportNode, len(nodes))
		copy(ns, nodes)
		return f(ns)
	}
	cases := []struct {
		name  string
		nodes []ExportNode
	}{
		{"leaves out of order", edit(func(ns []ExportNode) []ExportNode {
			ns[0], ns[1] = ns[1], ns[0]
			return ns
		})},
		{"inner key not its right subtree's first key", edit(func(ns []ExportNode) []ExportNode {
			ns[firstInner].Key = append(bytes.Clone(ns[firstInner].Key), 0)
			return ns
		})},
		{"inner node without children", edit(func(ns []ExportNode) []ExportNode {
			return append([]ExportNode{ns[firstInner]}, ns...)
		})},
		{"wrong inner height", edit(func(ns []ExportNode) []ExportNode {
			ns[firstInner].Height++
			return ns
		})},
		{"version above the imported height", edit(func(ns []ExportNode) []ExportNode {
			ns[0].Version = 6
			return ns
		})},
		{"version zero", edit(func(ns []ExportNode) []ExportNode {
			ns[0].Version = 0
			return ns
		})},
		{"negative version", edit(func(ns []ExportNode) []ExportNode {
			ns[0].Version = -1
			return ns
		})},
		{"negative height", edit(func(ns []ExportNode) []ExportNode {
			ns[0].Height = -1
			return ns
		})},
		{"leaf without value", edit(func(ns []ExportNode) []ExportNode {
			ns[0].Value = nil
			return ns
		})},
		{"inner node with a value", edit(func(ns []ExportNode) []ExportNode {
			ns[firstInner].Value = []byte("x")
			return ns
		})},
		{"node without key", edit(func(ns []ExportNode) []ExportNode {
			ns[0].Key = nil
			return ns
		})},
		{"truncated", nodes[:len(nodes)-1]},
		{"extra leaf after the root", edit(func(ns []ExportNode) []ExportNode {
			return append(ns, ExportNode{Key: []byte("zzz"), Value: []byte("v"), Version: 5})
		})},
	}
	dst := openMem(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := importAll(dst, 5, e.Time(), tc.nodes, e.Hash())
			if !errors.Is(err, ErrInvalidExport) {
				t.Fatalf("import = %v, want ErrInvalidExport", err)
			}
			requireEmpty(t, dst)
		})
	}
	// After all of that the store still takes a good import.
	if err := importAll(dst, 5, e.Time(), nodes, e.Hash()); err != nil {
		t.Fatalf("good import after rejected ones: %v", err)
	}
}

func TestImportHashMismatchEmptiesStore(t *testing.T) {
	src := openMem(t)
	buildHistory(t, src, rand.New(rand.NewSource(5)), 4, 0)
	nodes, e := exportAll(t, src, 4)
	dst := openMem(t)
	wrong := bytes.Clone(e.Hash())
	wrong[0] ^= 1
	if err := importAll(dst, 4, e.Time(), nodes, wrong); !errors.Is(err, ErrImportHash) {
		t.Fatalf("import with a wrong app hash = %v, want ErrImportHash", err)
	}
	requireEmpty(t, dst)
	if n := rawKeys(t, dst, prefixTree); n > 16 {
		t.Fatalf("%d tree keys left after a rejected import", n)
	}
	if err := importAll(dst, 4, e.Time(), nodes, e.Hash()); err != nil {
		t.Fatalf("import after a rejected one: %v", err)
	}
}

func TestImportRequiresEmptyStore(t *testing.T) {
	s := openMem(t)
	commitWrites(t, s, values("a"))
	if _, err := s.Import(3, exportTime); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("Import on a committed store = %v, want ErrNotEmpty", err)
	}
	if h, _ := s.LastCommit(); h != 1 {
		t.Fatalf("refused import changed the store: height %d", h)
	}
	if _, err := openMem(t).Import(0, exportTime); !errors.Is(err, ErrInvalidExport) {
		t.Fatalf("Import of height 0 = %v, want ErrInvalidExport", err)
	}
}

// TestUnfinishedImportDiscardedOnOpen: a process that dies during an
// import leaves a partial tree; reopening the database starts empty rather
// than failing to load it.
func TestUnfinishedImportDiscardedOnOpen(t *testing.T) {
	src := openMem(t)
	keys := map[string]string{}
	for i := range 12_000 {
		keys[fmt.Sprintf("key-%05d", i)] = "value"
	}
	commitWrites(t, src, keys)
	nodes, e := exportAll(t, src, 1)

	dir := t.TempDir()
	dst, err := Open(Config{Backend: "pebbledb", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	im, err := dst.Import(1, e.Time())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes[:len(nodes)-100] {
		if err := im.Add(n); err != nil {
			t.Fatal(err)
		}
	}
	// The process dies: the importer's flushed batches stay on disk.
	im.imp.Close()
	if n := rawKeys(t, dst, prefixTree); n < 10_000 {
		t.Fatalf("only %d tree keys on disk: the test needs a partial import", n)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}

	reopened, err := Open(Config{Backend: "pebbledb", Dir: dir})
	if err != nil {
		t.Fatalf("reopen after an unfinished import: %v", err)
	}
	defer reopened.Close()
	requireEmpty(t, reopened)
	if err := importAll(reopened, 1, e.Time(), nodes, e.Hash()); err != nil {
		t.Fatalf("import after the discarded one: %v", err)
	}
	if h, hash := reopened.LastCommit(); h != 1 || !bytes.Equal(hash, e.Hash()) {
		t.Fatalf("LastCommit = %d %X, want 1 %X", h, hash, e.Hash())
	}
}

// TestRestoredStoreSurvivesReopen: a finished import is durable, with its
// block time and its base height.
func TestRestoredStoreSurvivesReopen(t *testing.T) {
	src := openMem(t)
	buildHistory(t, src, rand.New(rand.NewSource(9)), 6, 2)
	nodes, e := exportAll(t, src, 8)
	dir := t.TempDir()
	dst, err := Open(Config{Backend: "pebbledb", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := importAll(dst, 8, e.Time(), nodes, e.Hash()); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(Config{Backend: "pebbledb", Dir: dir})
	if err != nil {
		t.Fatalf("reopen restored store: %v", err)
	}
	defer s.Close()
	if h, hash := s.LastCommit(); h != 8 || !bytes.Equal(hash, e.Hash()) {
		t.Fatalf("LastCommit after reopen = %d %X, want 8 %X", h, hash, e.Hash())
	}
	if got := s.Committed().Time(); !got.Equal(e.Time()) {
		t.Fatalf("block time after reopen = %v, want %v", got, e.Time())
	}
	if _, err := s.At(7); !errors.Is(err, ErrVersionUnavailable) {
		t.Fatalf("At(7) below the restored height after reopen: %v", err)
	}
	want, _ := src.At(8)
	if a, b := contents(s.Committed()), contents(want); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("restored contents differ after reopen")
	}
}

// TestPruningWaitsForExport: with KeepRecent, a version being exported is
// not pruned (and commits do not fail) until the export is closed.
func TestPruningWaitsForExport(t *testing.T) {
	s, err := Open(Config{Backend: "memdb", KeepRecent: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	commitWrites(t, s, values("a", "b", "c"))
	commitWrites(t, s, values("d"))
	e, err := s.Export(1)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"e", "f", "g"} {
		commitWrites(t, s, values(k)) // would fail to prune version 1 while it is read
	}
	if _, err := s.At(1); err != nil {
		t.Fatalf("exported version pruned under the export: %v", err)
	}
	if _, err := s.At(2); err != nil {
		t.Fatalf("version 2 pruned past the held version 1: %v", err)
	}
	leaves := 0
	for {
		n, err := e.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n.Height == 0 {
			leaves++
		}
	}
	if leaves != 3 {
		t.Fatalf("exported %d leaves of version 1, want 3", leaves)
	}
	e.Close()
	e.Close()
	commitWrites(t, s, values("h"))
	for _, h := range []int64{1, 2, 3, 4} {
		if _, err := s.At(h); !errors.Is(err, ErrVersionUnavailable) {
			t.Fatalf("At(%d) after the export closed = %v, want pruned", h, err)
		}
	}
	if _, err := s.At(5); err != nil {
		t.Fatalf("At(5): %v", err)
	}
}

// TestExportDuringCommits: an export read on another goroutine while
// blocks keep rewriting the tree yields exactly the version it was opened
// at (run with -race).
func TestExportDuringCommits(t *testing.T) {
	s := openMem(t)
	buildHistory(t, s, rand.New(rand.NewSource(11)), 3, 0)
	want, _ := exportAll(t, s, 3)
	e, err := s.Export(3)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []ExportNode)
	go func() {
		defer e.Close()
		var nodes []ExportNode
		for {
			n, err := e.Next()
			if err != nil {
				got <- nodes
				return
			}
			nodes = append(nodes, ExportNode{Key: bytes.Clone(n.Key), Value: bytes.Clone(n.Value), Version: n.Version, Height: n.Height})
			time.Sleep(time.Microsecond)
		}
	}()
	buildHistory(t, s, rand.New(rand.NewSource(12)), 20, 0)
	if nodes := <-got; fmt.Sprint(nodes) != fmt.Sprint(want) {
		t.Fatalf("concurrent export gave %d nodes, want the %d of version 3", len(nodes), len(want))
	}
}

// TestPruningAfterRestore: a restored store whose root predates the
// restored height (idle blocks before the snapshot) prunes like any other,
// and keeps the same state as the original.
func TestPruningAfterRestore(t *testing.T) {
	src := openMem(t)
	buildHistory(t, src, rand.New(rand.NewSource(21)), 6, 3)
	nodes, e := exportAll(t, src, 9)
	if nodes[len(nodes)-1].Version >= 9 {
		t.Fatalf("root version %d: the test needs a root older than the snapshot", nodes[len(nodes)-1].Version)
	}
	dir := t.TempDir()
	dst, err := Open(Config{Backend: "pebbledb", Dir: dir, KeepRecent: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := importAll(dst, 9, e.Time(), nodes, e.Hash()); err != nil {
		t.Fatal(err)
	}
	buildHistory(t, src, rand.New(rand.NewSource(22)), 6, 0)
	buildHistory(t, dst, rand.New(rand.NewSource(22)), 6, 0)
	if a, b := src.Committed(), dst.Committed(); !bytes.Equal(a.Hash(), b.Hash()) || a.Height() != 15 || b.Height() != 15 {
		t.Fatalf("after 6 more blocks: original %d %X, restored %d %X", a.Height(), a.Hash(), b.Height(), b.Hash())
	}
	for h := int64(1); h <= 13; h++ {
		if _, err := dst.At(h); !errors.Is(err, ErrVersionUnavailable) {
			t.Fatalf("At(%d) = %v, want pruned or never stored", h, err)
		}
	}
	for h := int64(14); h <= 15; h++ {
		v, err := dst.At(h)
		if err != nil {
			t.Fatalf("At(%d): %v", h, err)
		}
		w, _ := src.At(h)
		if fmt.Sprint(contents(v)) != fmt.Sprint(contents(w)) {
			t.Fatalf("version %d differs from the original", h)
		}
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	re, err := Open(Config{Backend: "pebbledb", Dir: dir, KeepRecent: 2})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer re.Close()
	if h, hash := re.LastCommit(); h != 15 || !bytes.Equal(hash, src.Committed().Hash()) {
		t.Fatalf("after reopen: %d %X", h, hash)
	}
}
