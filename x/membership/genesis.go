package membership

import (
	"slices"

	"github.com/lineageledger/lineaged/x/kit"
	pb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// InitGenesis writes the initial consortium. Every organisation needs an
// account holding ROLE_ADMIN, and every account an existing organisation.
func (k Keeper) InitGenesis(st kit.Store, view kit.Reader, blk kit.Block, g *pb.Genesis) error {
	if g == nil || len(g.Orgs) == 0 {
		return ErrInvalidGenesis.Wrapf("at least one organisation is required")
	}
	for _, org := range g.Orgs {
		if err := ValidateOrgID(org.Id); err != nil {
			return ErrInvalidGenesis.Wrapf("organisation %q: %v", org.Id, err)
		}
		if err := validateText("name", org.Name, 1, MaxNameLen); err != nil {
			return ErrInvalidGenesis.Wrapf("organisation %q: %v", org.Id, err)
		}
		if st.Has(OrgKey(org.Id)) {
			return ErrInvalidGenesis.Wrapf("organisation %q listed twice", org.Id)
		}
		kit.Save(st, OrgKey(org.Id), &pb.Org{Id: org.Id, Name: org.Name, CreatedHeight: blk.Height, Namespaces: org.Namespaces})
	}
	// Every id is stored first, so that no organisation reserves another's.
	for _, org := range g.Orgs {
		if err := reserveNamespaces(st, org.Id, org.Namespaces); err != nil {
			return ErrInvalidGenesis.Wrapf("organisation %q: %v", org.Id, err)
		}
	}
	admins := map[string]bool{}
	for i, ga := range g.Accounts {
		if !st.Has(OrgKey(ga.OrgId)) {
			return ErrInvalidGenesis.Wrapf("account %d: unknown organisation %q", i, ga.OrgId)
		}
		if err := validateText("label", ga.Label, 0, MaxLabelLen); err != nil {
			return ErrInvalidGenesis.Wrapf("account %d: %v", i, err)
		}
		roles, err := normalizeRoles(ga.Roles)
		if err != nil {
			return ErrInvalidGenesis.Wrapf("account %d: %v", i, err)
		}
		if _, err := createAccount(st, blk, ga.OrgId, ga.PublicKey, roles, ga.Label); err != nil {
			return ErrInvalidGenesis.Wrapf("account %d: %v", i, err)
		}
		if slices.Contains(roles, pb.Role_ROLE_ADMIN) {
			admins[ga.OrgId] = true
		}
	}
	for _, org := range g.Orgs {
		if !admins[org.Id] {
			return ErrInvalidGenesis.Wrapf("organisation %q has no account with role %s", org.Id, RoleName(pb.Role_ROLE_ADMIN))
		}
	}
	return nil
}
