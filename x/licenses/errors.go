package licenses

import "github.com/lineageledger/lineaged/x/kit"

// Codespace of every licenses error.
const Codespace = "licenses"

// Errors of this module. Codes are consensus and API: never renumber.
var (
	ErrInvalidField           = kit.NewError(Codespace, 1, "invalid field")
	ErrInvalidDigest          = kit.NewError(Codespace, 2, "invalid digest")
	ErrLicenseExists          = kit.NewError(Codespace, 3, "licence already exists")
	ErrUnknownLicense         = kit.NewError(Codespace, 4, "unknown licence")
	ErrLicenseExpired         = kit.NewError(Codespace, 5, "licence expired")
	ErrNotLicensor            = kit.NewError(Codespace, 6, "signer's organisation is not the licensor")
	ErrUnknownSubject         = kit.NewError(Codespace, 7, "subject is not registered")
	ErrSubjectNotUnderLicense = kit.NewError(Codespace, 8, "subject is not offered under the licence")
	ErrGrantExceedsLicense    = kit.NewError(Codespace, 9, "grant exceeds the licence")
	ErrUnknownGrant           = kit.NewError(Codespace, 10, "unknown grant")
	ErrGrantRevoked           = kit.NewError(Codespace, 11, "grant already revoked")
	ErrInvalidQuery           = kit.NewError(Codespace, 12, "invalid query")
	ErrNotFound               = kit.NewError(Codespace, 13, "not found").MarkNotFound()
	ErrUnknownOrg             = kit.NewError(Codespace, 14, "unknown organisation")
)

// Errors lists every error of the module in code order, for documentation
// and tests.
var Errors = []*kit.Error{
	ErrInvalidField, ErrInvalidDigest, ErrLicenseExists, ErrUnknownLicense,
	ErrLicenseExpired, ErrNotLicensor, ErrUnknownSubject, ErrSubjectNotUnderLicense,
	ErrGrantExceedsLicense, ErrUnknownGrant, ErrGrantRevoked, ErrInvalidQuery,
	ErrNotFound, ErrUnknownOrg,
}
