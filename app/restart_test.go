package app

import (
	"bytes"
	"context"
	"github.com/lineageledger/lineaged/app/modules"
	"slices"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

func openPebble(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(store.Config{Backend: "pebbledb", Dir: dir})
	if err != nil {
		t.Fatalf("open pebbledb store: %v", err)
	}
	return st
}

func info(t *testing.T, a *App) *abci.InfoResponse {
	t.Helper()
	res, err := a.Info(context.Background(), &abci.InfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRestartKeepsLastCommit: a node killed between FinalizeBlock and
// Commit restarts at its last commit, reports it to CometBFT's handshake,
// and replaying the unfinished block gives the hash the first attempt gave.
func TestRestartKeepsLastCommit(t *testing.T) {
	dir := t.TempDir()
	st := openPebble(t, dir)
	c := newChainOn(t, st, true)

	// Committed history; each entry says what a client was told happened.
	type promise struct {
		addr  string
		org   string
		roles []membershippb.Role
		key   *keys.PrivateKey
	}
	var promised []promise
	newAcct := func(name string, org string, roles ...membershippb.Role) (*keys.PrivateKey, string) {
		k := testKey(t, name, keysv1.KeyType_KEY_TYPE_ED25519)
		promised = append(promised, promise{keys.Address(k.Public()), org, roles, k})
		return k, keys.Address(k.Public())
	}
	k1, a1 := newAcct("restart-1", "alpha", membershippb.Role_ROLE_AUDITOR)
	k2, _ := newAcct("restart-2", "beta", membershippb.Role_ROLE_ADMIN)
	c.mustBlock(
		c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: k1.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}),
		c.tx(c.beta, &membershippb.MsgAddAccount{PublicKey: k2.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}}),
	)
	k3, _ := newAcct("restart-gamma", "gamma", membershippb.Role_ROLE_ADMIN)
	stewardNew := testKey(t, "restart-steward", keysv1.KeyType_KEY_TYPE_SECP256K1)
	c.mustBlock(
		c.tx(c.admin, &membershippb.MsgCreateOrg{OrgId: "gamma", Name: "Gamma", AdminPublicKey: k3.Public(), AdminRoles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}}),
		c.signedBy(c.steward.key, c.steward.addr(), 0, rotateMsg(t, stewardNew, c.steward.addr(), 0)),
	)
	promised[0].roles = []membershippb.Role{membershippb.Role_ROLE_LICENSOR, membershippb.Role_ROLE_AUDITOR}
	c.mustBlock(c.tx(c.admin, &membershippb.MsgSetRoles{Address: a1, Roles: promised[0].roles}))
	c.mustBlock()

	lastHeight, lastHash := st.LastCommit()
	lastHash = bytes.Clone(lastHash)
	if lastHeight != 4 {
		t.Fatalf("committed height = %d, want 4", lastHeight)
	}

	// The next block is finalized but the process dies before Commit.
	k4 := testKey(t, "restart-uncommitted", keysv1.KeyType_KEY_TYPE_P256)
	crashReq := &abci.FinalizeBlockRequest{
		Txs: [][]byte{
			c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: k4.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}),
			c.tx(c.admin, &membershippb.MsgSuspendAccount{Address: a1, Reason: "left"}),
			c.tx(c.beta, &membershippb.MsgCreateOrg{OrgId: "delta", Name: "Delta", AdminPublicKey: k4.Public()}), // beta lacks consortium-admin
		},
		Hash: []byte("block-5"), Height: lastHeight + 1, Time: c.now.Add(time.Second),
	}
	first, err := c.app.FinalizeBlock(context.Background(), crashReq)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first.AppHash, lastHash) {
		t.Fatal("the uncommitted block did not change the working hash")
	}
	if got := info(t, c.app); got.LastBlockHeight != lastHeight || !bytes.Equal(got.LastBlockAppHash, lastHash) {
		t.Fatalf("Info before Commit = %d %X, want the last commit %d %X", got.LastBlockHeight, got.LastBlockAppHash, lastHeight, lastHash)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	// Restart.
	st2 := openPebble(t, dir)
	t.Cleanup(func() { st2.Close() })
	r := newChainOn(t, st2, false)
	got := info(t, r.app)
	if got.LastBlockHeight != lastHeight || !bytes.Equal(got.LastBlockAppHash, lastHash) {
		t.Fatalf("Info after restart = %d %X, want %d %X", got.LastBlockHeight, got.LastBlockAppHash, lastHeight, lastHash)
	}
	if r.app.chainID != testChainID {
		t.Fatalf("chain id after restart = %q, want %q", r.app.chainID, testChainID)
	}
	// Nothing of the unfinished block survived.
	var resp membershippb.QueryAccountResponse
	if err := r.query(pathAccount, &membershippb.QueryAccountRequest{Address: keys.Address(k4.Public())}, &resp); err == nil {
		t.Fatal("an account from the uncommitted block is visible after restart")
	}
	if acct := r.account(a1); acct.Status != membershippb.AccountStatus_ACCOUNT_STATUS_ACTIVE {
		t.Fatalf("suspension from the uncommitted block survived: %v", acct.Status)
	}

	// Every committed transaction is there.
	for _, p := range promised {
		acct := r.account(p.addr)
		if acct.OrgId != p.org || !slices.Equal(acct.Roles, p.roles) || !proto.Equal(acct.PublicKey, p.key.Public()) {
			t.Errorf("account %s after restart: org %q roles %v; want org %q roles %v", p.addr, acct.OrgId, acct.Roles, p.org, p.roles)
		}
	}
	if acct := r.account(c.steward.addr()); !proto.Equal(acct.PublicKey, stewardNew.Public()) || acct.KeyRotatedHeight != 2 {
		t.Errorf("steward's rotation lost: key %v rotated at %d", acct.PublicKey, acct.KeyRotatedHeight)
	}
	var org membershippb.QueryOrgResponse
	if err := r.query(pathOrg, &membershippb.QueryOrgRequest{OrgId: "gamma"}, &org); err != nil || len(org.Accounts) != 1 {
		t.Errorf("org gamma after restart: %v, %d accounts", err, len(org.Accounts))
	}
	// The harness's actors restart at sequence 0: continue from the chain.
	for _, a := range []*actor{r.admin, r.beta} {
		a.seq = r.account(a.addr()).Sequence
	}
	if r.admin.seq != 3 || r.beta.seq != 1 {
		t.Fatalf("sequences after restart: admin %d (want 3), beta %d (want 1)", r.admin.seq, r.beta.seq)
	}
	// Older versions are still queryable.
	res := r.rawQuery(pathAccount, marshal(t, &membershippb.QueryAccountRequest{Address: a1}), 1)
	var old membershippb.QueryAccountResponse
	if res.Code != 0 || proto.Unmarshal(res.Value, &old) != nil || !slices.Equal(old.Account.GetRoles(), []membershippb.Role{membershippb.Role_ROLE_AUDITOR}) {
		t.Errorf("account at height 1 after restart: %s/%d %q roles %v", res.Codespace, res.Code, res.Log, old.Account.GetRoles())
	}

	// CometBFT's handshake replays the block the app lacks.
	replay, err := r.app.FinalizeBlock(context.Background(), crashReq)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(replay.AppHash, first.AppHash) {
		t.Fatalf("replayed block hash %X, first attempt %X", replay.AppHash, first.AppHash)
	}
	if len(replay.TxResults) != len(first.TxResults) {
		t.Fatalf("replay gave %d results, first attempt %d", len(replay.TxResults), len(first.TxResults))
	}
	for i := range first.TxResults {
		compareResult(t, "replayed tx", first.TxResults[i], replay.TxResults[i])
	}
	if first.TxResults[2].Code != modules.ErrMissingRole.Code {
		t.Errorf("third tx of the replayed block = %s/%d, want tx/%d", first.TxResults[2].Codespace, first.TxResults[2].Code, modules.ErrMissingRole.Code)
	}
	if _, err := r.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
		t.Fatal(err)
	}
	r.height = lastHeight + 1
	r.now = crashReq.Time
	if got := info(t, r.app); got.LastBlockHeight != lastHeight+1 || !bytes.Equal(got.LastBlockAppHash, first.AppHash) {
		t.Fatalf("Info after replay = %d %X, want %d %X", got.LastBlockHeight, got.LastBlockAppHash, lastHeight+1, first.AppHash)
	}
	if acct := r.account(a1); acct.Status != membershippb.AccountStatus_ACCOUNT_STATUS_SUSPENDED {
		t.Fatalf("suspension of the replayed block missing: %v", acct.Status)
	}
	// And the chain goes on.
	r.admin.seq = r.account(r.admin.addr()).Sequence
	r.mustBlock(r.tx(r.admin, &membershippb.MsgReinstateAccount{Address: a1}))
}

// TestRestartBeforeFirstCommit: a node killed after InitChain but before
// the first Commit restarts empty, and InitChain may run again with the
// same result.
func TestRestartBeforeFirstCommit(t *testing.T) {
	dir := t.TempDir()
	st := openPebble(t, dir)
	c := newChainOn(t, st, true)
	genesisHash := bytes.Clone(c.store.WorkingHash())
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2 := openPebble(t, dir)
	t.Cleanup(func() { st2.Close() })
	fresh := New(st2, nil)
	if got := info(t, fresh); got.LastBlockHeight != 0 || len(got.LastBlockAppHash) != 0 {
		t.Fatalf("Info after restart = %d %X, want 0 and no hash", got.LastBlockHeight, got.LastBlockAppHash)
	}
	r := newChainOn(t, st2, true)
	if got := r.store.WorkingHash(); !bytes.Equal(got, genesisHash) {
		t.Fatalf("genesis hash after re-running InitChain = %X, first run %X", got, genesisHash)
	}
	r.mustBlock(r.tx(r.admin, &membershippb.MsgSetRoles{Address: r.steward.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}))
	if got := r.account(r.steward.addr()).Roles; !slices.Equal(got, []membershippb.Role{membershippb.Role_ROLE_AUDITOR}) {
		t.Fatalf("steward roles = %v", got)
	}
}
