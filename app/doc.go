// Package app is the ABCI 2.0 application behind lineaged: it decodes and
// authenticates transactions, authorises them by role, dispatches their
// message to its module in x/, and keeps the state tree whose root is the
// app hash.
//
// # One validation path
//
// CheckTx, PrepareProposal, ProcessProposal and FinalizeBlock all run a
// transaction through the same [App.deliver]: decode (canonical encoding
// only) → envelope checks (size, chain id, timeout, memo) → signer account →
// signature over [SignBytes] → account status → sequence → role → handler.
//
// A transaction failing before the handler is not admitted: it changes
// nothing, PrepareProposal leaves it out, and ProcessProposal rejects a
// block that contains one. A transaction whose handler fails is admitted:
// its writes are discarded but its sequence is spent, so the client gets a
// definitive result in the block and the signed bytes can never be replayed.
// In CheckTx a failing handler rejects the transaction outright.
//
// # State and commits
//
// ProcessProposal executes the proposed block on a cache over the last
// committed state and keeps the result; FinalizeBlock reuses it when the
// decided block is the same one (else executes afresh), writes it into the
// working tree and returns the working hash. Only Commit persists, so a node
// killed at any point restarts at its last commit and CometBFT replays the
// rest. State prefixes are one byte per module; see router.go.
//
// # State-sync snapshots
//
// A new node can join from a snapshot of a recent height instead of
// replaying every block (snapshot*.go). [App.SetSnapshots] configures a
// directory, an interval, how many snapshots to keep and a chunk size.
// After each Commit at a height divisible by the interval, Commit opens an
// export of that version (which holds it against state pruning) and a
// background goroutine writes it; a snapshot changes no state, so it may
// run beside block execution, and a height is skipped while the previous
// snapshot is still being written. [App.Close] interrupts and waits for it.
//
// A snapshot is written into a ".tmp-" directory, every file synced, and
// renamed to "<height, 20 digits>-<format>" only when complete, so a
// partial snapshot is never listed; leftover ".tmp-" directories are
// removed on start. Deletion (beyond keep_recent) renames to ".tmp-" first.
// Each snapshot directory holds its chunks ("000000", "000001", …) and
// manifest.json (height, format, chunk hashes, hash, app hash, block time).
//
// Format 1 is one byte stream, cut into chunks of the chunk size (the last
// may be shorter; none is empty):
//
//	stream = "lineage-snapshot" uvarint(format=1) uvarint(height)
//	         (0x00 | 0x01 varint(block time, Unix ns))
//	         node* 0x02 uvarint(node count)
//	node   = 0x01 byte(subtree height) uvarint(version)
//	         uvarint(len key) key [uvarint(len value) value, leaves only]
//
// The nodes are the IAVL export of the version: post-order, left to right,
// each with the version that last wrote it, which is what the tree's
// hashes cover, so the stream is a function of the state alone and two
// nodes snapshotting the same height with the same chunk size produce the
// same chunks. The block time is that of the snapshot height, kept beside
// the tree (the chain id and params are in the tree). Snapshot.Metadata is
// the SHA-256 of every chunk, concatenated in order; Snapshot.Hash is the
// SHA-256 of the Metadata.
//
// Restoring: OfferSnapshot accepts format 1 only (else REJECT_FORMAT),
// aborts state sync if the state is not empty, rejects a snapshot whose
// metadata does not hash to its hash, and remembers the app hash CometBFT's
// light client vouches for. ApplySnapshotChunk checks each chunk against
// its hash (a mismatch is refetched from another peer and its sender
// rejected) and streams it into the store's importer, holding no more than
// one unfinished node in memory. After the last chunk the import is
// committed at the snapshot height with its block time, and must have the
// trusted app hash: otherwise the snapshot is rejected and the store is
// emptied for the next one. The checks on the node stream (see
// [store.Importer]) cover what the app hash does not. Then Info reports the
// snapshot's height and hash and block sync continues from the next block.
// Versions below the snapshot height do not exist on a restored node.
package app
