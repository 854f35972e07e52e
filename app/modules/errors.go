package modules

import "github.com/lineageledger/lineaged/x/kit"

// Codespace of the application's own errors: everything decided before a
// message reaches its module (the transaction envelope, its signer, the
// route), and the dispatch of queries.
const Codespace = "tx"

// Envelope errors. Codes are consensus and API: never renumber.
var (
	ErrMalformedTx     = kit.NewError(Codespace, 1, "malformed transaction")
	ErrTxTooLarge      = kit.NewError(Codespace, 2, "transaction too large")
	ErrUnknownMessage  = kit.NewError(Codespace, 3, "unknown message type")
	ErrNoMessage       = kit.NewError(Codespace, 4, "transaction carries no message")
	ErrInvalidSigner   = kit.NewError(Codespace, 5, "invalid signer address")
	ErrWrongChainID    = kit.NewError(Codespace, 6, "wrong chain id")
	ErrUnknownSigner   = kit.NewError(Codespace, 7, "unknown signer")
	ErrSignerSuspended = kit.NewError(Codespace, 8, "signer account is suspended")
	ErrSequenceReused  = kit.NewError(Codespace, 9, "sequence already used")
	ErrSequenceFuture  = kit.NewError(Codespace, 10, "sequence is ahead of the account")
	ErrBadSignature    = kit.NewError(Codespace, 11, "signature does not verify")
	ErrMissingRole     = kit.NewError(Codespace, 12, "signer lacks the role this message needs")
	ErrTxExpired       = kit.NewError(Codespace, 13, "transaction timed out")
	ErrMemoTooLarge    = kit.NewError(Codespace, 14, "memo too large")
	ErrUnknownQuery    = kit.NewError(Codespace, 15, "unknown query path")
	ErrInvalidRequest  = kit.NewError(Codespace, 16, "invalid request")
	ErrInternal        = kit.NewError(Codespace, 17, "internal error")
	// Not a transaction's: a block's proposer-made entries.
	ErrInvalidPreamble      = kit.NewError(Codespace, 18, "invalid block preamble")
	ErrInvalidVoteExtension = kit.NewError(Codespace, 19, "invalid vote extension")
	ErrNamespaceNotOwned    = kit.NewError(Codespace, 20, "name is not in a namespace of the signer's organisation")
	// Never in a block: a node's answers to queries with proofs, which it
	// bounds (app.ProofLimits).
	ErrProofTooLarge = kit.NewError(Codespace, 21, "answer too large to prove")
	ErrProofBusy     = kit.NewError(Codespace, 22, "too many proven queries at once")
	// A message only governance may send, in a user's transaction.
	ErrGovernanceOnly = kit.NewError(Codespace, 23, "only governance may send this message")
	// Governance's change of parameters that no chain should run with.
	ErrInvalidParams = kit.NewError(Codespace, 24, "invalid parameters")
)

// Errors lists every envelope error, for documentation and tests.
var Errors = []*kit.Error{
	ErrMalformedTx, ErrTxTooLarge, ErrUnknownMessage, ErrNoMessage, ErrInvalidSigner,
	ErrWrongChainID, ErrUnknownSigner, ErrSignerSuspended, ErrSequenceReused,
	ErrSequenceFuture, ErrBadSignature, ErrMissingRole, ErrTxExpired, ErrMemoTooLarge,
	ErrUnknownQuery, ErrInvalidRequest, ErrInternal, ErrInvalidPreamble, ErrInvalidVoteExtension,
	ErrNamespaceNotOwned,
	ErrProofTooLarge, ErrProofBusy, ErrGovernanceOnly, ErrInvalidParams,
}
