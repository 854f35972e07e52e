package licenses

import (
	"slices"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// GrantLicense grants a licensee organisation rights on a record offered
// under a licence. The application has checked that the signer holds
// ROLE_LICENSOR; the signer's organisation must be the licence's licensor.
//
// A grant never gives more than the licence: each permission may be set
// only if the licence permits it, and if the licence expires the grant
// must expire no later (by the same measure, height and/or time). Its
// expiry must lie in the future. Duties are the licence's: the stored
// grant's attribution_required is the licence's, whatever the request said.
//
// Any licence may be granted under, but grants only matter for licences
// that need one (see [Keeper.EffectiveLicense]).
//
// The licensee must be a member organisation.
func (k Keeper) GrantLicense(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgGrantLicense) ([]kit.Event, error) {
	if err := validateLicenseID("license_id", msg.LicenseId); err != nil {
		return nil, err
	}
	if err := ValidateOrgID("licensee_org", msg.LicenseeOrg); err != nil {
		return nil, err
	}
	if !k.orgs.OrgExists(view, msg.LicenseeOrg) {
		return nil, ErrUnknownOrg.Wrapf("licensee_org %q is not a member organisation", msg.LicenseeOrg)
	}
	if err := ValidateSubject("subject", msg.Subject); err != nil {
		return nil, err
	}
	if msg.Usage == nil {
		return nil, ErrInvalidField.Wrapf("usage is required")
	}
	if err := validateExpiry(blk, msg.ExpiryHeight, msg.ExpiryTime); err != nil {
		return nil, err
	}
	lic, found := loadLicense(st, msg.LicenseId)
	if !found {
		return nil, ErrUnknownLicense.Wrapf("%q", msg.LicenseId)
	}
	if lic.LicensorOrg != signer.OrgID {
		return nil, ErrNotLicensor.Wrapf("licence %q belongs to %s, signer to %s", msg.LicenseId, lic.LicensorOrg, signer.OrgID)
	}
	if LicenseExpired(lic, blk) {
		return nil, ErrLicenseExpired.Wrapf("%q expired (%s)", msg.LicenseId, expiryString(lic.Spec.ExpiryHeight, lic.Spec.ExpiryTime))
	}
	subjectKey := SubjectKey(msg.Subject)
	licenseIDs, _, registered := k.prov.Record(view, msg.Subject)
	if !registered {
		return nil, ErrUnknownSubject.Wrapf("%s", subjectKey)
	}
	if !slices.Contains(licenseIDs, msg.LicenseId) {
		return nil, ErrSubjectNotUnderLicense.Wrapf("%s is not offered under %q", subjectKey, msg.LicenseId)
	}
	for _, u := range uses {
		if u.allowed(msg.Usage) && !u.allowed(lic.Spec.Usage) {
			return nil, ErrGrantExceedsLicense.Wrapf("licence %q does not permit %s", msg.LicenseId, u.name)
		}
	}
	if err := checkGrantExpiry(lic, msg); err != nil {
		return nil, err
	}

	seq := nextGrantSequence(st)
	grant := &pb.Grant{
		Id:          GrantID(seq),
		LicenseId:   msg.LicenseId,
		LicenseeOrg: msg.LicenseeOrg,
		Subject:     msg.Subject,
		Usage: &pb.Usage{
			CommercialUse:       msg.Usage.CommercialUse,
			Derivatives:         msg.Usage.Derivatives,
			Redistribution:      msg.Usage.Redistribution,
			AiTraining:          msg.Usage.AiTraining,
			AttributionRequired: lic.Spec.Usage.GetAttributionRequired(),
		},
		ExpiryHeight: msg.ExpiryHeight,
		ExpiryTime:   msg.ExpiryTime,
		GrantedBy:    signer.Address,
		Height:       blk.Height,
		Time:         timestamp(blk),
	}
	kit.Save(st, GrantKey(seq), grant)
	st.Set(GrantBySubjectKey(subjectKey, msg.LicenseeOrg, seq), []byte{1})
	st.Set(GrantByLicenseKey(msg.LicenseId, seq), []byte{1})
	return []kit.Event{kit.NewEvent("licenses.license_granted",
		"grant_id", grant.Id, "license_id", msg.LicenseId, "licensee_org", msg.LicenseeOrg,
		"subject", subjectKey, "by", signer.Address).Searchable("grant_id", "license_id")}, nil
}

// checkGrantExpiry rejects a grant that could outlive its licence: when
// the licence expires at a height (time), the grant must expire at that
// height (time) or earlier.
func checkGrantExpiry(lic *pb.License, msg *pb.MsgGrantLicense) error {
	spec := lic.Spec
	if spec.ExpiryHeight != 0 && (msg.ExpiryHeight == 0 || msg.ExpiryHeight > spec.ExpiryHeight) {
		return ErrGrantExceedsLicense.Wrapf("licence %q expires after height %d; the grant's expiry_height must be set and at most that, got %d",
			spec.Id, spec.ExpiryHeight, msg.ExpiryHeight)
	}
	if spec.ExpiryTime != nil && (msg.ExpiryTime == nil || msg.ExpiryTime.AsTime().After(spec.ExpiryTime.AsTime())) {
		got := "none"
		if msg.ExpiryTime != nil {
			got = formatTime(msg.ExpiryTime.AsTime())
		}
		return ErrGrantExceedsLicense.Wrapf("licence %q expires at %s; the grant's expiry_time must be set and no later, got %s",
			spec.Id, formatTime(spec.ExpiryTime.AsTime()), got)
	}
	return nil
}
