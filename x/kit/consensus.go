package kit

// What a module may learn of consensus beyond its block: the votes on the
// previous block (for proposer-made preamble entries, see the application's
// module table) and the validator-set changes it asks for at the end of a
// block. The application translates these from and to CometBFT's types, so
// modules never import them.

// Vote is one validator's precommit for the previous block.
type Vote struct {
	// Validator is the validator's consensus address (20 bytes).
	Validator []byte
	// Power is its voting power in that block.
	Power int64
	// Signed says the validator's precommit for that block is in the
	// commit.
	Signed bool
	// Payload and Signature are this module's entry of the validator's
	// vote extension, when the caller has it (only a proposer building a
	// block does), and nil otherwise.
	Payload, Signature []byte
}

// CommitInfo is the commit of the previous block: its round and one vote
// per validator of that block's set, in the set's order.
type CommitInfo struct {
	Round int32
	Votes []Vote
}

// ValidatorUpdate changes one validator's power; power 0 removes it.
type ValidatorUpdate struct {
	// PubKeyType is CometBFT's key type name ("ed25519", "secp256k1").
	PubKeyType string
	PubKey     []byte
	Power      int64
}
