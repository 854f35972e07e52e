package membership

import (
	"encoding/binary"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// rotationDomain separates rotation proofs from every other signed object.
const rotationDomain = "lineage-ledger/rotate-key/v1\x00"

// RotationSignBytes is what the new key signs to prove possession when the
// account at address rotates to it in a transaction with the given sequence
// on chainID. Binding the sequence makes a proof single-use.
func RotationSignBytes(chainID string, address []byte, sequence uint64) []byte {
	b := make([]byte, 0, len(rotationDomain)+2+len(chainID)+len(address)+8)
	b = append(b, rotationDomain...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(chainID)))
	b = append(b, chainID...)
	b = append(b, address...)
	return binary.BigEndian.AppendUint64(b, sequence)
}

// RotateKey replaces the signer's public key. The transaction was signed by
// the old key; the new one proves possession over [RotationSignBytes].
// Any active account may rotate its own key.
func (k Keeper) RotateKey(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgRotateKey) ([]kit.Event, error) {
	acct := signerAccount(st, signer)
	if err := keys.ValidatePublicKey(msg.NewPublicKey); err != nil {
		return nil, ErrInvalidPublicKey.Wrapf("%v", err)
	}
	if st.Has(PublicKeyKey(msg.NewPublicKey)) {
		return nil, ErrKeyAlreadyUsed.Wrapf("%s key %x", keys.TypeName(msg.NewPublicKey.Type), msg.NewPublicKey.Key)
	}
	addr, err := keys.ParseAddress(acct.Address)
	if err != nil {
		return nil, ErrInvalidAddress.Wrapf("%v", err)
	}
	proof := RotationSignBytes(blk.ChainID, addr, acct.Sequence)
	if err := keys.Verify(msg.NewPublicKey, proof, msg.NewKeySignature); err != nil {
		return nil, ErrInvalidKeyProof.Wrapf("%v", err)
	}
	acct.PublicKey = msg.NewPublicKey
	acct.KeyRotatedHeight = blk.Height
	saveAccount(st, acct)
	st.Set(PublicKeyKey(msg.NewPublicKey), addr)
	return []kit.Event{kit.NewEvent("membership.key_rotated",
		"address", acct.Address, "org_id", acct.OrgId, "key_type", keys.TypeName(msg.NewPublicKey.Type)).Searchable("address")}, nil
}
