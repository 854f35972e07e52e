package app

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/store/proof"
	"github.com/lineageledger/lineaged/app/store/proofv1"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// verifyProvenQuery does what a verifier holding only the app hash of the
// version does with a proven ABCI response: decode the proofs, verify them
// against the hash, re-run the query over them with the table's Answer, and
// compare the result with the response. It returns the verified bundle.
func verifyProvenQuery(t *testing.T, path string, data []byte, res *abci.QueryResponse, view *store.View) *proofv1.ProofBundle {
	t.Helper()
	if res.ProofOps == nil || len(res.ProofOps.Ops) != 1 {
		t.Fatalf("response carries proof ops %v, want exactly one", res.ProofOps)
	}
	op := res.ProofOps.Ops[0]
	if op.Type != proof.OpType || string(op.Key) != path {
		t.Fatalf("proof op is %q for %q, want %q for %q", op.Type, op.Key, proof.OpType, path)
	}
	if string(res.Key) != path {
		t.Fatalf("response key %q, want the path %q the proof op is keyed by", res.Key, path)
	}
	var bundle proofv1.ProofBundle
	if err := proto.Unmarshal(op.Data, &bundle); err != nil {
		t.Fatalf("proof op data: %v", err)
	}
	if canon, err := (proto.MarshalOptions{Deterministic: true}).Marshal(&bundle); err != nil || !bytes.Equal(canon, op.Data) {
		t.Fatalf("proof op data is not canonically encoded (%v)", err)
	}
	reader, err := proof.Verify(&bundle, view.Hash())
	if err != nil {
		t.Fatalf("proof.Verify against the app hash of %d: %v", view.Height(), err)
	}
	blk := kit.Block{ChainID: testChainID, Height: view.Height(), Time: view.Time()}
	var answer []byte
	var qerr error
	if err := proof.Run(func() { answer, qerr = modules.Default().Answer(context.Background(), path, reader, blk, data) }); err != nil {
		t.Fatalf("re-running over the proofs needs unproven state: %v", err)
	}
	if res.Code != 0 {
		cs, code, _ := kit.CodeOf(qerr)
		if qerr == nil || cs != res.Codespace || code != res.Code || qerr.Error() != res.Log {
			t.Fatalf("re-run gives (%x, %v), the node said %s/%d %q", answer, qerr, res.Codespace, res.Code, res.Log)
		}
		return &bundle
	}
	if qerr != nil {
		t.Fatalf("re-run fails with %v, the node answered", qerr)
	}
	if !bytes.Equal(answer, res.Value) {
		t.Fatalf("re-run answers %x, the node answered %x", answer, res.Value)
	}
	return &bundle
}

func TestProvenQueries(t *testing.T) {
	c := newChain(t)
	clerk := testKey(t, "clerk", keysv1.KeyType_KEY_TYPE_ED25519)
	c.mustBlock()
	c.mustBlock(c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: clerk.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}, Label: "clerk"}))
	h1 := c.height
	var txs [][]byte
	for _, id := range []string{"gamma", "ab", "delta"} {
		txs = append(txs, c.tx(c.admin, &membershippb.MsgCreateOrg{
			OrgId: id, Name: "Org " + id,
			AdminPublicKey: testKey(t, "proof-"+id, keysv1.KeyType_KEY_TYPE_ED25519).Public(),
			AdminRoles:     []membershippb.Role{membershippb.Role_ROLE_ADMIN},
		}))
	}
	c.mustBlock(txs...)
	stranger := keys.Address(testKey(t, "stranger", keysv1.KeyType_KEY_TYPE_ED25519).Public())

	cases := []struct {
		name   string
		path   string
		data   []byte
		height int64
		want   *kit.Error
	}{
		{"org with its accounts", pathOrg, marshal(t, &membershippb.QueryOrgRequest{OrgId: "alpha"}), 0, nil},
		{"org at an older height", pathOrg, marshal(t, &membershippb.QueryOrgRequest{OrgId: "alpha"}), h1, nil},
		{"orgs, first page of one", pathOrgs, marshal(t, &membershippb.QueryOrgsRequest{Limit: 1}), 0, nil},
		{"orgs, a middle page", pathOrgs, marshal(t, &membershippb.QueryOrgsRequest{Limit: 2, StartAfter: "ab"}), 0, nil},
		{"orgs, all", pathOrgs, marshal(t, &membershippb.QueryOrgsRequest{}), 0, nil},
		{"orgs after an absent id", pathOrgs, marshal(t, &membershippb.QueryOrgsRequest{StartAfter: "b3"}), 0, nil},
		{"account", pathAccount, marshal(t, &membershippb.QueryAccountRequest{Address: c.admin.addr()}), 0, nil},
		{"params", pathParams, nil, 0, nil},
		{"unknown account", pathAccount, marshal(t, &membershippb.QueryAccountRequest{Address: stranger}), 0, membership.ErrAccountNotFound},
		{"unknown org", pathOrg, marshal(t, &membershippb.QueryOrgRequest{OrgId: "zeta"}), 0, membership.ErrOrgNotFound},
		{"org id invalid", pathOrg, marshal(t, &membershippb.QueryOrgRequest{OrgId: "Zeta!"}), 0, membership.ErrInvalidOrgID},
		{"limit above maximum", pathOrgs, marshal(t, &membershippb.QueryOrgsRequest{Limit: membership.MaxPageLimit + 1}), 0, membership.ErrInvalidQuery},
		{"garbage request", pathAccount, []byte{0xff, 0xff, 0xff}, 0, modules.ErrInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: tc.path, Data: tc.data, Height: tc.height, Prove: true})
			if err != nil {
				t.Fatal(err)
			}
			wantCode(t, "proven Query", res.Codespace, res.Code, res.Log, tc.want)
			plain := c.rawQuery(tc.path, tc.data, tc.height)
			if plain.Code != res.Code || plain.Codespace != res.Codespace || plain.Log != res.Log || !bytes.Equal(plain.Value, res.Value) || plain.Height != res.Height {
				t.Fatalf("with proofs the response differs: %v, without %v", res, plain)
			}
			if plain.ProofOps != nil {
				t.Fatalf("a query without Prove carries proofs: %v", plain.ProofOps)
			}
			wantHeight := tc.height
			if wantHeight == 0 {
				wantHeight = c.height
			}
			if res.Height != wantHeight {
				t.Fatalf("response height %d, want %d", res.Height, wantHeight)
			}
			view, err := c.store.At(wantHeight)
			if err != nil {
				t.Fatal(err)
			}
			bundle := verifyProvenQuery(t, tc.path, tc.data, res, view)

			// In-process, the same answer and proofs.
			answer, inproc, h, err := c.app.ProveQuery(context.Background(), tc.path, tc.data, tc.height)
			if h != wantHeight || !bytes.Equal(answer, res.Value) || !proto.Equal(inproc, bundle) {
				t.Fatalf("ProveQuery gives height %d, answer %x, %d keys (err %v); Query gave %d, %x, %d keys",
					h, answer, len(inproc.GetKeys()), err, res.Height, res.Value, len(bundle.Keys))
			}
			if cs, code, _ := kit.CodeOf(err); (tc.want == nil) != (err == nil) || (err != nil && (cs != res.Codespace || code != res.Code)) {
				t.Fatalf("ProveQuery error %v, Query said %s/%d", err, res.Codespace, res.Code)
			}

			// The proofs are of this version and no other.
			prev, err := c.store.At(wantHeight - 1)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(prev.Hash(), view.Hash()) {
				if _, err := proof.Verify(bundle, prev.Hash()); !errors.Is(err, proof.ErrInvalid) {
					t.Fatalf("proofs of %d verify against the app hash of %d (err %v)", wantHeight, wantHeight-1, err)
				}
			}
		})
	}
}

// TestProvenQueryReadsAreBounded: the proofs of one query do not answer
// another that reads other state.
func TestProvenQueryReadsAreBounded(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	accountReq := marshal(t, &membershippb.QueryAccountRequest{Address: c.admin.addr()})
	_, bundle, h, err := c.app.ProveQuery(context.Background(), pathAccount, accountReq, 0)
	if err != nil {
		t.Fatal(err)
	}
	view, err := c.store.At(h)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := proof.Verify(bundle, view.Hash())
	if err != nil {
		t.Fatal(err)
	}
	blk := blockOf(view)
	err = proof.Run(func() {
		_, _ = modules.Default().Answer(context.Background(), pathOrgs, reader, blk, marshal(t, &membershippb.QueryOrgsRequest{}))
	})
	if !errors.Is(err, proof.ErrUnproven) {
		t.Fatalf("Orgs over the proofs of Account: %v, want ErrUnproven", err)
	}
	err = proof.Run(func() {
		_, _ = modules.Default().Answer(context.Background(), pathAccount, reader, blk, marshal(t, &membershippb.QueryAccountRequest{Address: c.steward.addr()}))
	})
	if !errors.Is(err, proof.ErrUnproven) {
		t.Fatalf("another account over the proofs of the admin's: %v, want ErrUnproven", err)
	}
}

// TestAnswerOfflineErrors: the table's Answer rejects what Query rejects, with the
// same codes and logs, without touching the reader.
func TestAnswerOfflineErrors(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	cases := []struct {
		name string
		path string
		data []byte
		want *kit.Error
	}{
		{"unknown path", "/lineage.nothing.v1.Query/Foo", nil, modules.ErrUnknownQuery},
		{"oversize request", pathAccount, make([]byte, modules.MaxQueryBytes+1), modules.ErrInvalidRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := c.rawQuery(tc.path, tc.data, 0)
			wantCode(t, "Query", res.Codespace, res.Code, res.Log, tc.want)
			var answer []byte
			var qerr error
			if err := proof.Run(func() {
				answer, qerr = modules.Default().Answer(context.Background(), tc.path, &proof.Reader{}, kit.Block{}, tc.data)
			}); err != nil {
				t.Fatalf("Answer read state: %v", err)
			}
			if answer != nil || qerr == nil || qerr.Error() != res.Log {
				t.Fatalf("Answer = (%x, %v), want Query's error %q", answer, qerr, res.Log)
			}
			cs, code, _ := kit.CodeOf(qerr)
			wantCode(t, "Answer", cs, code, qerr.Error(), tc.want)
			if _, bundle, _, err := c.app.ProveQuery(context.Background(), tc.path, tc.data, 0); bundle != nil || !errors.Is(err, tc.want) {
				t.Fatalf("ProveQuery = (bundle %v, %v), want no bundle and %v", bundle, err, tc.want)
			}
		})
	}
	t.Run("no state committed", func(t *testing.T) {
		fresh := newChain(t)
		res, err := fresh.app.Query(context.Background(), &abci.QueryRequest{Path: pathParams, Prove: true})
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, "Query", res.Codespace, res.Code, res.Log, modules.ErrInvalidRequest)
		if res.ProofOps != nil {
			t.Fatalf("failed query carries proofs: %v", res.ProofOps)
		}
		if _, bundle, _, err := fresh.app.ProveQuery(context.Background(), pathParams, nil, 0); bundle != nil || !errors.Is(err, modules.ErrInvalidRequest) {
			t.Fatalf("ProveQuery = (bundle %v, %v), want no bundle and modules.ErrInvalidRequest", bundle, err)
		}
	})
}
