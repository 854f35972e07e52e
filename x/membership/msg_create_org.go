package membership

import (
	"slices"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// CreateOrg admits an organisation with its first account, an admin.
// The application has checked that the signer holds ROLE_CONSORTIUM_ADMIN,
// who can hand out only roles it holds; governance (a passed proposal,
// signer.Authority) can hand out any.
func (k Keeper) CreateOrg(st kit.Store, view kit.Reader, blk kit.Block, signer kit.Signer, msg *pb.MsgCreateOrg) ([]kit.Event, error) {
	if err := ValidateOrgID(msg.OrgId); err != nil {
		return nil, err
	}
	if err := validateText("name", msg.Name, 1, MaxNameLen); err != nil {
		return nil, err
	}
	if err := validateText("admin_label", msg.AdminLabel, 0, MaxLabelLen); err != nil {
		return nil, err
	}
	roles, err := normalizeRoles(msg.AdminRoles)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(roles, pb.Role_ROLE_ADMIN) {
		return nil, ErrInvalidRoles.Wrapf("the first account of an organisation must hold %s", RoleName(pb.Role_ROLE_ADMIN))
	}
	if !signer.Authority {
		if err := checkGrant(signerAccount(st, signer), nil, roles); err != nil {
			return nil, err
		}
	}
	if st.Has(OrgKey(msg.OrgId)) {
		return nil, ErrOrgExists.Wrapf("%s", msg.OrgId)
	}
	if owner, taken := namespaceOwner(st, msg.OrgId); taken {
		return nil, ErrNamespaceTaken.Wrapf("%s is a namespace of %s", msg.OrgId, owner)
	}
	if err := reserveNamespaces(st, msg.OrgId, msg.Namespaces); err != nil {
		return nil, err
	}
	kit.Save(st, OrgKey(msg.OrgId), &pb.Org{Id: msg.OrgId, Name: msg.Name, CreatedHeight: blk.Height, Namespaces: msg.Namespaces})
	acct, err := createAccount(st, blk, msg.OrgId, msg.AdminPublicKey, roles, msg.AdminLabel)
	if err != nil {
		return nil, err
	}
	return []kit.Event{
		kit.NewEvent("membership.org_created", "org_id", msg.OrgId, "admin", acct.Address).Searchable("org_id"),
		accountAddedEvent(acct),
	}, nil
}

func accountAddedEvent(acct *pb.Account) kit.Event {
	return kit.NewEvent("membership.account_added",
		"address", acct.Address, "org_id", acct.OrgId, "roles", rolesString(acct.Roles)).Searchable("address")
}
