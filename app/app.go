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

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/snapshots"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit"
)

// App is the Lineage Ledger state machine.
type App struct {
	// The vote-extension calls are in voteext.go, the state-sync calls
	// in snapshot.go.
	abci.BaseApplication

	store  *store.Store
	logger cmtlog.Logger
	// mods is the chain's table of modules: routes, queries, genesis.
	mods *modules.Table
	// sigs remembers verified transaction signatures, detached the other
	// signatures messages carry (sigcache.go).
	sigs, detached *sigCache
	// metrics observe the calls below; nil records nothing (SetMetrics).
	metrics atomic.Pointer[Metrics]

	// mu serialises the consensus calls and guards the fields below but
	// check and checkTime, the mempool's state, which checkMu guards:
	// CheckTx takes only checkMu, so that mempool checks run alongside
	// block execution. What replaces the mempool's state (InitChain,
	// Commit, a restore) holds both, mu first; so the fields both kinds
	// of call read (chainID, initialHeight) are written holding both.
	mu sync.Mutex
	// chainID is fixed by InitChain and kept in state.
	chainID string
	// genesis holds InitChain's writes until the first Commit, so that the
	// first block executes on top of them.
	genesis *store.Cache
	// lastBlockTime is the time of the last finalized block.
	lastBlockTime time.Time
	// initialHeight is the genesis initial height, the first block's height.
	initialHeight int64
	// proposal is the last block ProcessProposal executed.
	proposal *executedBlock
	// prepared is the last block PrepareProposal built, and its time: when
	// this node proposes, ProcessProposal gets the same block back.
	prepared     *executedBlock
	preparedTime time.Time
	// proposalBudget bounds the time PrepareProposal spends executing a
	// proposal (0: no bound); see [App.SetProposalBudget].
	proposalBudget time.Duration

	// voteSigners sign the vote extensions the modules ask for, by kind
	// (see [App.SetVoteSigner]).
	voteSigners map[string]VoteSigner

	// checkHandlers has CheckTx run every message's handler, not only the
	// admission checks (see [App.SetCheckHandlers]).
	checkHandlers bool

	// proofs bounds the proven queries answered (see [App.SetProofLimits]).
	proofs proofLimiter

	checkMu sync.Mutex
	// check is the mempool's view: committed state (read through a view
	// that is safe alongside block execution) plus the transactions
	// CheckTx admitted since.
	check *store.Cache
	// checkTime is the time of the last committed block, the clock
	// CheckTx runs handlers with.
	checkTime time.Time

	// snapshots takes and serves state-sync snapshots; nil until
	// [App.SetSnapshots].
	snapshots *snapshots.Manager
	// restore is the snapshot being restored, between OfferSnapshot and
	// its last chunk.
	restore *snapshots.Restoration
}

var _ abci.Application = (*App)(nil)

// New builds the application over an opened store.
func New(st *store.Store, logger cmtlog.Logger) *App { return newWith(st, logger) }

// newWith is New with extra modules after the chain's own (tests).
func newWith(st *store.Store, logger cmtlog.Logger, extra ...modules.Module) *App {
	a := newStateless(logger, extra...)
	a.store = st
	a.chainID = modules.ChainID(st.Committed())
	a.check = store.NewCache(st.Committed())
	// CheckTx runs handlers with the last block's time; after a restart
	// that is the time recorded with the last committed version.
	a.lastBlockTime = st.Committed().Time()
	a.checkTime = a.lastBlockTime
	return a
}

// newStateless builds the application without a store: its table of
// modules and its caches.
func newStateless(logger cmtlog.Logger, extra ...modules.Module) *App {
	if logger == nil {
		logger = cmtlog.NewNopLogger()
	}
	a := &App{logger: logger, sigs: newSigCache(), detached: newSigCache()}
	a.mods = modules.New(modules.Config{VerifySignature: a.verifyDetached, Extra: extra,
		Branch: func(parent kit.Reader) modules.Branch { return store.NewCache(parent) }})
	return a
}

// SetCheckHandlers has CheckTx run every message's handler against the
// mempool's view, as the block will, so that a transaction bound to fail
// is refused before it reaches a block, with the error its handler gives
// (a client learns it from the broadcast instead of from the block), at
// the cost of executing each transaction once more on this node. It suits
// a node that takes clients' transactions and passes them on, not a
// validator. It changes no block's result. Call it before the node starts.
func (a *App) SetCheckHandlers(on bool) { a.checkHandlers = on }

// SetProposalBudget bounds how long building a proposal may execute
// transactions; what does not fit stays in the mempool for the next block.
// A proposal that takes longer than the other validators' propose timeout
// to arrive loses its round, and the backlog then makes the next proposal
// bigger and later still: a budget well inside that timeout keeps a loaded
// chain from spiralling into lost rounds. Zero removes the bound. Call it
// before the node starts.
func (a *App) SetProposalBudget(d time.Duration) { a.proposalBudget = max(d, 0) }

// base is the state the next block executes on.
func (a *App) base() kit.Reader {
	if a.genesis != nil {
		return a.genesis
	}
	return a.store.Latest()
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
		AppVersion:       modules.AppVersion,
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
	g, err := modules.ParseGenesis(req.AppStateBytes)
	if err != nil {
		return nil, err
	}
	if req.ChainId == "" {
		return nil, errors.New("genesis has no chain id")
	}
	c := store.NewCache(a.store.Committed())
	// Genesis records carry height 0: they predate every block.
	blk := kit.Block{ChainID: req.ChainId, Height: 0, Time: req.Time}
	if err := a.mods.InitGenesis(c, req.ChainId, g, blk); err != nil {
		return nil, err
	}
	a.store.SetInitialVersion(req.InitialHeight)
	if err := a.store.Apply(c); err != nil {
		return nil, err
	}
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	a.chainID = req.ChainId
	a.genesis = c
	a.check = store.NewCache(c)
	a.lastBlockTime, a.checkTime = req.Time, req.Time
	a.initialHeight = req.InitialHeight
	return &abci.InitChainResponse{AppHash: a.store.WorkingHash()}, nil
}

// CheckTx implements abci.Application: it decides whether the mempool
// admits a transaction, with the checks that decide whether a block may
// hold it (decoding, chain id, timeout, memo, signer, signature, status,
// sequence, role), against the mempool's view, where it then spends the
// sequence so that the account's next transaction is checked against the
// right one. A message's handler runs in the block, where a failure is the
// transaction's result with its sequence spent: every validator checks
// every transaction it receives, from clients and from its peers, and
// running the handlers there as well would execute each transaction once
// per validator more. The exceptions run here too: membership messages,
// whose effects decide the admission of the transactions behind them
// (routes marked modules.ChangesAdmission), and every handler on a node set to
// ([App.SetCheckHandlers]). After each Commit the view is rebuilt and
// CometBFT rechecks what is left in the mempool. It does not wait for a
// block being executed.
func (a *App) CheckTx(_ context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	var d *decodedTx
	if req.Type == abci.CHECK_TX_TYPE_CHECK {
		d = a.verifyAhead(req.Tx)
	}
	a.checkMu.Lock()
	defer a.checkMu.Unlock()
	res, msg, _ := a.deliver(a.check, a.block(a.nextHeight(), a.checkTime), req.Tx, d, modeCheck)
	a.metrics.Load().checked(req.Type, msg, res)
	return &abci.CheckTxResponse{Code: res.Code, Codespace: res.Codespace, Log: res.Log, GasWanted: 1}, nil
}

// PrepareProposal implements abci.Application: it puts the modules'
// preamble entries, built from the votes on the previous block, at the
// head of the block, then keeps the transactions that are admitted, in
// order, within the block's byte budget.
func (a *App) PrepareProposal(_ context.Context, req *abci.PrepareProposalRequest) (*abci.PrepareProposalResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	blk := a.block(req.Height, req.Time)
	preamble := a.buildPreamble(a.base(), blk, req.LocalLastCommit)
	limits := &proposalLimits{maxBytes: req.MaxTxBytes, budget: a.proposalBudget}
	eb := a.execute(a.base(), blk, preamble, req.Txs, extendedCommitInfo(req.LocalLastCommit, ""), limits)
	if eb.cut > 0 {
		a.logger.Debug("proposal cut short by its time budget", "height", req.Height,
			"included", len(eb.txs), "left_for_later", eb.cut, "budget", a.proposalBudget)
	}
	if preamble != nil && (len(eb.txs) == 0 || !bytes.Equal(eb.txs[0], preamble) || eb.results[0].Code != 0) {
		// The modules built an entry that fails on their own state: a
		// bug, and one that would have every validator reject the block.
		// Propose without it.
		a.logger.Error("dropping a preamble that fails", "height", req.Height, "err", eb.firstRejection)
		eb = a.execute(a.base(), blk, nil, req.Txs, extendedCommitInfo(req.LocalLastCommit, ""), limits)
	}
	a.prepared, a.preparedTime = eb, req.Time
	return &abci.PrepareProposalResponse{Txs: eb.txs}, nil
}

// ProcessProposal implements abci.Application: a block with a transaction
// that is not admitted, or a preamble that fails, is rejected, as an
// honest proposer never makes one.
func (a *App) ProcessProposal(_ context.Context, req *abci.ProcessProposalRequest) (*abci.ProcessProposalResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	eb := a.takePrepared(req.Height, req.Time, req.Txs)
	if eb == nil {
		preamble, txs := splitPreamble(req.Txs)
		eb = a.execute(a.base(), a.block(req.Height, req.Time), preamble, txs, commitInfo(req.ProposedLastCommit), nil)
	}
	if eb.rejected > 0 {
		a.logger.Info("rejecting proposal with inadmissible entries",
			"height", req.Height, "rejected", eb.rejected, "first", eb.firstRejection)
		return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_REJECT}, nil
	}
	eb.hash = req.Hash
	a.proposal = eb
	return &abci.ProcessProposalResponse{Status: abci.PROCESS_PROPOSAL_STATUS_ACCEPT}, nil
}

// takePrepared returns the block PrepareProposal built if it is the one
// proposed: same height, time and entries. Executing it again would give
// the same results, since PrepareProposal leaves out what it does not
// admit without touching state, so the proposer executes its block once.
func (a *App) takePrepared(height int64, t time.Time, txs [][]byte) *executedBlock {
	eb := a.prepared
	a.prepared = nil
	if eb == nil || eb.height != height || !a.preparedTime.Equal(t) || len(eb.txs) != len(txs) {
		return nil
	}
	for i := range txs {
		if !bytes.Equal(eb.txs[i], txs[i]) {
			return nil
		}
	}
	// What PrepareProposal left out does not count against its block.
	eb.rejected, eb.firstRejection = 0, ""
	return eb
}

// FinalizeBlock implements abci.Application: it writes the decided block
// into the working tree, executing it unless ProcessProposal already did,
// and returns its results, the modules' end-of-block events and the
// validator-set changes they ask for.
func (a *App) FinalizeBlock(_ context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	eb := a.proposal
	a.proposal = nil
	if eb == nil || eb.height != req.Height || !bytes.Equal(eb.hash, req.Hash) {
		preamble, txs := splitPreamble(req.Txs)
		eb = a.execute(a.base(), a.block(req.Height, req.Time), preamble, txs, commitInfo(req.DecidedLastCommit), nil)
	}
	applyStart := time.Now() // for metrics only
	if err := a.store.Apply(eb.cache); err != nil {
		return nil, err
	}
	a.metrics.Load().finalized(eb, time.Since(applyStart))
	a.lastBlockTime = req.Time
	return &abci.FinalizeBlockResponse{
		TxResults: eb.results, Events: eb.events, ValidatorUpdates: eb.updates, AppHash: a.store.WorkingHash(),
	}, nil
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
	a.checkMu.Lock()
	a.check = store.NewCache(a.store.Committed())
	a.checkTime = a.lastBlockTime
	a.checkMu.Unlock()
	a.snapshotAfterCommit(height)
	return &abci.CommitResponse{}, nil
}
