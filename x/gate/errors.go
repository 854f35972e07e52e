package gate

import "github.com/lineageledger/lineaged/x/kit"

// Codespace of every gate error.
const Codespace = "gate"

// Errors of this module. Codes are API (and part of every receipt of a
// failed check): never renumber.
var (
	ErrInvalidRequest  = kit.NewError(Codespace, 1, "invalid request")
	ErrInvalidPolicy   = kit.NewError(Codespace, 2, "invalid policy")
	ErrAmbiguousDigest = kit.NewError(Codespace, 3, "digest identifies several model versions")
)

// Errors lists every error of the module in code order, for documentation
// and tests.
var Errors = []*kit.Error{ErrInvalidRequest, ErrInvalidPolicy, ErrAmbiguousDigest}
