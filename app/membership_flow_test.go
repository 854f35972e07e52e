package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lineageledger/lineaged/app/modules"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// signedBy builds a transaction of the account at addr with sequence seq,
// signed by key. Unlike c.tx it works for accounts whose key was rotated
// (the address no longer derives from the signing key).
func (c *chain) signedBy(key *keys.PrivateKey, addr string, seq uint64, msg proto.Message) []byte {
	c.t.Helper()
	b := c.body(&actor{key: key, seq: seq}, msg)
	b.Signer = addr
	return c.sign(key, b)
}

// rotateMsg is a key rotation of the account at addr, in a transaction with
// sequence seq, to newKey, with newKey's proof of possession.
func rotateMsg(t testing.TB, newKey *keys.PrivateKey, addr string, seq uint64) *membershippb.MsgRotateKey {
	t.Helper()
	ab, err := keys.ParseAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := newKey.Sign(membership.RotationSignBytes(testChainID, ab, seq))
	if err != nil {
		t.Fatal(err)
	}
	return &membershippb.MsgRotateKey{NewPublicKey: newKey.Public(), NewKeySignature: sig}
}

// wantCode checks a result's codespace and code; want nil means success.
func wantCode(t testing.TB, what string, gotCS string, gotCode uint32, gotLog string, want *kit.Error) {
	t.Helper()
	if want == nil {
		if gotCode != 0 {
			t.Fatalf("%s = %s/%d %q, want success", what, gotCS, gotCode, gotLog)
		}
		return
	}
	if gotCS != want.Codespace || gotCode != want.Code {
		t.Fatalf("%s = %s/%d %q, want %s/%d (%s)", what, gotCS, gotCode, gotLog, want.Codespace, want.Code, want.Message)
	}
}

func (c *chain) processProposal(txs ...[]byte) abci.ProcessProposalStatus {
	c.t.Helper()
	pp, err := c.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{
		Txs: txs, Hash: []byte("probe"), Height: c.height + 1, Time: c.now.Add(time.Second),
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return pp.Status
}

func (c *chain) recheck(raw []byte) *abci.CheckTxResponse {
	c.t.Helper()
	res, err := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_RECHECK})
	if err != nil {
		c.t.Fatal(err)
	}
	return res
}

// fullNodeBlock runs FinalizeBlock and Commit for the next height without
// ProcessProposal, as a node that did not vote on the block does.
func (c *chain) fullNodeBlock(txs ...[]byte) ([]*abci.ExecTxResult, []byte) {
	c.t.Helper()
	c.height++
	c.now = c.now.Add(time.Second)
	return c.finalize([]byte("full-node"), txs)
}

// TestKeyRotationFlow: an account rotates its key with a transaction signed
// by the old key; from then on only the new key signs for it, and the old
// key is retired for good.
func TestKeyRotationFlow(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	addr := c.admin.addr()
	oldKey := c.admin.key
	newKey := testKey(t, "admin-rotated", keysv1.KeyType_KEY_TYPE_P256)

	rot := c.signedBy(oldKey, addr, 0, rotateMsg(t, newKey, addr, 0))
	if res := c.checkTx(rot); res.Code != 0 {
		t.Fatalf("CheckTx(rotation) = %s/%d %s", res.Codespace, res.Code, res.Log)
	}
	c.mustBlock(rot)
	rotatedAt := c.height

	acct := c.account(addr)
	if !proto.Equal(acct.PublicKey, newKey.Public()) {
		t.Fatalf("public key after rotation = %v, want %v", acct.PublicKey, newKey.Public())
	}
	if acct.Address != addr || acct.KeyRotatedHeight != rotatedAt || acct.Sequence != 1 {
		t.Fatalf("after rotation: address %s (want %s), key_rotated_height %d (want %d), sequence %d (want 1)",
			acct.Address, addr, acct.KeyRotatedHeight, rotatedAt, acct.Sequence)
	}

	add := func(name string) *membershippb.MsgAddAccount {
		return &membershippb.MsgAddAccount{PublicKey: testKey(t, name, keysv1.KeyType_KEY_TYPE_ED25519).Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}
	}
	// Transactions checked against the state right after the rotation. Only
	// the last one is admitted.
	cases := []struct {
		name string
		raw  []byte
		want *kit.Error
	}{
		{"old key, next sequence", c.signedBy(oldKey, addr, 1, add("r1")), modules.ErrBadSignature},
		{"old key, replayed rotation", rot, modules.ErrBadSignature},
		{"new key, spent sequence", c.signedBy(newKey, addr, 0, add("r2")), modules.ErrSequenceReused},
		{"new key, sequence ahead", c.signedBy(newKey, addr, 2, add("r3")), modules.ErrSequenceFuture},
		{"new key, next sequence", c.signedBy(newKey, addr, 1, add("r4")), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.app.check = store.NewCache(c.store.Committed()) // each case sees the committed state
			res := c.checkTx(tc.raw)
			wantCode(t, "CheckTx", res.Codespace, res.Code, res.Log, tc.want)
			if tc.want != nil {
				if got := c.processProposal(tc.raw); got != abci.PROCESS_PROPOSAL_STATUS_REJECT {
					t.Fatalf("ProcessProposal = %v, want REJECT", got)
				}
			}
		})
	}

	// In a block: the old key's transaction is refused, the new key's runs.
	res, _ := c.fullNodeBlock(cases[0].raw, cases[4].raw)
	wantCode(t, "old-key tx in block", res[0].Codespace, res[0].Code, res[0].Log, modules.ErrBadSignature)
	wantCode(t, "new-key tx in block", res[1].Codespace, res[1].Code, res[1].Log, nil)
	if got := c.account(addr).Sequence; got != 2 {
		t.Fatalf("sequence = %d, want 2", got)
	}

	// The retired key can never come back as an account, and the rotation
	// proof cannot be reused for another key: both fail in the handler.
	retired := c.signedBy(newKey, addr, 2, &membershippb.MsgAddAccount{PublicKey: oldKey.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}})
	third := testKey(t, "admin-third", keysv1.KeyType_KEY_TYPE_ED25519)
	staleProof := rotateMsg(t, third, addr, 0) // bound to sequence 0, used at 3
	reuse := c.signedBy(newKey, addr, 3, staleProof)
	res, _ = c.block(retired, reuse)
	wantCode(t, "re-adding the retired key", res[0].Codespace, res[0].Code, res[0].Log, membership.ErrKeyAlreadyUsed)
	wantCode(t, "rotation with a stale proof", res[1].Codespace, res[1].Code, res[1].Log, membership.ErrInvalidKeyProof)
	if acct := c.account(addr); acct.Sequence != 4 || !proto.Equal(acct.PublicKey, newKey.Public()) {
		t.Fatalf("after failed handlers: sequence %d (want 4), key %v (want the rotated key)", acct.Sequence, acct.PublicKey)
	}
}

func mustMemStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(store.Config{Backend: "memdb"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestRotationAndNewKeyInSameBlock: a transaction signed by the new key may
// follow its rotation in the same block, in the mempool as in the block; in
// the opposite order it is not admitted (the account does not have the new
// key yet, so its signature does not verify).
func TestRotationAndNewKeyInSameBlock(t *testing.T) {
	cases := []struct {
		name     string
		newFirst bool
		wantPP   abci.ProcessProposalStatus
		want     [2]*kit.Error // results in block order, on the full-node path
	}{
		{"rotation first", false, abci.PROCESS_PROPOSAL_STATUS_ACCEPT, [2]*kit.Error{nil, nil}},
		{"new-key tx first", true, abci.PROCESS_PROPOSAL_STATUS_REJECT, [2]*kit.Error{modules.ErrBadSignature, nil}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t)
			c.mustBlock()
			addr := c.beta.addr() // secp256k1, rotating to ed25519
			newKey := testKey(t, "beta-rotated", keysv1.KeyType_KEY_TYPE_ED25519)
			added := testKey(t, "beta-added", keysv1.KeyType_KEY_TYPE_P256)
			rot := c.signedBy(c.beta.key, addr, 0, rotateMsg(t, newKey, addr, 0))
			next := c.signedBy(newKey, addr, 1, &membershippb.MsgAddAccount{PublicKey: added.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}})
			txs := [][]byte{rot, next}
			if tc.newFirst {
				txs = [][]byte{next, rot}
			}
			for i, raw := range txs {
				res := c.checkTx(raw)
				wantCode(t, fmt.Sprintf("CheckTx #%d", i), res.Codespace, res.Code, res.Log, tc.want[i])
			}
			if got := c.processProposal(txs...); got != tc.wantPP {
				t.Fatalf("ProcessProposal = %v, want %v", got, tc.wantPP)
			}
			res, _ := c.fullNodeBlock(txs...)
			for i, r := range res {
				wantCode(t, fmt.Sprintf("FinalizeBlock #%d", i), r.Codespace, r.Code, r.Log, tc.want[i])
			}
			acct := c.account(addr)
			if !proto.Equal(acct.PublicKey, newKey.Public()) {
				t.Fatalf("key after block = %v, want the new key", acct.PublicKey)
			}
			var resp membershippb.QueryAccountResponse
			err := c.query("/lineage.membership.v1.Query/Account", &membershippb.QueryAccountRequest{Address: keys.Address(added.Public())}, &resp)
			if created := err == nil; created != !tc.newFirst {
				t.Fatalf("account added by the new key exists = %v (%v), want %v", created, err, !tc.newFirst)
			}
			if err == nil && resp.Account.OrgId != "beta" {
				t.Fatalf("added account org = %q, want beta", resp.Account.OrgId)
			}
		})
	}
}

// TestSuspensionInvalidatesPendingTx: a transaction admitted to the mempool
// is dropped on recheck once its signer's suspension commits, and comes back
// after reinstatement.
func TestSuspensionInvalidatesPendingTx(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	stewardAddr := c.steward.addr()
	pending := c.signedBy(c.steward.key, stewardAddr, 0, rotateMsg(t, testKey(t, "steward-next", keysv1.KeyType_KEY_TYPE_ED25519), stewardAddr, 0))
	if res := c.checkTx(pending); res.Code != 0 {
		t.Fatalf("CheckTx(pending) = %s/%d %s", res.Codespace, res.Code, res.Log)
	}
	steps := []struct {
		name  string
		block [][]byte
		want  *kit.Error
	}{
		{"suspended", [][]byte{c.tx(c.admin, &membershippb.MsgSuspendAccount{Address: stewardAddr, Reason: "laptop stolen"})}, modules.ErrSignerSuspended},
		{"unrelated block", nil, modules.ErrSignerSuspended},
		{"reinstated", [][]byte{c.tx(c.admin, &membershippb.MsgReinstateAccount{Address: stewardAddr})}, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			c.mustBlock(s.block...)
			res := c.recheck(pending)
			wantCode(t, "recheck", res.Codespace, res.Code, res.Log, s.want)
			if s.want != nil && res.Log == "" {
				t.Fatal("rejection without a log")
			}
		})
	}
	if acct := c.account(stewardAddr); acct.Sequence != 0 || acct.Status != membershippb.AccountStatus_ACCOUNT_STATUS_ACTIVE || acct.SuspensionReason != "" {
		t.Fatalf("steward after reinstatement: sequence %d, status %v, reason %q", acct.Sequence, acct.Status, acct.SuspensionReason)
	}
}

// TestRoleRemovalTakesEffectWithinBlock: once a transaction revokes an
// account's role, the account's next transaction in the same block is not
// admitted; in the opposite order both run.
func TestRoleRemovalTakesEffectWithinBlock(t *testing.T) {
	cases := []struct {
		name         string
		revokeFirst  bool
		wantPP       abci.ProcessProposalStatus
		wantPrepared int // transactions PrepareProposal keeps
		wantRevoke   *kit.Error
		wantAdd      *kit.Error
		wantAdded    bool
		wantSequence uint64 // of the demoted account afterwards
	}{
		{"revoke then use", true, abci.PROCESS_PROPOSAL_STATUS_REJECT, 1, nil, modules.ErrMissingRole, false, 0},
		{"use then revoke", false, abci.PROCESS_PROPOSAL_STATUS_ACCEPT, 2, nil, nil, true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t)
			deputy := &actor{key: testKey(t, "deputy", keysv1.KeyType_KEY_TYPE_SECP256K1)}
			c.mustBlock(c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: deputy.key.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_ADMIN, membershippb.Role_ROLE_AUDITOR}}))
			newcomer := testKey(t, "newcomer", keysv1.KeyType_KEY_TYPE_ED25519)
			revoke := c.tx(c.admin, &membershippb.MsgSetRoles{Address: deputy.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}})
			use := c.tx(deputy, &membershippb.MsgAddAccount{PublicKey: newcomer.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}})
			txs, iRevoke, iUse := [][]byte{use, revoke}, 1, 0
			if tc.revokeFirst {
				txs, iRevoke, iUse = [][]byte{revoke, use}, 0, 1
			}
			prep, err := c.app.PrepareProposal(context.Background(), &abci.PrepareProposalRequest{Txs: txs, MaxTxBytes: 1 << 20, Height: c.height + 1, Time: c.now})
			if err != nil {
				t.Fatal(err)
			}
			if len(prep.Txs) != tc.wantPrepared {
				t.Fatalf("PrepareProposal kept %d txs, want %d", len(prep.Txs), tc.wantPrepared)
			}
			if got := c.processProposal(txs...); got != tc.wantPP {
				t.Fatalf("ProcessProposal = %v, want %v", got, tc.wantPP)
			}
			res, _ := c.fullNodeBlock(txs...)
			wantCode(t, "revoke", res[iRevoke].Codespace, res[iRevoke].Code, res[iRevoke].Log, tc.wantRevoke)
			wantCode(t, "use", res[iUse].Codespace, res[iUse].Code, res[iUse].Log, tc.wantAdd)
			var resp membershippb.QueryAccountResponse
			err = c.query("/lineage.membership.v1.Query/Account", &membershippb.QueryAccountRequest{Address: keys.Address(newcomer.Public())}, &resp)
			if got := err == nil; got != tc.wantAdded {
				t.Fatalf("newcomer exists = %v (%v), want %v", got, err, tc.wantAdded)
			}
			d := c.account(deputy.addr())
			if d.Sequence != tc.wantSequence || membership.HasRole(d, membershippb.Role_ROLE_ADMIN) {
				t.Fatalf("deputy: sequence %d (want %d), roles %v (want admin revoked)", d.Sequence, tc.wantSequence, d.Roles)
			}
		})
	}
}
