package snapshots

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lineageledger/lineaged/app/store"
)

// Errors of [Restoration.Apply] that leave the restoration as it was.
var (
	// ErrChunkOrder: the chunk is not the one expected next. Chunks are
	// applied in order; the caller starts over from a new offer.
	ErrChunkOrder = errors.New("snapshot chunk out of order")
	// ErrChunkHash: the chunk does not match its hash in the snapshot's
	// metadata. The peer that sent it is to blame; fetch it again.
	ErrChunkHash = errors.New("snapshot chunk does not match its hash")
)

// Restoration is a snapshot being restored into an empty store: it checks
// each chunk against the snapshot's metadata and streams it into the
// store's importer, which the stream's header opens. Its methods are not
// safe for concurrent use.
type Restoration struct {
	st          *store.Store
	snapshot    *abci.Snapshot
	appHash     []byte // what to end up with
	chunkHashes [][]byte
	next        uint32 // the index of the chunk expected next
	decoder     *Decoder
	importer    *store.Importer // opened by the stream's header
}

// NewRestoration begins restoring s into st, which must be empty, towards
// appHash, the app hash the caller trusts for s's height. It refuses a
// snapshot of another format than [Format], of an impossible height, or
// whose metadata is not the list of its chunk hashes with its hash. It
// touches nothing: the import starts with the first chunk.
func NewRestoration(st *store.Store, s *abci.Snapshot, appHash []byte) (*Restoration, error) {
	if s.Format != Format {
		return nil, fmt.Errorf("format %d", s.Format)
	}
	if s.Height == 0 || s.Height > 1<<62 {
		return nil, fmt.Errorf("height %d", s.Height)
	}
	hashes, err := ChunkHashes(s.Chunks, s.Hash, s.Metadata)
	if err != nil {
		return nil, err
	}
	r := &Restoration{st: st, snapshot: s, appHash: bytes.Clone(appHash), chunkHashes: hashes}
	r.decoder = NewDecoder(r.onHeader, func(n store.ExportNode) error { return r.importer.Add(n) })
	return r, nil
}

// onHeader opens the import at the height and block time of the stream,
// which must be the snapshot's height.
func (r *Restoration) onHeader(height int64, blockTime time.Time) error {
	if uint64(height) != r.snapshot.Height {
		return fmt.Errorf("%w: stream of height %d in a snapshot of height %d", ErrMalformed, height, r.snapshot.Height)
	}
	imp, err := r.st.Import(height, blockTime)
	if err != nil {
		return err
	}
	r.importer = imp
	return nil
}

// Snapshot is the snapshot being restored.
func (r *Restoration) Snapshot() *abci.Snapshot { return r.snapshot }

// Next is the index of the chunk expected next.
func (r *Restoration) Next() uint32 { return r.next }

// Apply checks the chunk of this index and streams it into the store;
// after the last chunk it commits the import, which must have the trusted
// app hash, and reports done. An error wrapping [ErrChunkOrder] or
// [ErrChunkHash] leaves the restoration as it was. After any other error
// the restoration cannot go on: the caller must [Restoration.Abort] it
// ([IsBad] tells whether the snapshot itself is to blame).
func (r *Restoration) Apply(index uint32, chunk []byte) (done bool, err error) {
	if index != r.next || int(index) >= len(r.chunkHashes) {
		return false, fmt.Errorf("%w: chunk %d, want %d", ErrChunkOrder, index, r.next)
	}
	if sum := sha256.Sum256(chunk); !bytes.Equal(sum[:], r.chunkHashes[index]) {
		return false, fmt.Errorf("%w: chunk %d", ErrChunkHash, index)
	}
	return r.feed(chunk)
}

// feed streams a verified chunk into the import and, after the last one,
// commits it; done reports that the state is restored. On an error the
// caller must abort the restoration.
func (r *Restoration) feed(chunk []byte) (done bool, err error) {
	if err := r.decoder.Feed(chunk); err != nil {
		return false, err
	}
	r.next++
	if r.next < r.snapshot.Chunks {
		return false, nil
	}
	if err := r.decoder.Finish(); err != nil {
		return false, err
	}
	if r.importer == nil {
		return false, fmt.Errorf("%w: stream without a header", ErrMalformed)
	}
	// Commit ends the import whatever it returns; on a failure it has
	// emptied the store already.
	imp := r.importer
	r.importer = nil
	if err := imp.Commit(r.appHash); err != nil {
		return false, err
	}
	return true, nil
}

// Abort abandons the restoration and empties the store of what it
// imported. Once the import has ended (committed or failed) it does
// nothing.
func (r *Restoration) Abort() error {
	imp := r.importer
	r.importer = nil
	if imp == nil {
		return nil
	}
	return imp.Abort()
}

// IsBad reports whether err, from [Restoration.Apply], condemns the
// snapshot itself: its content is not a well-formed stream of [Format],
// not the export of a tree, or not a tree with the trusted app hash. Its
// chunks matched the snapshot's own hashes, so no peer is to blame, and
// another snapshot may do.
func IsBad(err error) bool {
	return errors.Is(err, ErrMalformed) || errors.Is(err, store.ErrInvalidExport) || errors.Is(err, store.ErrImportHash)
}
