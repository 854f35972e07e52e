package kv

import "errors"

// Reader is read access to ordered key-value state.
//
// Returned slices must not be modified by the caller.
type Reader interface {
	// Get returns the value stored under key, or nil if there is none.
	Get(key []byte) []byte
	// Has reports whether key holds a value.
	Has(key []byte) bool
	// Iterator walks keys in [start, end) in ascending order, or descending
	// order if reverse is set. A nil start or end is unbounded.
	Iterator(start, end []byte, reverse bool) Iterator
}

// Store is read-write access to ordered key-value state.
type Store interface {
	Reader
	// Set stores value under key. Neither may be nil; value may be empty.
	Set(key, value []byte)
	// Delete removes key. Records are never deleted; only indexes such as
	// deadline queues are.
	Delete(key []byte)
}

// Iterator walks a key range. Keys and values returned are only valid until
// Next is called. Close must be called when done.
type Iterator interface {
	Valid() bool
	Next()
	Key() []byte
	Value() []byte
	Close()
}

// ErrIO marks a failure of the database underneath the state. Reads panic
// with an error wrapping it: a node that cannot read its state cannot
// execute deterministically and must stop.
var ErrIO = errors.New("state database failure")

// ReadOnly returns r with only the methods of [Reader]: whatever r is
// underneath, a type assertion on the result cannot reach a [Store]'s Set
// or Delete.
func ReadOnly(r Reader) Reader {
	if ro, ok := r.(readOnly); ok {
		return ro
	}
	return readOnly{r: r}
}

// readOnly holds its reader in a named field rather than embedding it, so
// that its method set is exactly Reader's.
type readOnly struct{ r Reader }

func (o readOnly) Get(key []byte) []byte { return o.r.Get(key) }
func (o readOnly) Has(key []byte) bool   { return o.r.Has(key) }

func (o readOnly) Iterator(start, end []byte, reverse bool) Iterator {
	return o.r.Iterator(start, end, reverse)
}
