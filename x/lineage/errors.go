package lineage

import "github.com/lineageledger/lineaged/x/kit"

// Codespace of every lineage error.
const Codespace = "lineage"

// Errors of this module. Codes are consensus and API: never renumber.
//
// Licence rejections are not in this table: a licence that is missing or
// expired is reported with the licence module's own error (codespace
// "licenses"), wrapped with the offending field, so clients see one code per
// cause wherever the licence is referenced.
var (
	ErrInvalidField        = kit.NewError(Codespace, 1, "invalid field")
	ErrInvalidDigest       = kit.NewError(Codespace, 2, "invalid digest")
	ErrDatasetExists       = kit.NewError(Codespace, 3, "dataset already registered")
	ErrNameTaken           = kit.NewError(Codespace, 4, "dataset name and version already taken")
	ErrUnknownDataset      = kit.NewError(Codespace, 5, "unknown dataset")
	ErrAlreadyAttested     = kit.NewError(Codespace, 6, "organisation already attested this dataset")
	ErrAttestationMismatch = kit.NewError(Codespace, 7, "attestation does not match the registered dataset")
	ErrRunExists           = kit.NewError(Codespace, 8, "run already recorded")
	ErrUnknownRun          = kit.NewError(Codespace, 9, "unknown run")
	ErrLineageCycle        = kit.NewError(Codespace, 10, "lineage would contain a cycle")
	ErrLineageTooLarge     = kit.NewError(Codespace, 11, "lineage too large to check")
	ErrInvalidQuery        = kit.NewError(Codespace, 12, "invalid query")
	ErrNotFound            = kit.NewError(Codespace, 13, "not found").MarkNotFound()
	ErrNotOwner            = kit.NewError(Codespace, 14, "signer's organisation did not register the dataset")
	ErrAlreadyRevoked      = kit.NewError(Codespace, 15, "dataset already revoked")
)

// Errors lists every error of the module, for documentation and tests.
var Errors = []*kit.Error{
	ErrInvalidField, ErrInvalidDigest, ErrDatasetExists, ErrNameTaken,
	ErrUnknownDataset, ErrAlreadyAttested, ErrAttestationMismatch, ErrRunExists,
	ErrUnknownRun, ErrLineageCycle, ErrLineageTooLarge, ErrInvalidQuery,
	ErrNotFound, ErrNotOwner, ErrAlreadyRevoked,
}
