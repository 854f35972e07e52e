// Package store is the chain's state: one IAVL tree over a cosmos-db
// database, and the write caches that stage a transaction's or a block's
// changes before they reach the tree. It is the only package that imports
// iavl and cosmos-db.
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
// written down.
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
