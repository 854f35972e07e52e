package store

import (
	"sync/atomic"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/iavl/fastnode"
)

// fastIndex reads the writing tree's index of live values straight from
// the database: one point lookup (answered by a bloom filter when the key
// is absent) instead of a walk from the root of the reader tree, whose node
// cache never holds the nodes the last commit wrote. That index always
// describes the newest version on disk, so it answers for a view only
// while no commit has started since the view was made: every commit
// advances [Store.diskWrites] before it writes and again after, and a read
// counts only if the counter has the view's value before and after it.
// Otherwise the view walks its tree as before.
type fastIndex struct {
	db      dbm.DB // the tree's prefix
	writes  *atomic.Uint64
	seq     uint64 // writes when the view was made (even: no commit running)
	version int64
}

// fastKeyPrefix marks the index's entries among the tree's keys, as iavl
// lays them out.
const fastKeyPrefix = 'f'

// get returns key's value at the view's version; ok is false if the index
// cannot say.
func (f *fastIndex) get(key []byte) (value []byte, ok bool) {
	if f == nil || f.writes.Load() != f.seq {
		return nil, false
	}
	buf, err := f.db.Get(append([]byte{fastKeyPrefix}, key...))
	if err != nil || f.writes.Load() != f.seq {
		return nil, false // the tree walk reports a failing database
	}
	if buf == nil {
		return nil, true
	}
	n, err := fastnode.DeserializeNode(key, buf)
	if err != nil || n.GetVersionLastUpdatedAt() > f.version {
		return nil, false
	}
	return n.GetValue(), true
}
