package licenses

import (
	"fmt"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// RevokeGrant revokes a grant. The application has checked that the signer
// holds ROLE_LICENSOR; the signer's organisation must be the licensor of
// the grant's licence. The grant record itself never changes: a
// GrantRevocation record is stored beside it. Expired grants may be
// revoked too (it documents why they ended); a grant is revoked only once.
func (k Keeper) RevokeGrant(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgRevokeGrant) ([]kit.Event, error) {
	if err := kit.ValidateText("reason", msg.Reason, 1, MaxReasonLen); err != nil {
		return nil, ErrInvalidField.Wrapf("%v", err)
	}
	seq, err := ParseGrantID(msg.GrantId)
	if err != nil {
		return nil, err
	}
	grant, revocation := loadGrant(st, seq)
	if grant == nil {
		return nil, ErrUnknownGrant.Wrapf("%q", msg.GrantId)
	}
	lic, found := loadLicense(st, grant.LicenseId)
	if !found {
		panic(fmt.Sprintf("licenses: grant %s names undefined licence %q", grant.Id, grant.LicenseId))
	}
	if lic.LicensorOrg != signer.OrgID {
		return nil, ErrNotLicensor.Wrapf("grant %s is under licence %q of %s, signer belongs to %s",
			grant.Id, lic.Spec.Id, lic.LicensorOrg, signer.OrgID)
	}
	if revocation != nil {
		return nil, ErrGrantRevoked.Wrapf("%s was revoked at height %d", grant.Id, revocation.Height)
	}
	kit.Save(st, GrantRevocationKey(seq), &pb.GrantRevocation{
		GrantId:   grant.Id,
		Reason:    msg.Reason,
		RevokedBy: signer.Address,
		Height:    blk.Height,
		Time:      timestamp(blk),
	})
	return []kit.Event{kit.NewEvent("licenses.grant_revoked",
		"grant_id", grant.Id, "license_id", grant.LicenseId, "licensee_org", grant.LicenseeOrg, "by", signer.Address).Searchable("grant_id")}, nil
}
