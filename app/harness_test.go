package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/lineageledger/lineaged/app/modules"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

const testChainID = "lineage-test"

var genesisTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// testKey derives a fixed key from a name so that runs are reproducible.
func testKey(t testing.TB, name string, typ keysv1.KeyType) *keys.PrivateKey {
	t.Helper()
	seed := sha256.Sum256([]byte(name))
	k, err := keys.PrivateKeyFromBytes(typ, seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// actor is a test account: its key and the sequence of its next tx.
type actor struct {
	key *keys.PrivateKey
	seq uint64
}

func (a *actor) addr() string { return keys.Address(a.key.Public()) }

// chain drives an App through the ABCI calls CometBFT would make.
type chain struct {
	t      testing.TB
	app    *App
	store  *store.Store
	height int64
	now    time.Time
	// admin of org "alpha" holds every role; ed25519.
	admin *actor
	// steward of org "alpha" holds only data-steward; p256.
	steward *actor
	// beta is the admin of org "beta" (admin only); secp256k1.
	beta *actor
	// blocks records every finalized block, for replays.
	blocks []finalized
	// lastDecided says the last block decided a governance proposal.
	lastDecided bool
}

// finalized is a block as FinalizeBlock saw it, with the hash it produced.
type finalized struct {
	txs     [][]byte
	hash    []byte
	results []*abci.ExecTxResult
}

func testGenesis(admin, steward, beta *actor) *appv1.Genesis {
	return &appv1.Genesis{
		Params: modules.DefaultParams(),
		Membership: &membershippb.Genesis{
			// Alpha publishes under the acme brand: the consortium reserved
			// that namespace for it.
			Orgs: []*membershippb.Org{{Id: "alpha", Name: "Alpha Labs", Namespaces: []string{"acme"}}, {Id: "beta", Name: "Beta Data"}},
			Accounts: []*membershippb.GenesisAccount{
				{OrgId: "alpha", PublicKey: admin.key.Public(), Roles: allRoles(), Label: "admin"},
				{OrgId: "alpha", PublicKey: steward.key.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_DATA_STEWARD}},
				{OrgId: "beta", PublicKey: beta.key.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}},
			},
		},
	}
}

func allRoles() []membershippb.Role {
	var out []membershippb.Role
	for v := range membershippb.Role_name {
		if v != 0 {
			out = append(out, membershippb.Role(v))
		}
	}
	return out
}

func newChain(t testing.TB) *chain {
	t.Helper()
	st, err := store.Open(store.Config{Backend: "memdb"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newChainOn(t, st, true)
}

// newChainOn builds the harness over st, running InitChain if init.
func newChainOn(t testing.TB, st *store.Store, init bool, extra ...modules.Module) *chain {
	c := &chain{
		t: t, app: newWith(st, nil, extra...), store: st, now: genesisTime,
		admin:   &actor{key: testKey(t, "admin", keysv1.KeyType_KEY_TYPE_ED25519)},
		steward: &actor{key: testKey(t, "steward", keysv1.KeyType_KEY_TYPE_P256)},
		beta:    &actor{key: testKey(t, "beta", keysv1.KeyType_KEY_TYPE_SECP256K1)},
	}
	c.height, _ = st.LastCommit()
	if init {
		c.initChain(testGenesis(c.admin, c.steward, c.beta))
	}
	return c
}

// initChain runs InitChain with genesis g.
func (c *chain) initChain(g *appv1.Genesis) {
	c.t.Helper()
	gen, err := modules.GenesisJSON(g)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.app.InitChain(context.Background(), &abci.InitChainRequest{
		ChainId: testChainID, Time: genesisTime, InitialHeight: 1, AppStateBytes: gen,
	}); err != nil {
		c.t.Fatalf("InitChain: %v", err)
	}
}

// body starts a transaction body for a carrying msg (nil: no message),
// with a's next sequence.
func (c *chain) body(a *actor, msg proto.Message) *txv1.TxBody {
	b := &txv1.TxBody{ChainId: testChainID, Signer: a.addr(), Sequence: a.seq}
	if msg != nil {
		if err := SetMsg(b, msg); err != nil {
			c.t.Fatal(err)
		}
	}
	return b
}

// sign encodes b signed by key.
func (c *chain) sign(key *keys.PrivateKey, b *txv1.TxBody) []byte {
	raw, err := EncodeTx(b, key.Sign)
	if err != nil {
		c.t.Fatal(err)
	}
	return raw
}

// tx builds a signed transaction from a and advances a's sequence.
func (c *chain) tx(a *actor, msg proto.Message) []byte {
	raw := c.sign(a.key, c.body(a, msg))
	a.seq++
	return raw
}

func (c *chain) checkTx(raw []byte) *abci.CheckTxResponse {
	res, err := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
	if err != nil {
		c.t.Fatal(err)
	}
	return res
}

// block runs a block the way a validator sees it: ProcessProposal, then
// FinalizeBlock and Commit. It returns the results and the app hash.
func (c *chain) block(txs ...[]byte) ([]*abci.ExecTxResult, []byte) {
	c.t.Helper()
	// CheckTx runs only the handlers of routes that change admission: no
	// other message may change what admission reads, whatever a test sends.
	var before []byte
	if h, _ := c.store.LastCommit(); h > 0 && !c.anyChangesAdmission(txs) {
		before = c.admissionState()
		defer func() {
			// Governance executes passed proposals at the end of a block,
			// which can change admission; CheckTx starts again from the
			// committed state after every block, so that is no concern here.
			if !c.lastDecided && !bytes.Equal(before, c.admissionState()) {
				c.t.Errorf("height %d changed the state admission reads, with no message whose route changes admission", c.height)
			}
		}()
	}
	c.height++
	c.now = c.now.Add(time.Second)
	hash := sha256.Sum256([]byte(fmt.Sprint("block", c.height, len(txs))))
	pp, err := c.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{
		Txs: txs, Hash: hash[:], Height: c.height, Time: c.now,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	if pp.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		c.t.Fatalf("height %d: proposal rejected", c.height)
	}
	return c.finalize(hash[:], txs)
}

// anyChangesAdmission reports whether some tx of txs (those that decode)
// carries a message whose route changes admission.
func (c *chain) anyChangesAdmission(txs [][]byte) bool {
	for _, raw := range txs {
		if d, err := c.app.decode(raw, int(modules.DefaultParams().MaxTxBytes)); err == nil && d.route != nil && d.route.ChangesAdmission() {
			return true
		}
	}
	return false
}

// admissionState digests what admit reads of the committed state but the
// sequences: the membership module's keys and values, with every
// account's sequence zeroed (every transaction spends one).
func (c *chain) admissionState() []byte {
	c.t.Helper()
	m, _ := c.app.mods.Module("membership")
	start := []byte{m.Prefix}
	it := c.store.Committed().Iterator(start, kit.PrefixEnd(start), false)
	defer it.Close()
	h := sha256.New()
	for ; it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) > 1 && k[1] == 0x02 { // an account (x/membership/keys.go)
			var a membershippb.Account
			if err := proto.Unmarshal(v, &a); err != nil {
				c.t.Fatalf("account %x: %v", k, err)
			}
			a.Sequence = 0
			var err error
			if v, err = (proto.MarshalOptions{Deterministic: true}).Marshal(&a); err != nil {
				c.t.Fatal(err)
			}
		}
		fmt.Fprintf(h, "%d:%x=%d:%x;", len(k), k, len(v), v)
	}
	return h.Sum(nil)
}

// finalize runs FinalizeBlock and Commit only, as a full node does.
func (c *chain) finalize(hash []byte, txs [][]byte) ([]*abci.ExecTxResult, []byte) {
	c.t.Helper()
	fb, err := c.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{
		Txs: txs, Hash: hash, Height: c.height, Time: c.now,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		c.t.Fatal(err)
	}
	c.blocks = append(c.blocks, finalized{txs: txs, hash: fb.AppHash, results: fb.TxResults})
	c.lastDecided = false
	for _, ev := range fb.Events {
		if ev.Type == "gov.proposal_decided" {
			c.lastDecided = true
		}
	}
	return fb.TxResults, fb.AppHash
}

// mustBlock runs a block and fails unless every tx succeeded.
func (c *chain) mustBlock(txs ...[]byte) []byte {
	c.t.Helper()
	res, hash := c.block(txs...)
	for i, r := range res {
		if r.Code != 0 {
			c.t.Fatalf("height %d tx %d: %s/%d %s", c.height, i, r.Codespace, r.Code, r.Log)
		}
	}
	return hash
}

func (c *chain) account(addr string) *membershippb.Account {
	c.t.Helper()
	var resp membershippb.QueryAccountResponse
	if err := c.query("/lineage.membership.v1.Query/Account", &membershippb.QueryAccountRequest{Address: addr}, &resp); err != nil {
		c.t.Fatal(err)
	}
	return resp.Account
}

func (c *chain) query(path string, req, resp proto.Message) error {
	raw, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: path, Data: raw})
	if err != nil {
		return err
	}
	if res.Code != 0 {
		return fmt.Errorf("%s/%d: %s", res.Codespace, res.Code, res.Log)
	}
	return proto.Unmarshal(res.Value, resp)
}

func appHash(c *chain) []byte {
	_, h := c.store.LastCommit()
	return bytes.Clone(h)
}

func unmarshalTx(raw []byte, tx *txv1.Tx) error { return proto.Unmarshal(raw, tx) }
