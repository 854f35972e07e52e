package licenses

import (
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/digest"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// DefineLicense defines a licence whose licensor is the signer's
// organisation. The application has checked that the signer holds
// ROLE_LICENSOR.
//
// A licence needs an SPDX expression and/or the digest of its terms, and
// its usage. An expiry, if given, must lie in the future: a licence cannot
// be defined already expired (ErrInvalidField naming the expiry).
func (k Keeper) DefineLicense(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgDefineLicense) ([]kit.Event, error) {
	spec := msg.GetLicense()
	if spec == nil {
		return nil, ErrInvalidField.Wrapf("license is required")
	}
	if err := validateLicenseID("license.id", spec.Id); err != nil {
		return nil, err
	}
	if spec.SpdxId == "" && spec.TermsDigest == "" {
		return nil, ErrInvalidField.Wrapf("license %q needs spdx_id or terms_digest (or both)", spec.Id)
	}
	if spec.SpdxId != "" {
		if err := validateSPDX(spec.SpdxId); err != nil {
			return nil, err
		}
	}
	if spec.TermsDigest != "" {
		if err := digest.Validate(spec.TermsDigest); err != nil {
			return nil, ErrInvalidDigest.Wrapf("terms_digest: %v", err)
		}
	}
	if spec.Usage == nil {
		return nil, ErrInvalidField.Wrapf("license %q: usage is required", spec.Id)
	}
	if err := validateExpiry(blk, spec.ExpiryHeight, spec.ExpiryTime); err != nil {
		return nil, err
	}
	if st.Has(LicenseKey(spec.Id)) {
		return nil, ErrLicenseExists.Wrapf("%q", spec.Id)
	}
	kit.Save(st, LicenseKey(spec.Id), &pb.License{
		Spec:        spec,
		LicensorOrg: signer.OrgID,
		DefinedBy:   signer.Address,
		Height:      blk.Height,
		Time:        timestamp(blk),
	})
	return []kit.Event{kit.NewEvent("licenses.license_defined",
		"license_id", spec.Id, "licensor_org", signer.OrgID, "by", signer.Address).Searchable("license_id")}, nil
}

// ClaimedNames is the licence id a definition claims, for the application
// to check against the signer's organisation's namespaces.
func ClaimedNames(msg *pb.MsgDefineLicense) []string {
	return []string{msg.GetLicense().GetId()}
}
