package lineage

import (
	"fmt"

	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/digest"
	pb "github.com/lineageledger/lineaged/x/lineage/lineagev1"
)

// Limits on user-supplied fields.
const (
	MaxNamespaceLen = 128
	MaxNameLen      = 128
	MaxVersionLen   = 64
	MaxMediaTypeLen = 128
	MaxURILen       = 512
	MaxLicenseIDLen = 128
	MaxLicenses     = 16
	MaxExecutorLen  = 256
	MaxRunInputs    = 256
	// MaxRunOutputs bounds linked and new outputs together.
	MaxRunOutputs = 256
	// MaxRunEdges bounds inputs × outputs: every pair is two index keys, so
	// this caps what one transaction can make a block write.
	MaxRunEdges = 4096
)

// validateDigest checks that s is a canonical digest, or empty when the
// field is optional.
func validateDigest(field, s string, required bool) error {
	if s == "" && !required {
		return nil
	}
	if s == "" {
		return ErrInvalidDigest.Wrapf("%s is required", field)
	}
	if err := digest.Validate(s); err != nil {
		return ErrInvalidDigest.Wrapf("%s: %v", field, err)
	}
	return nil
}

func validateIdentifier(field, s string, max int, chars string) error {
	if err := kit.ValidateIdentifier(field, s, max, chars); err != nil {
		return ErrInvalidField.Wrapf("%v", err)
	}
	return nil
}

func validateText(field, s string, min, max int) error {
	if err := kit.ValidateText(field, s, min, max); err != nil {
		return ErrInvalidField.Wrapf("%v", err)
	}
	return nil
}

// validateName checks the namespace/name@version triple that names a
// dataset; field prefixes the field names in errors.
func validateName(field, namespace, name, version string) error {
	if err := validateIdentifier(field+"namespace", namespace, MaxNamespaceLen, kit.NameChars); err != nil {
		return err
	}
	if err := validateIdentifier(field+"name", name, MaxNameLen, kit.NameChars); err != nil {
		return err
	}
	return validateIdentifier(field+"version", version, MaxVersionLen, kit.VersionChars)
}

// validateSpec checks everything about a dataset spec that does not depend
// on state. field ("dataset" or "new_outputs[3]") prefixes field names.
func validateSpec(field string, spec *pb.DatasetSpec) error {
	if spec == nil {
		return ErrInvalidField.Wrapf("%s is required", field)
	}
	f := field + "."
	if err := validateDigest(f+"digest", spec.Digest, true); err != nil {
		return err
	}
	if err := validateDigest(f+"schema_digest", spec.SchemaDigest, false); err != nil {
		return err
	}
	if err := validateName(f, spec.Namespace, spec.Name, spec.Version); err != nil {
		return err
	}
	if err := validateText(f+"media_type", spec.MediaType, 0, MaxMediaTypeLen); err != nil {
		return err
	}
	if err := validateText(f+"uri", spec.Uri, 0, MaxURILen); err != nil {
		return err
	}
	if len(spec.LicenseIds) > MaxLicenses {
		return ErrInvalidField.Wrapf("%slicense_ids: at most %d licences, got %d", f, MaxLicenses, len(spec.LicenseIds))
	}
	seen := make(map[string]bool, len(spec.LicenseIds))
	for i, id := range spec.LicenseIds {
		if err := validateIdentifier(fmt.Sprintf("%slicense_ids[%d]", f, i), id, MaxLicenseIDLen, kit.IDChars); err != nil {
			return err
		}
		if seen[id] {
			return ErrInvalidField.Wrapf("%slicense_ids[%d]: %q listed twice", f, i, id)
		}
		seen[id] = true
	}
	return nil
}

// checkLicenses asks the licence registry whether every licence of spec is
// usable at blk. The registry's error is returned wrapped with %w, so its
// codespace and code (e.g. licenses/licence-expired) reach the client
// unchanged; an error without a code (a broken registry) still becomes a
// coded rejection.
func (k Keeper) checkLicenses(view kit.Reader, blk kit.Block, field string, spec *pb.DatasetSpec) error {
	for i, id := range spec.LicenseIds {
		err := k.licenses.CheckUsable(view, blk, id)
		if err == nil {
			continue
		}
		if _, _, coded := kit.CodeOf(err); !coded {
			return ErrInvalidField.Wrapf("%s.license_ids[%d] %q: %v", field, i, id, err)
		}
		return fmt.Errorf("%s.license_ids[%d] %q: %w", field, i, id, err)
	}
	return nil
}
