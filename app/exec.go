package app

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/membership"
	mpb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// mode says where a transaction runs.
type mode int

const (
	// modeBlock: in a block. A failing handler still spends the sequence.
	modeBlock mode = iota
	// modeCheck: in the mempool. Only the admission checks run, and the
	// handler too where it changes admission or the node is set to (see
	// [App.CheckTx]); a failing handler rejects the transaction.
	modeCheck
)

// executedBlock is a block run on a cache, not yet written to the tree.
type executedBlock struct {
	hash           []byte
	height         int64
	cache          *store.Cache
	txs            [][]byte // the admitted transactions, in order
	results        []*abci.ExecTxResult
	rejected       int
	firstRejection string
	// cut is how many transactions a proposal left for later blocks
	// because building it had used up its time budget.
	cut int
	// For metrics only, never for state: the route of each result's
	// transaction, and the wall time execute took.
	msgs    []string
	elapsed time.Duration
}

// preverifyChunk is how many transactions execute decodes and checks
// signatures for at a time: small enough that a proposal cut short by its
// time budget does not first decode what it leaves out, large enough to
// keep every core busy with signature checks.
const preverifyChunk = 256

// execute runs txs in order on a cache over base. With maxBytes >= 0 (a
// proposal being built) transactions that are not admitted, or do not fit,
// are left out, and so is everything after the moment execution has taken
// budget (if positive); otherwise every transaction gets a result.
func (a *App) execute(base kit.Reader, blk kit.Block, txs [][]byte, maxBytes int64, budget time.Duration) *executedBlock {
	start := time.Now() // for metrics, and for a proposal's time budget
	eb := &executedBlock{height: blk.Height, cache: store.NewCache(base), msgs: make([]string, 0, len(txs))}
	params := loadParams(eb.cache)
	var size int64
	for from := 0; from < len(txs); from += preverifyChunk {
		if maxBytes >= 0 && budget > 0 && from > 0 && time.Since(start) > budget {
			// Stopping here is the proposer's choice alone: a proposal may
			// hold any admissible prefix of the mempool, so every other
			// validator accepts it just the same.
			eb.cut = len(txs) - from
			break
		}
		chunk := txs[from:min(from+preverifyChunk, len(txs))]
		decoded := a.preverify(base, params.MaxTxBytes, chunk)
		for i, raw := range chunk {
			// Count what CometBFT counts: the tx as an entry of the block's data.
			txSize := cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{raw})
			if maxBytes >= 0 && size+txSize > maxBytes {
				continue
			}
			var d *decodedTx
			if decoded != nil {
				d = decoded[i]
			}
			res, msg, admitted := a.deliverWith(eb.cache, blk, params, raw, d, modeBlock)
			if !admitted {
				eb.rejected++
				if eb.firstRejection == "" {
					eb.firstRejection = res.Log
				}
				if maxBytes >= 0 {
					continue
				}
			}
			size += txSize
			eb.txs = append(eb.txs, raw)
			eb.results = append(eb.results, res)
			eb.msgs = append(eb.msgs, msg)
		}
	}
	eb.elapsed = time.Since(start)
	return eb
}

// deliver runs one transaction on st with the current parameters; d, if
// not nil, is raw already decoded.
func (a *App) deliver(st *store.Cache, blk kit.Block, raw []byte, d *decodedTx, m mode) (*abci.ExecTxResult, string, bool) {
	return a.deliverWith(st, blk, loadParams(st), raw, d, m)
}

// deliverWith is the one validation and execution path. It reports whether
// the transaction was admitted (if not, st is untouched) and, for metrics,
// the route of its message: labelUnknown if it has none. d, if not nil, is
// raw as an earlier pass decoded it: decoding depends on the parameters
// only through the size limit, which is checked again here.
func (a *App) deliverWith(st *store.Cache, blk kit.Block, params *appv1.Params, raw []byte, d *decodedTx, m mode) (res *abci.ExecTxResult, msg string, admitted bool) {
	if d == nil || len(raw) > int(params.MaxTxBytes) {
		var err error
		if d, err = decodeTx(raw, int(params.MaxTxBytes)); err != nil {
			return errorResult(err), labelUnknown, false
		}
	}
	acct, rt, err := a.admit(st, blk, params, d)
	if err != nil {
		// admit may stop before it looks the route up; look again.
		msg = labelUnknown
		if known, ok := a.routeOf(d.body); ok {
			msg = known.name
		}
		return errorResult(err), msg, false
	}
	signer := kit.Signer{Address: acct.Address, OrgID: acct.OrgId}
	if m == modeCheck && !a.checkHandlers && !changesAdmission(d.body) {
		// Every signature the transaction carries is the signer's to
		// answer for, like its own.
		if err := a.verifyCarried(d, acct.PublicKey); err != nil {
			return errorResult(err), rt.name, false
		}
		// Admitted: spend the sequence, so that the account's next
		// transaction is checked against the right one, and leave the
		// handler to the block.
		a.membership.SpendSequence(st, acct)
		return &abci.ExecTxResult{}, rt.name, true
	}
	txc := store.NewCache(st)
	events, err := a.runHandler(rt, txc, blk, signer)
	if err != nil && m == modeCheck {
		return errorResult(err), rt.name, false
	}
	if err == nil {
		txc.Write(st)
	}
	// Spend the sequence on the account as the handler left it (a key
	// rotation changes it).
	acct, aerr := a.membership.Account(st, signer.Address)
	if aerr != nil {
		panic(fmt.Sprintf("app: signer %s vanished during its own transaction: %v", signer.Address, aerr))
	}
	a.membership.SpendSequence(st, acct)

	txEvent := abciEvent(kit.NewEvent("tx",
		"signer", signer.Address, "org_id", signer.OrgID,
		"sequence", strconv.FormatUint(d.body.Sequence, 10), "msg", rt.name).Searchable("signer", "msg"))
	if err != nil {
		res = errorResult(err)
		res.Events = []abci.Event{txEvent}
		return res, rt.name, true
	}
	res = &abci.ExecTxResult{Events: make([]abci.Event, 0, len(events)+1)}
	res.Events = append(res.Events, txEvent)
	for _, ev := range events {
		res.Events = append(res.Events, abciEvent(ev))
	}
	return res, rt.name, true
}

// runHandler runs a message handler. A panic other than a database failure
// is a handler bug hit by some input: every node hits it alike, so it is
// turned into a deterministic internal error instead of halting the chain.
func (a *App) runHandler(rt route, st kit.Store, blk kit.Block, signer kit.Signer) (events []kit.Event, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok && errors.Is(e, store.ErrIO) {
				panic(r)
			}
			a.logger.Error("message handler panicked", "msg", rt.name, "height", blk.Height, "panic", fmt.Sprint(r))
			events, err = nil, ErrInternal.Wrapf("%s failed unexpectedly", rt.name)
		}
	}()
	return rt.run(st, blk, signer)
}

// admit runs every check that precedes the handler and returns the signer's
// account and the message's route.
func (a *App) admit(st kit.Reader, blk kit.Block, params *appv1.Params, d *decodedTx) (*mpb.Account, route, error) {
	b := d.body
	if b.ChainId != blk.ChainID {
		return nil, route{}, ErrWrongChainID.Wrapf("transaction is for %q, this chain is %q", b.ChainId, blk.ChainID)
	}
	if b.TimeoutHeight != 0 && uint64(blk.Height) > b.TimeoutHeight {
		return nil, route{}, ErrTxExpired.Wrapf("timeout height %d, block height %d", b.TimeoutHeight, blk.Height)
	}
	if len(b.Memo) > int(params.MaxMemoBytes) {
		return nil, route{}, ErrMemoTooLarge.Wrapf("%d bytes, limit %d", len(b.Memo), params.MaxMemoBytes)
	}
	rt, ok := a.routeOf(b)
	if !ok {
		return nil, route{}, ErrUnknownMessage.Wrapf("%T", b.Msg)
	}
	acct, err := a.membership.Account(st, b.Signer)
	if err != nil {
		return nil, route{}, ErrUnknownSigner.Wrapf("%s", b.Signer)
	}
	if err := a.verifySignature(d, acct.PublicKey); err != nil {
		return nil, route{}, ErrBadSignature.Wrapf("%v", err)
	}
	if acct.Status != mpb.AccountStatus_ACCOUNT_STATUS_ACTIVE {
		return nil, route{}, ErrSignerSuspended.Wrapf("%s: %s", acct.Address, acct.SuspensionReason)
	}
	switch {
	case b.Sequence < acct.Sequence:
		return nil, route{}, ErrSequenceReused.Wrapf("got %d, account is at %d", b.Sequence, acct.Sequence)
	case b.Sequence > acct.Sequence:
		return nil, route{}, ErrSequenceFuture.Wrapf("got %d, account is at %d", b.Sequence, acct.Sequence)
	}
	if rt.role != mpb.Role_ROLE_UNSPECIFIED && !membership.HasRole(acct, rt.role) {
		return nil, route{}, ErrMissingRole.Wrapf("%s needs role %s", rt.name, membership.RoleName(rt.role))
	}
	return acct, rt, nil
}

// errorResult turns an error into a result. Errors without a code are bugs
// and reported as internal.
func errorResult(err error) *abci.ExecTxResult {
	cs, code, ok := kit.CodeOf(err)
	if !ok {
		cs, code = ErrInternal.Codespace, ErrInternal.Code
	}
	return &abci.ExecTxResult{Code: code, Codespace: cs, Log: err.Error()}
}

func abciEvent(ev kit.Event) abci.Event {
	out := abci.Event{Type: ev.Type, Attributes: make([]abci.EventAttribute, len(ev.Attributes))}
	for i, at := range ev.Attributes {
		out.Attributes[i] = abci.EventAttribute{Key: at.Key, Value: at.Value, Index: at.Index}
	}
	return out
}
