package membership

import "github.com/lineageledger/lineaged/x/kit"

// Codespace of every membership error.
const Codespace = "membership"

// Errors of this module. Codes are consensus and API: never renumber.
var (
	ErrInvalidOrgID       = kit.NewError(Codespace, 1, "invalid organisation id")
	ErrInvalidField       = kit.NewError(Codespace, 2, "invalid field")
	ErrOrgExists          = kit.NewError(Codespace, 3, "organisation already exists")
	ErrOrgNotFound        = kit.NewError(Codespace, 4, "organisation not found").MarkNotFound()
	ErrAccountExists      = kit.NewError(Codespace, 5, "account already exists")
	ErrAccountNotFound    = kit.NewError(Codespace, 6, "account not found").MarkNotFound()
	ErrInvalidPublicKey   = kit.NewError(Codespace, 7, "invalid public key")
	ErrKeyAlreadyUsed     = kit.NewError(Codespace, 8, "public key already used")
	ErrInvalidRoles       = kit.NewError(Codespace, 9, "invalid roles")
	ErrRoleEscalation     = kit.NewError(Codespace, 10, "cannot grant or revoke a role the signer does not hold")
	ErrOtherOrg           = kit.NewError(Codespace, 11, "account belongs to another organisation")
	ErrLastAdmin          = kit.NewError(Codespace, 12, "organisation would be left without an active admin")
	ErrWrongAccountStatus = kit.NewError(Codespace, 13, "account is not in the required status")
	ErrInvalidKeyProof    = kit.NewError(Codespace, 14, "new key's proof of possession does not verify")
	ErrInvalidAddress     = kit.NewError(Codespace, 15, "invalid address")
	ErrInvalidGenesis     = kit.NewError(Codespace, 16, "invalid membership genesis")
	ErrInvalidQuery       = kit.NewError(Codespace, 17, "invalid query")
	ErrNamespaceTaken     = kit.NewError(Codespace, 18, "namespace already belongs to an organisation")
	ErrWrongOrgStatus     = kit.NewError(Codespace, 19, "organisation is not in the required status")
	ErrNotAuthority       = kit.NewError(Codespace, 20, "only governance may send this message")
)

// Errors lists every error of the module, for documentation and tests.
var Errors = []*kit.Error{
	ErrInvalidOrgID, ErrInvalidField, ErrOrgExists, ErrOrgNotFound,
	ErrAccountExists, ErrAccountNotFound, ErrInvalidPublicKey, ErrKeyAlreadyUsed,
	ErrInvalidRoles, ErrRoleEscalation, ErrOtherOrg, ErrLastAdmin,
	ErrWrongAccountStatus, ErrInvalidKeyProof, ErrInvalidAddress, ErrInvalidGenesis,
	ErrInvalidQuery, ErrNamespaceTaken, ErrWrongOrgStatus, ErrNotAuthority,
}
