package store

import "sync"

// recentValues remembers values of the last committed version, so that
// reads of the committed state (the mempool's checks, queries) that hit a
// recently read or written key take one map lookup instead of a walk of the
// reader tree, whose node cache never holds the nodes the last commit
// wrote. Every commit passes it the keys it changed, so it stays exact:
//
//   - each remembered value carries the version since which it has been
//     the key's value; a reader of an older version that finds a newer one
//     reads the tree instead;
//   - a value read from the tree at version v is remembered only while v is
//     still the newest version, so a slow reader cannot put back a value a
//     commit has just replaced;
//   - forgetting is always safe: a key not remembered is read from the tree.
//
// It is bounded by entry count and evicts with the clock algorithm (keys
// read since the hand last passed get a second chance).
type recentValues struct {
	mu      sync.Mutex
	version int64 // the newest committed version
	index   map[string]int32
	slots   []recentSlot
	hand    int
}

type recentSlot struct {
	key    string
	value  []byte
	absent bool  // the key has no value
	since  int64 // the value has been the key's since this version
	used   bool  // read since the clock hand last passed
	live   bool
}

// Bounds of recentValues: entries, and the largest value worth keeping
// (bigger ones are rare and would crowd out many small ones).
const (
	recentEntries  = 1 << 16
	recentMaxValue = 16 << 10
)

func newRecentValues(capacity int) *recentValues {
	return &recentValues{index: make(map[string]int32, capacity), slots: make([]recentSlot, capacity)}
}

// get returns the value of key at version v if it is remembered; ok is
// false if the tree must be read.
func (r *recentValues) get(key []byte, v int64) (value []byte, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, found := r.index[string(key)]
	if !found {
		return nil, false
	}
	s := &r.slots[i]
	if s.since > v {
		return nil, false // changed after v
	}
	s.used = true
	if s.absent {
		return nil, true
	}
	return s.value, true
}

// remember keeps value (nil: absent) read from the tree at version v, if v
// is still the newest version.
func (r *recentValues) remember(key, value []byte, v int64) {
	if len(value) > recentMaxValue {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if v != r.version {
		return
	}
	if _, found := r.index[string(key)]; found {
		return
	}
	r.put(string(key), value, value == nil, v)
}

// advance records the writes of a commit that produced version v.
func (r *recentValues) advance(v int64, writes []entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range writes {
		value := w.value
		if w.deleted {
			value = nil
		}
		if len(value) > recentMaxValue {
			if i, found := r.index[string(w.key)]; found {
				r.drop(int(i))
			}
			continue
		}
		if i, found := r.index[string(w.key)]; found {
			s := &r.slots[i]
			s.value, s.absent, s.since, s.used = value, w.deleted, v, true
			continue
		}
		r.put(string(w.key), value, w.deleted, v)
	}
	r.version = v
}

// newest is the version recent describes.
func (r *recentValues) newest() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version
}

// reset forgets everything: the store now holds version v, reached other
// than by a commit (opened, restored, wiped).
func (r *recentValues) reset(v int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.index)
	clear(r.slots)
	r.hand, r.version = 0, v
}

// put stores a new entry in a free or evicted slot; r.mu is held.
func (r *recentValues) put(key string, value []byte, absent bool, since int64) {
	for {
		s := &r.slots[r.hand]
		if s.live && s.used {
			s.used = false
			r.hand = (r.hand + 1) % len(r.slots)
			continue
		}
		if s.live {
			delete(r.index, s.key)
		}
		*s = recentSlot{key: key, value: value, absent: absent, since: since, live: true}
		r.index[key] = int32(r.hand)
		r.hand = (r.hand + 1) % len(r.slots)
		return
	}
}

// drop forgets slot i; r.mu is held.
func (r *recentValues) drop(i int) {
	delete(r.index, r.slots[i].key)
	r.slots[i] = recentSlot{}
}
