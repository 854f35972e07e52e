package gov

import "github.com/lineageledger/lineaged/x/kit"

// Codespace of every governance error.
const Codespace = "gov"

// Errors of this module. Codes are consensus and API: never renumber.
var (
	ErrInvalidField      = kit.NewError(Codespace, 1, "invalid field")
	ErrMessageNotAllowed = kit.NewError(Codespace, 2, "governance may not send this message")
	ErrNotMember         = kit.NewError(Codespace, 3, "signer's organisation is not a member")
	ErrOrgSuspended      = kit.NewError(Codespace, 4, "signer's organisation is suspended")
	ErrProposalNotFound  = kit.NewError(Codespace, 5, "proposal not found").MarkNotFound()
	ErrVotingClosed      = kit.NewError(Codespace, 6, "proposal is not open for votes")
	ErrInvalidVote       = kit.NewError(Codespace, 7, "invalid vote option")
	ErrInvalidParams     = kit.NewError(Codespace, 8, "invalid governance parameters")
	ErrInvalidQuery      = kit.NewError(Codespace, 9, "invalid query")
)

// Errors lists every error of the module in code order, for documentation
// and tests.
var Errors = []*kit.Error{
	ErrInvalidField, ErrMessageNotAllowed, ErrNotMember, ErrOrgSuspended,
	ErrProposalNotFound, ErrVotingClosed, ErrInvalidVote, ErrInvalidParams,
	ErrInvalidQuery,
}
