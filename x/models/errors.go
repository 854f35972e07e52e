package models

import "github.com/lineageledger/lineaged/x/kit"

// Codespace of every models error.
const Codespace = "models"

// Errors of this module. Codes are consensus and API: never renumber.
var (
	ErrInvalidField          = kit.NewError(Codespace, 1, "invalid field")
	ErrInvalidDigest         = kit.NewError(Codespace, 2, "invalid digest")
	ErrInvalidRef            = kit.NewError(Codespace, 3, "invalid model reference")
	ErrModelExists           = kit.NewError(Codespace, 4, "model version already registered")
	ErrUnknownModel          = kit.NewError(Codespace, 5, "unknown model version")
	ErrUnknownDataset        = kit.NewError(Codespace, 6, "unknown dataset")
	ErrUnknownRun            = kit.NewError(Codespace, 7, "unknown training run")
	ErrBaseRevoked           = kit.NewError(Codespace, 8, "base model is revoked")
	ErrBadPublisherSignature = kit.NewError(Codespace, 9, "publisher signature does not verify")
	ErrNotPublisher          = kit.NewError(Codespace, 10, "signer's organisation did not publish the model version")
	ErrAlreadyRevoked        = kit.NewError(Codespace, 11, "model version already revoked")
	ErrRevoked               = kit.NewError(Codespace, 12, "model version is revoked")
	ErrAlreadySuperseded     = kit.NewError(Codespace, 13, "model version already superseded")
	ErrInvalidSupersession   = kit.NewError(Codespace, 14, "invalid supersession")
	ErrInvalidQuery          = kit.NewError(Codespace, 15, "invalid query")
	ErrNotFound              = kit.NewError(Codespace, 16, "not found").MarkNotFound()
	ErrAliasNotSet           = kit.NewError(Codespace, 17, "alias points to no version")
	ErrAliasUnchanged        = kit.NewError(Codespace, 18, "alias already points to that version")
)

// Errors lists every error of the module in code order, for documentation
// and tests.
var Errors = []*kit.Error{
	ErrInvalidField, ErrInvalidDigest, ErrInvalidRef, ErrModelExists,
	ErrUnknownModel, ErrUnknownDataset, ErrUnknownRun, ErrBaseRevoked,
	ErrBadPublisherSignature, ErrNotPublisher, ErrAlreadyRevoked, ErrRevoked,
	ErrAlreadySuperseded, ErrInvalidSupersession, ErrInvalidQuery, ErrNotFound,
	ErrAliasNotSet, ErrAliasUnchanged,
}
