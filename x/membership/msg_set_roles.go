package membership

import (
	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// SetRoles replaces the roles of an account of the signer's organisation.
// The application has checked that the signer holds ROLE_ADMIN.
func (k Keeper) SetRoles(st kit.Store, view kit.Reader, _ kit.Block, signer kit.Signer, msg *pb.MsgSetRoles) ([]kit.Event, error) {
	roles, err := normalizeRoles(msg.Roles)
	if err != nil {
		return nil, err
	}
	admin := signerAccount(st, signer)
	acct, err := sameOrgAccount(st, admin, msg.Address)
	if err != nil {
		return nil, err
	}
	if err := checkGrant(admin, acct.Roles, roles); err != nil {
		return nil, err
	}
	acct.Roles = roles
	if activeAdmins(st, acct.OrgId, acct) == 0 {
		return nil, ErrLastAdmin.Wrapf("%s is its last active admin", acct.Address)
	}
	saveAccount(st, acct)
	return []kit.Event{kit.NewEvent("membership.roles_set",
		"address", acct.Address, "org_id", acct.OrgId, "roles", rolesString(roles), "by", signer.Address).Searchable("address")}, nil
}
