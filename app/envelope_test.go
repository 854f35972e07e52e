package app

import (
	"bytes"
	"context"
	"fmt"
	"github.com/lineageledger/lineaged/app/modules"
	"math/big"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// TestEnvelopeRejections covers every class of bad transaction: each gets
// its stable code in CheckTx, changes nothing, makes ProcessProposal reject
// a block that carries it, and gets the same code if a block carries it to
// FinalizeBlock anyway.
func TestEnvelopeRejections(t *testing.T) {
	c := newChain(t)
	// Prepare state: suspend a second alpha account; spend one admin sequence.
	victim := &actor{key: testKey(t, "victim", keysv1.KeyType_KEY_TYPE_ED25519)}
	c.mustBlock(c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: victim.key.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}))
	c.mustBlock(c.tx(c.admin, &membershippb.MsgSuspendAccount{Address: victim.addr(), Reason: "left the company"}))

	addAcct := func() *membershippb.MsgAddAccount {
		return &membershippb.MsgAddAccount{PublicKey: testKey(t, "new", keysv1.KeyType_KEY_TYPE_ED25519).Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}
	}
	good := func() *txv1.TxBody { return c.body(c.admin, addAcct()) }
	signed := func(b *txv1.TxBody) []byte { return c.sign(c.admin.key, b) }
	stranger := testKey(t, "stranger", keysv1.KeyType_KEY_TYPE_ED25519)

	highS := func() []byte {
		b := c.body(c.beta, &membershippb.MsgAddAccount{PublicKey: addAcct().PublicKey, Roles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}})
		raw := c.sign(c.beta.key, b)
		var tx txv1.Tx
		mustUnmarshal(t, raw, &tx)
		s := new(big.Int).SetBytes(tx.Signature[32:])
		s.Sub(secp256k1.S256().N, s)
		tx.Signature = append(tx.Signature[:32:32], s.FillBytes(make([]byte, 32))...)
		return kit.Marshal(&tx)
	}

	cases := []struct {
		name string
		raw  []byte
		want *kit.Error
	}{
		{"garbage bytes", []byte{0xff, 0x01, 0x02}, modules.ErrMalformedTx},
		{"empty", nil, modules.ErrMalformedTx},
		{"unsigned junk appended to envelope", append(signed(good()), protowire.AppendTag(nil, 9, protowire.VarintType)...), modules.ErrMalformedTx},
		{"body field duplicated", func() []byte {
			var tx txv1.Tx
			mustUnmarshal(t, signed(good()), &tx)
			raw := kit.Marshal(&tx)
			return append(protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), tx.Body), raw...)
		}(), modules.ErrMalformedTx},
		{"unknown message", func() []byte {
			b := kit.Marshal(&txv1.TxBody{ChainId: testChainID, Signer: c.admin.addr(), Sequence: c.admin.seq})
			b = protowire.AppendBytes(protowire.AppendTag(b, 999, protowire.BytesType), []byte{})
			sig, _ := c.admin.key.Sign(SignBytes(b))
			return kit.Marshal(&txv1.Tx{Body: b, Signature: sig})
		}(), modules.ErrUnknownMessage},
		{"no message", signed(c.body(c.admin, nil)), modules.ErrNoMessage},
		{"oversize", signed(func() *txv1.TxBody {
			b := good()
			b.Msg.(*txv1.TxBody_AddAccount).AddAccount.Label = strings.Repeat("x", 70<<10)
			return b
		}()), modules.ErrTxTooLarge},
		{"signer not an address", signed(func() *txv1.TxBody { b := good(); b.Signer = "alice"; return b }()), modules.ErrInvalidSigner},
		{"signer upper-case", signed(func() *txv1.TxBody { b := good(); b.Signer = strings.ToUpper(b.Signer); return b }()), modules.ErrInvalidSigner},
		{"wrong chain id", signed(func() *txv1.TxBody { b := good(); b.ChainId = "other-chain"; return b }()), modules.ErrWrongChainID},
		{"timed out", signed(func() *txv1.TxBody { b := good(); b.TimeoutHeight = 2; return b }()), modules.ErrTxExpired},
		{"memo too large", signed(func() *txv1.TxBody { b := good(); b.Memo = strings.Repeat("m", 257); return b }()), modules.ErrMemoTooLarge},
		{"unknown signer", c.sign(stranger, func() *txv1.TxBody {
			b := good()
			b.Signer = (&actor{key: stranger}).addr()
			b.Sequence = 0
			return b
		}()), modules.ErrUnknownSigner},
		{"signed by another key", c.sign(c.steward.key, good()), modules.ErrBadSignature},
		{"signature bit flipped", func() []byte {
			raw := signed(good())
			raw[len(raw)-1] ^= 1
			return raw
		}(), modules.ErrBadSignature},
		{"body bit flipped after signing", func() []byte {
			var tx txv1.Tx
			mustUnmarshal(t, signed(good()), &tx)
			tx.Body = bytes.Replace(tx.Body, []byte(testChainID), []byte("lineage-tesT"), 1)
			return kit.Marshal(&tx)
		}(), modules.ErrWrongChainID},
		{"malleated high-S signature", highS(), modules.ErrBadSignature},
		{"suspended signer", c.sign(victim.key, c.body(victim, addAcct())), modules.ErrSignerSuspended},
		{"reused sequence", signed(func() *txv1.TxBody { b := good(); b.Sequence = 0; return b }()), modules.ErrSequenceReused},
		{"future sequence", signed(func() *txv1.TxBody { b := good(); b.Sequence = 7; return b }()), modules.ErrSequenceFuture},
		{"missing role", c.sign(c.steward.key, c.body(c.steward, addAcct())), modules.ErrMissingRole},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := appHash(c)
			res := c.checkTx(tc.raw)
			if res.Codespace != tc.want.Codespace || res.Code != tc.want.Code {
				t.Fatalf("CheckTx = %s/%d %q, want %s/%d (%s)", res.Codespace, res.Code, res.Log, tc.want.Codespace, tc.want.Code, tc.want.Message)
			}
			if res.Log == "" {
				t.Fatal("rejection without a message")
			}
			pp, err := c.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{
				Txs: [][]byte{tc.raw}, Hash: []byte("h"), Height: c.height + 1, Time: c.now,
			})
			if err != nil || pp.Status != abci.PROCESS_PROPOSAL_STATUS_REJECT {
				t.Fatalf("ProcessProposal = %v, %v; want REJECT", pp.GetStatus(), err)
			}
			prep, err := c.app.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{
				Txs: [][]byte{tc.raw}, MaxTxBytes: 1 << 20, Height: c.height + 1, Time: c.now,
			})
			if err != nil || len(prep.Txs) != 0 {
				t.Fatalf("PrepareProposal kept the transaction (%d txs, %v)", len(prep.Txs), err)
			}
			c.height++
			results, hash := c.finalize([]byte("forced"), [][]byte{tc.raw})
			if r := results[0]; r.Codespace != tc.want.Codespace || r.Code != tc.want.Code {
				t.Fatalf("FinalizeBlock = %s/%d, want %s/%d", r.Codespace, r.Code, tc.want.Codespace, tc.want.Code)
			}
			if !bytes.Equal(hash, before) {
				t.Fatal("a rejected transaction changed the app hash")
			}
		})
	}
	// After all that, the admin's real next transaction still works.
	c.mustBlock(c.tx(c.admin, addAcct()))
}

// TestFailedHandlerSpendsSequence: an admitted transaction whose handler
// fails discards its writes but spends its sequence, so it cannot be
// replayed; CheckTx rejects it outright.
func TestFailedHandlerSpendsSequence(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	dup := &membershippb.MsgCreateOrg{OrgId: "beta", Name: "dup", AdminPublicKey: testKey(t, "x", keysv1.KeyType_KEY_TYPE_ED25519).Public(), AdminRoles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}}
	raw := c.tx(c.admin, dup)
	if res := c.checkTx(raw); res.Codespace != "membership" || res.Code != 3 {
		t.Fatalf("CheckTx = %s/%d %s", res.Codespace, res.Code, res.Log)
	}
	if c.account(c.admin.addr()).Sequence != 0 {
		t.Fatal("CheckTx rejection spent a sequence")
	}
	res, _ := c.block(raw)
	if res[0].Code != 3 || res[0].Codespace != "membership" || !strings.Contains(res[0].Log, "beta") {
		t.Fatalf("FinalizeBlock = %s/%d %q", res[0].Codespace, res[0].Code, res[0].Log)
	}
	if got := c.account(c.admin.addr()).Sequence; got != 1 {
		t.Fatalf("sequence after failed tx = %d, want 1", got)
	}
	// The same bytes again are now a replay.
	if res := c.checkTx(raw); res.Code != modules.ErrSequenceReused.Code {
		t.Fatalf("replay CheckTx = %s/%d", res.Codespace, res.Code)
	}
}

// TestCheckTxTracksPendingSequences: several txs of one account can wait
// in the mempool together; after a commit the view is rebuilt.
func TestCheckTxTracksPendingSequences(t *testing.T) {
	c := newChain(t)
	var txs [][]byte
	for i := 0; i < 3; i++ {
		raw := c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: testKey(t, string(rune('a'+i)), keysv1.KeyType_KEY_TYPE_ED25519).Public()})
		if res := c.checkTx(raw); res.Code != 0 {
			t.Fatalf("tx %d: %s", i, res.Log)
		}
		txs = append(txs, raw)
	}
	c.mustBlock(txs[:2]...)
	// Recheck of the remaining tx after commit must still pass.
	res, err := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: txs[2], Type: abci.CHECK_TX_TYPE_RECHECK})
	if err != nil || res.Code != 0 {
		t.Fatalf("recheck: %v %s", err, res.GetLog())
	}
	// And the committed ones are now replays.
	if res := c.checkTx(txs[0]); res.Code != modules.ErrSequenceReused.Code {
		t.Fatalf("replay after commit = %d", res.Code)
	}
}

// TestPrepareProposalRespectsMaxBytes: the proposer never exceeds the
// block's byte budget.
func TestPrepareProposalRespectsMaxBytes(t *testing.T) {
	c := newChain(t)
	var txs [][]byte
	for i := 0; i < 5; i++ {
		txs = append(txs, c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: testKey(t, string(rune('k'+i)), keysv1.KeyType_KEY_TYPE_ED25519).Public()}))
	}
	// The budget counts txs as CometBFT does: framed as block data.
	budget := cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{txs[0], txs[1]})
	for _, tc := range []struct {
		budget int64
		want   int
	}{{budget, 2}, {budget - 1, 1}} {
		res, err := c.app.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{Txs: txs, MaxTxBytes: tc.budget, Height: 1, Time: c.now})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Txs) != tc.want {
			t.Fatalf("kept %d txs within %d bytes, want %d", len(res.Txs), tc.budget, tc.want)
		}
		kept := make([]cmttypes.Tx, len(res.Txs))
		for i, tx := range res.Txs {
			kept[i] = tx
		}
		if got := cmttypes.ComputeProtoSizeForTxs(kept); got > tc.budget {
			t.Fatalf("kept %d bytes of block data, budget %d", got, tc.budget)
		}
	}
}

// TestCheckTxUsesInitialHeight: before the first commit, CheckTx judges
// timeouts against the genesis initial height, as the first block will.
func TestCheckTxUsesInitialHeight(t *testing.T) {
	st, err := store.Open(store.Config{Backend: "memdb"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := newChainOn(t, st, false)
	gen, _ := modules.GenesisJSON(testGenesis(c.admin, c.steward, c.beta))
	if _, err := c.app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChainID, InitialHeight: 100, AppStateBytes: gen, Time: genesisTime}); err != nil {
		t.Fatal(err)
	}
	b := c.body(c.admin, &membershippb.MsgAddAccount{PublicKey: testKey(t, "late", keysv1.KeyType_KEY_TYPE_ED25519).Public()})
	b.TimeoutHeight = 50
	if res := c.checkTx(c.sign(c.admin.key, b)); res.Code != modules.ErrTxExpired.Code || res.Codespace != modules.Codespace {
		t.Fatalf("CheckTx = %s/%d %s, want tx/%d", res.Codespace, res.Code, res.Log, modules.ErrTxExpired.Code)
	}
	b.TimeoutHeight = 100
	if res := c.checkTx(c.sign(c.admin.key, b)); res.Code != 0 {
		t.Fatalf("CheckTx with timeout at the first height = %s", res.Log)
	}
}

func mustUnmarshal(t *testing.T, raw []byte, tx *txv1.Tx) {
	t.Helper()
	if err := unmarshalTx(raw, tx); err != nil {
		t.Fatal(err)
	}
}

// TestProposerExecutesItsBlockOnce: ProcessProposal of the block this node
// just prepared reuses PrepareProposal's execution, which leaves out what
// it does not admit; the outcome is exactly that of a validator executing
// the proposed block from scratch. A different block is executed anew.
func TestProposerExecutesItsBlockOnce(t *testing.T) {
	proposer, validator := newChain(t), newChain(t)
	for _, c := range []*chain{proposer, validator} {
		c.mustBlock()
	}
	newcomer := testKey(t, "newcomer", keysv1.KeyType_KEY_TYPE_ED25519)
	add := proposer.tx(proposer.admin, &membershippb.MsgAddAccount{PublicKey: newcomer.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}})
	forged := proposer.sign(proposer.beta.key, proposer.body(proposer.admin, &membershippb.MsgSetRoles{Address: proposer.steward.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}))
	rename := proposer.tx(proposer.admin, &membershippb.MsgSetRoles{Address: proposer.steward.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_DATA_STEWARD}})

	height, when := proposer.height+1, proposer.now.Add(time.Second)
	prepare := func(at time.Time) [][]byte {
		t.Helper()
		prep, err := proposer.app.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{
			Txs: [][]byte{add, forged, rename}, MaxTxBytes: 1 << 20, Height: height, Time: at,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(prep.Txs) != 2 || !bytes.Equal(prep.Txs[0], add) || !bytes.Equal(prep.Txs[1], rename) {
			t.Fatalf("PrepareProposal kept %d txs, want the two admissible ones", len(prep.Txs))
		}
		return prep.Txs
	}
	// A block other than the prepared one (here with the forgery) is
	// executed, and rejected.
	prepare(when)
	if got := proposer.processProposal(add, forged, rename); got != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatalf("ProcessProposal of another block = %v, want reject", got)
	}
	// The proposer's own block is accepted although PrepareProposal left a
	// transaction out; it is finalized from that one execution.
	txs := prepare(when)
	if got := proposer.processProposal(txs...); got != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("ProcessProposal of the prepared block = %v", got)
	}
	proposer.height, proposer.now = height, when
	gotRes, gotHash := proposer.finalize([]byte("probe"), txs)
	wantRes, wantHash := validator.block(txs...)
	if !bytes.Equal(gotHash, wantHash) {
		t.Fatalf("app hash %X, a validator executing the block computes %X", gotHash, wantHash)
	}
	for i := range wantRes {
		if gotRes[i].Code != 0 || gotRes[i].Code != wantRes[i].Code || len(gotRes[i].Events) != len(wantRes[i].Events) {
			t.Fatalf("tx %d: result %d/%d events %d, validator's %d/%d events %d", i,
				gotRes[i].Code, len(gotRes[i].Events), len(gotRes[i].Events), wantRes[i].Code, len(wantRes[i].Events), len(wantRes[i].Events))
		}
	}
}

// TestPrepareProposalTimeBudget: a proposer out of time keeps an admissible
// prefix of the mempool and leaves the rest for later blocks; validators
// accept that block like any other.
func TestPrepareProposalTimeBudget(t *testing.T) {
	proposer, validator := newChain(t), newChain(t)
	for _, c := range []*chain{proposer, validator} {
		c.mustBlock()
	}
	var txs [][]byte
	for i := range preverifyChunk + 40 {
		txs = append(txs, proposer.tx(proposer.admin, &membershippb.MsgAddAccount{PublicKey: testKey(t, fmt.Sprint("member", i), keysv1.KeyType_KEY_TYPE_ED25519).Public()}))
	}
	height, when := proposer.height+1, proposer.now.Add(time.Second)
	prepare := func(budget time.Duration) [][]byte {
		t.Helper()
		proposer.app.SetProposalBudget(budget)
		prep, err := proposer.app.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{
			Txs: txs, MaxTxBytes: 1 << 22, Height: height, Time: when,
		})
		if err != nil {
			t.Fatal(err)
		}
		return prep.Txs
	}
	if got := prepare(0); len(got) != len(txs) {
		t.Fatalf("without a budget the proposal kept %d of %d txs", len(got), len(txs))
	}
	// A budget already spent once the first chunk has executed: that chunk
	// is kept, whole and in order, and nothing after it.
	cut := prepare(time.Nanosecond)
	if len(cut) != preverifyChunk {
		t.Fatalf("with a spent budget the proposal kept %d txs, want the first %d", len(cut), preverifyChunk)
	}
	for i := range cut {
		if !bytes.Equal(cut[i], txs[i]) {
			t.Fatalf("tx %d of the cut proposal is not the mempool's tx %d", i, i)
		}
	}
	if got := validator.processProposal(cut...); got != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("a validator's verdict on the cut proposal = %v", got)
	}
	validator.height, validator.now = height, when
	_, validatorHash := validator.finalize([]byte("cut"), cut)
	if got := proposer.processProposal(cut...); got != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("the proposer's verdict on its own cut proposal = %v", got)
	}
	proposer.height, proposer.now = height, when
	if _, hash := proposer.finalize([]byte("cut"), cut); !bytes.Equal(hash, validatorHash) {
		t.Fatalf("proposer's app hash %X, validator's %X", hash, validatorHash)
	}
	// What was left out is still admissible next block.
	for _, raw := range txs[len(cut):] {
		if res := proposer.checkTx(raw); res.Code != 0 {
			t.Fatalf("a left-out tx no longer checks: %s", res.Log)
		}
	}
}
