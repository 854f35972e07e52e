package kit

import "github.com/lineageledger/lineaged/app/store/kv"

// The key-value interfaces are defined in package kv, which storage, the
// proof verifier and modules all share; these aliases let modules write
// kit.Store and never import app/... themselves.
type (
	// Reader is read access to ordered key-value state; see [kv.Reader].
	Reader = kv.Reader
	// Store is read-write access to ordered key-value state; see [kv.Store].
	Store = kv.Store
	// Iterator walks a key range; see [kv.Iterator].
	Iterator = kv.Iterator
)

// ErrIO marks a failure of the database underneath the state, which store
// reads panic with; see [kv.ErrIO].
var ErrIO = kv.ErrIO

// PrefixEnd returns the smallest key greater than every key starting with
// prefix, or nil when no such key exists; see [kv.PrefixEnd].
func PrefixEnd(prefix []byte) []byte { return kv.PrefixEnd(prefix) }

// PrefixedReader returns the read-only view of r under prefix; see
// [kv.PrefixedReader].
func PrefixedReader(r Reader, prefix []byte) Reader { return kv.PrefixedReader(r, prefix) }

// Prefixed returns the view of s under prefix; see [kv.Prefixed].
func Prefixed(s Store, prefix []byte) Store { return kv.Prefixed(s, prefix) }

// ReadOnly returns r without the write methods a type assertion could
// otherwise recover; see [kv.ReadOnly].
func ReadOnly(r Reader) Reader { return kv.ReadOnly(r) }
