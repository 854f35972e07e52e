package app

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
)

// SignDomain prefixes the body bytes in every transaction signature.
const SignDomain = "lineage-ledger/tx/v1\x00"

// SignBytes is what a transaction's signer signs: the domain tag followed by
// the exact encoded body.
func SignBytes(body []byte) []byte {
	out := make([]byte, 0, len(SignDomain)+len(body))
	out = append(out, SignDomain...)
	return append(out, body...)
}

// EncodeTx encodes body canonically, has sign sign it, and returns the
// transaction bytes to broadcast.
func EncodeTx(body *txv1.TxBody, sign func(signBytes []byte) ([]byte, error)) ([]byte, error) {
	bodyBytes := kit.Marshal(body)
	sig, err := sign(SignBytes(bodyBytes))
	if err != nil {
		return nil, fmt.Errorf("failed to sign transaction: %w", err)
	}
	return kit.Marshal(&txv1.Tx{Body: bodyBytes, Signature: sig}), nil
}

// SetMsg puts msg into the body's message oneof, whichever field of the
// oneof carries that message type.
func SetMsg(body *txv1.TxBody, msg proto.Message) error {
	b := body.ProtoReflect()
	fields := b.Descriptor().Oneofs().ByName("msg").Fields()
	want := msg.ProtoReflect().Descriptor().FullName()
	for i := 0; i < fields.Len(); i++ {
		if fd := fields.Get(i); fd.Message().FullName() == want {
			b.Set(fd, protoreflect.ValueOfMessage(msg.ProtoReflect()))
			return nil
		}
	}
	return fmt.Errorf("%s is not a transaction message", want)
}

// TxHash is the hash CometBFT indexes a transaction under.
func TxHash(raw []byte) [32]byte { return sha256.Sum256(raw) }

// decodedTx is a transaction that parsed and is canonically encoded; it is
// not yet authenticated.
type decodedTx struct {
	tx     *txv1.Tx
	body   *txv1.TxBody
	signer []byte   // 20-byte address
	hash   [32]byte // of the raw bytes, as CometBFT indexes it
	// route is the route of the body's message and msg the message, once
	// [App.decode] has looked it up; nil for a message no module routes.
	route *modules.Route
	msg   proto.Message
}

// decode is [decodeTx] with the message's route looked up.
func (a *App) decode(raw []byte, maxBytes int) (*decodedTx, error) {
	d, err := decodeTx(raw, maxBytes)
	if err != nil {
		return nil, err
	}
	d.route, d.msg, _ = a.mods.Route(d.body)
	return d, nil
}

// decodeTx parses raw and insists on the canonical encoding of both the
// envelope and the body, so one signed body has exactly one transaction
// encoding (and one hash) and no unsigned bytes can ride along.
func decodeTx(raw []byte, maxBytes int) (*decodedTx, error) {
	if len(raw) > maxBytes {
		return nil, modules.ErrTxTooLarge.Wrapf("%d bytes, limit %d", len(raw), maxBytes)
	}
	if isPreamble(raw) {
		return nil, modules.ErrMalformedTx.Wrapf("a block preamble, which only a block's proposer makes, is not a transaction")
	}
	var tx txv1.Tx
	if err := proto.Unmarshal(raw, &tx); err != nil {
		return nil, modules.ErrMalformedTx.Wrapf("envelope: %v", err)
	}
	if len(tx.Body) == 0 {
		return nil, modules.ErrMalformedTx.Wrapf("empty body")
	}
	// Re-encoding keeps unknown fields, so the canonical check below would
	// not catch unsigned bytes riding along; refuse them first.
	if len(tx.ProtoReflect().GetUnknown()) > 0 {
		return nil, modules.ErrMalformedTx.Wrapf("envelope has fields outside its schema")
	}
	if !bytes.Equal(kit.Marshal(&tx), raw) {
		return nil, modules.ErrMalformedTx.Wrapf("envelope is not canonically encoded")
	}
	body, signer, err := decodeBody(tx.Body)
	if err != nil {
		return nil, err
	}
	return &decodedTx{tx: &tx, body: body, signer: signer, hash: TxHash(raw)}, nil
}

// DecodeTxBody parses the encoded body of a transaction with the checks
// the chain makes of every transaction's body: it holds exactly one
// message of a type this chain knows and no field outside the schema, it
// is canonically encoded (one body, one encoding), and its signer is a
// valid address. The errors are those a transaction carrying the body
// would be rejected with. Whoever signs a body built elsewhere (an offline
// signer) calls it first, so as not to sign bytes the chain would refuse.
func DecodeTxBody(b []byte) (*txv1.TxBody, error) {
	body, _, err := decodeBody(b)
	return body, err
}

// decodeBody is [DecodeTxBody], also returning the signer's 20-byte
// address.
func decodeBody(b []byte) (*txv1.TxBody, []byte, error) {
	var body txv1.TxBody
	if err := proto.Unmarshal(b, &body); err != nil {
		return nil, nil, modules.ErrMalformedTx.Wrapf("body: %v", err)
	}
	if body.Msg == nil {
		if len(body.ProtoReflect().GetUnknown()) > 0 {
			return nil, nil, modules.ErrUnknownMessage.Wrapf("the body holds a field this chain does not know")
		}
		return nil, nil, modules.ErrNoMessage
	}
	if hasUnknownFields(body.ProtoReflect()) {
		return nil, nil, modules.ErrMalformedTx.Wrapf("body has fields this chain does not know")
	}
	if !bytes.Equal(kit.Marshal(&body), b) {
		return nil, nil, modules.ErrMalformedTx.Wrapf("body is not canonically encoded")
	}
	signer, err := keys.ParseAddress(body.Signer)
	if err != nil {
		return nil, nil, modules.ErrInvalidSigner.Wrapf("%v", err)
	}
	return &body, signer, nil
}

// hasUnknownFields reports whether m or any message inside it carries
// fields outside its schema.
func hasUnknownFields(m protoreflect.Message) bool {
	if len(m.GetUnknown()) > 0 {
		return true
	}
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Message() == nil || fd.IsMap() {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				found = hasUnknownFields(l.Get(i).Message())
			}
		} else {
			found = hasUnknownFields(v.Message())
		}
		return !found
	})
	return found
}
