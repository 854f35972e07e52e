package kittest

import (
	"bytes"
	"slices"

	"github.com/lineageledger/lineaged/x/kit"
)

// MemStore is a simple ordered in-memory store. It is not meant to be fast.
type MemStore struct {
	m map[string][]byte
}

var _ kit.Store = (*MemStore)(nil)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{m: map[string][]byte{}} }

// Get implements kit.Reader.
func (s *MemStore) Get(key []byte) []byte { return s.m[string(key)] }

// Has implements kit.Reader.
func (s *MemStore) Has(key []byte) bool { _, ok := s.m[string(key)]; return ok }

// Set implements kit.Store.
func (s *MemStore) Set(key, value []byte) {
	if value == nil {
		panic("kittest: nil value")
	}
	s.m[string(key)] = bytes.Clone(value)
}

// Delete implements kit.Store.
func (s *MemStore) Delete(key []byte) { delete(s.m, string(key)) }

// Len is the number of keys stored.
func (s *MemStore) Len() int { return len(s.m) }

// Snapshot returns a copy of the contents, to compare before and after.
func (s *MemStore) Snapshot() map[string]string {
	out := make(map[string]string, len(s.m))
	for k, v := range s.m {
		out[k] = string(v)
	}
	return out
}

// Iterator implements kit.Reader over a snapshot of the keys in range.
func (s *MemStore) Iterator(start, end []byte, reverse bool) kit.Iterator {
	var keys []string
	for k := range s.m {
		if (start == nil || k >= string(start)) && (end == nil || k < string(end)) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if reverse {
		slices.Reverse(keys)
	}
	return &iter{s: s, keys: keys}
}

type iter struct {
	s    *MemStore
	keys []string
}

func (it *iter) Valid() bool   { return len(it.keys) > 0 }
func (it *iter) Next()         { it.keys = it.keys[1:] }
func (it *iter) Key() []byte   { return []byte(it.keys[0]) }
func (it *iter) Value() []byte { return it.s.m[it.keys[0]] }
func (it *iter) Close()        {}

// Indexed lists the keys of the attributes an event marks searchable, in
// order.
func Indexed(ev kit.Event) []string {
	var keys []string
	for _, a := range ev.Attributes {
		if a.Index {
			keys = append(keys, a.Key)
		}
	}
	return keys
}
