// Package kv is the shape of ordered key-value state, and nothing else: the
// [Reader], [Store] and [Iterator] interfaces every layer of the chain reads
// and writes through, the prefixed views ([Prefixed], [PrefixedReader])
// that scope a module to its part of the key space, [ReadOnly], and the
// sentinel [ErrIO].
//
// It imports nothing of the project, so that the state tree (package
// store), the proof verifier (package proof) and the modules (through the
// re-exports of package kit) can all share these types without depending on
// one another: storage knows no module, and a verifier needs no database.
//
// # Caller duties
//
// Slices a [Reader] returns belong to it and must not be modified. Keys and
// values an [Iterator] returns are valid only until its next call to Next,
// and every iterator must be closed.
//
// The interfaces have no error returns: a read that fails panics, with an
// error wrapping [ErrIO] when the database underneath failed. A node whose
// disk fails cannot produce a deterministic answer and must stop, so code
// that recovers panics (to turn a handler's bug into an error) must let one
// wrapping ErrIO go on.
//
// A [Reader] handed to code that must not write — a query, a verifier — may
// still be a [Store] underneath; wrap it with [ReadOnly] so that a type
// assertion cannot recover the write methods.
package kv
