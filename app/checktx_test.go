package app

import (
	"context"
	"github.com/lineageledger/lineaged/app/modules"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
	"github.com/lineageledger/lineaged/x/lineage"
	lineagepb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

// registered returns a chain on which alpha's admin has defined a licence
// and registered the dataset it returns.
func registered(t *testing.T) (*chain, *lineagepb.DatasetSpec) {
	t.Helper()
	c := newChain(t)
	c.mustBlock(c.tx(c.admin, &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{Id: "cc-by-4.0", SpdxId: "CC-BY-4.0",
		Usage: &licensespb.Usage{CommercialUse: true, Derivatives: true, AiTraining: true}}}))
	spec := &lineagepb.DatasetSpec{Digest: contentDigest("first"), Namespace: "c", Name: "raw", Version: "1", LicenseIds: []string{"cc-by-4.0"}}
	c.mustBlock(c.tx(c.admin, &lineagepb.MsgRegisterDataset{Dataset: spec}))
	return c, spec
}

// TestCheckTxAdmitsWithoutHandler: by default CheckTx decides admission
// only. A transaction its handler will refuse enters the mempool, spends
// its sequence there, and fails in the block with the handler's error,
// its sequence spent and nothing else written.
func TestCheckTxAdmitsWithoutHandler(t *testing.T) {
	c, spec := registered(t)
	dup := c.tx(c.admin, &lineagepb.MsgRegisterDataset{Dataset: spec})
	next := c.tx(c.admin, &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{
		Digest: contentDigest("second"), Namespace: "c", Name: "raw", Version: "2", LicenseIds: []string{"cc-by-4.0"}}})
	for _, raw := range [][]byte{dup, next} {
		if res := c.checkTx(raw); res.Code != 0 {
			t.Fatalf("CheckTx = %s/%d %s, want admitted", res.Codespace, res.Code, res.Log)
		}
	}
	// The mempool's view spent both sequences: a replay of either is refused.
	if res := c.checkTx(dup); res.Code != modules.ErrSequenceReused.Code || res.Codespace != modules.Codespace {
		t.Fatalf("replayed CheckTx = %s/%d %s, want the sequence refused", res.Codespace, res.Code, res.Log)
	}
	before := c.account(c.admin.addr()).Sequence
	results, _ := c.block(dup, next)
	if results[0].Code != lineage.ErrDatasetExists.Code || results[0].Codespace != lineage.Codespace {
		t.Fatalf("duplicate in the block = %s/%d %s, want %s/%d", results[0].Codespace, results[0].Code, results[0].Log,
			lineage.Codespace, lineage.ErrDatasetExists.Code)
	}
	if results[1].Code != 0 {
		t.Fatalf("second registration = %s/%d %s", results[1].Codespace, results[1].Code, results[1].Log)
	}
	if got := c.account(c.admin.addr()).Sequence; got != before+2 {
		t.Fatalf("sequence %d after the block, want %d", got, before+2)
	}
}

// TestCheckTxRunsHandlersWhenSet: a node set to run handlers in CheckTx
// refuses a transaction its handler refuses, with the handler's error, and
// its mempool view is untouched: the same sequence is admitted next.
func TestCheckTxRunsHandlersWhenSet(t *testing.T) {
	c, spec := registered(t)
	c.app.SetCheckHandlers(true)
	seq := c.admin.seq
	dup := c.tx(c.admin, &lineagepb.MsgRegisterDataset{Dataset: spec})
	res := c.checkTx(dup)
	if res.Code != lineage.ErrDatasetExists.Code || res.Codespace != lineage.Codespace {
		t.Fatalf("CheckTx(duplicate) = %s/%d %s, want %s/%d", res.Codespace, res.Code, res.Log, lineage.Codespace, lineage.ErrDatasetExists.Code)
	}
	c.admin.seq = seq
	retry := c.tx(c.admin, &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{
		Digest: contentDigest("second"), Namespace: "c", Name: "raw", Version: "2", LicenseIds: []string{"cc-by-4.0"}}})
	if res := c.checkTx(retry); res.Code != 0 {
		t.Fatalf("CheckTx(same sequence, valid) = %s/%d %s", res.Codespace, res.Code, res.Log)
	}
	// A transaction that builds on one still in the mempool is checked
	// against its effects: a run over the dataset registered just above.
	run := c.tx(c.admin, &lineagepb.MsgRecordRun{Inputs: []string{contentDigest("second")}, CodeDigest: contentDigest("code"),
		Executor: "ci", NewOutputs: []*lineagepb.DatasetSpec{{Digest: contentDigest("derived"), Namespace: "c", Name: "derived", Version: "1", LicenseIds: []string{"cc-by-4.0"}}}})
	if res := c.checkTx(run); res.Code != 0 {
		t.Fatalf("CheckTx(run over a pending dataset) = %s/%d %s", res.Codespace, res.Code, res.Log)
	}
	c.mustBlock(retry, run)
}

// TestCheckTxRunsMembershipHandlers: membership messages change who may
// sign, so CheckTx runs them even when it runs no other handler: an
// account's first transaction is admitted while the transaction adding it
// still waits in the mempool.
func TestCheckTxRunsMembershipHandlers(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	newcomer := &actor{key: testKey(t, "newcomer", keysv1.KeyType_KEY_TYPE_ED25519)}
	add := c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: newcomer.key.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_DATA_STEWARD}})
	first := c.tx(newcomer, &lineagepb.MsgRegisterDataset{Dataset: &lineagepb.DatasetSpec{Digest: contentDigest("newcomer"), Namespace: "n", Name: "raw", Version: "1"}})
	for i, raw := range [][]byte{add, first} {
		if res := c.checkTx(raw); res.Code != 0 {
			t.Fatalf("CheckTx #%d = %s/%d %s", i, res.Codespace, res.Code, res.Log)
		}
	}
	results, _ := c.block(add, first)
	if results[0].Code != 0 {
		t.Fatalf("add account = %s/%d %s", results[0].Codespace, results[0].Code, results[0].Log)
	}
	if acct := c.account(newcomer.addr()); acct.Sequence != 1 {
		t.Fatalf("newcomer's sequence = %d after its first transaction, want 1", acct.Sequence)
	}
}

// TestCarriedSignatureCheckedAhead: the publisher's signature a model
// registration carries is checked and remembered before the lock, with the
// transaction's own (verifyAhead), and with a block's unseen transactions
// in parallel (preverify), so that the block's sequential execution finds
// it checked. Neither runs the handler.
func TestCarriedSignatureCheckedAhead(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	register := func(name string) []byte {
		manifest := contentDigest(name)
		sig, err := c.admin.key.Sign(models.ManifestSignBytes(manifest))
		if err != nil {
			t.Fatal(err)
		}
		return c.tx(c.admin, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: "alpha/" + name, Version: "1.0", ManifestDigest: manifest},
			PublisherSignature: sig})
	}
	if c.app.verifyAhead(register("ahead")) == nil {
		t.Fatal("verifyAhead decoded nothing")
	}
	if n := len(c.app.detached.entries); n != 1 {
		t.Fatalf("%d publisher signatures remembered by verifyAhead, want 1", n)
	}
	// A block of transactions this node never saw: two more signatures.
	c.app.preverify(c.store.Committed(), modules.DefaultParams().MaxTxBytes, [][]byte{register("block-a"), register("block-b")})
	if n := len(c.app.detached.entries); n != 3 {
		t.Fatalf("%d publisher signatures remembered after preverify, want 3", n)
	}
}

// TestCheckTxRefusesForgedCarriedSignature: a model registration whose
// publisher signature does not verify against its signer's key is refused
// by CheckTx, as one whose own signature fails, and nothing is spent.
func TestCheckTxRefusesForgedCarriedSignature(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	manifest := contentDigest("manifest")
	forged, err := c.steward.key.Sign(models.ManifestSignBytes(manifest)) // not the signer's key
	if err != nil {
		t.Fatal(err)
	}
	seq := c.admin.seq
	raw := c.tx(c.admin, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: "alpha/bot", Version: "1.0", ManifestDigest: manifest},
		PublisherSignature: forged})
	res := c.checkTx(raw)
	if res.Codespace != models.Codespace || res.Code != models.ErrBadPublisherSignature.Code {
		t.Fatalf("CheckTx(forged publisher signature) = %s/%d %s, want %s/%d", res.Codespace, res.Code, res.Log,
			models.Codespace, models.ErrBadPublisherSignature.Code)
	}
	c.admin.seq = seq
	if res := c.checkTx(c.tx(c.admin, &modelspb.MsgRegisterModel{Model: &modelspb.ModelSpec{Name: "alpha/bot", Version: "1.0", ManifestDigest: manifest}})); res.Code != 0 {
		t.Fatalf("CheckTx(unsigned model, same sequence) = %s/%d %s", res.Codespace, res.Code, res.Log)
	}
}

// simulate runs raw through SimulatePath as a client would.
func (c *chain) simulate(raw []byte) (*abci.ExecTxResult, *abci.QueryResponse) {
	c.t.Helper()
	q, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: SimulatePath, Data: raw})
	if err != nil {
		c.t.Fatal(err)
	}
	var res abci.ExecTxResult
	if q.Code == 0 {
		if err := res.Unmarshal(q.Value); err != nil {
			c.t.Fatal(err)
		}
	}
	return &res, q
}

// TestSimulate: the simulation path runs a transaction's handler on the
// mempool's view, as its block would, and spends or writes nothing.
func TestSimulate(t *testing.T) {
	c, spec := registered(t)
	seq := c.admin.seq
	dup := c.tx(c.admin, &lineagepb.MsgRegisterDataset{Dataset: spec})
	res, q := c.simulate(dup)
	if q.Code != 0 || res.Code != lineage.ErrDatasetExists.Code || res.Codespace != lineage.Codespace {
		t.Fatalf("simulated duplicate = query %d %q, result %s/%d %s", q.Code, q.Log, res.Codespace, res.Code, res.Log)
	}
	if h, _ := c.store.LastCommit(); q.Height != h {
		t.Fatalf("simulation at height %d, want the committed %d", q.Height, h)
	}
	c.admin.seq = seq
	fresh := &lineagepb.DatasetSpec{Digest: contentDigest("fresh"), Namespace: "c", Name: "raw", Version: "2", LicenseIds: []string{"cc-by-4.0"}}
	ok := c.tx(c.admin, &lineagepb.MsgRegisterDataset{Dataset: fresh})
	res, _ = c.simulate(ok)
	if res.Code != 0 {
		t.Fatalf("simulated registration = %s/%d %s", res.Codespace, res.Code, res.Log)
	}
	registeredEvent := false
	for _, ev := range res.Events {
		registeredEvent = registeredEvent || ev.Type == "lineage.dataset_registered"
	}
	if !registeredEvent {
		t.Fatalf("simulated registration emitted %v, want lineage.dataset_registered", res.Events)
	}
	// Nothing was spent or written: the same bytes are admitted and
	// executed, and the simulation of a garbage transaction says why.
	if res := c.checkTx(ok); res.Code != 0 {
		t.Fatalf("CheckTx after the simulation = %s/%d %s", res.Codespace, res.Code, res.Log)
	}
	c.mustBlock(ok)
	if res, _ := c.simulate([]byte("not a transaction")); res.Code != modules.ErrMalformedTx.Code || res.Codespace != modules.Codespace {
		t.Fatalf("simulated garbage = %s/%d %s", res.Codespace, res.Code, res.Log)
	}
	if _, q := c.simulate(ok); q.Code != 0 {
		t.Fatalf("simulating a committed transaction failed as a query: %q", q.Log)
	} else if res, _ := c.simulate(ok); res.Code != modules.ErrSequenceReused.Code {
		t.Fatalf("simulated replay = %s/%d %s, want the sequence refused", res.Codespace, res.Code, res.Log)
	}
	// Proofs and past heights make no sense for it.
	if q, _ := c.app.Query(context.Background(), &abci.QueryRequest{Path: SimulatePath, Data: ok, Prove: true}); q.Code != modules.ErrInvalidRequest.Code {
		t.Fatalf("simulation with proofs = %d %q", q.Code, q.Log)
	}
}
