package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/iavl"
	idb "github.com/cosmos/iavl/db"

	"github.com/lineageledger/lineaged/app/store/kv"
)

// ExportNode is one node of a version's tree, in the order [Exporter]
// yields them: depth-first, children before their parent, left before
// right. A leaf (Height 0) carries a key and a value; an inner node carries
// the smallest key of its right subtree and no value. Version is the height
// that last rewrote the node; it is part of the node's hash.
type ExportNode struct {
	Key     []byte
	Value   []byte
	Version int64
	Height  int8
}

// ErrInvalidExport marks a node stream that is not the export of any tree:
// nodes out of order, an inner node without its two children, a version
// above the imported one, and the like. Nothing of it is kept.
var ErrInvalidExport = errors.New("invalid state export")

// ErrImportHash means an import built a tree whose root is not the app hash
// it was expected to have. Nothing of it is kept.
var ErrImportHash = errors.New("imported state does not match the app hash")

// ErrNotEmpty means an import was started on a store that already holds a
// committed version.
var ErrNotEmpty = errors.New("state is not empty")

// Exporter streams the nodes of one committed version. It holds the
// version: pruning leaves it alone until [Exporter.Close]. Next may be
// called from any goroutine, concurrently with block execution.
type Exporter struct {
	version int64
	hash    []byte
	time    time.Time
	reader  *iavl.MutableTree
	exp     *iavl.Exporter // nil for an empty tree
	release func()
}

// exportCacheSize is the node cache of an export's own tree: an export
// visits each node once, so a cache barely helps.
const exportCacheSize = 10_000

// Export starts exporting the committed version at height. The caller must
// Close the exporter.
func (s *Store) Export(height int64) (_ *Exporter, err error) {
	release := s.hold(height)
	e := &Exporter{version: height, release: release}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	view, err := s.At(height)
	if err != nil {
		return nil, err
	}
	e.time = view.Time()
	// The export reads through a tree of its own over the same database:
	// iavl shares in-memory nodes between a version's readers and the
	// working tree, which rewrites their child links while executing
	// blocks. Nothing is written through this tree.
	e.reader = iavl.NewMutableTree(idb.NewWrapper(dbm.NewPrefixDB(s.db, []byte(prefixTree))), exportCacheSize, true, iavl.NewNopLogger())
	t, err := e.reader.GetImmutable(height)
	if err != nil {
		return nil, fmt.Errorf("failed to open version %d for export: %w", height, err)
	}
	e.hash = t.Hash()
	if !bytes.Equal(e.hash, view.Hash()) {
		return nil, fmt.Errorf("%w: version %d reads as root %X for export, %X committed", ErrIO, height, e.hash, view.Hash())
	}
	// iavl's exporter does not handle a tree without a root.
	if t.Size() > 0 {
		if e.exp, err = t.Export(); err != nil {
			return nil, fmt.Errorf("failed to export version %d: %w", height, err)
		}
	}
	return e, nil
}

// Height is the exported version.
func (e *Exporter) Height() int64 { return e.version }

// Hash is the app hash of the exported version.
func (e *Exporter) Hash() []byte { return e.hash }

// Time is the time of the block that produced the exported version (zero
// if none was recorded).
func (e *Exporter) Time() time.Time { return e.time }

// Next returns the next node, or io.EOF after the last one.
func (e *Exporter) Next() (ExportNode, error) {
	if e.exp == nil {
		return ExportNode{}, io.EOF
	}
	n, err := e.exp.Next()
	if errors.Is(err, iavl.ErrorExportDone) {
		return ExportNode{}, io.EOF
	}
	if err != nil {
		return ExportNode{}, fmt.Errorf("failed to export version %d: %w", e.version, err)
	}
	return ExportNode{Key: n.Key, Value: n.Value, Version: n.Version, Height: n.Height}, nil
}

// Close ends the export and releases the version. It may be called more
// than once.
func (e *Exporter) Close() {
	if e.exp != nil {
		e.exp.Close()
		e.exp = nil
	}
	if e.reader != nil {
		_ = e.reader.Close() // only releases its unused write batch
		e.reader = nil
	}
	if e.release != nil {
		e.release()
		e.release = nil
	}
}

// hold keeps version from pruning until the returned function is called.
func (s *Store) hold(version int64) func() {
	s.holdMu.Lock()
	s.holds[version]++
	s.holdMu.Unlock()
	return func() {
		s.holdMu.Lock()
		if s.holds[version]--; s.holds[version] <= 0 {
			delete(s.holds, version)
		}
		s.holdMu.Unlock()
	}
}

// Restore bookkeeping under prefixRestore: the marker of an import in
// progress, and the height a finished import restored the store at.
var (
	keyRestoring = []byte(prefixRestore + "restoring")
	keyBase      = []byte(prefixRestore + "base")
)

// Importer rebuilds a version from the nodes of an [Exporter], checking as
// they arrive that they form a well-ordered tree: the app hash covers the
// leaves and the tree's shape but not the keys of inner nodes, which steer
// every lookup, so a stream with wrong inner keys could otherwise match the
// hash and still answer reads wrongly.
//
// Until [Importer.Commit] succeeds, a database holding part of an import is
// marked as such and [Open] empties it.
type Importer struct {
	s         *Store
	version   int64
	blockTime time.Time
	imp       *iavl.Importer
	// stack mirrors iavl's import stack: the key range of every subtree
	// whose parent has not arrived yet.
	stack    []subtree
	lastLeaf []byte
	leaves   int64
	finished bool
}

// subtree is the span of keys under a node, and its height.
type subtree struct {
	height   int8
	min, max []byte
}

// Import starts restoring the version height, produced by a block at
// blockTime, into an empty store. The caller must end it with Commit or
// Abort.
func (s *Store) Import(height int64, blockTime time.Time) (*Importer, error) {
	if height <= 0 {
		return nil, fmt.Errorf("%w: cannot import height %d", ErrInvalidExport, height)
	}
	if h, _ := s.LastCommit(); h != 0 {
		return nil, fmt.Errorf("%w: committed height is %d", ErrNotEmpty, h)
	}
	// Drop any working changes and whatever an abandoned import wrote.
	s.Rollback()
	if err := s.wipe(); err != nil {
		return nil, err
	}
	if err := s.db.SetSync(keyRestoring, binary.BigEndian.AppendUint64(nil, uint64(height))); err != nil {
		return nil, fmt.Errorf("%w: failed to mark the restore: %w", ErrIO, err)
	}
	imp, err := s.tree.Import(height)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("failed to start importing version %d: %w", height, err), s.wipe())
	}
	return &Importer{s: s, version: height, blockTime: blockTime, imp: imp}, nil
}

// Add imports the next node. An error ends the import: the caller must
// Abort.
func (im *Importer) Add(n ExportNode) error {
	if im.finished {
		return fmt.Errorf("%w: import already ended", ErrInvalidExport)
	}
	if n.Version < 1 || n.Version > im.version {
		return fmt.Errorf("%w: node version %d outside [1, %d]", ErrInvalidExport, n.Version, im.version)
	}
	if n.Key == nil {
		return fmt.Errorf("%w: node without a key", ErrInvalidExport)
	}
	switch {
	case n.Height < 0:
		return fmt.Errorf("%w: negative node height %d", ErrInvalidExport, n.Height)
	case n.Height == 0:
		if n.Value == nil {
			return fmt.Errorf("%w: leaf %x without a value", ErrInvalidExport, n.Key)
		}
		if im.leaves > 0 && bytes.Compare(n.Key, im.lastLeaf) <= 0 {
			return fmt.Errorf("%w: leaf %x does not follow leaf %x", ErrInvalidExport, n.Key, im.lastLeaf)
		}
		im.lastLeaf = bytes.Clone(n.Key)
		im.leaves++
		im.stack = append(im.stack, subtree{height: 0, min: im.lastLeaf, max: im.lastLeaf})
	default:
		if n.Value != nil {
			return fmt.Errorf("%w: inner node %x with a value", ErrInvalidExport, n.Key)
		}
		k := len(im.stack)
		if k < 2 {
			return fmt.Errorf("%w: inner node %x without two children", ErrInvalidExport, n.Key)
		}
		left, right := im.stack[k-2], im.stack[k-1]
		if want := max(left.height, right.height) + 1; n.Height != want {
			return fmt.Errorf("%w: inner node %x has height %d over children of heights %d and %d", ErrInvalidExport, n.Key, n.Height, left.height, right.height)
		}
		if !bytes.Equal(n.Key, right.min) {
			return fmt.Errorf("%w: inner node key %x is not its right subtree's first key %x", ErrInvalidExport, n.Key, right.min)
		}
		im.stack = append(im.stack[:k-2], subtree{height: n.Height, min: left.min, max: right.max})
	}
	if err := im.imp.Add(&iavl.ExportNode{Key: n.Key, Value: n.Value, Version: n.Version, Height: n.Height}); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidExport, err)
	}
	return nil
}

// Commit finishes the import and checks that the restored tree's root is
// appHash. On success the store's committed version is the imported one,
// with its block time; on a mismatch ([ErrImportHash]) or any other failure
// the store is empty again.
func (im *Importer) Commit(appHash []byte) error {
	if im.finished {
		return fmt.Errorf("%w: import already ended", ErrInvalidExport)
	}
	im.finished = true
	s := im.s
	if len(im.stack) > 1 {
		im.imp.Close()
		return errors.Join(fmt.Errorf("%w: stream ended with %d unjoined subtrees", ErrInvalidExport, len(im.stack)), s.wipe())
	}
	if err := im.imp.Commit(); err != nil {
		im.imp.Close()
		return errors.Join(fmt.Errorf("failed to commit imported version %d: %w", im.version, err), s.wipe())
	}
	if got := s.tree.Hash(); !bytes.Equal(got, appHash) {
		return errors.Join(fmt.Errorf("%w: version %d has root %X, want %X", ErrImportHash, im.version, got, appHash), s.wipe())
	}
	// The block time, the base and the end of the restore land together.
	b := s.db.NewBatch()
	defer b.Close()
	var err error
	if !im.blockTime.IsZero() {
		err = b.Set(append([]byte(prefixTimes), timeKey(im.version)...), binary.BigEndian.AppendUint64(nil, uint64(im.blockTime.UnixNano())))
	}
	if err == nil {
		err = b.Set(keyBase, binary.BigEndian.AppendUint64(nil, uint64(im.version)))
	}
	if err == nil {
		err = b.Delete(keyRestoring)
	}
	if err == nil {
		err = b.WriteSync()
	}
	if err != nil {
		return errors.Join(fmt.Errorf("%w: failed to finish the restore: %w", ErrIO, err), s.wipe())
	}
	s.mu.Lock()
	s.base = im.version
	s.mu.Unlock()
	return s.refreshCommitted()
}

// Abort abandons the import and empties the store. It does nothing after
// Commit.
func (im *Importer) Abort() error {
	if im.finished {
		return nil
	}
	im.finished = true
	im.imp.Close()
	return im.s.wipe()
}

// discardUnfinishedRestore empties the database if an import was in
// progress when the process stopped.
func (s *Store) discardUnfinishedRestore() error {
	marked, err := s.db.Has(keyRestoring)
	if err != nil {
		return fmt.Errorf("%w: failed to read the restore marker: %w", ErrIO, err)
	}
	if !marked {
		return nil
	}
	return s.deleteAll()
}

// readBase reads the height a restore left the store at (0 if none).
func (s *Store) readBase() (int64, error) {
	b, err := s.db.Get(keyBase)
	if err != nil {
		return 0, fmt.Errorf("%w: failed to read the restore base: %w", ErrIO, err)
	}
	if len(b) != 8 {
		return 0, nil
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// wipe empties the store: every tree node, block time and restore record
// is deleted and the tree reloaded empty.
func (s *Store) wipe() error {
	if err := s.tree.Close(); err != nil {
		return fmt.Errorf("failed to close state tree: %w", err)
	}
	if err := s.deleteAll(); err != nil {
		return err
	}
	tree, err := s.loadTree()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.tree, s.reader, s.base = tree, s.newReader(), 0
	s.mu.Unlock()
	s.pending = nil
	s.recent.reset(0)
	return s.refreshCommitted()
}

// deleteAll deletes every key of the store's prefixes, the restore marker
// last, so that a crash midway leaves it to be done again by [Open].
func (s *Store) deleteAll() error {
	for _, p := range []string{prefixTree, prefixTimes} {
		if err := deletePrefix(s.db, []byte(p)); err != nil {
			return err
		}
	}
	// The tree's nodes went around the node cache.
	s.nodes.reset()
	if err := s.db.DeleteSync(keyBase); err != nil {
		return fmt.Errorf("%w: failed to delete the restore base: %w", ErrIO, err)
	}
	if err := s.db.DeleteSync(keyRestoring); err != nil {
		return fmt.Errorf("%w: failed to delete the restore marker: %w", ErrIO, err)
	}
	return nil
}

// deletePrefix deletes every key starting with prefix, in bounded batches.
func deletePrefix(db dbm.DB, prefix []byte) error {
	const batchKeys = 10_000
	end := kv.PrefixEnd(prefix)
	for {
		it, err := db.Iterator(prefix, end)
		if err != nil {
			return fmt.Errorf("%w: failed to iterate %q: %w", ErrIO, prefix, err)
		}
		var keys [][]byte
		for ; it.Valid() && len(keys) < batchKeys; it.Next() {
			keys = append(keys, bytes.Clone(it.Key()))
		}
		err = it.Error()
		it.Close()
		if err != nil {
			return fmt.Errorf("%w: failed to iterate %q: %w", ErrIO, prefix, err)
		}
		if len(keys) == 0 {
			return nil
		}
		b := db.NewBatch()
		for _, k := range keys {
			if err = b.Delete(k); err != nil {
				break
			}
		}
		if err == nil {
			err = b.WriteSync()
		}
		b.Close()
		if err != nil {
			return fmt.Errorf("%w: failed to delete under %q: %w", ErrIO, prefix, err)
		}
	}
}
