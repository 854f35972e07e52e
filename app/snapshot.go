package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/snapshots"
	"github.com/lineageledger/lineaged/app/store"
)

// The state-sync calls and the snapshot hooks: what snapshots are, how
// they are stored and how one is restored is package snapshots; what is
// here is the locking and the application's own state around it.

// SetSnapshots configures snapshots. Call it once, after [New] and before
// CometBFT makes any call: it cleans what an interrupted snapshot left in
// cfg.Dir and loads the snapshots stored there.
func (a *App) SetSnapshots(cfg snapshots.Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.snapshots != nil {
		return errors.New("snapshots already configured")
	}
	m, err := snapshots.Open(cfg, a.logger)
	if err != nil {
		return err
	}
	a.snapshots = m
	return nil
}

// Close stops taking snapshots, interrupting one being written, and waits
// for it to stop. Call it before closing the store.
func (a *App) Close() error {
	a.mu.Lock()
	m := a.snapshots
	r := a.restore
	a.restore = nil
	a.mu.Unlock()
	if m != nil {
		m.Close()
	}
	if r != nil {
		return r.Abort()
	}
	return nil
}

// CreateSnapshot writes a snapshot of the committed version at height now,
// on the caller's goroutine, unless one is stored already, and returns it.
func (a *App) CreateSnapshot(height int64) (*abci.Snapshot, error) {
	a.mu.Lock()
	m := a.snapshots
	a.mu.Unlock()
	if m == nil || m.Config().Dir == "" {
		return nil, errors.New("no snapshot directory configured")
	}
	exp, err := a.store.Export(height)
	if err != nil {
		return nil, fmt.Errorf("cannot snapshot height %d: %w", height, err)
	}
	defer exp.Close()
	return m.Create(context.Background(), exp)
}

// snapshotAfterCommit starts a snapshot of height in the background if the
// interval says so. Called by Commit with a.mu held: the export is opened
// here, so that the version is held against pruning before the next
// commit; only the writing is left to the goroutine. A snapshot never
// changes state, so it may run beside block execution.
func (a *App) snapshotAfterCommit(height int64) {
	m := a.snapshots
	if m == nil || !m.Due(height) {
		return
	}
	exp, err := a.store.Export(height)
	if err != nil {
		a.logger.Error("cannot snapshot", "height", height, "err", err)
		return
	}
	started := m.CreateInBackground(exp, func(s *abci.Snapshot, err error) {
		if err != nil {
			a.logger.Error("snapshot failed", "height", height, "err", err)
			return
		}
		a.logger.Info("snapshot created", "height", height, "chunks", s.Chunks, "hash", fmt.Sprintf("%X", s.Hash))
	})
	if !started {
		exp.Close()
		a.logger.Info("skipping snapshot: another is being written or snapshots are closed", "height", height)
	}
}

// ListSnapshots implements abci.Application: the stored snapshots, newest
// first.
func (a *App) ListSnapshots(context.Context, *abci.ListSnapshotsRequest) (*abci.ListSnapshotsResponse, error) {
	a.mu.Lock()
	m := a.snapshots
	a.mu.Unlock()
	if m == nil {
		return &abci.ListSnapshotsResponse{}, nil
	}
	return &abci.ListSnapshotsResponse{Snapshots: m.List()}, nil
}

// LoadSnapshotChunk implements abci.Application. A chunk it does not have
// (unknown snapshot, index out of range, damaged file) is answered with no
// data, which CometBFT passes on to the peer as a missing chunk.
func (a *App) LoadSnapshotChunk(_ context.Context, req *abci.LoadSnapshotChunkRequest) (*abci.LoadSnapshotChunkResponse, error) {
	a.mu.Lock()
	m := a.snapshots
	a.mu.Unlock()
	if m == nil {
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	chunk, err := m.LoadChunk(req.Height, req.Format, req.Chunk)
	if err != nil {
		a.logger.Debug("not serving snapshot chunk", "height", req.Height, "format", req.Format, "chunk", req.Chunk, "err", err)
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	return &abci.LoadSnapshotChunkResponse{Chunk: chunk}, nil
}

// OfferSnapshot implements abci.Application. It accepts a snapshot of
// [snapshots.Format] with consistent metadata if the state is empty; a new
// offer replaces a restoration in progress.
func (a *App) OfferSnapshot(_ context.Context, req *abci.OfferSnapshotRequest) (*abci.OfferSnapshotResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.abortRestore(); err != nil {
		return nil, err
	}
	respond := func(r abci.OfferSnapshotResult, why string) (*abci.OfferSnapshotResponse, error) {
		if r != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
			a.logger.Info("snapshot not accepted", "result", r, "reason", why)
		}
		return &abci.OfferSnapshotResponse{Result: r}, nil
	}
	s := req.Snapshot
	if s == nil {
		return respond(abci.OFFER_SNAPSHOT_RESULT_REJECT, "no snapshot")
	}
	if s.Format != snapshots.Format {
		return respond(abci.OFFER_SNAPSHOT_RESULT_REJECT_FORMAT, fmt.Sprintf("format %d", s.Format))
	}
	// A node with state restores nothing: no snapshot can be applied.
	if h, _ := a.store.LastCommit(); h != 0 || a.genesis != nil {
		return respond(abci.OFFER_SNAPSHOT_RESULT_ABORT, fmt.Sprintf("state is not empty (height %d)", h))
	}
	// The app hash CometBFT's light client vouches for: what the restored
	// state must hash to.
	if len(req.AppHash) != sha256.Size {
		return respond(abci.OFFER_SNAPSHOT_RESULT_REJECT, fmt.Sprintf("trusted app hash of %d bytes", len(req.AppHash)))
	}
	r, err := snapshots.NewRestoration(a.store, s, req.AppHash)
	if err != nil {
		return respond(abci.OFFER_SNAPSHOT_RESULT_REJECT, err.Error())
	}
	a.restore = r
	return respond(abci.OFFER_SNAPSHOT_RESULT_ACCEPT, "")
}

// ApplySnapshotChunk implements abci.Application. Each chunk is checked
// against its hash in the accepted snapshot's metadata and streamed into
// the store; after the last one the restored state must have the trusted
// app hash.
func (a *App) ApplySnapshotChunk(_ context.Context, req *abci.ApplySnapshotChunkRequest) (*abci.ApplySnapshotChunkResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	result := func(r abci.ApplySnapshotChunkResult) (*abci.ApplySnapshotChunkResponse, error) {
		return &abci.ApplySnapshotChunkResponse{Result: r}, nil
	}
	r := a.restore
	if r == nil {
		a.logger.Error("snapshot chunk without an accepted snapshot", "chunk", req.Index)
		return result(abci.APPLY_SNAPSHOT_CHUNK_RESULT_ABORT)
	}
	done, err := r.Apply(req.Index, req.Chunk)
	switch {
	case err == nil:
		if done {
			a.restore = nil
			a.restored()
			h, hash := a.store.LastCommit()
			a.logger.Info("state restored from snapshot", "height", h, "app_hash", fmt.Sprintf("%X", hash))
		}
		return result(abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT)
	case errors.Is(err, snapshots.ErrChunkOrder):
		// CometBFT applies chunks in order; start over from a new offer.
		a.logger.Error("snapshot chunk out of order", "chunk", req.Index, "want", r.Next())
		if err := a.abortRestore(); err != nil {
			return nil, err
		}
		return result(abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY_SNAPSHOT)
	case errors.Is(err, snapshots.ErrChunkHash):
		a.logger.Info("snapshot chunk does not match its hash", "chunk", req.Index, "sender", req.Sender)
		res := &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY, RefetchChunks: []uint32{req.Index}}
		if req.Sender != "" {
			res.RejectSenders = []string{req.Sender}
		}
		return res, nil
	}
	height := r.Snapshot().Height
	abortErr := a.abortRestore()
	if snapshots.IsBad(err) {
		a.logger.Error("rejecting snapshot", "height", height, "chunk", req.Index, "err", err)
		if abortErr != nil {
			return nil, abortErr
		}
		return result(abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT)
	}
	return nil, errors.Join(fmt.Errorf("failed to restore snapshot of height %d: %w", height, err), abortErr)
}

// abortRestore abandons the restoration in progress, if any, and empties
// the store again.
func (a *App) abortRestore() error {
	r := a.restore
	a.restore = nil
	if r == nil {
		return nil
	}
	if err := r.Abort(); err != nil {
		return fmt.Errorf("failed to discard the partial restore: %w", err)
	}
	return nil
}

// restored brings the application's view in line with the state a
// snapshot restored: the chain id from state, the mempool's view over it,
// and the clock of the block that produced it.
func (a *App) restored() {
	view := a.store.Committed()
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	a.chainID = modules.ChainID(view)
	a.genesis = nil
	a.proposal, a.prepared = nil, nil
	a.check = store.NewCache(view)
	a.lastBlockTime, a.checkTime = view.Time(), view.Time()
}
