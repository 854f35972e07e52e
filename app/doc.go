// Package app is the ABCI 2.0 application behind lineaged: it decodes and
// authenticates transactions, authorises them by role, dispatches their
// message to its module in x/, and keeps the state tree whose root is the
// app hash.
//
// # One validation path
//
// CheckTx, PrepareProposal, ProcessProposal and FinalizeBlock all run a
// transaction through the same [App.deliver]: decode (canonical encoding
// only) → envelope checks (size, chain id, timeout, memo) → signer account →
// signature over [SignBytes] → account status → sequence → role → handler.
//
// A transaction failing before the handler is not admitted: it changes
// nothing, PrepareProposal leaves it out, and ProcessProposal rejects a
// block that contains one. A transaction whose handler fails is admitted:
// its writes are discarded but its sequence is spent, so the client gets a
// definitive result in the block and the signed bytes can never be replayed.
// In CheckTx a failing handler rejects the transaction outright.
//
// # State and commits
//
// ProcessProposal executes the proposed block on a cache over the last
// committed state and keeps the result; FinalizeBlock reuses it when the
// decided block is the same one (else executes afresh), writes it into the
// working tree and returns the working hash. Only Commit persists, so a node
// killed at any point restarts at its last commit and CometBFT replays the
// rest. State prefixes are one byte per module; see router.go.
package app
