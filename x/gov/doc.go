// Package gov is consortium governance: member organisations propose
// messages that execute with the consortium's authority, and vote on them,
// one vote per organisation.
//
// # Proposals
//
// An admin (ROLE_ADMIN) of an active member organisation submits a
// proposal ([Keeper.SubmitProposal]): a title, a summary and 1 to
// [MaxMessages] messages, each a lineage.gov.v1.ProposalMessage. That
// oneof can name every message of the chain; [Allowed] is what governance
// may send: changing the chain's parameters (MsgUpdateParams:
// the gate policy, the transaction and memo size limits, governance's own
// parameters), admitting an organisation (MsgCreateOrg), suspending and
// reinstating one (MsgSuspendOrg, MsgReinstateOrg) and setting the roles of
// an account of any organisation (MsgSetAccountRoles). A proposal carrying
// anything else is refused at submission with [ErrMessageNotAllowed]. Only
// governance can send those messages but MsgCreateOrg, which a consortium
// admin may still send directly: the application refuses the others in any
// user's transaction.
//
// # Votes
//
// An admin of an active member organisation votes yes, no or abstain for
// the organisation ([Keeper.Vote]), and may change the vote until the
// voting period ends: voting_period_blocks blocks counting the one that
// carries the proposal. A suspended organisation cannot vote, and its vote
// from before the suspension does not count.
//
// # Decision and execution
//
// At the end of the last block of the voting period ([Keeper.EndBlock],
// which finds the proposals to decide in a height-keyed queue) the
// proposal is tallied over the organisations that are active members at
// that moment:
//
//   - fewer than quorum × members voted: EXPIRED;
//   - yes votes not more than threshold × members: REJECTED;
//   - otherwise its messages execute, in order, through the
//     [kit.Authority] the application provides: each through its own
//     module's handler, on that module's prefix of a branch of the state.
//     If all succeed the branch is kept and the proposal PASSED; if one
//     fails none of their writes stay and the proposal FAILED, recording
//     the failing message's index and error.
//
// Since votes can change until the period ends, no outcome is certain
// earlier, and none is decided earlier. Governance never writes another
// module's state itself. It runs from rule set kit.RulesGovernance; a
// chain on an earlier one refuses its messages as unknown.
//
// # Parameters
//
// lineage.app.v1.Params.gov ([DefaultParams] when unset): the voting
// period in blocks, the quorum and the threshold, fractions of the active
// member organisations.
//
// # State layout
//
// Under the module prefix (one byte, assigned by the application), every
// id and height big-endian:
//
//	0x01                                 → next proposal id (8 bytes)
//	0x02 | id(8)                         → Proposal
//	0x03 | id(8) | len(orgID) | orgID    → Vote (the organisation's latest)
//	0x04 | votingEndHeight(8) | id(8)    → empty: the queue of proposals to decide at the end of that block (removed once decided)
//	0x05 | status(1) | id(8)             → empty: proposals by status (moved when the status changes)
package gov
