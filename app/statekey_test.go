package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"
	"github.com/cometbft/cometbft/crypto/merkle"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// upstreamICS23Op is what any ICS 23-aware tool does with an "ics23:iavl"
// proof operation, written with nothing but cosmos/ics23 and CometBFT's
// crypto/merkle: no code of this project checks the proofs below.
type upstreamICS23Op struct {
	key   []byte
	proof *ics23.CommitmentProof
}

func decodeUpstreamICS23Op(op cmtcrypto.ProofOp) (merkle.ProofOperator, error) {
	if op.Type != "ics23:iavl" {
		return nil, fmt.Errorf("unexpected op type %q", op.Type)
	}
	p := &ics23.CommitmentProof{}
	if err := p.Unmarshal(op.Data); err != nil {
		return nil, err
	}
	return upstreamICS23Op{key: op.Key, proof: p}, nil
}

func (o upstreamICS23Op) GetKey() []byte { return o.key }

func (o upstreamICS23Op) ProofOp() cmtcrypto.ProofOp {
	data, _ := o.proof.Marshal()
	return cmtcrypto.ProofOp{Type: "ics23:iavl", Key: o.key, Data: data}
}

// Run takes no value to prove absence, one to prove it is held.
func (o upstreamICS23Op) Run(args [][]byte) ([][]byte, error) {
	root, err := o.proof.Calculate()
	if err != nil {
		return nil, err
	}
	switch len(args) {
	case 0:
		if !ics23.VerifyNonMembership(ics23.IavlSpec, root, o.proof, o.key) {
			return nil, errors.New("non-existence proof does not verify")
		}
	case 1:
		if !ics23.VerifyMembership(ics23.IavlSpec, root, o.proof, o.key, args[0]) {
			return nil, errors.New("existence proof does not verify")
		}
	default:
		return nil, fmt.Errorf("%d values for one key", len(args))
	}
	return [][]byte{root}, nil
}

func upstreamRuntime() *merkle.ProofRuntime {
	prt := merkle.NewProofRuntime()
	prt.RegisterOpDecoder("ics23:iavl", decodeUpstreamICS23Op)
	return prt
}

// keyPath is the merkle key path of a raw state key: the key alone, since
// the state is one tree whose root is the app hash.
func keyPath(key []byte) string {
	return merkle.KeyPath{}.AppendKey(key, merkle.KeyEncodingHex).String()
}

// verifyUpstream checks a proven StateKeyPath answer with upstream code
// only: existence of its value, or absence when it has none.
func verifyUpstream(res *abci.QueryResponse, root, key []byte) error {
	if len(res.Value) == 0 {
		return upstreamRuntime().VerifyAbsence(res.ProofOps, root, keyPath(key))
	}
	return upstreamRuntime().VerifyValue(res.ProofOps, root, keyPath(key), res.Value)
}

func orgKey(id string) []byte {
	return append([]byte{0x02, 0x01, byte(len(id))}, id...)
}

// TestStateKeyQuery: a raw state key is answered with the stored bytes, or
// nothing, and with Prove set one standard ICS 23 operation that upstream
// code alone verifies against the committed app hash; a changed value, a
// changed proof, another key or another version's hash all fail.
func TestStateKeyQuery(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	h1 := c.height
	c.mustBlock(c.tx(c.admin, &membershippb.MsgCreateOrg{
		OrgId: "ab", Name: "Org ab",
		AdminPublicKey: testKey(t, "statekey-ab", keysv1.KeyType_KEY_TYPE_ED25519).Public(),
		AdminRoles:     []membershippb.Role{membershippb.Role_ROLE_ADMIN},
	}))
	h2 := c.height
	committed := appHash(c)

	chainIDKey := []byte{0x01, 0x02}
	cases := []struct {
		name   string
		key    []byte
		height int64
		want   []byte // nil: absent
	}{
		{"chain id", chainIDKey, 0, []byte(testChainID)},
		{"org created later", orgKey("ab"), 0, nil},
		{"org before it was created", orgKey("ab"), h1, nil},
		{"absent org", orgKey("zeta"), 0, nil},
		{"below every key", []byte{0x00}, 0, nil},
		{"above every key", []byte{0xff, 0xff}, 0, nil},
	}
	// The org's record is whatever the state holds; read it without proofs.
	cases[1].want = c.rawQuery(StateKeyPath, orgKey("ab"), 0).Value
	if len(cases[1].want) == 0 {
		t.Fatal("org ab is not in the state")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: StateKeyPath, Data: tc.key, Height: tc.height, Prove: true})
			if err != nil || res.Code != 0 {
				t.Fatalf("query failed: %v %s/%d %s", err, res.Codespace, res.Code, res.Log)
			}
			wantHeight := tc.height
			if wantHeight == 0 {
				wantHeight = h2
			}
			if res.Height != wantHeight || !bytes.Equal(res.Key, tc.key) || !bytes.Equal(res.Value, tc.want) {
				t.Fatalf("answer at %d key %x value %x; want %d, %x, %x", res.Height, res.Key, res.Value, wantHeight, tc.key, tc.want)
			}
			plain := c.rawQuery(StateKeyPath, tc.key, tc.height)
			if plain.Code != 0 || plain.ProofOps != nil || !bytes.Equal(plain.Value, res.Value) || !bytes.Equal(plain.Key, tc.key) {
				t.Fatalf("without proofs the answer differs: %v", plain)
			}
			if res.ProofOps == nil || len(res.ProofOps.Ops) != 1 {
				t.Fatalf("proof ops %v, want one", res.ProofOps)
			}
			if op := res.ProofOps.Ops[0]; op.Type != "ics23:iavl" || !bytes.Equal(op.Key, tc.key) {
				t.Fatalf("proof op %q with key %x", op.Type, op.Key)
			}
			view, err := c.store.At(wantHeight)
			if err != nil {
				t.Fatal(err)
			}
			root := view.Hash()
			if wantHeight == h2 && !bytes.Equal(root, committed) {
				t.Fatalf("the latest version's hash %X is not the committed app hash %X", root, committed)
			}
			if err := verifyUpstream(res, root, tc.key); err != nil {
				t.Fatalf("upstream verification failed: %v", err)
			}

			// Tampering of every kind is caught.
			prt := upstreamRuntime()
			if err := prt.VerifyValue(res.ProofOps, root, keyPath(tc.key), []byte("forged")); err == nil {
				t.Error("a forged value verifies")
			}
			if tc.want != nil {
				if err := prt.VerifyAbsence(res.ProofOps, root, keyPath(tc.key)); err == nil {
					t.Error("a present key verifies as absent")
				}
				changed := bytes.Clone(res.Value)
				changed[len(changed)-1] ^= 0x01
				if err := prt.VerifyValue(res.ProofOps, root, keyPath(tc.key), changed); err == nil {
					t.Error("a value with a bit flipped verifies")
				}
			}
			other := append(bytes.Clone(tc.key), 0x00)
			if err := verifyUpstream(res, root, other); err == nil {
				t.Error("the proof verifies for another key")
			}
			if prev, err := c.store.At(wantHeight - 1); err == nil && !bytes.Equal(prev.Hash(), root) {
				if err := verifyUpstream(res, prev.Hash(), tc.key); err == nil {
					t.Error("the proof verifies against another version's app hash")
				}
			}
			data := res.ProofOps.Ops[0].Data
			for i := range data {
				bad := *res
				bad.ProofOps = &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{res.ProofOps.Ops[0]}}
				bad.ProofOps.Ops[0].Data = bytes.Clone(data)
				bad.ProofOps.Ops[0].Data[i] ^= 0x01
				if err := verifyUpstream(&bad, root, tc.key); err == nil && !onlyNonExistenceKey(bad.ProofOps.Ops[0].Data, data) {
					t.Fatalf("the proof with byte %d flipped verifies", i)
				}
			}
		})
	}

	for _, tc := range []struct {
		name   string
		key    []byte
		height int64
		want   *kit.Error
	}{
		{"no key", nil, 0, modules.ErrInvalidRequest},
		{"key too long", make([]byte, modules.MaxQueryBytes+1), 0, modules.ErrInvalidRequest},
		{"height not stored", chainIDKey, h2 + 5, modules.ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, prove := range []bool{false, true} {
				res, err := c.app.Query(context.Background(), &abci.QueryRequest{Path: StateKeyPath, Data: tc.key, Height: tc.height, Prove: prove})
				if err != nil {
					t.Fatal(err)
				}
				wantCode(t, "Query", res.Codespace, res.Code, res.Log, tc.want)
				if res.ProofOps != nil || len(res.Value) != 0 {
					t.Fatalf("a failed query carries %x and proofs %v", res.Value, res.ProofOps)
				}
			}
		})
	}
}

// onlyNonExistenceKey reports whether proof a differs from b only in the
// key a non-existence proof names for itself. ICS 23 does not bind that
// field (it proves the absence of the key the verifier asks about), so a
// change there leaves a proof of the same fact; this project's own
// verifier refuses it all the same.
func onlyNonExistenceKey(a, b []byte) bool {
	var pa, pb ics23.CommitmentProof
	if pa.Unmarshal(a) != nil || pb.Unmarshal(b) != nil || pa.GetNonexist() == nil || pb.GetNonexist() == nil {
		return false
	}
	pa.GetNonexist().Key = pb.GetNonexist().Key
	ra, err1 := pa.Marshal()
	rb, err2 := pb.Marshal()
	return err1 == nil && err2 == nil && bytes.Equal(ra, rb)
}
