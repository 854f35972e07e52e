package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtlog "github.com/cometbft/cometbft/libs/log"

	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/gate"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/licenses"
	"github.com/lineageledger/lineaged/x/lineage"
	"github.com/lineageledger/lineaged/x/membership"
	"github.com/lineageledger/lineaged/x/models"
)

// App is the Lineage Ledger state machine.
type App struct {
	// BaseApplication answers the vote-extension calls, which this
	// application does not use: it adds nothing to votes. The state-sync
	// calls are in snapshot.go.
	abci.BaseApplication

	store      *store.Store
	logger     cmtlog.Logger
	membership membership.Keeper
	lineage    lineage.Keeper
	models     models.Keeper
	licenses   licenses.Keeper
	gate       gate.Keeper
	queries    map[string]queryHandler
	// sigs remembers verified signatures (sigcache.go).
	sigs *sigCache
	// metrics observe the calls below; nil records nothing (SetMetrics).
	metrics atomic.Pointer[Metrics]

	mu sync.Mutex // guards the fields below
	// chainID is fixed by InitChain and kept in state.
	chainID string
	// genesis holds InitChain's writes until the first Commit, so that the
	// first block executes on top of them.
	genesis *store.Cache
	// check is the mempool's view: committed state plus the transactions
	// CheckTx admitted since.
	check *store.Cache
	// lastBlockTime is the time of the last finalized block, the clock
	// CheckTx runs handlers with.
	lastBlockTime time.Time
	// initialHeight is the genesis initial height, the first block's height.
	initialHeight int64
	// proposal is the last block ProcessProposal executed.
	proposal *executedBlock
	// snapshots takes and serves state-sync snapshots; nil until
	// [App.SetSnapshots].
	snapshots *snapshotManager
	// restore is the snapshot being restored, between OfferSnapshot and
	// its last chunk.
	restore *restoration
}

var _ abci.Application = (*App)(nil)

// New builds the application over an opened store.
func New(st *store.Store, logger cmtlog.Logger) *App {
	a := newStateless(logger)
	a.store = st
	if id := st.Committed().Get(keyChainID); id != nil {
		a.chainID = string(id)
	}
	a.check = store.NewCache(st.Committed())
	// CheckTx runs handlers with the last block's time; after a restart
	// that is the time recorded with the last committed version.
	a.lastBlockTime = st.Committed().Time()
	return a
}

// newStateless builds the keepers and the query handlers, and no store:
// enough to answer queries over any reader (see [OfflineQuery]). Every
// keeper is wired here, so that New and OfflineQuery serve the same
// queries.
func newStateless(logger cmtlog.Logger) *App {
	if logger == nil {
		logger = cmtlog.NewNopLogger()
	}
	a := &App{logger: logger, membership: membership.NewKeeper(prefixMembership), sigs: newSigCache()}
	// Modules reach each other only through the interfaces they declare;
	// the adapters (adapters.go) read through the App, so the order of
	// construction does not matter.
	a.licenses = licenses.NewKeeper(prefixLicenses, provenance{a}, orgs{a})
	a.lineage = lineage.NewKeeper(prefixLineage, a.licenses)
	a.models = models.NewKeeper(prefixModels, modelDeps{a}, modelDeps{a}, a.licenses)
	a.gate = gate.NewKeeper(gateDeps{a}, a.licenses, gateDeps{a}, a.lineage, gateDeps{a})
	a.queries = a.queryHandlers()
	return a
}

// base is the state the next block executes on.
func (a *App) base() kit.Reader {
	if a.genesis != nil {
		return a.genesis
	}
	return a.store.Committed()
}

// nextHeight is the height of the block a transaction checked now could
// land in.
func (a *App) nextHeight() int64 {
	h, _ := a.store.LastCommit()
	if h == 0 {
		return max(a.initialHeight, 1)
	}
	return h + 1
}

func (a *App) block(height int64, t time.Time) kit.Block {
	return kit.Block{ChainID: a.chainID, Height: height, Time: t}
}

// Info implements abci.Application: CometBFT's handshake compares this with
// its own stores and replays whatever blocks the state lacks.
func (a *App) Info(context.Context, *abci.InfoRequest) (*abci.InfoResponse, error) {
	h, hash := a.store.LastCommit()
	return &abci.InfoResponse{
		Data:             "lineaged",
		Version:          SoftwareVersion(),
		AppVersion:       AppVersion,
		LastBlockHeight:  h,
		LastBlockAppHash: hash,
	}, nil
}

// InitChain implements abci.Application: it writes the genesis state into
// the working tree (persisted by the first Commit).
func (a *App) InitChain(_ context.Context, req *abci.InitChainRequest) (*abci.InitChainResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if h, _ := a.store.LastCommit(); h != 0 {
		return nil, fmt.Errorf("InitChain called on state already at height %d", h)
	}
	g, err := ParseGenesis(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	if req.ChainId == "" {
		return nil, errors.New("genesis has no chain id")
	}
	c := store.NewCache(a.store.Committed())
	kit.Save(c, keyParams, g.Params)
	c.Set(keyChainID, []byte(req.ChainId))
	// Genesis records carry height 0: they predate every block.
	blk := kit.Block{ChainID: req.ChainId, Height: 0, Time: req.Time}
	if err := a.membership.InitGenesis(c, blk, g.Membership); err != nil {
		return nil, fmt.Errorf("invalid genesis: %w", err)
	}
	a.store.SetInitialVersion(req.InitialHeight)
	if err := a.store.Apply(c); err != nil {
		return nil, err
	}
	a.chainID = req.ChainId
	a.genesis = c
	a.check = store.NewCache(c)
	a.lastBlockTime = req.Time
	a.initialHeight = req.InitialHeight
	return &abci.InitChainResponse{AppHash: a.store.WorkingHash()}, nil
}

// CheckTx implements abci.Application: it runs the transaction against the
// mempool's view and keeps its effects there if it is admitted, so that the
// next transaction of the same account is checked against the right
// sequence. After each Commit the view is rebuilt and CometBFT rechecks
// what is left in the mempool.
func (a *App) CheckTx(_ context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	res, msg, _ := a.deliver(a.check, a.block(a.nextHeight(), a.lastBlockTime), req.Tx, modeCheck)
	a.metrics.Load().checked(req.Type, msg, res)
	return &abci.CheckTxResponse{Code: res.Code, Codespace: res.Codespace, Log: res.Log, GasWanted: 1}, nil
}

// PrepareProposal implements abci.Application: it keeps the transactions
// that are admitted in order, within the block's byte budget.
func (a *App) PrepareProposal(_ context.Context, req *abci.PrepareProposalRequest) (*abci.PrepareProposalResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	eb := a.execute(a.base(), a.block(req.Height, req.Time), req.Txs, req.MaxTxBytes)
	return &abci.PrepareProposalResponse{Txs: eb.txs}, nil
}

// ProcessProposal implements abci.Application: a block with a transaction
// that is not admitted is rejected, as an honest proposer never makes one.
func (a *App) ProcessProposal(_ context.Context, req *abci.ProcessProposalRequest) (*abci.ProcessProposalResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	eb := a.execute(a.base(), a.block(req.Height, req.Time), req.Txs, -1)
	if eb.rejected > 0 {
		a.logger.Info("rejecting proposal with inadmissible transactions",
			"height", req.Height, "rejected", eb.rejected, "first", eb.firstRejection)
		return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
	}
	eb.hash = req.Hash
	a.proposal = eb
	return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_ACCEPT}, nil
}

// FinalizeBlock implements abci.Application.
func (a *App) FinalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	eb := a.proposal
	a.proposal = nil
	if eb == nil || eb.height != req.Height || !bytes.Equal(eb.hash, req.Hash) {
		eb = a.execute(a.base(), a.block(req.Height, req.Time), req.Txs, -1)
	}
	applyStart := time.Now() // for metrics only
	if err := a.store.Apply(eb.cache); err != nil {
		return nil, err
	}
	a.metrics.Load().finalized(eb, time.Since(applyStart))
	a.lastBlockTime = req.Time
	return &abci.FinalizeBlockResponse{TxResults: eb.results, AppHash: a.store.WorkingHash()}, nil
}

// Commit implements abci.Application: it persists the working tree as the
// version of the finalized height, resets the mempool's view and, at a
// snapshot interval, starts a snapshot of the new version.
func (a *App) Commit(context.Context, *abci.CommitRequest) (*abci.CommitResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	start := time.Now() // for metrics only
	height, _, err := a.store.Commit(a.lastBlockTime)
	if err != nil {
		return nil, err
	}
	a.metrics.Load().committed(time.Since(start))
	a.genesis = nil
	a.check = store.NewCache(a.store.Committed())
	a.snapshotAfterCommit(height)
	return &abci.CommitResponse{}, nil
}
