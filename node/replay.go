package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcfg "github.com/cometbft/cometbft/config"
	sm "github.com/cometbft/cometbft/state"
	cmtstore "github.com/cometbft/cometbft/store"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/store"
)

// ErrReplayUnusable marks input [Replay] cannot work from: no node home, a
// node that is still running, a block store that does not reach back to
// the initial height (pruned or state-synced), missing blocks or validator
// sets. Such a replay reaches no verdict.
var ErrReplayUnusable = errors.New("unusable replay input")

// ReplayOptions tune [Replay].
type ReplayOptions struct {
	// To is the last height to replay; 0 means the block store's last
	// height.
	To int64
}

// ReplayResult is what a replay did and found.
type ReplayResult struct {
	// From and To are the first and last heights replayed.
	From, To int64
	Blocks   int64
	Txs      int
	Duration time.Duration
	// AppHash is the replayed application's hash after height To.
	AppHash []byte
	// Checked counts the references each replayed app hash was compared
	// with: stored headers, the state store, the node's application state.
	Checked ReplayChecks
	// Mismatch is the first disagreement; nil when everything agreed.
	Mismatch *ReplayMismatch
}

// ReplayChecks counts the comparisons a replay made.
type ReplayChecks struct {
	// Headers is how many stored headers' AppHash and LastResultsHash were
	// compared with the replay (one per replayed block that has a
	// successor in the store, plus the first block's for InitChain).
	Headers int64
	// StateStore is true if CometBFT's saved state (the app hash after the
	// last stored block) was compared.
	StateStore bool
	// AppHeight is the height at which the node's own application state was
	// compared; 0 if it was not (no state, or that version is pruned).
	AppHeight int64
}

// ReplayMismatch is the first point where the replay disagrees with what
// the node recorded.
type ReplayMismatch struct {
	// Height is the block whose execution disagrees; the initial height
	// minus one when Genesis is set.
	Height int64
	// Genesis is set when the state InitChain built from the genesis
	// already disagrees.
	Genesis bool
	// What is "app hash", "results hash" or "execution".
	What string
	// Reference names what the replay was compared with.
	Reference string
	Got, Want []byte
	// Err is the application's error when What is "execution".
	Err string
}

func (m *ReplayMismatch) String() string {
	if m.Genesis {
		if m.What == "execution" {
			return "genesis: " + m.Err
		}
		return fmt.Sprintf("genesis: %s after InitChain is %X, %s says %X", m.What, m.Got, m.Reference, m.Want)
	}
	if m.What == "execution" {
		return fmt.Sprintf("height %d: the application failed to execute the stored block: %s", m.Height, m.Err)
	}
	return fmt.Sprintf("height %d: %s after the block is %X, %s says %X", m.Height, m.What, m.Got, m.Reference, m.Want)
}

func unusable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrReplayUnusable, fmt.Sprintf(format, args...))
}

// Replay re-executes a stopped node's chain on a fresh application over an
// in-memory store: InitChain from the home's genesis, then every stored
// block through FinalizeBlock and Commit exactly as CometBFT hands them to
// the application (header time, height, hash, transactions, the decided
// last commit and misbehaviour). After each block it compares the app hash
// and the transaction results' hash with the next stored header (and, for
// the last stored block, with CometBFT's saved state); at the end, with the
// node's own application state. The node's stores are only read; the node
// must be stopped (its databases are locked while it runs).
//
// Any disagreement is reported in the result's Mismatch (the first one
// stops the replay); errors mean no verdict and wrap [ErrReplayUnusable]
// when the input is at fault.
func Replay(ctx context.Context, home string, o ReplayOptions) (*ReplayResult, error) {
	cmtCfg, err := LoadCometConfig(home)
	if err != nil {
		return nil, unusable("%v", err)
	}
	genDoc, err := cmttypes.GenesisDocFromFile(cmtCfg.GenesisFile())
	if err != nil {
		return nil, unusable("genesis: %v", err)
	}
	blockDB, err := dbProvider(&cmtcfg.DBContext{ID: "blockstore", Config: cmtCfg})
	if err != nil {
		return nil, unusable("cannot open the block store in %s (replay needs a stopped node): %v", cmtCfg.DBDir(), err)
	}
	defer blockDB.Close()
	stateDB, err := dbProvider(&cmtcfg.DBContext{ID: "state", Config: cmtCfg})
	if err != nil {
		return nil, unusable("cannot open the state store in %s (replay needs a stopped node): %v", cmtCfg.DBDir(), err)
	}
	defer stateDB.Close()
	// The stores are opened as the node opens them; their constructors
	// rewrite the key-layout marker they read, the only write a replay makes.
	layout := cmtCfg.Storage.ExperimentalKeyLayout
	blocks := cmtstore.NewBlockStore(blockDB, cmtstore.WithDBKeyLayout(layout))
	states := sm.NewStore(stateDB, sm.StoreOptions{DBKeyLayout: layout})

	initial := genDoc.InitialHeight
	base, top := blocks.Base(), blocks.Height()
	switch {
	case top == 0:
		return nil, unusable("the block store of %s holds no blocks", home)
	case base > initial:
		return nil, unusable("the block store starts at height %d (pruned or state-synced): replay needs every block from the initial height %d", base, initial)
	}
	to := top
	if o.To != 0 {
		if o.To < initial || o.To > top {
			return nil, unusable("--to %d is outside the stored heights %d-%d", o.To, initial, top)
		}
		to = o.To
	}
	saved, err := states.Load()
	if err != nil {
		return nil, unusable("CometBFT state: %v", err)
	}

	res := &ReplayResult{From: initial, To: to}
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()

	st, err := store.Open(store.Config{Backend: "memdb"})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	a := app.New(st, nil)

	// InitChain as CometBFT's handshake sends it.
	vals := make([]*cmttypes.Validator, len(genDoc.Validators))
	for i, v := range genDoc.Validators {
		vals[i] = cmttypes.NewValidator(v.PubKey, v.Power)
	}
	params := genDoc.ConsensusParams.ToProto()
	initRes, err := a.InitChain(ctx, &abci.InitChainRequest{
		Time: genDoc.GenesisTime, ChainId: genDoc.ChainID, InitialHeight: initial,
		ConsensusParams: &params, Validators: cmttypes.TM2PB.ValidatorUpdates(cmttypes.NewValidatorSet(vals)),
		AppStateBytes: genDoc.AppState,
	})
	if err != nil {
		res.Mismatch = &ReplayMismatch{Height: initial - 1, Genesis: true, What: "execution", Err: "InitChain: " + err.Error()}
		return res, nil
	}
	genesisHash := initRes.AppHash
	if len(genesisHash) == 0 {
		genesisHash = genDoc.AppHash
	}
	first := blocks.LoadBlockMeta(initial)
	if first == nil {
		return nil, unusable("block %d is missing", initial)
	}
	res.Checked.Headers++
	if !bytes.Equal(genesisHash, first.Header.AppHash) {
		res.Mismatch = &ReplayMismatch{Height: initial - 1, Genesis: true, What: "app hash", Reference: fmt.Sprintf("the header of height %d", initial), Got: genesisHash, Want: first.Header.AppHash}
		return res, nil
	}

	// hashes[h-initial] is the replayed app hash after height h.
	hashes := make([][]byte, 0, to-initial+1)
	for h := initial; h <= to; h++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		block, _ := blocks.LoadBlock(h)
		if block == nil {
			return nil, unusable("block %d is missing from the block store", h)
		}
		var lastCommit abci.CommitInfo
		if h > initial {
			lastVals, err := states.LoadValidators(h - 1)
			if err != nil {
				return nil, unusable("validator set of height %d: %v", h-1, err)
			}
			if block.LastCommit.Size() != len(lastVals.Validators) {
				return nil, unusable("block %d's last commit has %d signatures for %d validators", h, block.LastCommit.Size(), len(lastVals.Validators))
			}
			lastCommit = sm.BuildLastCommitInfo(block, lastVals, initial)
		}
		out, err := execute(ctx, a, &abci.FinalizeBlockRequest{
			Hash: block.Hash(), NextValidatorsHash: block.NextValidatorsHash, ProposerAddress: block.ProposerAddress,
			Height: block.Height, Time: block.Time, DecidedLastCommit: lastCommit,
			Misbehavior: block.Evidence.Evidence.ToABCI(), Txs: block.Txs.ToSliceOfBytes(), SyncingToHeight: to,
		})
		if err == nil && len(out.TxResults) != len(block.Txs) {
			err = fmt.Errorf("%d results for %d transactions", len(out.TxResults), len(block.Txs))
		}
		if err != nil {
			res.Mismatch = &ReplayMismatch{Height: h, What: "execution", Err: err.Error()}
			return res, nil
		}
		res.Blocks++
		res.Txs += len(block.Txs)
		hashes = append(hashes, out.AppHash)
		res.AppHash = out.AppHash
		results := cmttypes.NewResults(out.TxResults).Hash()

		// What the node recorded for this block: the next header, or for
		// the newest block CometBFT's saved state.
		var wantApp, wantResults []byte
		var ref string
		switch {
		case h < top:
			next := blocks.LoadBlockMeta(h + 1)
			if next == nil {
				return nil, unusable("block %d is missing from the block store", h+1)
			}
			wantApp, wantResults, ref = next.Header.AppHash, next.Header.LastResultsHash, fmt.Sprintf("the header of height %d", h+1)
			res.Checked.Headers++
		case saved.LastBlockHeight == h:
			wantApp, wantResults, ref = saved.AppHash, saved.LastResultsHash, "CometBFT's saved state"
			res.Checked.StateStore = true
		default:
			// The node stopped after storing the block and before applying
			// it: nothing recorded its outcome yet.
			continue
		}
		if !bytes.Equal(out.AppHash, wantApp) {
			res.Mismatch = &ReplayMismatch{Height: h, What: "app hash", Reference: ref, Got: out.AppHash, Want: wantApp}
			return res, nil
		}
		if !bytes.Equal(results, wantResults) {
			res.Mismatch = &ReplayMismatch{Height: h, What: "results hash", Reference: ref, Got: results, Want: wantResults}
			return res, nil
		}
	}

	appHeight, appHash, err := nodeAppHash(home, initial, to)
	if err != nil {
		return nil, err
	}
	if appHeight > 0 {
		res.Checked.AppHeight = appHeight
		if got := hashes[appHeight-initial]; !bytes.Equal(got, appHash) {
			res.Mismatch = &ReplayMismatch{Height: appHeight, What: "app hash", Reference: "the node's application state", Got: got, Want: appHash}
		}
	}
	return res, nil
}

// execute runs one block through FinalizeBlock and Commit, turning a panic
// of the application into an error: a block the node committed must
// execute again.
func execute(ctx context.Context, a *app.App, req *abci.FinalizeBlockRequest) (out *abci.FinalizeBlockResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	if out, err = a.FinalizeBlock(ctx, req); err != nil {
		return nil, fmt.Errorf("FinalizeBlock: %w", err)
	}
	if _, err = a.Commit(ctx, &abci.CommitRequest{}); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return out, nil
}

// nodeAppHash reads the node's own application state: its app hash at its
// last committed height if that is within initial..to, else at to. It
// returns height 0 if the home has no state at those heights (for
// instance, pruned).
func nodeAppHash(home string, initial, to int64) (int64, []byte, error) {
	cfg, err := LoadConfig(home, NewViper())
	if err != nil {
		return 0, nil, unusable("%v", err)
	}
	st, err := store.Open(store.Config{Backend: cfg.State.DBBackend, Dir: filepath.Join(home, "data"), CacheSize: 1000})
	if err != nil {
		return 0, nil, unusable("cannot open the application state (replay needs a stopped node): %v", err)
	}
	defer st.Close()
	h, hash := st.LastCommit()
	switch {
	case h < initial:
		return 0, nil, nil
	case h <= to:
		return h, hash, nil
	}
	v, err := st.At(to)
	if err != nil {
		return 0, nil, nil
	}
	return to, v.Hash(), nil
}
