// Package app is the ABCI 2.0 application behind lineaged: it decodes and
// authenticates transactions, authorises them by role, dispatches their
// message to its module in x/, and keeps the state tree whose root is the
// app hash. The modules, their routes, query services, genesis and errors
// are listed in one table, in package [modules]; this package is the
// consensus shell around it.
//
// # One validation path
//
// PrepareProposal, ProcessProposal and FinalizeBlock run every
// transaction through the same [App.deliverWith]: decode (canonical
// encoding only) → envelope checks (size, chain id, timeout, memo) →
// route → signer account → signature over [SignBytes] → account status →
// sequence → the route's role → the handler, on the module's own prefix
// of the state.
//
// A transaction failing before the handler is not admitted: it changes
// nothing, PrepareProposal leaves it out, and ProcessProposal rejects a
// block that contains one. A transaction whose handler fails is admitted:
// its writes are discarded but its sequence is spent, so the client gets a
// definitive result in the block and the signed bytes can never be replayed.
//
// CheckTx runs the same path up to the handler (and the signatures a
// message carries, such as a publisher's), then spends the sequence in the
// mempool's view without running the handler, which runs in the block: a
// handler's refusal is the transaction's result there. The exceptions run
// their handler in CheckTx too, a failure refusing the transaction: the
// messages that change admission (membership's), and every message on a
// node set with [App.SetCheckHandlers]. A client learns a handler's
// answer before broadcasting with [SimulatePath].
//
// # Block preamble, vote extensions, validator updates
//
// A module may ask validators to sign something in their precommits
// (modules.VoteExtension): [App.ExtendVote] asks the signer the node gave
// ([App.SetVoteSigner]) to sign each payload, so no module holds a key, and
// [App.VerifyVoteExtension] checks other validators' entries. The next
// proposer builds the block's preamble (modules.PreambleKind) from the
// extended votes and puts it first in the block, marked by
// [PreambleMarker]; ProcessProposal executes it against the previous
// block's commit and rejects a block whose preamble fails, and
// FinalizeBlock executes it the same way on a node that did not vote. A
// preamble is never a transaction: CheckTx refuses one, and a proposer
// never takes one from its mempool. After a block's transactions each
// module's end-of-block work runs; the validator-set changes it returns
// are FinalizeBlock's validator updates.
//
// # State and commits
//
// ProcessProposal executes the proposed block on a cache over the last
// committed state and keeps the result; FinalizeBlock reuses it when the
// decided block is the same one (else executes afresh), writes it into the
// working tree and returns the working hash. Only Commit persists, so a node
// killed at any point restarts at its last commit and CometBFT replays the
// rest. State prefixes are one byte per module, listed in the table
// (app/modules/table.go).
//
// # Queries
//
// [App.Query] answers a query method under its full gRPC name (Data: the
// encoded request), proven with Prove set by one operation of type
// [proof.OpType] holding a bundle of every read the query made; a raw
// state key under [StateKeyPath], proven by one standard ICS 23 operation
// ([proof.ICS23OpType]) that ICS 23-aware tools verify as they are; and
// [SimulatePath]. A proven response's Key is the key of its proof
// operation. Queries read committed versions only and are not consensus.
//
// # State-sync snapshots
//
// A new node can join from a snapshot of a recent height instead of
// replaying every block. Package app/snapshots stores snapshots, defines
// their format and restores one; snapshot.go is the ABCI glue around it:
// [App.SetSnapshots] configures it, Commit starts a snapshot at each
// interval, the state-sync calls delegate to it under the application's
// locks, and a completed restore resets the application's own view of the
// state (chain id, clock, mempool view). [App.Close] stops a snapshot
// being written.
package app
