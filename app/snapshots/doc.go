// Package snapshots keeps the state-sync snapshots of the application: the
// directory they are stored in, the byte stream they are made of, and the
// restore of one snapshot into an empty store. It knows the state only as
// the node stream of [store.Exporter] and [store.Importer], and ABCI only
// as the [abci.Snapshot] it describes snapshots with; the ABCI calls, and
// what the application does around them, are the caller's.
//
// # The snapshot directory
//
// A [Manager] keeps one directory ([Config].Dir). [Manager.Create] writes
// a snapshot of an exported version; [Manager.CreateInBackground] does it
// on its own goroutine, one at a time, and a caller that snapshots after
// each commit at the interval ([Manager.Due]) skips a height while the
// previous snapshot is still being written. A snapshot changes no state,
// so it may run beside block execution. [Manager.Close] interrupts and
// waits for it.
//
// A snapshot is written into a ".tmp-" directory, every file synced, and
// renamed to "<height, 20 digits>-<format>" only when complete, so a
// partial snapshot is never listed; leftover ".tmp-" directories are
// removed by [Open]. Deletion (beyond KeepRecent) renames to ".tmp-"
// first. Each snapshot directory holds its chunks ("000000", "000001", …)
// and manifest.json (height, format, chunk hashes, hash, app hash, block
// time). [Manager.LoadChunk] checks a chunk against its hash before
// serving it, so a file damaged on disk is never sent.
//
// # Format 1
//
// [Format] 1 is one byte stream, cut into chunks of the chunk size (the
// last may be shorter; none is empty):
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
// the SHA-256 of every chunk, concatenated in order ([Metadata]);
// Snapshot.Hash is the SHA-256 of the Metadata ([Hash]). [Encoder] writes
// the stream and [Decoder] reads it as it arrives, holding no more than one
// unfinished node in memory.
//
// # Restoring
//
// A [Restoration] restores one offered snapshot into an empty store. The
// caller answers an offer of another format than [Format] with
// REJECT_FORMAT, aborts state sync unless its state is empty, and passes
// the app hash CometBFT's light client vouches for. [NewRestoration]
// refuses a snapshot of an impossible height or whose metadata does not
// hash to its hash. [Restoration.Apply] checks each chunk against its hash
// ([ErrChunkHash]: the caller refetches it from another peer and rejects
// its sender) and streams it into the store's importer, holding no more
// than one unfinished node in memory. After the last chunk the import is
// committed at the snapshot height with its block time, and must have the
// trusted app hash: otherwise the snapshot is rejected ([IsBad]) and
// [Restoration.Abort] empties the store for the next one. The checks on
// the node stream (see [store.Importer]) cover what the app hash does not.
// Then the store's last commit is the snapshot's height and hash, and
// block sync continues from the next block. Versions below the snapshot
// height do not exist on a restored node.
package snapshots
