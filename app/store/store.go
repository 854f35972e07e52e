package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/iavl"
	idb "github.com/cosmos/iavl/db"

	"github.com/lineageledger/lineaged/app/store/kv"
)

// Backends names the supported database engines.
var Backends = []string{"pebbledb", "goleveldb", "memdb"}

// Config says where and how state is stored.
type Config struct {
	// Backend is one of [Backends]; pebbledb if empty.
	Backend string
	// Dir holds the database; ignored by memdb.
	Dir string
	// CacheSize is the number of IAVL nodes cached in memory, by each of
	// the two trees (the one blocks write, the one queries read);
	// DefaultCacheSize if zero.
	CacheSize int
	// DBCacheMiB is pebbledb's block cache; DefaultDBCacheMiB if zero.
	DBCacheMiB int
	// NodeBytesMiB holds encoded tree nodes in memory, below the node
	// caches, for both trees (nodebytes.go); DefaultNodeBytesMiB if zero
	// (none for memdb, which is memory already), none if negative.
	NodeBytesMiB int
	// SyncWrites makes every commit durable against power loss, not only
	// against a crash of the process.
	SyncWrites bool
	// KeepRecent, if positive, prunes versions older than the most recent
	// KeepRecent ones after each commit. Zero keeps every version.
	KeepRecent int64
}

// DefaultCacheSize is the IAVL node cache of each tree unless configured:
// enough to keep the upper levels of a tree of millions of records in
// memory, so that a write reads only the last few levels from disk.
const DefaultCacheSize = 500_000

// ErrIO marks a failure of the database underneath the tree. Reads panic
// with an error wrapping it: a node that cannot read its state cannot
// execute deterministically and must stop. It is [kv.ErrIO], named here
// too for callers of the store.
var ErrIO = kv.ErrIO

// ErrVersionUnavailable means a requested height is not stored (never
// committed, or pruned).
var ErrVersionUnavailable = errors.New("version not available")

// Store is the versioned state tree.
type Store struct {
	cfg  Config
	db   dbm.DB
	tree *iavl.MutableTree
	// reader is a second tree over the same database that every read-only
	// view comes from. iavl shares in-memory nodes between a version's
	// readers and the working tree, which rewrites their child links while
	// a block executes; views from a tree of their own never see that, so
	// queries may run concurrently with block execution. Nothing is written
	// through it.
	reader *iavl.MutableTree
	// times maps each committed version to the time of the block that
	// produced it. It lives beside the tree, not in it: block times are
	// already signed in CometBFT's headers, and writing them into the tree
	// would change the app hash on every block, so a chain could never
	// idle.
	times dbm.DB

	mu        sync.RWMutex
	committed *View
	// latest is the last committed version read through the writing
	// tree, whose index of live values answers a read with one lookup
	// instead of a walk from the root (see [Store.Latest]).
	latest *View
	// recent remembers values of the committed version for the views
	// [Store.Committed] returns, kept exact by every commit (recent.go);
	// pending is what Apply wrote since the last commit, for it.
	recent  *recentValues
	pending []entry
	// diskWrites counts the starts and ends of commits (odd while one
	// writes), for the views that read the index of live values
	// (fastread.go); treeDB is the tree's part of the database.
	diskWrites atomic.Uint64
	treeDB     dbm.DB
	// nodes holds encoded tree nodes for both trees (nil if disabled).
	nodes *nodeBytes
	// batchSize sizes the tree's next write batch (commitBatches).
	batchSize atomic.Int64
	// base is the height a snapshot restored this store at (0 if it was
	// built block by block): the versions below it were never stored
	// here, even where the imported tree still references their nodes.
	base int64

	// holdMu guards holds, the versions an [Exporter] is reading, which
	// pruning must leave alone until it is done.
	holdMu sync.Mutex
	holds  map[int64]int
}

// Open opens (or creates) the state database and loads its latest version.
func Open(cfg Config) (*Store, error) {
	if cfg.Backend == "" {
		cfg.Backend = "pebbledb"
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.NodeBytesMiB == 0 && cfg.Backend != "memdb" {
		cfg.NodeBytesMiB = DefaultNodeBytesMiB
	}
	known := false
	for _, b := range Backends {
		known = known || b == cfg.Backend
	}
	if !known {
		return nil, fmt.Errorf("unknown database backend %q (want one of %v)", cfg.Backend, Backends)
	}
	var db dbm.DB
	var err error
	if cfg.Backend == "pebbledb" {
		db, err = openPebble("application", cfg.Dir, cfg.DBCacheMiB)
	} else {
		db, err = dbm.NewDB("application", dbm.BackendType(cfg.Backend), cfg.Dir)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to open state database: %w", err)
	}
	return openOn(cfg, db)
}

// openOn loads the store from an opened database, which it then owns.
func openOn(cfg Config, db dbm.DB) (*Store, error) {
	s := &Store{
		cfg: cfg, db: db, times: dbm.NewPrefixDB(db, []byte(prefixTimes)), treeDB: dbm.NewPrefixDB(db, []byte(prefixTree)),
		holds: map[int64]int{}, recent: newRecentValues(recentEntries), nodes: newNodeBytes(cfg.NodeBytesMiB << 20),
	}
	if err := s.load(); err != nil {
		s.nodes.close()
		db.Close()
		return nil, err
	}
	return s, nil
}

// load opens the trees over the database and reads the latest version.
func (s *Store) load() error {
	// A restore that did not finish left a partial tree no version can be
	// loaded from: start empty again, so that state sync can run anew.
	if err := s.discardUnfinishedRestore(); err != nil {
		return err
	}
	s.reader = s.newReader()
	var err error
	if s.tree, err = s.loadTree(); err != nil {
		return err
	}
	if s.base, err = s.readBase(); err != nil {
		return err
	}
	return s.refreshCommitted()
}

// Database prefixes: the tree's nodes, the block times, and the restore
// bookkeeping (snapshot.go).
const (
	prefixTree    = "t/"
	prefixTimes   = "b/"
	prefixRestore = "r/"
)

// newReader opens the read-only tree views come from.
func (s *Store) newReader() *iavl.MutableTree {
	return iavl.NewMutableTree(idb.NewWrapper(withNodeBytes(dbm.NewPrefixDB(s.db, []byte(prefixTree)), s.nodes)), s.cfg.CacheSize, true, iavl.NewNopLogger())
}

// loadTree opens the state tree over the database and loads its latest
// version.
func (s *Store) loadTree() (*iavl.MutableTree, error) {
	// One batch per commit: iavl otherwise flushes a version's writes in
	// pieces as they pass a size, and a crash between two pieces leaves a
	// version that cannot be loaded, or entries of the index of live values
	// that no committed version has. Written whole, a commit is on disk
	// entirely or not at all, and CometBFT replays the block.
	tree := iavl.NewMutableTree(idb.NewWrapper(withNodeBytes(commitBatches{dbm.NewPrefixDB(s.db, []byte(prefixTree)), &s.batchSize}, s.nodes)), s.cfg.CacheSize, false, iavl.NewNopLogger(),
		iavl.SyncOption(s.cfg.SyncWrites), iavl.FlushThresholdOption(math.MaxInt))
	if _, err := tree.Load(); err != nil {
		return nil, fmt.Errorf("failed to load state tree: %w", err)
	}
	return tree, nil
}

// commitBatches makes the batches iavl writes versions with. iavl asks for
// its flush threshold as the size, which [Store.loadTree] sets beyond any
// commit, and some backends would allocate that much up front. Instead a
// batch starts as big as the recent commits were, so that under a steady
// load a commit's buffer is allocated once instead of regrown (and copied)
// from a few kilobytes at every doubling.
type commitBatches struct {
	dbm.DB
	// size is the byte size to give the next batch: the largest recent
	// batch, decaying by an eighth per smaller one.
	size *atomic.Int64
}

// maxBatchHint bounds the size given to a new batch, whatever came before.
const maxBatchHint = 256 << 20

func (c commitBatches) NewBatch() dbm.Batch { return c.NewBatchWithSize(0) }

func (c commitBatches) NewBatchWithSize(int) dbm.Batch {
	hint := min(c.size.Load(), maxBatchHint)
	return sizedBatch{Batch: c.DB.NewBatchWithSize(int(hint + hint/8)), size: c.size}
}

// sizedBatch records its size when written, for the next batch.
type sizedBatch struct {
	dbm.Batch
	size *atomic.Int64
}

func (b sizedBatch) Write() error     { b.record(); return b.Batch.Write() }
func (b sizedBatch) WriteSync() error { b.record(); return b.Batch.WriteSync() }

func (b sizedBatch) record() {
	n, err := b.GetByteSize()
	if err != nil {
		return
	}
	prev := b.size.Load()
	b.size.Store(max(int64(n), prev-prev/8))
}

func (s *Store) refreshCommitted() error {
	v := s.tree.Version()
	var t *iavl.ImmutableTree
	if v == 0 {
		t = iavl.NewImmutableTree(idb.NewMemDB(), 0, true, iavl.NewNopLogger())
	} else {
		var err error
		if t, err = s.reader.GetImmutable(v); err != nil {
			return fmt.Errorf("failed to open committed version %d: %w", v, err)
		}
	}
	// Reached other than by Commit (opened, restored, wiped), the version
	// shares nothing with what recent remembers.
	if s.recent.newest() != v {
		s.recent.reset(v)
	}
	view := &View{tree: t, recent: s.recent}
	latest := &View{tree: t}
	if v > 0 {
		var err error
		if view.time, err = s.timeOf(v); err != nil {
			return err
		}
		lt, err := s.tree.GetImmutable(v)
		if err != nil {
			return fmt.Errorf("failed to open committed version %d: %w", v, err)
		}
		latest = &View{tree: lt, time: view.time}
		if enabled, err := lt.IsFastCacheEnabled(); err == nil && enabled {
			view.fast = &fastIndex{db: s.treeDB, writes: &s.diskWrites, seq: s.diskWrites.Load(), version: v}
		}
	}
	s.mu.Lock()
	s.committed, s.latest = view, latest
	s.mu.Unlock()
	return nil
}

func timeKey(version int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(version)) }

// timeOf is the recorded block time of a version (zero if none was).
func (s *Store) timeOf(version int64) (time.Time, error) {
	b, err := s.times.Get(timeKey(version))
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: failed to read block time of %d: %w", ErrIO, version, err)
	}
	if len(b) != 8 {
		return time.Time{}, nil
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC(), nil
}

// LastCommit returns the height and app hash of the last committed version;
// (0, nil) before the first commit.
// Safe to call concurrently with block execution.
func (s *Store) LastCommit() (int64, []byte) {
	s.mu.RLock()
	t := s.committed.tree
	s.mu.RUnlock()
	if t.Version() == 0 {
		return 0, nil
	}
	return t.Version(), t.Hash()
}

// SetInitialVersion makes the first commit produce version v (the genesis
// initial height). It must be called before anything is committed.
func (s *Store) SetInitialVersion(v int64) {
	if v > 1 {
		s.tree.SetInitialVersion(uint64(v))
	}
}

// Committed is a read-only view of the last committed version.
func (s *Store) Committed() *View {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.committed
}

// Latest is a view of the last committed version as fast as the tree can
// read it: through the writing tree's index of live values. It shares that
// tree's in-memory nodes, so it is only for the goroutine that writes the
// store, between its calls of Apply and Commit (the application under its
// lock); any other reader takes [Store.Committed].
func (s *Store) Latest() *View {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.latest
}

// At is a read-only view of the committed version at height.
func (s *Store) At(height int64) (*View, error) {
	s.mu.RLock()
	tree, reader, base := s.tree, s.reader, s.base
	s.mu.RUnlock()
	if height <= 0 || height < base || !tree.VersionExists(height) {
		return nil, fmt.Errorf("%w: height %d", ErrVersionUnavailable, height)
	}
	t, err := reader.GetImmutable(height)
	if err != nil {
		return nil, fmt.Errorf("failed to open version %d: %w", height, err)
	}
	bt, err := s.timeOf(height)
	if err != nil {
		return nil, err
	}
	return &View{tree: t, time: bt}, nil
}

// Apply writes a cache's changes into the working tree, in key order.
func (s *Store) Apply(c *Cache) error {
	var err error
	c.each(func(e entry) bool {
		s.pending = append(s.pending, e)
		if e.deleted {
			_, _, err = s.tree.Remove(e.key)
		} else {
			_, err = s.tree.Set(e.key, e.value)
		}
		return err == nil
	})
	if err != nil {
		return fmt.Errorf("failed to write state tree: %w", err)
	}
	return nil
}

// WorkingHash is the root hash the working tree would commit with.
func (s *Store) WorkingHash() []byte { return s.tree.WorkingHash() }

// Commit persists the working tree as the next version, produced by a
// block with the given time, and returns it. The time is written first: a
// crash in between leaves a time for a version the replayed block will
// commit again, with the same time.
func (s *Store) Commit(blockTime time.Time) (int64, []byte, error) {
	tb := binary.BigEndian.AppendUint64(nil, uint64(blockTime.UnixNano()))
	write := s.times.Set
	if s.cfg.SyncWrites {
		write = s.times.SetSync
	}
	if err := write(timeKey(s.tree.WorkingVersion()), tb); err != nil {
		return 0, nil, fmt.Errorf("failed to record block time: %w", err)
	}
	// Views of the version before stop reading the index of live values
	// before it changes (fastread.go).
	s.diskWrites.Add(1)
	hash, version, err := s.tree.SaveVersion()
	s.diskWrites.Add(1)
	if err != nil {
		return 0, nil, fmt.Errorf("failed to save state version: %w", err)
	}
	s.recent.advance(version, s.pending)
	s.pending = nil
	if err := s.refreshCommitted(); err != nil {
		return 0, nil, err
	}
	if err := s.prune(version); err != nil {
		return 0, nil, err
	}
	return version, hash, nil
}

// prune deletes the versions [Config.KeepRecent] no longer keeps, except
// those an export is reading: pruning stops below the oldest of them and
// catches up at a later commit.
func (s *Store) prune(latest int64) error {
	k := s.cfg.KeepRecent
	if k <= 0 || latest <= k {
		return nil
	}
	s.holdMu.Lock()
	defer s.holdMu.Unlock()
	to := latest - k
	for v := range s.holds {
		to = min(to, v-1)
	}
	if to <= 0 {
		return nil
	}
	if err := s.tree.DeleteVersionsTo(to); err != nil {
		return fmt.Errorf("failed to prune versions up to %d: %w", to, err)
	}
	return nil
}

// Rollback drops everything applied since the last commit.
func (s *Store) Rollback() {
	s.tree.Rollback()
	s.pending = nil
}

// Stats are figures of the state database, for metrics.
type Stats struct {
	// WriteStalls and WriteStallTime count the times the database held
	// writes back because its flushes or compactions fell behind, and
	// the time in all, since it opened; zero for backends that do not
	// stall.
	WriteStalls    int64
	WriteStallTime time.Duration
	// NodeCacheHits and NodeCacheMisses count the reads of tree nodes the
	// node cache answered and those it passed to the database, since the
	// store opened; NodeCacheBytes is what it holds now. All zero without
	// one.
	NodeCacheHits, NodeCacheMisses, NodeCacheBytes uint64
}

// Stats returns the state database's figures.
func (s *Store) Stats() Stats {
	st := Stats{}
	if p, ok := s.db.(*pebbleDB); ok {
		st.WriteStalls, st.WriteStallTime = p.stalls.read(time.Now())
	}
	if c := s.nodes; c != nil {
		st.NodeCacheHits, st.NodeCacheMisses, st.NodeCacheBytes = c.hits.Load(), c.misses.Load(), c.held()
	}
	return st
}

// Close releases the database.
func (s *Store) Close() error {
	if err := s.tree.Close(); err != nil {
		return fmt.Errorf("failed to close state tree: %w", err)
	}
	var errs []error
	if err := s.nodes.close(); err != nil {
		errs = append(errs, fmt.Errorf("failed to release the node cache: %w", err))
	}
	return errors.Join(append(errs, s.db.Close())...)
}

// View is a read-only version of the state.
type View struct {
	tree *iavl.ImmutableTree
	time time.Time
	// recent, if not nil, answers reads of keys it remembers at this
	// view's version.
	recent *recentValues
	// fast, if not nil, answers reads from the index of live values while
	// this view's version is the newest on disk.
	fast *fastIndex
}

var _ kv.Reader = (*View)(nil)

// Height is the version this view reads.
func (v *View) Height() int64 { return v.tree.Version() }

// Time is the time of the block that produced this version (zero before
// the first commit).
func (v *View) Time() time.Time { return v.time }

// Hash is the app hash of this version.
func (v *View) Hash() []byte { return v.tree.Hash() }

// Get implements kv.Reader.
func (v *View) Get(key []byte) []byte {
	version := v.tree.Version()
	if v.recent != nil {
		if b, ok := v.recent.get(key, version); ok {
			return b
		}
	}
	b, ok := v.fast.get(key)
	if !ok {
		var err error
		if b, err = v.tree.Get(key); err != nil {
			panic(fmt.Errorf("%w: failed to read state: %w", ErrIO, err))
		}
	}
	if v.recent != nil {
		v.recent.remember(key, b, version)
	}
	return b
}

// Has implements kv.Reader.
func (v *View) Has(key []byte) bool { return v.Get(key) != nil }

// Iterator implements kv.Reader.
func (v *View) Iterator(start, end []byte, reverse bool) kv.Iterator {
	it, err := v.tree.Iterator(start, end, !reverse)
	if err != nil {
		panic(fmt.Errorf("%w: failed to iterate state: %w", ErrIO, err))
	}
	return treeIterator{it}
}

type treeIterator struct{ it idb.Iterator }

func (t treeIterator) Valid() bool   { return t.it.Valid() }
func (t treeIterator) Next()         { t.it.Next() }
func (t treeIterator) Key() []byte   { return t.it.Key() }
func (t treeIterator) Value() []byte { return t.it.Value() }
func (t treeIterator) Close() {
	if err := t.it.Error(); err != nil {
		panic(fmt.Errorf("%w: state iteration failed: %w", ErrIO, err))
	}
	_ = t.it.Close()
}
