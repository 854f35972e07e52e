package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
	dbm "github.com/cosmos/cosmos-db"
)

// The state database is opened here rather than through cosmos-db's
// pebble constructor, whose options are fixed: an 8 MiB block cache and no
// bloom filters. The tree reads nodes by exact key at random, so without
// filters a lookup that misses the cache reads a block from every level;
// with them it reads the one block that holds the key.

// DefaultDBCacheMiB is the block cache of the state database unless
// configured.
const DefaultDBCacheMiB = 256

// pebbleDB is a [dbm.DB] over pebble. The directory is the one cosmos-db
// uses (DIR/application.db), so databases written by either open in the
// other.
type pebbleDB struct {
	db     *pebble.DB
	stalls *writeStalls
}

// writeStalls adds up the times pebble held writes back because flushes or
// compactions fell behind: a commit waits through them, so they are the
// first thing to look at when blocks commit slowly.
type writeStalls struct {
	mu    sync.Mutex
	count int64
	total time.Duration
	began time.Time // zero unless writes are held back now
}

func (w *writeStalls) begin(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.began.IsZero() {
		w.count++
		w.began = now
	}
}

func (w *writeStalls) end(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.began.IsZero() {
		w.total += now.Sub(w.began)
		w.began = time.Time{}
	}
}

// read returns the stalls so far and their total duration, a stall in
// progress included up to now.
func (w *writeStalls) read(now time.Time) (int64, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	total := w.total
	if !w.began.IsZero() {
		total += now.Sub(w.began)
	}
	return w.count, total
}

var _ dbm.DB = (*pebbleDB)(nil)

var (
	errEmptyKey    = errors.New("state database: empty key")
	errNilValue    = errors.New("state database: nil value")
	errBatchClosed = errors.New("state database: batch already written or closed")
)

// openPebble opens (or creates) DIR/NAME.db with a block cache of
// cacheMiB and bloom filters on every level.
func openPebble(name, dir string, cacheMiB int) (*pebbleDB, error) {
	if cacheMiB <= 0 {
		cacheMiB = DefaultDBCacheMiB
	}
	cache := pebble.NewCache(int64(cacheMiB) << 20)
	defer cache.Unref() // the database holds its own reference
	stalls := &writeStalls{}
	opts := &pebble.Options{
		Cache:  cache,
		Logger: QuietPebbleLogger{},
		EventListener: &pebble.EventListener{
			WriteStallBegin: func(pebble.WriteStallBeginInfo) { stalls.begin(time.Now()) },
			WriteStallEnd:   func() { stalls.end(time.Now()) },
		},
		// Larger memtables mean fewer, larger flushes of the nodes every
		// commit writes.
		MemTableSize:             64 << 20,
		MaxConcurrentCompactions: func() int { return 2 },
	}
	opts.Levels = make([]pebble.LevelOptions, 7)
	for i := range opts.Levels {
		opts.Levels[i] = pebble.LevelOptions{
			FilterPolicy: bloom.FilterPolicy(10),
			FilterType:   pebble.TableFilter,
			BlockSize:    32 << 10,
		}
	}
	opts.EnsureDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	db, err := pebble.Open(filepath.Join(dir, name+dbm.DBFileSuffix), opts)
	if err != nil {
		return nil, err
	}
	return &pebbleDB{db: db, stalls: stalls}, nil
}

// QuietPebbleLogger drops pebble's informational lines (flushes,
// compactions, the replay of its write-ahead log on opening), which would
// interleave with the node's structured log; a fatal error still stops the
// process, as pebble requires. The node gives it to CometBFT's databases
// too.
type QuietPebbleLogger struct{}

// Infof implements pebble.Logger.
func (QuietPebbleLogger) Infof(string, ...any) {}

// Fatalf implements pebble.Logger.
func (QuietPebbleLogger) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "database: "+format+"\n", args...)
	os.Exit(1)
}

func (p *pebbleDB) Get(key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, errEmptyKey
	}
	v, closer, err := p.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return clone(v), nil
}

func (p *pebbleDB) Has(key []byte) (bool, error) {
	v, err := p.Get(key)
	return v != nil, err
}

func (p *pebbleDB) Set(key, value []byte) error     { return p.set(key, value, pebble.NoSync) }
func (p *pebbleDB) SetSync(key, value []byte) error { return p.set(key, value, pebble.Sync) }
func (p *pebbleDB) Delete(key []byte) error         { return p.delete(key, pebble.NoSync) }
func (p *pebbleDB) DeleteSync(key []byte) error     { return p.delete(key, pebble.Sync) }
func (p *pebbleDB) NewBatch() dbm.Batch             { return &pebbleBatch{b: p.db.NewBatch()} }
func (p *pebbleDB) NewBatchWithSize(size int) dbm.Batch {
	return &pebbleBatch{b: p.db.NewBatchWithSize(max(size, 0))}
}
func (p *pebbleDB) Close() error { return p.db.Close() }
func (p *pebbleDB) Stats() map[string]string {
	return map[string]string{"pebble": p.db.Metrics().String()}
}
func (p *pebbleDB) Print() error { return errors.New("state database: Print is not supported") }
func (p *pebbleDB) Iterator(start, end []byte) (dbm.Iterator, error) {
	return p.iterator(start, end, false)
}
func (p *pebbleDB) ReverseIterator(start, end []byte) (dbm.Iterator, error) {
	return p.iterator(start, end, true)
}

func (p *pebbleDB) set(key, value []byte, o *pebble.WriteOptions) error {
	if len(key) == 0 {
		return errEmptyKey
	}
	if value == nil {
		return errNilValue
	}
	return p.db.Set(key, value, o)
}

func (p *pebbleDB) delete(key []byte, o *pebble.WriteOptions) error {
	if len(key) == 0 {
		return errEmptyKey
	}
	return p.db.Delete(key, o)
}

func (p *pebbleDB) iterator(start, end []byte, reverse bool) (dbm.Iterator, error) {
	if (start != nil && len(start) == 0) || (end != nil && len(end) == 0) {
		return nil, errEmptyKey
	}
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return nil, err
	}
	if reverse {
		it.Last()
	} else {
		it.First()
	}
	return &pebbleIterator{it: it, start: start, end: end, reverse: reverse}, nil
}

// pebbleBatch is a [dbm.Batch]; it is unusable once written or closed.
type pebbleBatch struct {
	b *pebble.Batch
}

func (b *pebbleBatch) Set(key, value []byte) error {
	switch {
	case len(key) == 0:
		return errEmptyKey
	case value == nil:
		return errNilValue
	case b.b == nil:
		return errBatchClosed
	}
	return b.b.Set(key, value, nil)
}

func (b *pebbleBatch) Delete(key []byte) error {
	switch {
	case len(key) == 0:
		return errEmptyKey
	case b.b == nil:
		return errBatchClosed
	}
	return b.b.Delete(key, nil)
}

func (b *pebbleBatch) Write() error     { return b.commit(pebble.NoSync) }
func (b *pebbleBatch) WriteSync() error { return b.commit(pebble.Sync) }

func (b *pebbleBatch) commit(o *pebble.WriteOptions) error {
	if b.b == nil {
		return errBatchClosed
	}
	if err := b.b.Commit(o); err != nil {
		return err
	}
	return b.Close()
}

func (b *pebbleBatch) Close() error {
	if b.b == nil {
		return nil
	}
	err := b.b.Close()
	b.b = nil
	return err
}

func (b *pebbleBatch) GetByteSize() (int, error) {
	if b.b == nil {
		return 0, errBatchClosed
	}
	return b.b.Len(), nil
}

// pebbleIterator is a [dbm.Iterator]: the bounds are enforced by pebble,
// and keys and values are copies the caller may keep.
type pebbleIterator struct {
	it         *pebble.Iterator
	start, end []byte
	reverse    bool
}

func (i *pebbleIterator) Domain() ([]byte, []byte) { return i.start, i.end }
func (i *pebbleIterator) Valid() bool              { return i.it.Valid() }
func (i *pebbleIterator) Key() []byte              { i.mustBeValid(); return clone(i.it.Key()) }
func (i *pebbleIterator) Value() []byte            { i.mustBeValid(); return clone(i.it.Value()) }
func (i *pebbleIterator) Error() error             { return i.it.Error() }
func (i *pebbleIterator) Close() error             { return i.it.Close() }

func (i *pebbleIterator) Next() {
	i.mustBeValid()
	if i.reverse {
		i.it.Prev()
	} else {
		i.it.Next()
	}
}

// clone copies b out of pebble's buffers; an empty value stays non-nil,
// since nil means absent.
func clone(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

func (i *pebbleIterator) mustBeValid() {
	if !i.it.Valid() {
		panic("state database: use of an exhausted iterator")
	}
}
