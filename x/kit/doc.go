// Package kit is the small toolkit every state-machine module is written
// against: the key-value [Store] a module writes (its own one-byte prefix of
// the state, the prefix stripped) and the [Reader] it reads the rest
// through, the [Block] it executes in, the [Error] type whose codespace and
// code are consensus, [Event] for what a handler reports, the [ModelRef]
// every module names model versions by (and [ValidateModelAlias] for the
// aliases that point at them), [ScanPage] for list queries that filter
// records in key order a bounded number at a time, and the few consensus
// facts a module may see ([CommitInfo], [ValidatorUpdate]).
//
// # Rules for modules
//
// A module's handlers must be deterministic functions of (state, block,
// msg):
// no wall clock (use [Block.Time]), no randomness, no goroutines, no floats,
// no map iteration into state. They return an [*Error] (possibly wrapped with
// more context via [Error.Wrapf]) for every rejection and never panic on bad
// input; a panic means a broken invariant and stops the node.
//
// Stores panic on I/O failure of the underlying database, with an error
// wrapping [ErrIO]: a node whose disk fails cannot produce a deterministic
// answer and must stop.
//
// # Where the store types live
//
// [Reader], [Store], [Iterator], the prefixed views and [ErrIO] are defined
// in package kv (app/store/kv), a leaf that the state tree and the proof
// verifier share; kit re-exports them so that modules import kit alone and
// never app/... .
package kit
