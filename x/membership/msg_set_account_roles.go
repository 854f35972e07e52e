package membership

import (
	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// SetAccountRoles replaces the roles of an account of any organisation,
// any role included; the organisation must keep an active admin. Only
// governance sends it: an organisation's admins use [Keeper.SetRoles].
func (k Keeper) SetAccountRoles(st kit.Store, _ kit.Reader, _ kit.Block, signer kit.Signer, msg *pb.MsgSetAccountRoles) ([]kit.Event, error) {
	if err := requireAuthority(signer); err != nil {
		return nil, err
	}
	roles, err := normalizeRoles(msg.Roles)
	if err != nil {
		return nil, err
	}
	acct, err := loadAccount(st, msg.Address)
	if err != nil {
		return nil, err
	}
	acct.Roles = roles
	if activeAdmins(st, acct.OrgId, acct) == 0 {
		return nil, ErrLastAdmin.Wrapf("%s is its last active admin", acct.Address)
	}
	saveAccount(st, acct)
	return []kit.Event{kit.NewEvent("membership.roles_set",
		"address", acct.Address, "org_id", acct.OrgId, "roles", rolesString(roles), "by", "governance").Searchable("address")}, nil
}
