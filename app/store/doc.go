// Package store is the chain's state: one IAVL tree over a cosmos-db
// database, and the write caches that stage a transaction's or a block's
// changes before they reach the tree. It is the only package that imports
// iavl and cosmos-db.
//
// Storage knows no module and no ABCI application: it reads and writes
// through the interfaces of package kv, and proves reads with the messages
// of package proofv1. Its subpackages are leaves the rest of the chain can
// import without the tree: kv (the key-value interfaces modules see,
// re-exported by x/kit), proofv1 (the proof messages) and proof (verifying
// proofs offline).
//
// # Versions
//
// Tree version == block height and the tree root == app hash. A block's
// writes are applied to the working tree by [Store.Apply] (in key order, so
// the tree's shape — and its hash — is a function of the writes alone) and
// persisted only by [Store.Commit]. Until then a crash loses them and
// CometBFT replays the block, so the store never holds half a block.
//
// Every version is kept unless [Config.KeepRecent] says otherwise: the chain
// is an audit ledger and historical proofs need old versions.
//
// # Reads
//
// [Store.Committed] is an immutable view of the last committed version,
// safe to read concurrently with block execution; [Store.At] opens an older
// one. A [Cache] stacks writes over any reader and can be discarded or
// written down. A read that the database fails panics with an error
// wrapping [ErrIO].
//
// # Proofs
//
// A [Recorder] over a [View] remembers what a query read, and
// [Recorder.Proofs] proves exactly that against the view's app hash as a
// [proofv1.ProofBundle]. The recording itself is [proof.Recorder], which a
// verifier also uses to re-run the query over the proofs ([proof.Verify],
// [proof.CheckMinimal]); only building the ICS 23 proofs needs the tree.
// [Recorder.ProofsWithin] bounds the encoded size of the bundle and stops
// proving once the bound is passed, so that a query reading too much costs
// no more than the bound.
//
// # Memory
//
// Below IAVL's caches of decoded nodes, a ring outside the Go heap holds
// encoded nodes ([Config.NodeBytesMiB], nodebytes.go), so that a write to a
// tree larger than those caches finds the lower levels of its path without
// a database lookup. Node keys name immutable contents, so the ring is
// exact as long as every write to the tree's keys passes through it or
// resets it.
package store
