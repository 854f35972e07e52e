package kit

import "github.com/lineageledger/lineaged/x/kit/keys/keysv1"

// CarriedSignature is a signature a message carries besides its
// transaction's own, such as a publisher's over a model manifest. The
// application checks it when it admits the transaction, as it checks the
// transaction's signature, so that a forged one is refused before it
// reaches a block; the handler checks it again in the block and has the
// final word.
type CarriedSignature struct {
	// Key is the key it must verify against; nil means the signing
	// account's current key.
	Key *keysv1.PublicKey
	// Message is the exact signed bytes, domain tag included.
	Message   []byte
	Signature []byte
	// Refuse is the error a failed check is reported with, given the
	// signer's address and the verification error: the one the handler
	// reports for the same failure.
	Refuse func(signer string, err error) error
}
