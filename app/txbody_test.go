package app

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// TestDecodeTxBody: a body an offline signer is handed is refused for the
// reasons, and with the codes, a transaction carrying it would be.
func TestDecodeTxBody(t *testing.T) {
	priv, err := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	if err != nil {
		t.Fatal(err)
	}
	signer := keys.Address(priv.Public())
	body := func() *txv1.TxBody {
		b := &txv1.TxBody{ChainId: testChainID, Signer: signer, Sequence: 3, Memo: "m"}
		if err := SetMsg(b, &licensespb.MsgRevokeGrant{GrantId: "grant-1", Reason: "ended"}); err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := kit.Marshal(body())
	got, err := DecodeTxBody(good)
	if err != nil {
		t.Fatalf("a canonical body is refused: %v", err)
	}
	if got.Signer != signer || got.Sequence != 3 || got.GetRevokeGrant().GetGrantId() != "grant-1" {
		t.Errorf("decoded %v", got)
	}

	// The same fields in another order: valid protobuf, not canonical.
	reordered := protowire.AppendTag(nil, 3, protowire.VarintType)
	reordered = protowire.AppendVarint(reordered, 3)
	reordered = protowire.AppendTag(reordered, 1, protowire.BytesType)
	reordered = protowire.AppendString(reordered, testChainID)
	reordered = protowire.AppendTag(reordered, 2, protowire.BytesType)
	reordered = protowire.AppendString(reordered, signer)
	reordered = protowire.AppendTag(reordered, 5, protowire.BytesType)
	reordered = protowire.AppendString(reordered, "m")
	rest := kit.Marshal(&txv1.TxBody{Msg: body().Msg})
	reordered = append(reordered, rest...)
	var parsed txv1.TxBody
	if err := proto.Unmarshal(reordered, &parsed); err != nil || !proto.Equal(&parsed, body()) {
		t.Fatalf("the reordered body is not the same body: %v", err)
	}

	for _, tc := range []struct {
		name string
		b    []byte
		want *kit.Error
	}{
		{"garbage", []byte{0xff, 0x01}, modules.ErrMalformedTx},
		{"no message", kit.Marshal(&txv1.TxBody{ChainId: testChainID, Signer: signer}), modules.ErrNoMessage},
		{"unknown message", protowire.AppendBytes(protowire.AppendTag(kit.Marshal(&txv1.TxBody{ChainId: testChainID, Signer: signer}), 999, protowire.BytesType), nil), modules.ErrUnknownMessage},
		{"unknown field beside the message", protowire.AppendVarint(protowire.AppendTag(good, 9, protowire.VarintType), 1), modules.ErrMalformedTx},
		{"not canonical", reordered, modules.ErrMalformedTx},
		{"bad signer", kit.Marshal(func() *txv1.TxBody { b := body(); b.Signer = "alice"; return b }()), modules.ErrInvalidSigner},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeTxBody(tc.b)
			if !errors.Is(err, tc.want) {
				t.Errorf("DecodeTxBody = %v, want %s/%d (%s)", err, tc.want.Codespace, tc.want.Code, tc.want.Message)
			}
		})
	}
}
