package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/lineageledger/lineaged/app/modules"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/store"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/x/gov"
	govpb "github.com/lineageledger/lineaged/x/gov/govv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// fuzzSeeds returns transactions valid at the actors' current sequences
// (which it leaves as they are), a few invalid ones, and mutations.
func fuzzSeeds(t testing.TB, c *chain, suspended *actor) [][]byte {
	atSeq := func(a *actor, msg proto.Message) []byte {
		seq := a.seq
		defer func() { a.seq = seq }()
		return c.tx(a, msg)
	}
	newKey := func(name string) *keys.PrivateKey { return testKey(t, name, keysv1.KeyType_KEY_TYPE_ED25519) }
	valid := [][]byte{
		atSeq(c.admin, &membershippb.MsgAddAccount{PublicKey: newKey("fz-1").Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}, Label: "fuzz"}),
		atSeq(c.admin, &membershippb.MsgCreateOrg{OrgId: "fuzz-org", Name: "Fuzz", AdminPublicKey: newKey("fz-2").Public(), AdminRoles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}}),
		atSeq(c.admin, &membershippb.MsgSetRoles{Address: c.steward.addr(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}),
		atSeq(c.admin, &membershippb.MsgReinstateAccount{Address: suspended.addr()}),
		atSeq(c.beta, &membershippb.MsgAddAccount{PublicKey: newKey("fz-3").Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_ADMIN}}),
		c.signedBy(c.steward.key, c.steward.addr(), 0, rotateMsg(t, newKey("fz-4"), c.steward.addr(), 0)),
		atSeq(c.admin, &membershippb.MsgSuspendAccount{Address: c.steward.addr(), Reason: "fuzz"}),
	}
	seeds := append([][]byte{}, valid...)
	seeds = append(seeds,
		nil,
		[]byte{0x0a, 0x00},
		c.sign(suspended.key, c.body(suspended, &membershippb.MsgAddAccount{PublicKey: newKey("fz-5").Public()})), // suspended signer
		atSeq(c.steward, &membershippb.MsgAddAccount{PublicKey: newKey("fz-6").Public()}),                         // missing role
		atSeq(c.admin, nil), // no message
	)
	for i, v := range valid {
		flipped := bytes.Clone(v)
		flipped[(i*37)%len(flipped)] ^= 0x01
		seeds = append(seeds,
			v[:len(v)/2],
			flipped,
			append(bytes.Clone(v), 0x00),
			protowire.AppendBytes(protowire.AppendTag(bytes.Clone(v), 1, protowire.BytesType), []byte{1}),
		)
	}
	return seeds
}

// checkDigest hashes everything the mempool's view shows.
func checkDigest(c *store.Cache) [32]byte {
	h := sha256.New()
	it := c.Iterator(nil, nil, false)
	defer it.Close()
	for ; it.Valid(); it.Next() {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(it.Key())))
		h.Write(n[:])
		h.Write(it.Key())
		binary.BigEndian.PutUint64(n[:], uint64(len(it.Value())))
		h.Write(n[:])
		h.Write(it.Value())
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// FuzzCheckTx: CheckTx never panics; a rejection always carries a
// codespace and a log and leaves the mempool's view untouched; an accepted
// transaction spends exactly its signer's sequence and cannot be accepted
// again.
func FuzzCheckTx(f *testing.F) {
	c := newChain(f)
	suspended := &actor{key: testKey(f, "fz-suspended", keysv1.KeyType_KEY_TYPE_P256)}
	c.mustBlock(c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: suspended.key.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_AUDITOR}}))
	c.mustBlock(c.tx(c.admin, &membershippb.MsgSuspendAccount{Address: suspended.addr(), Reason: "fuzz"}))
	seeds := fuzzSeeds(f, c, suspended)
	for i, raw := range seeds[:7] { // the valid ones must be accepted, or the corpus is stale
		c.app.check = store.NewCache(c.store.Committed())
		if res := c.checkTx(raw); res.Code != 0 {
			f.Fatalf("valid seed %d rejected: %s/%d %s", i, res.Codespace, res.Code, res.Log)
		}
	}
	for _, raw := range seeds {
		f.Add(raw)
	}
	// Stale sequence, a handler failure (no proof), and optional fields.
	f.Add(c.signedBy(c.admin.key, c.admin.addr(), 0, &membershippb.MsgAddAccount{PublicKey: testKey(f, "fz-7", keysv1.KeyType_KEY_TYPE_SECP256K1).Public()}))
	f.Add(c.signedBy(c.admin.key, c.admin.addr(), c.admin.seq, &membershippb.MsgRotateKey{NewPublicKey: testKey(f, "fz-8", keysv1.KeyType_KEY_TYPE_P256).Public()}))
	f.Add(c.sign(c.admin.key, func() *txv1.TxBody {
		b := c.body(c.admin, &membershippb.MsgAddAccount{PublicKey: testKey(f, "fz-9", keysv1.KeyType_KEY_TYPE_P256).Public()})
		b.TimeoutHeight = 1 << 40
		b.Memo = "memo"
		return b
	}()))

	// Governance: a proposal, and a vote on it.
	f.Add(c.signedBy(c.admin.key, c.admin.addr(), c.admin.seq, &govpb.MsgSubmitProposal{Title: "t", Messages: []*govpb.ProposalMessage{
		{Msg: &govpb.ProposalMessage_UpdateParams{UpdateParams: &govpb.MsgUpdateParams{Gov: gov.DefaultParams()}}}}}))
	f.Add(c.signedBy(c.admin.key, c.admin.addr(), c.admin.seq, &govpb.MsgVote{ProposalId: 1, Option: govpb.VoteOption_VOTE_OPTION_YES}))

	f.Fuzz(func(t *testing.T, raw []byte) {
		c.app.check = store.NewCache(c.store.Committed())
		before := checkDigest(c.app.check)
		res, err := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
		if err != nil {
			t.Fatalf("CheckTx returned an error: %v", err)
		}
		if res.Code != 0 {
			if res.Codespace == "" || res.Log == "" {
				t.Fatalf("rejection %d without codespace (%q) or log (%q)", res.Code, res.Codespace, res.Log)
			}
			if modules.Default().ErrorOf(res.Codespace, res.Code) == nil {
				t.Fatalf("rejection with undeclared code %s/%d %q", res.Codespace, res.Code, res.Log)
			}
			if after := checkDigest(c.app.check); after != before || c.app.check.Len() != 0 {
				t.Fatalf("rejected tx (%s/%d %q) changed the mempool view (%d staged writes)", res.Codespace, res.Code, res.Log, c.app.check.Len())
			}
			return
		}
		if res.Codespace != "" || res.Log != "" {
			t.Fatalf("accepted tx with codespace %q log %q", res.Codespace, res.Log)
		}
		d, err := decodeTx(raw, int(modules.DefaultParams().MaxTxBytes))
		if err != nil {
			t.Fatalf("accepted tx does not decode: %v", err)
		}
		acct, err := c.app.mods.Accounts().Account(c.app.check, d.body.Signer)
		if err != nil {
			t.Fatalf("signer of accepted tx: %v", err)
		}
		if acct.Sequence != d.body.Sequence+1 {
			t.Fatalf("signer sequence after acceptance = %d, tx had %d", acct.Sequence, d.body.Sequence)
		}
		again, err := c.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
		if err != nil || again.Code == 0 {
			t.Fatalf("the same tx was accepted twice (%v)", err)
		}
	})
}

// FuzzDecodeTx: decodeTx never panics, rejects with a declared envelope
// error, and accepts only the one canonical encoding of a transaction.
func FuzzDecodeTx(f *testing.F) {
	c := newChain(f)
	for _, raw := range fuzzSeeds(f, c, &actor{key: testKey(f, "fz-suspended", keysv1.KeyType_KEY_TYPE_P256)}) {
		f.Add(raw)
	}
	// A body with an unknown field inside a known message.
	body := kit.Marshal(c.body(c.admin, &membershippb.MsgSetRoles{Address: c.admin.addr()}))
	f.Add(kit.Marshal(&txv1.Tx{Body: protowire.AppendBytes(protowire.AppendTag(body, 12, protowire.BytesType), protowire.AppendVarint(protowire.AppendTag(nil, 9, protowire.VarintType), 1)), Signature: make([]byte, 64)}))

	// Found by this fuzzer: an unknown varint field in the envelope.
	f.Add([]byte("\nh\n\f000000000000\x12*lin1kllner8rgxkgcw6l8ahudftjump2qk6tquhrq4b,\n*00000000000000000000000000000000000000000000"))

	maxBytes := int(modules.DefaultParams().MaxTxBytes)
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := decodeTx(raw, maxBytes)
		if err != nil {
			cs, _, ok := kit.CodeOf(err)
			if !ok || cs != modules.Codespace {
				t.Fatalf("decode error without an envelope code: %v", err)
			}
			return
		}
		if got := kit.Marshal(d.tx); !bytes.Equal(got, raw) {
			t.Fatalf("accepted tx re-encodes differently:\n in  %x\n out %x", raw, got)
		}
		if got := kit.Marshal(d.body); !bytes.Equal(got, d.tx.Body) {
			t.Fatalf("accepted body re-encodes differently:\n in  %x\n out %x", d.tx.Body, got)
		}
		if d.body.Msg == nil {
			t.Fatal("accepted a body without a message")
		}
		if hasUnknownFields(d.body.ProtoReflect()) {
			t.Fatal("accepted a body with unknown fields")
		}
		if len(d.tx.ProtoReflect().GetUnknown()) > 0 {
			t.Fatal("accepted an envelope with unknown fields")
		}
		if keys.EncodeAddress(d.signer) != d.body.Signer {
			t.Fatalf("signer %q is not the canonical form of its address %x", d.body.Signer, d.signer)
		}
	})
}

// TestDecodeTxRejectsUnknownEnvelopeField: bytes outside the schema may not
// ride along with a signed body, or anyone relaying a transaction can change
// its hash (and stuff unsigned data into blocks) without invalidating the
// signature. The canonical-encoding check alone does not catch them,
// because re-encoding preserves unknown fields.
func TestDecodeTxRejectsUnknownEnvelopeField(t *testing.T) {
	c := newChain(t)
	c.mustBlock()
	orig := c.tx(c.admin, &membershippb.MsgAddAccount{PublicKey: testKey(t, "malleable", keysv1.KeyType_KEY_TYPE_ED25519).Public()})
	cases := []struct {
		name string
		raw  []byte
	}{
		{"varint field 9 appended", protowire.AppendVarint(protowire.AppendTag(bytes.Clone(orig), 9, protowire.VarintType), 1)},
		{"bytes field 3 appended", protowire.AppendBytes(protowire.AppendTag(bytes.Clone(orig), 3, protowire.BytesType), []byte("unsigned payload"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.app.check = store.NewCache(c.store.Committed())
			res := c.checkTx(tc.raw)
			wantCode(t, "CheckTx", res.Codespace, res.Code, res.Log, modules.ErrMalformedTx)
		})
	}
}
