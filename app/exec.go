package app

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
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
	hash   []byte
	height int64
	cache  *store.Cache
	// txs are the block's entries in order: its preamble, if any, then the
	// admitted transactions; results has one result per entry.
	txs            [][]byte
	results        []*abci.ExecTxResult
	rejected       int
	firstRejection string
	// events and updates are what the modules' end-of-block work returned.
	events  []abci.Event
	updates []abci.ValidatorUpdate
	// cut is how many transactions a proposal left for later blocks
	// because building it had used up its time budget.
	cut int
	// For metrics only, never for state: the route of each result's
	// entry, and the wall time execute took.
	msgs    []string
	elapsed time.Duration
}

// proposalLimits bound a proposal being built: transactions that are not
// admitted or do not fit in maxBytes are left out, and so is everything
// after execution has taken budget (if positive). A block already proposed
// executes without limits: every entry gets a result.
type proposalLimits struct {
	maxBytes int64
	budget   time.Duration
}

// preverifyChunk is how many transactions execute decodes and checks
// signatures for at a time: small enough that a proposal cut short by its
// time budget does not first decode what it leaves out, large enough to
// keep every core busy with signature checks.
const preverifyChunk = 256

// execute runs a block on a cache over base: its preamble (nil: none),
// then txs in order, then the modules' end-of-block work. last is the
// commit of the previous block, which the preamble is checked against.
// With limits (a proposal being built) what is not admitted or does not fit
// is left out; without, every entry gets a result, and rejected counts the
// inadmissible ones.
func (a *App) execute(base kit.Reader, blk kit.Block, preamble []byte, txs [][]byte, last kit.CommitInfo, limits *proposalLimits) *executedBlock {
	start := time.Now() // for metrics, and for a proposal's time budget
	eb := &executedBlock{height: blk.Height, cache: store.NewCache(base), msgs: make([]string, 0, len(txs)+1)}
	params := modules.LoadParams(eb.cache)
	blk.Rules = params.Rules
	var size int64
	if preamble != nil {
		res, ok := a.runPreamble(eb.cache, blk, preamble, last)
		if !ok {
			eb.rejected++
			eb.firstRejection = res.Log
		}
		size += cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{preamble})
		eb.txs = append(eb.txs, preamble)
		eb.results = append(eb.results, res)
		eb.msgs = append(eb.msgs, labelPreamble)
	}
	for from := 0; from < len(txs); from += preverifyChunk {
		if limits != nil && limits.budget > 0 && from > 0 && time.Since(start) > limits.budget {
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
			if limits != nil && size+txSize > limits.maxBytes {
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
				if limits != nil {
					continue
				}
			}
			size += txSize
			eb.txs = append(eb.txs, raw)
			eb.results = append(eb.results, res)
			eb.msgs = append(eb.msgs, msg)
		}
	}
	events, updates := a.mods.EndBlock(eb.cache, blk)
	for _, ev := range events {
		eb.events = append(eb.events, abciEvent(ev))
	}
	for _, u := range updates {
		eb.updates = append(eb.updates, abci.ValidatorUpdate{PubKeyType: u.PubKeyType, PubKeyBytes: u.PubKey, Power: u.Power})
	}
	eb.elapsed = time.Since(start)
	return eb
}

// deliver runs one transaction on st with the current parameters; d, if
// not nil, is raw already decoded.
func (a *App) deliver(st *store.Cache, blk kit.Block, raw []byte, d *decodedTx, m mode) (*abci.ExecTxResult, string, bool) {
	return a.deliverWith(st, blk, modules.LoadParams(st), raw, d, m)
}

// deliverWith is the one validation and execution path. It reports whether
// the transaction was admitted (if not, st is untouched) and, for metrics,
// the route of its message: labelUnknown if it has none. d, if not nil, is
// raw as an earlier pass decoded it: decoding depends on the parameters
// only through the size limit, which is checked again here.
func (a *App) deliverWith(st *store.Cache, blk kit.Block, params *appv1.Params, raw []byte, d *decodedTx, m mode) (res *abci.ExecTxResult, msg string, admitted bool) {
	blk.Rules = params.Rules
	if d == nil || len(raw) > int(params.MaxTxBytes) {
		var err error
		if d, err = a.decode(raw, int(params.MaxTxBytes)); err != nil {
			return errorResult(err), labelUnknown, false
		}
	}
	acct, err := a.admit(st, blk, params, d)
	if err != nil {
		msg = labelUnknown
		if d.route != nil {
			msg = d.route.Name
		}
		return errorResult(err), msg, false
	}
	rt := d.route
	signer := kit.Signer{Address: acct.Address, OrgID: acct.OrgId}
	if m == modeCheck && !a.checkHandlers && !rt.ChangesAdmission() {
		// Every signature the transaction carries is the signer's to
		// answer for, like its own.
		if err := a.verifyCarried(d, acct.PublicKey); err != nil {
			return errorResult(err), rt.Name, false
		}
		// Admitted: spend the sequence, so that the account's next
		// transaction is checked against the right one, and leave the
		// handler to the block.
		a.mods.Accounts().SpendSequence(st, acct)
		return &abci.ExecTxResult{}, rt.Name, true
	}
	txc := store.NewCache(st)
	events, err := a.runHandler(rt, txc, blk, signer, d.msg)
	if err != nil && m == modeCheck {
		return errorResult(err), rt.Name, false
	}
	if err == nil {
		txc.Write(st)
	}
	// Spend the sequence on the account as the handler left it (a key
	// rotation changes it).
	acct, aerr := a.mods.Accounts().Account(st, signer.Address)
	if aerr != nil {
		panic(fmt.Sprintf("app: signer %s vanished during its own transaction: %v", signer.Address, aerr))
	}
	a.mods.Accounts().SpendSequence(st, acct)

	txEvent := abciEvent(kit.NewEvent("tx",
		"signer", signer.Address, "org_id", signer.OrgID,
		"sequence", strconv.FormatUint(d.body.Sequence, 10), "msg", rt.Name).Searchable("signer", "msg"))
	if err != nil {
		res = errorResult(err)
		res.Events = []abci.Event{txEvent}
		return res, rt.Name, true
	}
	res = &abci.ExecTxResult{Events: make([]abci.Event, 0, len(events)+1)}
	res.Events = append(res.Events, txEvent)
	for _, ev := range events {
		res.Events = append(res.Events, abciEvent(ev))
	}
	return res, rt.Name, true
}

// runHandler runs a message's handler on st, the whole state, through its
// route. A panic other than a database failure is a handler bug hit by
// some input: every node hits it alike, so it is turned into a
// deterministic internal error instead of halting the chain.
func (a *App) runHandler(rt *modules.Route, st kit.Store, blk kit.Block, signer kit.Signer, msg proto.Message) (events []kit.Event, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok && errors.Is(e, store.ErrIO) {
				panic(r)
			}
			a.logger.Error("message handler panicked", "msg", rt.Name, "height", blk.Height, "panic", fmt.Sprint(r))
			events, err = nil, modules.ErrInternal.Wrapf("%s failed unexpectedly", rt.Name)
		}
	}()
	return rt.Run(st, blk, signer, msg)
}

// admit runs every check that precedes the handler and returns the signer's
// account.
func (a *App) admit(st kit.Reader, blk kit.Block, params *appv1.Params, d *decodedTx) (*membershippb.Account, error) {
	b := d.body
	if b.ChainId != blk.ChainID {
		return nil, modules.ErrWrongChainID.Wrapf("transaction is for %q, this chain is %q", b.ChainId, blk.ChainID)
	}
	if b.TimeoutHeight != 0 && uint64(blk.Height) > b.TimeoutHeight {
		return nil, modules.ErrTxExpired.Wrapf("timeout height %d, block height %d", b.TimeoutHeight, blk.Height)
	}
	if len(b.Memo) > int(params.MaxMemoBytes) {
		return nil, modules.ErrMemoTooLarge.Wrapf("%d bytes, limit %d", len(b.Memo), params.MaxMemoBytes)
	}
	if d.route == nil || !d.route.Known(blk.Rules) {
		return nil, modules.ErrUnknownMessage.Wrapf("%T", b.Msg)
	}
	acct, err := a.mods.Accounts().Account(st, b.Signer)
	if err != nil {
		return nil, modules.ErrUnknownSigner.Wrapf("%s", b.Signer)
	}
	if err := a.verifySignature(d, acct.PublicKey); err != nil {
		return nil, modules.ErrBadSignature.Wrapf("%v", err)
	}
	if acct.Status != membershippb.AccountStatus_ACCOUNT_STATUS_ACTIVE {
		return nil, modules.ErrSignerSuspended.Wrapf("%s: %s", acct.Address, acct.SuspensionReason)
	}
	if blk.Rules >= kit.RulesGovernance {
		// Only governance suspends organisations, from this rule set on;
		// earlier, none is ever suspended and the read is skipped.
		if org, err := a.mods.Accounts().Org(st, acct.OrgId); err == nil && org.Suspended {
			return nil, modules.ErrSignerSuspended.Wrapf("%s: its organisation %s is suspended: %s", acct.Address, acct.OrgId, org.SuspensionReason)
		}
	}
	switch {
	case b.Sequence < acct.Sequence:
		return nil, modules.ErrSequenceReused.Wrapf("got %d, account is at %d", b.Sequence, acct.Sequence)
	case b.Sequence > acct.Sequence:
		return nil, modules.ErrSequenceFuture.Wrapf("got %d, account is at %d", b.Sequence, acct.Sequence)
	}
	if d.route.GovernanceOnly() {
		return nil, modules.ErrGovernanceOnly.Wrapf("%s executes only in a passed governance proposal (lineaged tx gov propose)", d.route.Name)
	}
	if role := d.route.Role; role != membershippb.Role_ROLE_UNSPECIFIED && !membership.HasRole(acct, role) {
		return nil, modules.ErrMissingRole.Wrapf("%s needs role %s", d.route.Name, membership.RoleName(role))
	}
	if blk.Rules >= kit.RulesBoundNames {
		for _, name := range d.route.Claimed(d.msg) {
			ns, scoped := kit.Namespace(name)
			if !scoped {
				continue
			}
			if owner, _ := a.mods.Accounts().NamespaceOwner(st, ns); owner != acct.OrgId {
				return nil, modules.ErrNamespaceNotOwned.Wrapf("%q is in namespace %q, which is not %s's: name it %s/… or have the consortium reserve %q for %s",
					name, ns, acct.OrgId, acct.OrgId, ns, acct.OrgId)
			}
		}
	}
	return acct, nil
}

// errorResult turns an error into a result. Errors without a code are bugs
// and reported as internal.
func errorResult(err error) *abci.ExecTxResult {
	cs, code := resultCode(err)
	return &abci.ExecTxResult{Code: code, Codespace: cs, Log: err.Error()}
}

// resultCode is the codespace and code err is reported with: its own, or
// the internal error's for an error without one (a bug); 0 for nil.
func resultCode(err error) (string, uint32) {
	if err == nil {
		return "", 0
	}
	if cs, code, ok := kit.CodeOf(err); ok {
		return cs, code
	}
	return modules.ErrInternal.Codespace, modules.ErrInternal.Code
}

func abciEvent(ev kit.Event) abci.Event {
	out := abci.Event{Type: ev.Type, Attributes: make([]abci.EventAttribute, len(ev.Attributes))}
	for i, at := range ev.Attributes {
		out.Attributes[i] = abci.EventAttribute{Key: at.Key, Value: at.Value, Index: at.Index}
	}
	return out
}
